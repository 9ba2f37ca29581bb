//! Test environment: the multisig program run natively inside a real bank
//! (solana-program-test) next to the real SPL Token program, plus builders
//! for every instruction.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::solana_program::system_instruction;
use anchor_lang::{AccountDeserialize, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::account::Account;
use solana_sdk::account_info::AccountInfo;
use solana_sdk::clock::Clock;
use solana_sdk::instruction::{AccountMeta, Instruction, InstructionError};
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};
use stablerail_multisig::errors::MultisigError;
use stablerail_multisig::instructions::*;
use stablerail_multisig::state::*;
use stablerail_multisig::ID as MULTISIG_ID;

/// The Compute Budget program (its SetComputeUnitLimit makes transactions unique).
const COMPUTE_BUDGET_ID: Pubkey =
    anchor_lang::pubkey!("ComputeBudget111111111111111111111111111111");

/// The program's result type as the tests see it.
pub type TxResult = Result<(), TransactionError>;

/// Native entry for the bank. Anchor 1.x's `entry` ties the program id, every
/// account and the data to one lifetime, which the runtime's callback
/// signature does not promise; the wrapper re-borrows them for that lifetime
/// by leaking small copies (test-only, a few hundred bytes per instruction).
pub fn multisig_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> solana_sdk::entrypoint::ProgramResult {
    let program_id: &Pubkey = Box::leak(Box::new(*program_id));
    let accounts: &[AccountInfo] = Box::leak(accounts.to_vec().into_boxed_slice());
    let data: &[u8] = Box::leak(data.to_vec().into_boxed_slice());
    stablerail_multisig::entry(program_id, accounts, data)
}

/// A `ProgramTest` with the multisig program registered natively.
pub fn program_test() -> ProgramTest {
    let mut test = ProgramTest::new(
        "stablerail_multisig",
        MULTISIG_ID,
        processor!(multisig_entry),
    );
    test.prefer_bpf(false);
    test
}

/// The custom error code of a program error.
pub fn code(error: MultisigError) -> u32 {
    u32::from(error)
}

/// The code of one of Anchor's own errors (account constraint failures).
pub fn anchor_code(error: anchor_lang::error::ErrorCode) -> u32 {
    u32::from(error)
}

/// Asserts that `result` failed with custom error `expected`.
#[track_caller]
pub fn assert_err(result: TxResult, expected: u32) {
    match result {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(actual))) => {
            assert_eq!(actual, expected, "wrong error code")
        }
        other => panic!("expected custom error {expected}, got {other:?}"),
    }
}

/// PDA of the multisig created with `create_key`.
pub fn multisig_pda(create_key: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[SEED_PREFIX, create_key.as_ref()], &MULTISIG_ID).0
}

/// PDA of the vault of `multisig`.
pub fn vault_pda(multisig: &Pubkey) -> Pubkey {
    Multisig::vault_address(multisig).0
}

/// PDA of proposal `index` of `multisig`.
pub fn proposal_pda(multisig: &Pubkey, index: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[
            SEED_PREFIX,
            multisig.as_ref(),
            SEED_PROPOSAL,
            &index.to_le_bytes(),
        ],
        &MULTISIG_ID,
    )
    .0
}

/// PDA of the spending limit of `multisig` created with `create_key`.
pub fn spending_limit_pda(multisig: &Pubkey, create_key: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[
            SEED_PREFIX,
            multisig.as_ref(),
            SEED_SPENDING_LIMIT,
            create_key.as_ref(),
        ],
        &MULTISIG_ID,
    )
    .0
}

/// An instruction of the multisig program from Anchor's client structs.
pub fn anchor_ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: MULTISIG_ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// The stored form of `ix` for a proposal.
pub fn stored(ix: &Instruction) -> ProposalInstruction {
    ProposalInstruction {
        program_id: ix.program_id,
        accounts: ix
            .accounts
            .iter()
            .map(|meta| ProposalAccountMeta {
                pubkey: meta.pubkey,
                is_signer: meta.is_signer,
                is_writable: meta.is_writable,
            })
            .collect(),
        data: ix.data.clone(),
    }
}

