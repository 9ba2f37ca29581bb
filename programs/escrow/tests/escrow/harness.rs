//! Test environment: a bank with the escrow program (native), the real SPL
//! Token program, a 6-decimal mint, a config and helpers per instruction.

use anchor_lang::prelude::AccountInfo;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::{AccountDeserialize, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_sdk::account::AccountSharedData;
use solana_sdk::clock::Clock;
use solana_sdk::instruction::{Instruction, InstructionError};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};
use stablerail_escrow::errors::EscrowError;
use stablerail_escrow::state::seeds::{
    SEED_ACCOUNT, SEED_BUY_ORDER, SEED_CONFIG, SEED_DEAL, SEED_VAULT,
};
use stablerail_escrow::state::{
    Authorities, BuyOrder, Config, Deal, DealKind, EscrowAccount, FeeScheduleArgs, FeeTier,
    LimitsArgs, ROLE_ACCEPTOR,
};
use stablerail_escrow::{accounts as acc, instruction as ixs};

/// Program id of the escrow.
pub(crate) const PROGRAM_ID: Pubkey = stablerail_escrow::ID;
/// Lamports every test wallet starts with.
pub(crate) const WALLET_LAMPORTS: u64 = 10_000_000_000;
/// Payment window used by the helpers, seconds.
pub(crate) const WINDOW: u32 = 3_600;
/// Withdrawal-address change delay of the default limits, seconds.
pub(crate) const WITHDRAWAL_DELAY: i64 = 86_400;

/// Anchor 1.x's `entry` ties every account to one lifetime; the runtime's
/// builtin signature does not. Copy the inputs into leaked buffers that
/// live as long as the accounts (a few bytes per instruction, test only).
fn entry_wrapper(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    let accounts = Box::leak(accounts.to_vec().into_boxed_slice());
    let program_id = Box::leak(Box::new(*program_id));
    let data = Box::leak(data.to_vec().into_boxed_slice());
    stablerail_escrow::entry(program_id, accounts, data)
}

/// A wallet with a USDT token account.
pub(crate) struct User {
    /// The wallet key.
    pub(crate) kp: Keypair,
    /// Its USDT token account.
    pub(crate) token: Pubkey,
}

impl User {
    /// The wallet's public key.
    pub(crate) fn key(&self) -> Pubkey {
        self.kp.pubkey()
    }
}

/// The program's error code as the runtime reports it.
pub(crate) fn code(e: EscrowError) -> u32 {
    u32::from(e)
}

/// Anchor's own error code.
pub(crate) fn anchor_code(e: anchor_lang::error::ErrorCode) -> u32 {
    u32::from(e)
}

/// Extracts the custom error code of a failed transaction.
pub(crate) fn err_code(result: Result<(), BanksClientError>) -> u32 {
    match result {
        Ok(()) => panic!("transaction succeeded, expected an error"),
        Err(e) => match e.unwrap() {
            TransactionError::InstructionError(_, InstructionError::Custom(c)) => c,
            other => panic!("expected a custom program error, got {other:?}"),
        },
    }
}

/// Asserts that `result` failed with the program error `e`.
pub(crate) fn assert_err(result: Result<(), BanksClientError>, e: EscrowError) {
    assert_eq!(err_code(result), code(e), "expected {e:?}");
}

/// Asserts that `result` failed with Anchor's error `e`.
pub(crate) fn assert_anchor_err(
    result: Result<(), BanksClientError>,
    e: anchor_lang::error::ErrorCode,
) {
    assert_eq!(err_code(result), anchor_code(e), "expected {e:?}");
}

/// The fee schedule most tests use.
pub(crate) fn default_fees() -> FeeScheduleArgs {
    FeeScheduleArgs {
        merchant_tiers: vec![
            FeeTier {
                threshold: 0,
                bps: 100,
            },
            FeeTier {
                threshold: 1_000_000_000,
                bps: 50,
            },
        ],
        agent_tiers: vec![FeeTier {
            threshold: 0,
            bps: 2_000,
        }],
        trader_reward_bps: 1_000,
    }
}

/// The limits most tests use.
pub(crate) fn default_limits() -> LimitsArgs {
    LimitsArgs {
        min_payment_window_secs: 60,
        max_payment_window_secs: 86_400,
        max_deal_amount: 1_000_000_000_000,
        min_kyc_level: 0,
        blocked_regions: vec![],
        withdrawal_delay_secs: WITHDRAWAL_DELAY,
    }
}

/// A bank with the escrow configured.
pub(crate) struct Env {
    /// The running bank.
    pub(crate) ctx: ProgramTestContext,
    /// USDT mint (6 decimals).
    pub(crate) mint: Pubkey,
    /// Token program of the mint (SPL Token or Token-2022).
    pub(crate) token_program: Pubkey,
    /// Token-2022 transfer fee of the mint in bps (0: no extension).
    pub(crate) transfer_fee_bps: u16,
    /// Mint authority.
    pub(crate) mint_authority: Keypair,
    /// Creator of the config.
    pub(crate) creator: Keypair,
    /// Admin.
    pub(crate) admin: Keypair,
    /// Guardian.
    pub(crate) guardian: Keypair,
    /// Arbiter.
    pub(crate) arbiter: Keypair,
    /// Dispatcher.
    pub(crate) dispatcher: Keypair,
    /// Compliance.
    pub(crate) compliance: Keypair,
    /// Treasury wallet.
    pub(crate) treasury: User,
    /// Config PDA.
    pub(crate) config: Pubkey,
    /// Vault token account.
    pub(crate) vault: Pubkey,
    /// Wallets with an escrow account (for the conservation check).
    pub(crate) wallets: Vec<Pubkey>,
    /// Agent of each merchant set through [`Env::set_agent`].
    pub(crate) agents: std::collections::HashMap<Pubkey, Pubkey>,
    /// Tokens sent straight to the vault and not swept yet.
    pub(crate) surplus: u64,
    nonce: u32,
}