/// The remaining accounts `proposal_execute` needs for `instructions`: every
/// account they name (never as signer: the vault signs by seeds) and every
/// invoked program, deduplicated, the vault left out (it is a named account).
pub fn execute_accounts(
    multisig: &Pubkey,
    instructions: &[ProposalInstruction],
) -> Vec<AccountMeta> {
    let vault = vault_pda(multisig);
    let mut metas: Vec<AccountMeta> = Vec::new();
    let mut add = |pubkey: Pubkey, writable: bool| {
        if pubkey == vault {
            return;
        }
        match metas.iter_mut().find(|meta| meta.pubkey == pubkey) {
            Some(meta) => meta.is_writable |= writable,
            None => metas.push(AccountMeta {
                pubkey,
                is_signer: false,
                is_writable: writable,
            }),
        }
    };
    for instruction in instructions {
        for meta in &instruction.accounts {
            add(meta.pubkey, meta.is_writable);
        }
        add(instruction.program_id, false);
    }
    metas
}

/// SPL `transfer_checked` from the vault's token account, as a stored instruction.
pub fn vault_token_transfer(
    multisig: &Pubkey,
    from: &Pubkey,
    mint: &Pubkey,
    to: &Pubkey,
    amount: u64,
    decimals: u8,
) -> ProposalInstruction {
    let ix = spl_token::instruction::transfer_checked(
        &spl_token::ID,
        from,
        mint,
        to,
        &vault_pda(multisig),
        &[],
        amount,
        decimals,
    )
    .expect("transfer_checked instruction");
    stored(&ix)
}

/// A running bank with the multisig program.
pub struct Env {
    /// The bank and its fee payer.
    pub ctx: ProgramTestContext,
    nonce: u32,
}

impl Env {
    /// Starts a bank with only the multisig program (and the built-in SPL programs).
    pub async fn start() -> Env {
        Env::start_with(program_test()).await
    }

    /// Starts a bank from a prepared `ProgramTest`.
    pub async fn start_with(test: ProgramTest) -> Env {
        Env {
            ctx: test.start_with_context().await,
            nonce: 0,
        }
    }

    /// Sends `ixs` in one transaction paid by the context payer and signed
    /// by `signers`. A compute-budget instruction with a fresh value keeps
    /// identical transactions distinct.
    pub async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxResult {
        self.nonce += 1;
        let mut data = vec![2u8];
        data.extend_from_slice(&(1_400_000 - self.nonce).to_le_bytes());
        let budget = Instruction {
            program_id: COMPUTE_BUDGET_ID,
            accounts: vec![],
            data,
        };
        let mut all = vec![budget];
        all.extend_from_slice(ixs);
        let mut keys: Vec<&Keypair> = vec![&self.ctx.payer];
        keys.extend_from_slice(signers);
        let blockhash = self.ctx.last_blockhash;
        let tx = Transaction::new_signed_with_payer(
            &all,
            Some(&self.ctx.payer.pubkey()),
            &keys,
            blockhash,
        );
        self.ctx
            .banks_client
            .process_transaction(tx)
            .await
            .map_err(|err| err.unwrap())
    }

    /// Current bank time.
    pub async fn now(&mut self) -> i64 {
        self.clock().await.unix_timestamp
    }

    async fn clock(&mut self) -> Clock {
        self.ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .expect("clock sysvar")
    }

    /// Moves the bank clock forward by `seconds`.
    pub async fn warp(&mut self, seconds: i64) {
        let mut clock = self.clock().await;
        clock.unix_timestamp += seconds;
        self.ctx.set_sysvar(&clock);
    }

    /// The raw account at `address`, if any.
    pub async fn raw(&mut self, address: Pubkey) -> Option<Account> {
        self.ctx
            .banks_client
            .get_account(address)
            .await
            .expect("get_account")
    }

    /// Lamports at `address` (0 when the account does not exist).
    pub async fn lamports(&mut self, address: Pubkey) -> u64 {
        self.raw(address)
            .await
            .map_or(0, |account| account.lamports)
    }

    /// The Anchor account of type `T` at `address`.
    pub async fn account<T: AccountDeserialize>(&mut self, address: Pubkey) -> T {
        let account = self.raw(address).await.expect("account exists");
        T::try_deserialize(&mut account.data.as_slice()).expect("account decodes")
    }

    /// Rent-exempt minimum for `size` bytes.
    pub async fn rent_minimum(&mut self, size: usize) -> u64 {
        self.ctx
            .banks_client
            .get_rent()
            .await
            .expect("rent")
            .minimum_balance(size)
    }