impl Env {
    /// Starts a bank and initialises the config with `fees`.
    pub(crate) async fn new(fees: FeeScheduleArgs) -> Env {
        Env::with_token_program(fees, spl_token::ID).await
    }

    /// Starts a bank whose USDT mint belongs to `token_program`.
    pub(crate) async fn with_token_program(fees: FeeScheduleArgs, token_program: Pubkey) -> Env {
        Env::with_mint(fees, token_program, 0).await
    }

    /// Starts a bank whose USDT mint belongs to `token_program` and, for
    /// Token-2022, charges a transfer fee of `transfer_fee_bps`.
    pub(crate) async fn with_mint(
        fees: FeeScheduleArgs,
        token_program: Pubkey,
        transfer_fee_bps: u16,
    ) -> Env {
        let mut pt = ProgramTest::new("stablerail_escrow", PROGRAM_ID, processor!(entry_wrapper));
        pt.prefer_bpf(false);
        let ctx = pt.start_with_context().await;
        let mint = Pubkey::new_unique();
        let mut env = Env {
            ctx,
            mint,
            token_program,
            transfer_fee_bps,
            mint_authority: Keypair::new(),
            creator: Keypair::new(),
            admin: Keypair::new(),
            guardian: Keypair::new(),
            arbiter: Keypair::new(),
            dispatcher: Keypair::new(),
            compliance: Keypair::new(),
            treasury: User {
                kp: Keypair::new(),
                token: Pubkey::default(),
            },
            config: Pubkey::default(),
            vault: Pubkey::default(),
            wallets: Vec::new(),
            agents: std::collections::HashMap::new(),
            surplus: 0,
            nonce: 0,
        };
        env.put_mint(&mint, 6).await;
        let keys = [
            env.creator.pubkey(),
            env.admin.pubkey(),
            env.dispatcher.pubkey(),
            env.treasury.key(),
        ];
        for key in keys {
            env.fund(&key);
        }
        env.config = Pubkey::find_program_address(
            &[SEED_CONFIG, env.creator.pubkey().as_ref()],
            &PROGRAM_ID,
        )
        .0;
        env.vault = Pubkey::find_program_address(&[SEED_VAULT, env.config.as_ref()], &PROGRAM_ID).0;
        let ix = env.ix_config_initialize(
            &env.creator.pubkey(),
            fees,
            default_limits(),
            env.mint,
            token_program,
        );
        let creator = env.creator.insecure_clone();
        env.send(vec![ix], &[&creator])
            .await
            .expect("config_initialize");
        env.treasury.token = env.token_account(&env.treasury.key()).await;
        let treasury = env.treasury.key();
        env.open_account(&treasury).await.expect("treasury account");
        env
    }

    /// Puts a system-owned wallet with lamports into the bank.
    pub(crate) fn fund(&mut self, key: &Pubkey) {
        let account = AccountSharedData::new(WALLET_LAMPORTS, 0, &anchor_lang::system_program::ID);
        self.ctx.set_account(key, &account);
    }

    /// Puts a zeroed, rent-exempt account of `len` bytes owned by the token program.
    fn put_token_program_account(&mut self, key: &Pubkey, len: usize) {
        let account = AccountSharedData::new(1_000_000_000, len, &self.token_program);
        self.ctx.set_account(key, &account);
    }

    /// Creates a mint through the token program (InitializeMint2; with a
    /// transfer fee, InitializeTransferFeeConfig first).
    pub(crate) async fn put_mint(&mut self, key: &Pubkey, decimals: u8) {
        use spl_token_2022::extension::transfer_fee::instruction::initialize_transfer_fee_config;
        use spl_token_2022::extension::ExtensionType;
        let mut ixs = Vec::new();
        if self.transfer_fee_bps > 0 {
            let len = ExtensionType::try_calculate_account_len::<spl_token_2022::state::Mint>(&[
                ExtensionType::TransferFeeConfig,
            ])
            .expect("mint len");
            self.put_token_program_account(key, len);
            ixs.push(
                initialize_transfer_fee_config(
                    &self.token_program,
                    key,
                    None,
                    None,
                    self.transfer_fee_bps,
                    u64::MAX,
                )
                .expect("fee config ix"),
            );
        } else {
            self.put_token_program_account(key, spl_token::state::Mint::LEN);
        }
        // SPL Token and Token-2022 share these layouts; the SPL builder only
        // accepts its own id, so the program id is set afterwards.
        let mut init = spl_token::instruction::initialize_mint2(
            &spl_token::ID,
            key,
            &self.mint_authority.pubkey(),
            None,
            decimals,
        )
        .expect("mint ix");
        init.program_id = self.token_program;
        ixs.push(init);
        self.send(ixs, &[]).await.expect("initialize mint");
    }

    /// Creates a Token-2022 mint with a permanent delegate (an extension the
    /// escrow refuses).
    pub(crate) async fn put_permanent_delegate_mint(&mut self, key: &Pubkey, delegate: &Pubkey) {
        use spl_token_2022::extension::ExtensionType;
        let len = ExtensionType::try_calculate_account_len::<spl_token_2022::state::Mint>(&[
            ExtensionType::PermanentDelegate,
        ])
        .expect("mint len");
        self.put_token_program_account(key, len);
        let delegate_ix = spl_token_2022::instruction::initialize_permanent_delegate(
            &spl_token_2022::ID,
            key,
            delegate,
        )
        .expect("delegate ix");
        let init = spl_token_2022::instruction::initialize_mint2(
            &spl_token_2022::ID,
            key,
            &self.mint_authority.pubkey(),
            None,
            6,
        )
        .expect("mint ix");
        self.send(vec![delegate_ix, init], &[])
            .await
            .expect("initialize mint");
    }