    /// A new funded keypair.
    pub async fn funded_keypair(&mut self) -> Keypair {
        let key = Keypair::new();
        self.fund(key.pubkey(), 10_000_000_000).await;
        key
    }

    /// Sends `lamports` from the payer to `to`.
    pub async fn fund(&mut self, to: Pubkey, lamports: u64) {
        let ix = system_instruction::transfer(&self.ctx.payer.pubkey(), &to, lamports);
        self.send(&[ix], &[]).await.expect("fund");
    }

    /// A new SPL Token mint with `decimals`, minted by the payer.
    pub async fn create_mint(&mut self, decimals: u8) -> Pubkey {
        self.create_mint_in(spl_token::ID, decimals).await
    }

    /// A new mint of `program` (SPL Token or Token-2022) with `decimals`,
    /// minted by the payer.
    pub async fn create_mint_in(&mut self, program: Pubkey, decimals: u8) -> Pubkey {
        let mint = Keypair::new();
        let rent = self.rent_minimum(spl_token::state::Mint::LEN).await;
        let payer = self.ctx.payer.pubkey();
        let create = system_instruction::create_account(
            &payer,
            &mint.pubkey(),
            rent,
            spl_token::state::Mint::LEN as u64,
            &program,
        );
        let init = if program == spl_token_2022::ID {
            spl_token_2022::instruction::initialize_mint2(
                &program,
                &mint.pubkey(),
                &payer,
                None,
                decimals,
            )
        } else {
            spl_token::instruction::initialize_mint2(
                &program,
                &mint.pubkey(),
                &payer,
                None,
                decimals,
            )
        }
        .expect("initialize_mint2");
        self.send(&[create, init], &[&mint])
            .await
            .expect("create mint");
        mint.pubkey()
    }