    /// Creates an empty token account of `mint` owned by `owner` through the
    /// token program (InitializeAccount3).
    pub(crate) async fn put_token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
        use spl_token_2022::extension::ExtensionType;
        let key = Pubkey::new_unique();
        let len = if self.transfer_fee_bps > 0 {
            ExtensionType::try_calculate_account_len::<spl_token_2022::state::Account>(&[
                ExtensionType::TransferFeeAmount,
            ])
            .expect("account len")
        } else {
            spl_token::state::Account::LEN
        };
        self.put_token_program_account(&key, len);
        let mut init =
            spl_token::instruction::initialize_account3(&spl_token::ID, &key, mint, owner)
                .expect("account ix");
        init.program_id = self.token_program;
        self.send(vec![init], &[])
            .await
            .expect("initialize token account");
        key
    }

    /// A USDT token account for `owner`.
    pub(crate) async fn token_account(&mut self, owner: &Pubkey) -> Pubkey {
        let mint = self.mint;
        self.put_token_account(&mint, owner).await
    }

    /// Signs with the context payer (fee payer) and `signers`, and processes.
    pub(crate) async fn send(
        &mut self,
        mut ixs: Vec<Instruction>,
        signers: &[&Keypair],
    ) -> Result<(), BanksClientError> {
        // A compute-unit-limit instruction with a varying value makes every
        // transaction unique under one blockhash.
        self.nonce += 1;
        let mut data = vec![2u8];
        data.extend_from_slice(&(1_000_000 + self.nonce % 400_000).to_le_bytes());
        let budget = Pubkey::from_str_const("ComputeBudget111111111111111111111111111111");
        ixs.insert(
            0,
            Instruction {
                program_id: budget,
                accounts: vec![],
                data,
            },
        );
        let payer = self.ctx.payer.insecure_clone();
        let mut all: Vec<&Keypair> = vec![&payer];
        all.extend_from_slice(signers);
        // The bank advances slots in the background; a fresh blockhash keeps
        // long runs inside the 150-slot validity window.
        let blockhash = self
            .ctx
            .banks_client
            .get_latest_blockhash()
            .await
            .expect("blockhash");
        let tx = Transaction::new_signed_with_payer(&ixs, Some(&payer.pubkey()), &all, blockhash);
        self.ctx.banks_client.process_transaction(tx).await
    }

    /// Creates a wallet with SOL, a USDT token account, an escrow account
    /// and `roles` (an acceptor stays offline).
    pub(crate) async fn user_without_limits(&mut self, roles: u8) -> User {
        let kp = Keypair::new();
        let key = kp.pubkey();
        self.fund(&key);
        let token = self.token_account(&key).await;
        self.open_account(&key).await.expect("account_open");
        if roles != 0 {
            let ix = self.ix_set_roles(&key, roles);
            let admin = self.admin.insecure_clone();
            self.send(vec![ix], &[&admin]).await.expect("set roles");
        }
        User { kp, token }
    }

    /// Creates a wallet like [`Env::user`]; an acceptor goes online without limits.
    pub(crate) async fn user(&mut self, roles: u8) -> User {
        let user = self.user_without_limits(roles).await;
        if roles & ROLE_ACCEPTOR != 0 {
            self.acceptor_limits(&user, true, u64::MAX, u64::MAX)
                .await
                .expect("acceptor limits");
        }
        user
    }

    /// The acceptor sets its own online flag and limits.
    pub(crate) async fn acceptor_limits(
        &mut self,
        user: &User,
        online: bool,
        max_per_deal: u64,
        max_locked: u64,
    ) -> Result<(), BanksClientError> {
        let ix = self.ix(
            acc::AcceptorSetLimits {
                owner: user.key(),
                config: self.config,
                escrow_account: self.account_pda(&user.key()),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::AcceptorSetLimits {
                args: stablerail_escrow::instructions::AcceptorSetLimitsArgs {
                    online,
                    max_per_deal,
                    max_locked,
                },
            },
        );
        self.send(vec![ix], &[&user.kp]).await
    }

    /// `co_signer_set` by the owner, optionally approved by the current co-signer.
    pub(crate) fn ix_co_signer_set(
        &self,
        owner: &Pubkey,
        co_signer: Option<Pubkey>,
        daily_allowance: u64,
        approver: Option<Pubkey>,
    ) -> Instruction {
        self.ix(
            acc::CoSignerSet {
                owner: *owner,
                config: self.config,
                escrow_account: self.account_pda(owner),
                co_signer: approver,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::CoSignerSet {
                args: stablerail_escrow::instructions::CoSignerSetArgs {
                    co_signer,
                    daily_allowance,
                },
            },
        )
    }

    /// `co_signer_apply` for `wallet`.
    pub(crate) fn ix_co_signer_apply(&self, wallet: &Pubkey) -> Instruction {
        self.ix(
            acc::CoSignerApply {
                config: self.config,
                escrow_account: self.account_pda(wallet),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::CoSignerApply {},
        )
    }

    /// `co_signer_cancel` by the owner.
    pub(crate) fn ix_co_signer_cancel(&self, owner: &Pubkey) -> Instruction {
        self.ix(
            acc::CoSignerCancel {
                owner: *owner,
                config: self.config,
                escrow_account: self.account_pda(owner),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::CoSignerCancel {},
        )
    }

    /// `sweep_surplus` signed by `admin`.
    pub(crate) fn ix_sweep_surplus(&self, admin: &Pubkey, treasury: &Pubkey) -> Instruction {
        self.ix(
            acc::SweepSurplus {
                admin: *admin,
                config: self.config,
                vault: self.vault,
                treasury_account: self.account_pda(treasury),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::SweepSurplus {},
        )
    }

    /// The admin sweeps the vault's surplus to the env's treasury.
    pub(crate) async fn sweep_surplus(&mut self) -> Result<(), BanksClientError> {
        let ix = self.ix_sweep_surplus(&self.admin.pubkey(), &self.treasury.key());
        let admin = self.admin.insecure_clone();
        self.send(vec![ix], &[&admin]).await
    }

    /// Opens the escrow account of `wallet` (the creator pays).
    pub(crate) async fn open_account(&mut self, wallet: &Pubkey) -> Result<(), BanksClientError> {
        let ix = self.ix_account_open(&self.creator.pubkey(), wallet);
        let creator = self.creator.insecure_clone();
        let result = self.send(vec![ix], &[&creator]).await;
        if result.is_ok() {
            self.wallets.push(*wallet);
        }
        result
    }

    /// Mints USDT to a token account.
    pub(crate) async fn mint_to(&mut self, token: &Pubkey, amount: u64) {
        // SPL Token and Token-2022 share this instruction's layout; the
        // builder only accepts SPL Token's id, so the id is set afterwards.
        let mut ix = spl_token::instruction::mint_to(
            &spl_token::ID,
            &self.mint,
            token,
            &self.mint_authority.pubkey(),
            &[],
            amount,
        )
        .expect("mint_to ix");
        ix.program_id = self.token_program;
        let authority = self.mint_authority.insecure_clone();
        self.send(vec![ix], &[&authority]).await.expect("mint_to");
    }

    /// Mints `amount` to the user and deposits it.
    pub(crate) async fn fund_and_deposit(&mut self, user: &User, amount: u64) {
        self.mint_to(&user.token, amount).await;
        let ix = self.ix_deposit(&user.key(), &user.token, amount);
        self.send(vec![ix], &[&user.kp]).await.expect("deposit");
    }

    /// Moves the bank's clock forward by `secs`.
    pub(crate) async fn warp_secs(&mut self, secs: i64) {
        let mut clock: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock");
        clock.unix_timestamp += secs;
        self.ctx.set_sysvar(&clock);
    }

    /// Current unix time of the bank.
    pub(crate) async fn now(&mut self) -> i64 {
        let clock: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock");
        clock.unix_timestamp
    }

    // ----- reads -----

    /// Raw account, if it exists.
    pub(crate) async fn raw(&mut self, key: &Pubkey) -> Option<solana_sdk::account::Account> {
        self.ctx
            .banks_client
            .get_account(*key)
            .await
            .expect("get_account")
    }

    /// Lamports of an account (0 if absent).
    pub(crate) async fn lamports(&mut self, key: &Pubkey) -> u64 {
        self.raw(key).await.map_or(0, |a| a.lamports)
    }

    async fn load<T: AccountDeserialize>(&mut self, key: &Pubkey) -> T {
        let account = self.raw(key).await.expect("account exists");
        T::try_deserialize(&mut account.data.as_slice()).expect("deserialize")
    }

    /// The config.
    pub(crate) async fn config_state(&mut self) -> Config {
        let key = self.config;
        self.load(&key).await
    }

    /// The escrow account of `wallet`.
    pub(crate) async fn escrow(&mut self, wallet: &Pubkey) -> EscrowAccount {
        let key = self.account_pda(wallet);
        self.load(&key).await
    }

    /// A deal.
    pub(crate) async fn deal(&mut self, id: u64) -> Deal {
        let key = self.deal_pda(id);
        self.load(&key).await
    }

    /// A buy order.
    pub(crate) async fn order(&mut self, id: u64) -> BuyOrder {
        let key = self.order_pda(id);
        self.load(&key).await
    }

    /// Token amount of a token account.
    pub(crate) async fn token_balance(&mut self, key: &Pubkey) -> u64 {
        let account = self.raw(key).await.expect("token account");
        // Token-2022's parser reads plain SPL Token accounts too.
        spl_token_2022::extension::StateWithExtensions::<spl_token_2022::state::Account>::unpack(
            &account.data,
        )
        .expect("unpack")
        .base
        .amount
    }

    /// Asserts vault tokens == config liabilities (+ unswept surplus) == sum
    /// of available + locked over every account.
    pub(crate) async fn assert_conservation(&mut self) {
        let vault = self.vault;
        let held = self.token_balance(&vault).await;
        let mut sum: u64 = 0;
        for wallet in self.wallets.clone() {
            let account = self.escrow(&wallet).await;
            sum += account.available + account.locked;
        }
        let liabilities = self.config_state().await.liabilities;
        assert_eq!(
            held,
            liabilities + self.surplus,
            "vault tokens must equal the liabilities (plus unswept surplus)"
        );
        assert_eq!(
            liabilities, sum,
            "liabilities must equal the sum of balances"
        );
    }

    // ----- addresses -----

    /// Escrow account PDA of `wallet`.
    pub(crate) fn account_pda(&self, wallet: &Pubkey) -> Pubkey {
        Pubkey::find_program_address(
            &[SEED_ACCOUNT, self.config.as_ref(), wallet.as_ref()],
            &PROGRAM_ID,
        )
        .0
    }

    /// Deal PDA.
    pub(crate) fn deal_pda(&self, id: u64) -> Pubkey {
        Pubkey::find_program_address(
            &[SEED_DEAL, self.config.as_ref(), &id.to_le_bytes()],
            &PROGRAM_ID,
        )
        .0
    }

    /// Buy order PDA.
    pub(crate) fn order_pda(&self, id: u64) -> Pubkey {
        Pubkey::find_program_address(
            &[SEED_BUY_ORDER, self.config.as_ref(), &id.to_le_bytes()],
            &PROGRAM_ID,
        )
        .0
    }

    /// The authorities of this env.
    pub(crate) fn authorities(&self) -> Authorities {
        Authorities {
            admin: self.admin.pubkey(),
            guardian: self.guardian.pubkey(),
            arbiter: self.arbiter.pubkey(),
            dispatcher: self.dispatcher.pubkey(),
            compliance: self.compliance.pubkey(),
            treasury: self.treasury.key(),
        }
    }

    // ----- instruction builders -----

    pub(crate) fn ix(
        &self,
        accounts: impl ToAccountMetas,
        data: impl InstructionData,
    ) -> Instruction {
        Instruction {
            program_id: PROGRAM_ID,
            accounts: accounts.to_account_metas(None),
            data: data.data(),
        }
    }

    /// `config_initialize`.
    pub(crate) fn ix_config_initialize(
        &self,
        creator: &Pubkey,
        fees: FeeScheduleArgs,
        limits: LimitsArgs,
        mint: Pubkey,
        token_program: Pubkey,
    ) -> Instruction {
        let config = Pubkey::find_program_address(&[SEED_CONFIG, creator.as_ref()], &PROGRAM_ID).0;
        let vault = Pubkey::find_program_address(&[SEED_VAULT, config.as_ref()], &PROGRAM_ID).0;
        self.ix(
            acc::ConfigInitialize {
                creator: *creator,
                config,
                usdt_mint: mint,
                vault,
                token_program,
                system_program: anchor_lang::system_program::ID,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::ConfigInitialize {
                args: stablerail_escrow::instructions::ConfigInitializeArgs {
                    authorities: self.authorities(),
                    fees,
                    limits,
                },
            },
        )
    }

    /// `config_set_fees` signed by `admin`.
    pub(crate) fn ix_set_fees(&self, admin: &Pubkey, fees: FeeScheduleArgs) -> Instruction {
        self.ix(
            acc::ConfigSetFees {
                admin: *admin,
                config: self.config,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::ConfigSetFees {
                args: stablerail_escrow::instructions::ConfigSetFeesArgs { fees },
            },
        )
    }

    /// `config_set_limits` signed by `admin`.
    pub(crate) fn ix_set_limits(&self, admin: &Pubkey, limits: LimitsArgs) -> Instruction {
        self.ix(
            acc::ConfigSetLimits {
                admin: *admin,
                config: self.config,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::ConfigSetLimits {
                args: stablerail_escrow::instructions::ConfigSetLimitsArgs { limits },
            },
        )
    }

    /// `config_set_authorities` signed by `admin`.
    pub(crate) fn ix_set_authorities(
        &self,
        admin: &Pubkey,
        authorities: Authorities,
    ) -> Instruction {
        self.ix(
            acc::ConfigSetAuthorities {
                admin: *admin,
                config: self.config,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::ConfigSetAuthorities {
                args: stablerail_escrow::instructions::ConfigSetAuthoritiesArgs { authorities },
            },
        )
    }

    /// `config_pause` signed by `authority`.
    pub(crate) fn ix_pause(&self, authority: &Pubkey) -> Instruction {
        self.ix(
            acc::ConfigPause {
                authority: *authority,
                config: self.config,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::ConfigPause {},
        )
    }

    /// `config_unpause` signed by `admin`.
    pub(crate) fn ix_unpause(&self, admin: &Pubkey) -> Instruction {
        self.ix(
            acc::ConfigUnpause {
                admin: *admin,
                config: self.config,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::ConfigUnpause {},
        )
    }

    /// `account_open` paid by `payer` for `wallet`.
    pub(crate) fn ix_account_open(&self, payer: &Pubkey, wallet: &Pubkey) -> Instruction {
        self.ix(
            acc::AccountOpen {
                payer: *payer,
                wallet: *wallet,
                config: self.config,
                escrow_account: self.account_pda(wallet),
                system_program: anchor_lang::system_program::ID,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::AccountOpen {},
        )
    }

    /// `account_set_roles` signed by the env's admin.
    pub(crate) fn ix_set_roles(&self, wallet: &Pubkey, roles: u8) -> Instruction {
        self.ix_set_roles_by(&self.admin.pubkey(), wallet, roles)
    }

    /// `account_set_roles` signed by `admin`.
    pub(crate) fn ix_set_roles_by(
        &self,
        admin: &Pubkey,
        wallet: &Pubkey,
        roles: u8,
    ) -> Instruction {
        self.ix(
            acc::AccountSetRoles {
                admin: *admin,
                config: self.config,
                escrow_account: self.account_pda(wallet),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::AccountSetRoles {
                args: stablerail_escrow::instructions::AccountSetRolesArgs { roles },
            },
        )
    }

    /// `account_set_agent` signed by `admin`.
    pub(crate) fn ix_set_agent(
        &self,
        admin: &Pubkey,
        wallet: &Pubkey,
        agent: &Pubkey,
    ) -> Instruction {
        self.ix(
            acc::AccountSetAgent {
                admin: *admin,
                config: self.config,
                escrow_account: self.account_pda(wallet),
                agent_account: self.account_pda(agent),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::AccountSetAgent {},
        )
    }

    /// `account_set_compliance` signed by `compliance`.
    pub(crate) fn ix_set_compliance(
        &self,
        compliance: &Pubkey,
        wallet: &Pubkey,
        kyc_level: u8,
        region: u16,
    ) -> Instruction {
        self.ix(
            acc::AccountSetCompliance {
                compliance: *compliance,
                config: self.config,
                escrow_account: self.account_pda(wallet),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::AccountSetCompliance {
                args: stablerail_escrow::instructions::AccountSetComplianceArgs {
                    kyc_level,
                    region,
                },
            },
        )
    }

    /// `withdrawal_address_request`.
    pub(crate) fn ix_wa_request(&self, owner: &Pubkey, address: Pubkey) -> Instruction {
        self.ix(
            acc::WithdrawalAddressRequest {
                owner: *owner,
                config: self.config,
                escrow_account: self.account_pda(owner),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::WithdrawalAddressRequest {
                args: stablerail_escrow::instructions::WithdrawalAddressRequestArgs { address },
            },
        )
    }

    /// `withdrawal_address_cancel`.
    pub(crate) fn ix_wa_cancel(&self, owner: &Pubkey) -> Instruction {
        self.ix(
            acc::WithdrawalAddressCancel {
                owner: *owner,
                config: self.config,
                escrow_account: self.account_pda(owner),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::WithdrawalAddressCancel {},
        )
    }

    /// `withdrawal_address_apply`.
    pub(crate) fn ix_wa_apply(&self, owner: &Pubkey) -> Instruction {
        self.ix(
            acc::WithdrawalAddressApply {
                owner: *owner,
                config: self.config,
                escrow_account: self.account_pda(owner),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::WithdrawalAddressApply {},
        )
    }

    /// `deposit` with explicit accounts.
    pub(crate) fn ix_deposit_with(
        &self,
        owner: &Pubkey,
        source: &Pubkey,
        mint: &Pubkey,
        vault: &Pubkey,
        token_program: &Pubkey,
        amount: u64,
    ) -> Instruction {
        self.ix(
            acc::Deposit {
                owner: *owner,
                config: self.config,
                escrow_account: self.account_pda(owner),
                usdt_mint: *mint,
                source: *source,
                vault: *vault,
                token_program: *token_program,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::Deposit {
                args: stablerail_escrow::instructions::DepositArgs { amount },
            },
        )
    }

    /// `deposit`.
    pub(crate) fn ix_deposit(&self, owner: &Pubkey, source: &Pubkey, amount: u64) -> Instruction {
        self.ix_deposit_with(
            owner,
            source,
            &self.mint,
            &self.vault,
            &self.token_program,
            amount,
        )
    }

    /// `withdraw` with explicit mint.
    pub(crate) fn ix_withdraw_with(
        &self,
        owner: &Pubkey,
        destination: &Pubkey,
        mint: &Pubkey,
        amount: u64,
    ) -> Instruction {
        self.ix(
            acc::Withdraw {
                owner: *owner,
                config: self.config,
                escrow_account: self.account_pda(owner),
                usdt_mint: *mint,
                vault: self.vault,
                destination: *destination,
                token_program: self.token_program,
                co_signer: None,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::Withdraw {
                args: stablerail_escrow::instructions::WithdrawArgs { amount },
            },
        )
    }

    /// `withdraw`.
    pub(crate) fn ix_withdraw(
        &self,
        owner: &Pubkey,
        destination: &Pubkey,
        amount: u64,
    ) -> Instruction {
        self.ix_withdraw_with(owner, destination, &self.mint, amount)
    }

    /// `buy_order_post` for order id `id`.
    pub(crate) fn ix_order_post(
        &self,
        merchant: &Pubkey,
        id: u64,
        args: stablerail_escrow::instructions::BuyOrderPostArgs,
    ) -> Instruction {
        self.ix(
            acc::BuyOrderPost {
                merchant: *merchant,
                config: self.config,
                merchant_account: self.account_pda(merchant),
                buy_order: self.order_pda(id),
                system_program: anchor_lang::system_program::ID,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::BuyOrderPost { args },
        )
    }

    /// `buy_order_cancel`.
    pub(crate) fn ix_order_cancel(&self, merchant: &Pubkey, id: u64) -> Instruction {
        self.ix(
            acc::BuyOrderCancel {
                merchant: *merchant,
                config: self.config,
                buy_order: self.order_pda(id),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::BuyOrderCancel {},
        )
    }

    /// `buy_order_fill` of order `order_id` (merchant `merchant`) opening deal `deal_id`.
    pub(crate) fn ix_order_fill(
        &self,
        trader: &Pubkey,
        order_id: u64,
        merchant: &Pubkey,
        deal_id: u64,
        amount: u64,
        reference: [u8; 32],
    ) -> Instruction {
        self.ix(
            acc::BuyOrderFill {
                trader: *trader,
                config: self.config,
                buy_order: self.order_pda(order_id),
                trader_account: self.account_pda(trader),
                merchant_account: self.account_pda(merchant),
                agent_account: self.agent_account_of(merchant, &[*trader]),
                deal: self.deal_pda(deal_id),
                system_program: anchor_lang::system_program::ID,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::BuyOrderFill {
                args: stablerail_escrow::instructions::BuyOrderFillArgs { amount, reference },
            },
        )
    }

    /// `deal_collection_open` signed by `dispatcher`.
    pub(crate) fn ix_collection_open(
        &self,
        dispatcher: &Pubkey,
        acceptor: &Pubkey,
        merchant: &Pubkey,
        deal_id: u64,
        amount: u64,
        window: u32,
    ) -> Instruction {
        self.ix(
            acc::DealCollectionOpen {
                dispatcher: *dispatcher,
                config: self.config,
                acceptor_account: self.account_pda(acceptor),
                merchant_account: self.account_pda(merchant),
                agent_account: self.agent_account_of(merchant, &[*acceptor]),
                deal: self.deal_pda(deal_id),
                system_program: anchor_lang::system_program::ID,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::DealCollectionOpen {
                args: stablerail_escrow::instructions::DealCollectionOpenArgs {
                    amount,
                    payment_window_secs: window,
                    reference: [7u8; 32],
                },
            },
        )
    }

    /// `deal_payout_open`.
    pub(crate) fn ix_payout_open(
        &self,
        merchant: &Pubkey,
        deal_id: u64,
        amount: u64,
    ) -> Instruction {
        self.ix(
            acc::DealPayoutOpen {
                merchant: *merchant,
                config: self.config,
                merchant_account: self.account_pda(merchant),
                agent_account: self.agent_account_of(merchant, &[]),
                deal: self.deal_pda(deal_id),
                system_program: anchor_lang::system_program::ID,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::DealPayoutOpen {
                args: stablerail_escrow::instructions::DealPayoutOpenArgs {
                    amount,
                    reference: [9u8; 32],
                },
            },
        )
    }

    /// `deal_payout_assign` signed by `dispatcher`.
    pub(crate) fn ix_payout_assign(
        &self,
        dispatcher: &Pubkey,
        deal_id: u64,
        acceptor: &Pubkey,
        window: u32,
    ) -> Instruction {
        self.ix(
            acc::DealPayoutAssign {
                dispatcher: *dispatcher,
                config: self.config,
                deal: self.deal_pda(deal_id),
                acceptor_account: self.account_pda(acceptor),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::DealPayoutAssign {
                args: stablerail_escrow::instructions::DealPayoutAssignArgs {
                    payment_window_secs: window,
                },
            },
        )
    }

    /// `deal_mark_paid`.
    pub(crate) fn ix_mark_paid(&self, authority: &Pubkey, deal_id: u64) -> Instruction {
        self.ix(
            acc::DealMarkPaid {
                authority: *authority,
                config: self.config,
                deal: self.deal_pda(deal_id),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::DealMarkPaid {},
        )
    }

    /// `deal_dispute`.
    pub(crate) fn ix_dispute(&self, authority: &Pubkey, deal_id: u64) -> Instruction {
        self.ix(
            acc::DealDispute {
                authority: *authority,
                config: self.config,
                deal: self.deal_pda(deal_id),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::DealDispute {},
        )
    }

    /// `deal_cancel`, with the deal's stored seller and rent payer.
    pub(crate) fn ix_cancel(&self, authority: &Pubkey, deal_id: u64, deal: &Deal) -> Instruction {
        self.ix(
            acc::DealCancel {
                authority: *authority,
                config: self.config,
                deal: self.deal_pda(deal_id),
                seller_account: self.account_pda(&deal.seller),
                rent_payer: deal.rent_payer,
                buy_order: deal.order_id.map(|id| self.order_pda(id)),
                merchant: deal.order_id.map(|_| deal.merchant),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::DealCancel {},
        )
    }

    /// The optional settlement accounts of a deal: (agent acc, treasury
    /// acc), each omitted when that wallet is credited in place.
    pub(crate) async fn settlement_accounts(
        &mut self,
        deal: &Deal,
    ) -> (Option<Pubkey>, Option<Pubkey>) {
        let treasury = self.config_state().await.authorities.treasury;
        let parties = [deal.seller, deal.buyer];
        let agent = deal
            .agent
            .filter(|a| !parties.contains(a))
            .map(|a| self.account_pda(&a));
        let in_place = parties.contains(&treasury) || deal.agent == Some(treasury);
        (agent, (!in_place).then(|| self.account_pda(&treasury)))
    }

    /// The agent account a new deal of `merchant` needs (none when the
    /// merchant has no agent or the agent is one of `parties`).
    pub(crate) fn agent_account_of(&self, merchant: &Pubkey, parties: &[Pubkey]) -> Option<Pubkey> {
        self.agents
            .get(merchant)
            .filter(|agent| !parties.contains(agent))
            .map(|agent| self.account_pda(agent))
    }

    /// `deal_release` with accounts derived from the deal.
    pub(crate) async fn ix_release(&mut self, seller: &Pubkey, deal_id: u64) -> Instruction {
        self.ix_release_cosigned(seller, deal_id, None).await
    }

    /// `deal_release` with the seller's co-signer (if any) signing too.
    pub(crate) async fn ix_release_cosigned(
        &mut self,
        seller: &Pubkey,
        deal_id: u64,
        co_signer: Option<Pubkey>,
    ) -> Instruction {
        let deal = self.deal(deal_id).await;
        let (agent_account, treasury_account) = self.settlement_accounts(&deal).await;
        self.ix_release_accounts(
            seller,
            deal_id,
            &deal,
            agent_account,
            treasury_account,
            co_signer,
        )
    }

    /// `deal_release` with explicit optional accounts.
    pub(crate) fn ix_release_accounts(
        &self,
        seller: &Pubkey,
        deal_id: u64,
        deal: &Deal,
        agent_account: Option<Pubkey>,
        treasury_account: Option<Pubkey>,
        co_signer: Option<Pubkey>,
    ) -> Instruction {
        self.ix(
            acc::DealRelease {
                seller: *seller,
                config: self.config,
                deal: self.deal_pda(deal_id),
                seller_account: self.account_pda(&deal.seller),
                buyer_account: self.account_pda(&deal.buyer),
                agent_account,
                treasury_account,
                rent_payer: deal.rent_payer,
                buy_order: deal.order_id.map(|id| self.order_pda(id)),
                merchant: deal.order_id.map(|_| deal.merchant),
                co_signer,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::DealRelease {},
        )
    }

    /// `deal_resolve` with accounts derived from the deal.
    pub(crate) async fn ix_resolve(
        &mut self,
        arbiter: &Pubkey,
        deal_id: u64,
        buyer_share_bps: u16,
    ) -> Instruction {
        let deal = self.deal(deal_id).await;
        let (agent_account, treasury_account) = self.settlement_accounts(&deal).await;
        self.ix(
            acc::DealResolve {
                arbiter: *arbiter,
                config: self.config,
                deal: self.deal_pda(deal_id),
                seller_account: self.account_pda(&deal.seller),
                buyer_account: self.account_pda(&deal.buyer),
                agent_account,
                treasury_account,
                rent_payer: deal.rent_payer,
                buy_order: deal.order_id.map(|id| self.order_pda(id)),
                merchant: deal.order_id.map(|_| deal.merchant),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::DealResolve {
                args: stablerail_escrow::instructions::DealResolveArgs { buyer_share_bps },
            },
        )
    }

    // ----- flows -----

    /// Default buy-order arguments for `amount`.
    pub(crate) async fn order_args(
        &mut self,
        amount: u64,
    ) -> stablerail_escrow::instructions::BuyOrderPostArgs {
        let now = self.now().await;
        stablerail_escrow::instructions::BuyOrderPostArgs {
            price_minor: 92,
            currency: *b"EUR",
            amount,
            min_fill: 1,
            max_fill: amount,
            expiry: now + 86_400,
            payment_window_secs: WINDOW,
        }
    }

    /// The merchant posts an order; returns its id.
    pub(crate) async fn post_order(
        &mut self,
        merchant: &User,
        amount: u64,
    ) -> Result<u64, BanksClientError> {
        let id = self.config_state().await.next_order_id;
        let args = self.order_args(amount).await;
        let ix = self.ix_order_post(&merchant.key(), id, args);
        self.send(vec![ix], &[&merchant.kp]).await.map(|()| id)
    }

    /// The trader fills `amount` of the order; returns the deal id.
    pub(crate) async fn fill(
        &mut self,
        trader: &User,
        order_id: u64,
        merchant: &Pubkey,
        amount: u64,
    ) -> Result<u64, BanksClientError> {
        let id = self.config_state().await.next_deal_id;
        let ix = self.ix_order_fill(&trader.key(), order_id, merchant, id, amount, [1u8; 32]);
        self.send(vec![ix], &[&trader.kp]).await.map(|()| id)
    }

    /// Opens a Trade deal through a fresh buy order of exactly `amount`.
    pub(crate) async fn open_trade(
        &mut self,
        merchant: &User,
        trader: &User,
        amount: u64,
    ) -> Result<u64, BanksClientError> {
        let order = self.post_order(merchant, amount).await?;
        self.fill(trader, order, &merchant.key(), amount).await
    }

    /// Opens a Collection deal.
    pub(crate) async fn open_collection(
        &mut self,
        acceptor: &Pubkey,
        merchant: &Pubkey,
        amount: u64,
    ) -> Result<u64, BanksClientError> {
        let id = self.config_state().await.next_deal_id;
        let ix = self.ix_collection_open(
            &self.dispatcher.pubkey(),
            acceptor,
            merchant,
            id,
            amount,
            WINDOW,
        );
        let dispatcher = self.dispatcher.insecure_clone();
        self.send(vec![ix], &[&dispatcher]).await.map(|()| id)
    }

    /// Opens a Payout deal and assigns the acceptor.
    pub(crate) async fn open_payout(
        &mut self,
        merchant: &User,
        acceptor: &Pubkey,
        amount: u64,
    ) -> Result<u64, BanksClientError> {
        let id = self.config_state().await.next_deal_id;
        let ix = self.ix_payout_open(&merchant.key(), id, amount);
        self.send(vec![ix], &[&merchant.kp]).await?;
        let ix = self.ix_payout_assign(&self.dispatcher.pubkey(), id, acceptor, WINDOW);
        let dispatcher = self.dispatcher.insecure_clone();
        self.send(vec![ix], &[&dispatcher]).await.map(|()| id)
    }

    /// Opens a deal of `kind` between the users.
    pub(crate) async fn open_deal(
        &mut self,
        kind: DealKind,
        seller: &User,
        buyer: &User,
        amount: u64,
    ) -> Result<u64, BanksClientError> {
        match kind {
            DealKind::Trade => self.open_trade(buyer, seller, amount).await,
            DealKind::Collection => {
                self.open_collection(&seller.key(), &buyer.key(), amount)
                    .await
            }
            DealKind::Payout => self.open_payout(seller, &buyer.key(), amount).await,
        }
    }

    /// Marks paid by `signer`.
    pub(crate) async fn mark_paid(
        &mut self,
        signer: &Keypair,
        deal_id: u64,
    ) -> Result<(), BanksClientError> {
        let ix = self.ix_mark_paid(&signer.pubkey(), deal_id);
        self.send(vec![ix], &[signer]).await
    }

    /// Releases by `signer`.
    pub(crate) async fn release(
        &mut self,
        signer: &Keypair,
        deal_id: u64,
    ) -> Result<(), BanksClientError> {
        let ix = self.ix_release(&signer.pubkey(), deal_id).await;
        self.send(vec![ix], &[signer]).await
    }

    /// Cancels by `signer`.
    pub(crate) async fn cancel(
        &mut self,
        signer: &Keypair,
        deal_id: u64,
    ) -> Result<(), BanksClientError> {
        let deal = self.deal(deal_id).await;
        let ix = self.ix_cancel(&signer.pubkey(), deal_id, &deal);
        self.send(vec![ix], &[signer]).await
    }

    /// Disputes by `signer`.
    pub(crate) async fn dispute(
        &mut self,
        signer: &Keypair,
        deal_id: u64,
    ) -> Result<(), BanksClientError> {
        let ix = self.ix_dispute(&signer.pubkey(), deal_id);
        self.send(vec![ix], &[signer]).await
    }

    /// Resolves by `signer`.
    pub(crate) async fn resolve(
        &mut self,
        signer: &Keypair,
        deal_id: u64,
        bps: u16,
    ) -> Result<(), BanksClientError> {
        let ix = self.ix_resolve(&signer.pubkey(), deal_id, bps).await;
        self.send(vec![ix], &[signer]).await
    }

    /// Sets `agent` as the agent of `merchant` (admin).
    pub(crate) async fn set_agent(
        &mut self,
        merchant: &Pubkey,
        agent: &Pubkey,
    ) -> Result<(), BanksClientError> {
        let ix = self.ix_set_agent(&self.admin.pubkey(), merchant, agent);
        let admin = self.admin.insecure_clone();
        self.send(vec![ix], &[&admin]).await?;
        self.agents.insert(*merchant, *agent);
        Ok(())
    }
}