    /// A new SPL Token account of `mint` owned by `owner`.
    pub async fn create_token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
        self.create_token_account_in(spl_token::ID, mint, owner)
            .await
    }

    /// A new token account of `program` for `mint`, owned by `owner`.
    pub async fn create_token_account_in(
        &mut self,
        program: Pubkey,
        mint: &Pubkey,
        owner: &Pubkey,
    ) -> Pubkey {
        let account = Keypair::new();
        let rent = self.rent_minimum(spl_token::state::Account::LEN).await;
        let payer = self.ctx.payer.pubkey();
        let create = system_instruction::create_account(
            &payer,
            &account.pubkey(),
            rent,
            spl_token::state::Account::LEN as u64,
            &program,
        );
        let init = if program == spl_token_2022::ID {
            spl_token_2022::instruction::initialize_account3(
                &program,
                &account.pubkey(),
                mint,
                owner,
            )
        } else {
            spl_token::instruction::initialize_account3(&program, &account.pubkey(), mint, owner)
        }
        .expect("initialize_account3");
        self.send(&[create, init], &[&account])
            .await
            .expect("create token account");
        account.pubkey()
    }

    /// Mints `amount` of the SPL Token `mint` to `account`.
    pub async fn mint_to(&mut self, mint: &Pubkey, account: &Pubkey, amount: u64) {
        self.mint_to_in(spl_token::ID, mint, account, amount).await
    }

    /// Mints `amount` of `mint` (of `program`) to `account`.
    pub async fn mint_to_in(
        &mut self,
        program: Pubkey,
        mint: &Pubkey,
        account: &Pubkey,
        amount: u64,
    ) {
        let payer = self.ctx.payer.pubkey();
        let ix = if program == spl_token_2022::ID {
            spl_token_2022::instruction::mint_to(&program, mint, account, &payer, &[], amount)
        } else {
            spl_token::instruction::mint_to(&program, mint, account, &payer, &[], amount)
        }
        .expect("mint_to");
        self.send(&[ix], &[]).await.expect("mint_to");
    }

    /// Token balance of `account` (SPL Token or Token-2022 without extensions:
    /// the base layout is the same).
    pub async fn balance(&mut self, account: Pubkey) -> u64 {
        let raw = self.raw(account).await.expect("token account exists");
        spl_token::state::Account::unpack(&raw.data)
            .expect("token account decodes")
            .amount
    }

    /// Creates a multisig; returns its address.
    pub async fn create_multisig(
        &mut self,
        owners: &[Pubkey],
        threshold: u16,
        time_lock: u32,
    ) -> Result<Pubkey, TransactionError> {
        let create_key = Keypair::new();
        let multisig = multisig_pda(&create_key.pubkey());
        let ix = multisig_create_ix(
            &create_key.pubkey(),
            &self.ctx.payer.pubkey(),
            MultisigCreateArgs {
                owners: owners.to_vec(),
                threshold,
                time_lock,
            },
        );
        self.send(&[ix], &[&create_key]).await?;
        Ok(multisig)
    }

    /// Index the next proposal of `multisig` gets.
    pub async fn next_index(&mut self, multisig: Pubkey) -> u64 {
        self.account::<Multisig>(multisig).await.transaction_index + 1
    }

    /// `creator` proposes `instructions`, expiring in a day; returns the proposal address.
    pub async fn propose(
        &mut self,
        multisig: Pubkey,
        creator: &Keypair,
        instructions: Vec<ProposalInstruction>,
    ) -> Result<Pubkey, TransactionError> {
        let expires_at = self.now().await + 86_400;
        self.propose_expiring(multisig, creator, instructions, expires_at)
            .await
    }

    /// `creator` proposes `instructions` expiring at `expires_at`.
    pub async fn propose_expiring(
        &mut self,
        multisig: Pubkey,
        creator: &Keypair,
        instructions: Vec<ProposalInstruction>,
        expires_at: i64,
    ) -> Result<Pubkey, TransactionError> {
        let index = self.next_index(multisig).await;
        let proposal = proposal_pda(&multisig, index);
        let ix = anchor_ix(
            stablerail_multisig::accounts::ProposalCreate {
                multisig,
                proposal,
                creator: creator.pubkey(),
                system_program: anchor_lang::solana_program::system_program::ID,
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::ProposalCreate {
                args: ProposalCreateArgs {
                    instructions,
                    expires_at,
                },
            },
        );
        self.send(&[ix], &[creator]).await?;
        Ok(proposal)
    }

    /// `owner` approves `proposal`.
    pub async fn approve(
        &mut self,
        multisig: Pubkey,
        proposal: Pubkey,
        owner: &Keypair,
    ) -> TxResult {
        let ix = anchor_ix(
            stablerail_multisig::accounts::ProposalApprove {
                multisig,
                proposal,
                owner: owner.pubkey(),
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::ProposalApprove {
                args: ProposalApproveArgs {},
            },
        );
        self.send(&[ix], &[owner]).await
    }

    /// `owner` rejects `proposal`.
    pub async fn reject(
        &mut self,
        multisig: Pubkey,
        proposal: Pubkey,
        owner: &Keypair,
    ) -> TxResult {
        let ix = anchor_ix(
            stablerail_multisig::accounts::ProposalReject {
                multisig,
                proposal,
                owner: owner.pubkey(),
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::ProposalReject {
                args: ProposalRejectArgs {},
            },
        );
        self.send(&[ix], &[owner]).await
    }

    /// `owner` votes to cancel `proposal`.
    pub async fn cancel(
        &mut self,
        multisig: Pubkey,
        proposal: Pubkey,
        owner: &Keypair,
    ) -> TxResult {
        let ix = anchor_ix(
            stablerail_multisig::accounts::ProposalCancel {
                multisig,
                proposal,
                owner: owner.pubkey(),
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::ProposalCancel {
                args: ProposalCancelArgs {},
            },
        );
        self.send(&[ix], &[owner]).await
    }

    /// `executor` executes `proposal`, passing the accounts its instructions need.
    pub async fn execute(
        &mut self,
        multisig: Pubkey,
        proposal: Pubkey,
        executor: &Keypair,
    ) -> TxResult {
        let stored: Proposal = self.account(proposal).await;
        let remaining = execute_accounts(&multisig, &stored.instructions);
        self.execute_with(multisig, proposal, executor, remaining)
            .await
    }

    /// `executor` executes `proposal` with exactly `remaining` as remaining accounts.
    pub async fn execute_with(
        &mut self,
        multisig: Pubkey,
        proposal: Pubkey,
        executor: &Keypair,
        remaining: Vec<AccountMeta>,
    ) -> TxResult {
        let mut ix = anchor_ix(
            stablerail_multisig::accounts::ProposalExecute {
                multisig,
                proposal,
                vault: vault_pda(&multisig),
                executor: executor.pubkey(),
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::ProposalExecute {
                args: ProposalExecuteArgs {},
            },
        );
        ix.accounts.extend(remaining);
        self.send(&[ix], &[executor]).await
    }

    /// Closes `proposal`, rent to `creator`.
    pub async fn close(&mut self, multisig: Pubkey, proposal: Pubkey, creator: Pubkey) -> TxResult {
        let ix = anchor_ix(
            stablerail_multisig::accounts::ProposalClose {
                multisig,
                proposal,
                creator,
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::ProposalClose {
                args: ProposalCloseArgs {},
            },
        );
        self.send(&[ix], &[]).await
    }

    /// Proposes `instructions`, has `approvers` approve and the first of them
    /// execute; panics on any failure.
    pub async fn pass(
        &mut self,
        multisig: Pubkey,
        approvers: &[&Keypair],
        instructions: Vec<ProposalInstruction>,
    ) -> Pubkey {
        let proposal = self
            .propose(multisig, approvers[0], instructions)
            .await
            .expect("propose");
        for owner in approvers {
            self.approve(multisig, proposal, owner)
                .await
                .expect("approve");
        }
        self.execute(multisig, proposal, approvers[0])
            .await
            .expect("execute");
        proposal
    }
}

/// `multisig_create` with a fresh `create_key` paid by `creator`.
pub fn multisig_create_ix(
    create_key: &Pubkey,
    creator: &Pubkey,
    args: MultisigCreateArgs,
) -> Instruction {
    anchor_ix(
        stablerail_multisig::accounts::MultisigCreate {
            multisig: multisig_pda(create_key),
            create_key: *create_key,
            creator: *creator,
            system_program: anchor_lang::solana_program::system_program::ID,
            event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_multisig::ID,
        },
        stablerail_multisig::instruction::MultisigCreate { args },
    )
}

/// The vault-signed config instructions, as a proposal would store them.
pub mod config {
    use super::*;

    fn vault_ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> ProposalInstruction {
        stored(&anchor_ix(accounts, data))
    }

    /// `config_owner_add`.
    pub fn owner_add(multisig: Pubkey, owner: Pubkey) -> ProposalInstruction {
        vault_ix(
            stablerail_multisig::accounts::ConfigOwnerAdd {
                multisig,
                vault: vault_pda(&multisig),
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::ConfigOwnerAdd {
                args: ConfigOwnerAddArgs { owner },
            },
        )
    }

    /// `config_owner_remove`.
    pub fn owner_remove(multisig: Pubkey, owner: Pubkey) -> ProposalInstruction {
        vault_ix(
            stablerail_multisig::accounts::ConfigOwnerRemove {
                multisig,
                vault: vault_pda(&multisig),
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::ConfigOwnerRemove {
                args: ConfigOwnerRemoveArgs { owner },
            },
        )
    }

    /// `config_threshold_change`.
    pub fn threshold(multisig: Pubkey, threshold: u16) -> ProposalInstruction {
        vault_ix(
            stablerail_multisig::accounts::ConfigThresholdChange {
                multisig,
                vault: vault_pda(&multisig),
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::ConfigThresholdChange {
                args: ConfigThresholdChangeArgs { threshold },
            },
        )
    }

    /// `config_time_lock_set`.
    pub fn time_lock(multisig: Pubkey, time_lock: u32) -> ProposalInstruction {
        vault_ix(
            stablerail_multisig::accounts::ConfigTimeLockSet {
                multisig,
                vault: vault_pda(&multisig),
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::ConfigTimeLockSet {
                args: ConfigTimeLockSetArgs { time_lock },
            },
        )
    }

    /// `spending_limit_add`.
    pub fn spending_limit_add(multisig: Pubkey, args: SpendingLimitAddArgs) -> ProposalInstruction {
        vault_ix(
            stablerail_multisig::accounts::SpendingLimitAdd {
                multisig,
                vault: vault_pda(&multisig),
                spending_limit: spending_limit_pda(&multisig, &args.create_key),
                system_program: anchor_lang::solana_program::system_program::ID,
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::SpendingLimitAdd { args },
        )
    }

    /// `spending_limit_remove`.
    pub fn spending_limit_remove(multisig: Pubkey, spending_limit: Pubkey) -> ProposalInstruction {
        vault_ix(
            stablerail_multisig::accounts::SpendingLimitRemove {
                multisig,
                vault: vault_pda(&multisig),
                spending_limit,
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::SpendingLimitRemove {
                args: SpendingLimitRemoveArgs {},
            },
        )
    }
}
