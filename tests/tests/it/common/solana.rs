//! The Solana leg: the escrow and multisig programs run natively in a real bank
//! (solana-program-test) next to the real SPL Token program, driven only by the
//! SDK's instruction builders and signed by the SDK's transaction assembly.
//!
//! [`Platform`] is a deployment as a platform runs it: a 2-of-3 multisig whose
//! vault is the escrow's admin, arbiter and treasury; guardian, dispatcher and
//! compliance are keys. [`run_scenario`] replays one settlement vector on it and
//! reads the final state back in the shape of the SDK's reference [`Expected`].

#![allow(deprecated)] // solana-program-test 3.1 marks its API as unstable-to-be; the programs' tests do the same

use std::collections::BTreeMap;

use alloy::primitives::keccak256;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::spl_token;
use anyhow::{Context, bail, ensure};
use solana_program_test::{BanksClientError, ProgramTest, ProgramTestContext, processor};
use solana_sdk::account::AccountSharedData;
use solana_sdk::account_info::AccountInfo;
use solana_sdk::clock::Clock;
use solana_sdk::instruction::{Instruction, InstructionError};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::TransactionError;
use stablerail_sdk::conformance::{CoSign, Expected, Outcome, Scenario, TREASURY};
use stablerail_sdk::solana::{
    self as sol, AnchorAccount, EscrowProgram, MultisigProgram, ProposalInstruction,
    SettlementParties, TransactionBuilder, pda,
};
use stablerail_sdk::{Amount, DealKind, Roles, ScenarioFees};

use super::solana_ledger::{Ledger, Recorder};

/// Lamports every test wallet starts with.
pub(crate) const WALLET_LAMPORTS: u64 = 10_000_000_000;
/// Payment window of the deals the harness opens, seconds.
pub(crate) const WINDOW: u32 = 3_600;
/// Withdrawal-address change delay of the default limits, seconds.
pub(crate) const WITHDRAWAL_DELAY: i64 = 86_400;

/// Anchor 1.x's `entry` ties every account to one lifetime; the runtime's
/// builtin callback does not promise it. The inputs are copied into leaked
/// buffers that live long enough (a few bytes per instruction, tests only).
fn escrow_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> solana_sdk::entrypoint::ProgramResult {
    let accounts = Box::leak(accounts.to_vec().into_boxed_slice());
    let program_id = Box::leak(Box::new(*program_id));
    let data = Box::leak(data.to_vec().into_boxed_slice());
    stablerail_escrow::entry(program_id, accounts, data)
}

fn multisig_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> solana_sdk::entrypoint::ProgramResult {
    let accounts = Box::leak(accounts.to_vec().into_boxed_slice());
    let program_id = Box::leak(Box::new(*program_id));
    let data = Box::leak(data.to_vec().into_boxed_slice());
    stablerail_multisig::entry(program_id, accounts, data)
}

/// The custom error code of a failed transaction, if it failed with one.
pub(crate) fn custom_error(result: &Result<(), BanksClientError>) -> Option<u32> {
    match result {
        Err(BanksClientError::TransactionError(TransactionError::InstructionError(
            _,
            InstructionError::Custom(code),
        )))
        | Err(BanksClientError::SimulationError {
            err: TransactionError::InstructionError(_, InstructionError::Custom(code)),
            ..
        }) => Some(*code),
        _ => None,
    }
}

/// A bank with both programs, SPL Token, and an SDK-signed `send`; while
/// recording ([`Bank::start_recording`]) every transaction goes into a
/// [`Ledger`] of its own blocks.
pub(crate) struct Bank {
    /// The running bank and its fee payer.
    pub(crate) ctx: ProgramTestContext,
    nonce: u32,
    recorder: Option<Recorder>,
}

impl Bank {
    /// Starts a bank with the escrow and multisig programs (native) and the
    /// real SPL Token program (built into solana-program-test).
    pub(crate) async fn start() -> Self {
        let mut pt = ProgramTest::new(
            "stablerail_escrow",
            pda::ESCROW_PROGRAM_ID,
            processor!(escrow_entry),
        );
        pt.add_program(
            "stablerail_multisig",
            pda::MULTISIG_PROGRAM_ID,
            processor!(multisig_entry),
        );
        pt.prefer_bpf(false);
        Self {
            ctx: pt.start_with_context().await,
            nonce: 0,
            recorder: None,
        }
    }

    /// From now on every transaction [`Bank::send`] processes is simulated,
    /// processed and recorded in a block of its own (`common/solana_ledger.rs`);
    /// failed ones are processed too (their fee charged) and recorded with
    /// `meta.err` set. The bank advances one slot first.
    pub(crate) async fn start_recording(&mut self) -> anyhow::Result<()> {
        ensure!(self.recorder.is_none(), "already recording");
        self.recorder = Some(Recorder::start(&mut self.ctx).await?);
        Ok(())
    }

    /// The ledger recorded so far (`None` when not recording).
    pub(crate) fn ledger(&self) -> Option<&Ledger> {
        self.recorder.as_ref().map(Recorder::ledger)
    }

    /// The ledger recorded so far; recording goes on into an empty one.
    pub(crate) fn take_ledger(&mut self) -> Option<Ledger> {
        self.recorder.as_mut().map(Recorder::take_ledger)
    }

    /// While recording: the slot after the next recorded block is skipped
    /// (the bank warps two slots), so that block's successor names it as
    /// parent across the gap.
    pub(crate) fn skip_next_slot(&mut self) -> anyhow::Result<()> {
        self.recorder
            .as_mut()
            .context("skip_next_slot: not recording")?
            .skip_next_slot();
        Ok(())
    }

    /// The fee payer.
    pub(crate) fn payer(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    /// Gives `key` a system account with lamports.
    pub(crate) fn fund(&mut self, key: &Pubkey) {
        let account = AccountSharedData::new(WALLET_LAMPORTS, 0, &pda::SYSTEM_PROGRAM_ID);
        self.ctx.set_account(key, &account);
    }

    /// Signs `ixs` with the SDK's [`TransactionBuilder`] (fee payer: the bank's
    /// payer, plus `signers`) on a fresh blockhash and processes it.
    pub(crate) async fn send(
        &mut self,
        ixs: Vec<Instruction>,
        signers: &[&Keypair],
    ) -> Result<(), BanksClientError> {
        // A varying compute-unit limit keeps equal transactions under one
        // blockhash distinct.
        self.nonce += 1;
        let payer = self.ctx.payer.insecure_clone();
        let builder = TransactionBuilder::new(payer.pubkey())
            .with_compute_unit_limit(1_000_000 + self.nonce % 200_000)
            .with_compute_unit_price(1)
            .with_instructions(ixs);
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await?;
        let mut all: Vec<&dyn Signer> = vec![&payer];
        for s in signers {
            if s.pubkey() != payer.pubkey() {
                all.push(*s);
            }
        }
        let tx = builder.sign(blockhash, &all).map_err(|_| {
            BanksClientError::ClientError("the SDK refused to sign: a signer is missing")
        })?;
        match self.recorder.as_mut() {
            None => self.ctx.banks_client.process_transaction(tx).await,
            Some(recorder) => match recorder.process(&mut self.ctx, tx).await {
                Ok(result) => result,
                Err(e) => {
                    // A recording that disagrees with the bank fails the test.
                    eprintln!("recording failed: {e:#}");
                    Err(BanksClientError::ClientError(
                        "the recorder found the bank inconsistent (see stderr)",
                    ))
                }
            },
        }
    }

    /// A zeroed account owned by SPL Token, ready for its initialize instruction.
    fn put_token_account_space(&mut self, key: &Pubkey, len: usize) {
        let account = AccountSharedData::new(1_000_000_000, len, &pda::TOKEN_PROGRAM_ID);
        self.ctx.set_account(key, &account);
    }

    /// Creates a mint with `decimals` through SPL Token.
    pub(crate) async fn create_mint(
        &mut self,
        authority: &Pubkey,
        decimals: u8,
    ) -> anyhow::Result<Pubkey> {
        let mint = Pubkey::new_unique();
        self.put_token_account_space(&mint, spl_token::state::Mint::LEN);
        let ix = spl_token::instruction::initialize_mint2(
            &spl_token::ID,
            &mint,
            authority,
            None,
            decimals,
        )?;
        self.send(vec![ix], &[]).await?;
        Ok(mint)
    }

    /// Creates an empty token account of `mint` owned by `owner` through SPL Token.
    pub(crate) async fn create_token_account(
        &mut self,
        mint: &Pubkey,
        owner: &Pubkey,
    ) -> anyhow::Result<Pubkey> {
        let key = Pubkey::new_unique();
        self.put_token_account_space(&key, spl_token::state::Account::LEN);
        let ix = spl_token::instruction::initialize_account3(&spl_token::ID, &key, mint, owner)?;
        self.send(vec![ix], &[]).await?;
        Ok(key)
    }

    /// Token amount of a token account.
    pub(crate) async fn token_balance(&mut self, account: &Pubkey) -> anyhow::Result<u64> {
        let raw = self
            .ctx
            .banks_client
            .get_account(*account)
            .await?
            .context("token account missing")?;
        Ok(spl_token::state::Account::unpack(&raw.data)?.amount)
    }

    /// A program account decoded by the SDK; `None` if it does not exist.
    pub(crate) async fn decoded<T: AnchorAccount>(
        &mut self,
        key: &Pubkey,
    ) -> anyhow::Result<Option<T>> {
        match self.ctx.banks_client.get_account(*key).await? {
            Some(raw) => Ok(Some(T::decode(&raw.data)?)),
            None => Ok(None),
        }
    }

    /// Lamports of an account (0 if absent).
    pub(crate) async fn lamports(&mut self, key: &Pubkey) -> anyhow::Result<u64> {
        Ok(self
            .ctx
            .banks_client
            .get_account(*key)
            .await?
            .map_or(0, |a| a.lamports))
    }

    /// The bank's unix time.
    pub(crate) async fn now(&mut self) -> anyhow::Result<i64> {
        let clock: Clock = self.ctx.banks_client.get_sysvar().await?;
        Ok(clock.unix_timestamp)
    }

    /// Moves the bank's clock forward by `secs`.
    pub(crate) async fn warp(&mut self, secs: i64) -> anyhow::Result<()> {
        let mut clock: Clock = self.ctx.banks_client.get_sysvar().await?;
        clock.unix_timestamp += secs;
        self.ctx.set_sysvar(&clock);
        Ok(())
    }
}

/// A wallet with SOL, a USDT token account and an escrow account.
pub(crate) struct User {
    /// The wallet key.
    pub(crate) kp: Keypair,
    /// Its USDT token account.
    pub(crate) token: Pubkey,
}

impl User {
    /// The wallet's address.
    pub(crate) fn key(&self) -> Pubkey {
        self.kp.pubkey()
    }
}

/// The escrow administered by a 2-of-3 multisig, on a bank.
pub(crate) struct Platform {
    /// The bank.
    pub(crate) bank: Bank,
    /// The escrow deployment.
    pub(crate) escrow: EscrowProgram,
    /// The platform's multisig (its vault is admin, arbiter and treasury).
    pub(crate) multisig: MultisigProgram,
    /// The multisig's owners (threshold 2).
    pub(crate) owners: [Keypair; 3],
    /// May pause.
    pub(crate) guardian: Keypair,
    /// Assigns collection and payout deals.
    pub(crate) dispatcher: Keypair,
    /// Records KYC data.
    pub(crate) compliance: Keypair,
    /// The USDT mint (6 decimals).
    pub(crate) mint: Pubkey,
    mint_authority: Keypair,
    /// Every wallet with an escrow account (for the conservation check).
    pub(crate) wallets: Vec<Pubkey>,
    /// Tokens sent straight to the vault and not swept yet.
    pub(crate) surplus: u64,
}

/// One tier each: a 1 % merchant fee, 20 % of it to the agent, 10 % to the trader.
pub(crate) fn one_tier_fees() -> sol::FeeScheduleArgs {
    sol::FeeScheduleArgs {
        merchant_tiers: vec![sol::FeeTier {
            threshold: 0,
            bps: 100,
        }],
        agent_tiers: vec![sol::FeeTier {
            threshold: 0,
            bps: 2_000,
        }],
        trader_reward_bps: 1_000,
    }
}

/// Limits the harness uses (KYC level 0: the vectors are about money).
pub(crate) fn default_limits() -> sol::LimitsArgs {
    sol::LimitsArgs {
        min_payment_window_secs: 60,
        max_payment_window_secs: 86_400,
        max_deal_amount: 1_000_000_000_000,
        min_kyc_level: 0,
        blocked_regions: vec![],
        withdrawal_delay_secs: WITHDRAWAL_DELAY,
    }
}

impl Platform {
    /// A bank with a USDT mint, the 2-of-3 multisig and the escrow initialised
    /// with `fees` and `limits`; the treasury's escrow account is open.
    pub(crate) async fn start(
        fees: sol::FeeScheduleArgs,
        limits: sol::LimitsArgs,
    ) -> anyhow::Result<Self> {
        Self::start_on(Bank::start().await, fees, limits).await
    }

    /// As [`Platform::start`], recording every transaction from the mint's
    /// creation on ([`Bank::start_recording`]).
    pub(crate) async fn start_recording(
        fees: sol::FeeScheduleArgs,
        limits: sol::LimitsArgs,
    ) -> anyhow::Result<Self> {
        let mut bank = Bank::start().await;
        bank.start_recording().await?;
        Self::start_on(bank, fees, limits).await
    }

    async fn start_on(
        mut bank: Bank,
        fees: sol::FeeScheduleArgs,
        limits: sol::LimitsArgs,
    ) -> anyhow::Result<Self> {
        let mint_authority = Keypair::new();
        let mint = bank.create_mint(&mint_authority.pubkey(), 6).await?;

        let owners = [Keypair::new(), Keypair::new(), Keypair::new()];
        for o in &owners {
            bank.fund(&o.pubkey());
        }
        let create_key = Keypair::new();
        let multisig = MultisigProgram::for_create_key(&create_key.pubkey());
        let owner_keys: Vec<Pubkey> = owners.iter().map(Signer::pubkey).collect();
        let ix =
            multisig.multisig_create(&create_key.pubkey(), &bank.payer(), &owner_keys, 2, 0)?;
        bank.send(vec![ix], &[&create_key]).await?;

        let creator = Keypair::new();
        bank.fund(&creator.pubkey());
        let (guardian, dispatcher, compliance) = (Keypair::new(), Keypair::new(), Keypair::new());
        for k in [&dispatcher, &compliance, &guardian] {
            bank.fund(&k.pubkey());
        }
        let vault = multisig.vault();
        let escrow = EscrowProgram::for_creator(&creator.pubkey());
        let ix = escrow.config_initialize(
            &creator.pubkey(),
            &mint,
            &pda::TOKEN_PROGRAM_ID,
            &sol::ConfigInitializeArgs {
                authorities: sol::Authorities {
                    admin: vault,
                    guardian: guardian.pubkey(),
                    arbiter: vault,
                    dispatcher: dispatcher.pubkey(),
                    compliance: compliance.pubkey(),
                    treasury: vault,
                },
                fees,
                limits,
            },
        )?;
        bank.send(vec![ix], &[&creator]).await?;
        let mut p = Self {
            bank,
            escrow,
            multisig,
            owners,
            guardian,
            dispatcher,
            compliance,
            mint,
            mint_authority,
            wallets: Vec::new(),
            surplus: 0,
        };
        p.open_account(&vault).await?;
        Ok(p)
    }

    /// The treasury wallet (the multisig's vault).
    pub(crate) fn treasury(&self) -> Pubkey {
        self.multisig.vault()
    }

    /// Opens `wallet`'s escrow account, the bank's payer paying the rent.
    pub(crate) async fn open_account(&mut self, wallet: &Pubkey) -> anyhow::Result<()> {
        let ix = self.escrow.account_open(&self.bank.payer(), wallet);
        self.bank.send(vec![ix], &[]).await?;
        self.wallets.push(*wallet);
        Ok(())
    }

    /// A funded wallet with a USDT token account and an escrow account.
    pub(crate) async fn user(&mut self) -> anyhow::Result<User> {
        let kp = Keypair::new();
        self.bank.fund(&kp.pubkey());
        let token = self
            .bank
            .create_token_account(&self.mint.clone(), &kp.pubkey())
            .await?;
        self.open_account(&kp.pubkey()).await?;
        Ok(User { kp, token })
    }

    /// Mints USDT to a token account (test setup; SPL Token directly).
    pub(crate) async fn mint_to(&mut self, token: &Pubkey, amount: u64) -> anyhow::Result<()> {
        let ix = spl_token::instruction::mint_to(
            &spl_token::ID,
            &self.mint,
            token,
            &self.mint_authority.pubkey(),
            &[],
            amount,
        )?;
        let authority = self.mint_authority.insecure_clone();
        self.bank.send(vec![ix], &[&authority]).await?;
        Ok(())
    }

    /// The SDK's `deposit` of `amount` by `user`.
    pub(crate) async fn deposit(&mut self, user: &User, amount: u64) -> anyhow::Result<()> {
        let ix = self.escrow.deposit(
            &user.key(),
            &user.token,
            &self.mint,
            &pda::TOKEN_PROGRAM_ID,
            Amount::from_units(amount),
        )?;
        self.bank.send(vec![ix], &[&user.kp]).await?;
        Ok(())
    }

    /// Proposes `ixs` (for the vault to sign), approves with two owners and
    /// executes: the multisig's full path, all through the SDK.
    pub(crate) async fn execute_as_vault(&mut self, ixs: &[Instruction]) -> anyhow::Result<()> {
        let stored: Vec<ProposalInstruction> = ixs.iter().map(ProposalInstruction::from).collect();
        let state: sol::Multisig = self
            .bank
            .decoded(&self.multisig.multisig)
            .await?
            .context("multisig missing")?;
        let index = state.transaction_index + 1;
        let expires_at = self.bank.now().await? + 86_400;
        let [o0, o1, _] = &self.owners;
        let (o0, o1) = (o0.insecure_clone(), o1.insecure_clone());
        let create = self
            .multisig
            .proposal_create(&o0.pubkey(), index, &stored, expires_at)?;
        self.bank.send(vec![create], &[&o0]).await?;
        for owner in [&o0, &o1] {
            let ix = self.multisig.proposal_approve(&owner.pubkey(), index);
            self.bank.send(vec![ix], &[owner]).await?;
        }
        let exec = self.multisig.proposal_execute(&o0.pubkey(), index, &stored);
        self.bank.send(vec![exec], &[&o0]).await?;
        let proposal: sol::Proposal = self
            .bank
            .decoded(&self.multisig.proposal(index))
            .await?
            .context("proposal missing")?;
        ensure!(
            matches!(proposal.status, sol::ProposalStatus::Executed { .. }),
            "proposal {index} not executed: {:?}",
            proposal.status
        );
        Ok(())
    }

    /// Runs admin instructions through the multisig, a few per proposal (a
    /// proposal carries its instructions in one transaction).
    pub(crate) async fn admin(&mut self, ixs: &[Instruction]) -> anyhow::Result<()> {
        for chunk in ixs.chunks(3) {
            self.execute_as_vault(chunk).await?;
        }
        Ok(())
    }

    /// The escrow config.
    pub(crate) async fn config(&mut self) -> anyhow::Result<sol::Config> {
        let key = self.escrow.config;
        self.bank.decoded(&key).await?.context("config missing")
    }

    /// The escrow account of `wallet`.
    pub(crate) async fn account(&mut self, wallet: &Pubkey) -> anyhow::Result<sol::EscrowAccount> {
        let key = self.escrow.account(wallet);
        self.bank
            .decoded(&key)
            .await?
            .with_context(|| format!("no escrow account for {wallet}"))
    }

    /// Deal `id`, if it is still live.
    pub(crate) async fn deal(&mut self, id: u64) -> anyhow::Result<Option<sol::Deal>> {
        let key = self.escrow.deal(id);
        self.bank.decoded(&key).await
    }

    /// The settlement accounts of deal `id`, read from the chain as a client would.
    pub(crate) async fn settlement(&mut self, id: u64) -> anyhow::Result<SettlementParties> {
        let deal = self.deal(id).await?.context("deal missing")?;
        let config = self.config().await?;
        Ok(deal.settlement(&config))
    }

    /// The agent recorded for `merchant` (its account fixes the agent's rate
    /// when a deal opens).
    pub(crate) async fn merchant_agent(
        &mut self,
        merchant: &Pubkey,
    ) -> anyhow::Result<Option<Pubkey>> {
        Ok(self.account(merchant).await?.agent)
    }

    /// Vault tokens == config liabilities == sum of available + locked over
    /// every escrow account.
    pub(crate) async fn check_conservation(&mut self) -> anyhow::Result<()> {
        let vault = self.escrow.vault();
        let held = self.bank.token_balance(&vault).await?;
        let liabilities = self.config().await?.liabilities;
        let mut sum: u128 = 0;
        for wallet in self.wallets.clone() {
            let a = self.account(&wallet).await?;
            sum += u128::from(a.available) + u128::from(a.locked);
        }
        ensure!(
            u128::from(held) == u128::from(liabilities) + u128::from(self.surplus)
                && u128::from(liabilities) == sum,
            "conservation broken: vault holds {held} ({} surplus), liabilities {liabilities}, accounts sum to {sum}",
            self.surplus
        );
        Ok(())
    }

    /// The merchant posts a buy order of exactly `amount` (one fill takes it all);
    /// returns its id.
    pub(crate) async fn post_order(&mut self, merchant: &User, amount: u64) -> anyhow::Result<u64> {
        self.post_order_with(merchant, amount, amount).await
    }

    /// The merchant posts a buy order of `amount` whose fills take at least
    /// `min_fill`; returns its id.
    pub(crate) async fn post_order_with(
        &mut self,
        merchant: &User,
        amount: u64,
        min_fill: u64,
    ) -> anyhow::Result<u64> {
        let id = self.config().await?.next_order_id;
        // Expires well after the deadline of any deal it opens.
        let expiry = self.bank.now().await? + 3 * 86_400;
        let args = sol::BuyOrderPostArgs {
            price_minor: 725,
            currency: sol::parse_currency("CNY")?,
            amount,
            min_fill,
            max_fill: amount,
            expiry,
            payment_window_secs: WINDOW,
        };
        let ix = self.escrow.buy_order_post(&merchant.key(), id, &args)?;
        self.bank.send(vec![ix], &[&merchant.kp]).await?;
        Ok(id)
    }

    /// The trader fills `amount` of order `order_id`; returns the deal id.
    pub(crate) async fn fill(
        &mut self,
        trader: &User,
        order_id: u64,
        amount: u64,
        reference: [u8; 32],
    ) -> anyhow::Result<u64> {
        let order: sol::BuyOrder = self
            .bank
            .decoded(&self.escrow.buy_order(order_id))
            .await?
            .context("order missing")?;
        let deal_id = self.config().await?.next_deal_id;
        let agent = self.merchant_agent(&order.merchant).await?;
        let ix = self.escrow.buy_order_fill(
            &trader.key(),
            order_id,
            &order.merchant,
            agent.as_ref(),
            deal_id,
            &sol::BuyOrderFillArgs { amount, reference },
        )?;
        self.bank.send(vec![ix], &[&trader.kp]).await?;
        Ok(deal_id)
    }

    /// Marks deal `id` paid, signed by `signer`.
    pub(crate) async fn mark_paid(
        &mut self,
        signer: &Keypair,
        id: u64,
    ) -> Result<(), BanksClientError> {
        let ix = self.escrow.deal_mark_paid(&signer.pubkey(), id);
        self.bank.send(vec![ix], &[signer]).await
    }

    /// Releases deal `id`, signed by `signer`.
    pub(crate) async fn release(
        &mut self,
        signer: &Keypair,
        id: u64,
    ) -> anyhow::Result<Result<(), BanksClientError>> {
        let parties = self.settlement(id).await?;
        let ix = self.escrow.deal_release(&signer.pubkey(), id, &parties);
        Ok(self.bank.send(vec![ix], &[signer]).await)
    }

    /// Cancels deal `id`, signed by `signer`.
    pub(crate) async fn cancel(
        &mut self,
        signer: &Keypair,
        id: u64,
    ) -> anyhow::Result<Result<(), BanksClientError>> {
        let parties = self.settlement(id).await?;
        let ix = self.escrow.deal_cancel(&signer.pubkey(), id, &parties);
        Ok(self.bank.send(vec![ix], &[signer]).await)
    }

    /// Disputes deal `id`, signed by `signer`.
    pub(crate) async fn dispute(
        &mut self,
        signer: &Keypair,
        id: u64,
    ) -> Result<(), BanksClientError> {
        let ix = self.escrow.deal_dispute(&signer.pubkey(), id);
        self.bank.send(vec![ix], &[signer]).await
    }

    /// Resolves deal `id` with the buyer's share, through a multisig proposal
    /// the vault (the arbiter) executes.
    pub(crate) async fn resolve(&mut self, id: u64, buyer_share_bps: u16) -> anyhow::Result<()> {
        let parties = self.settlement(id).await?;
        let vault = self.multisig.vault();
        let ix = self
            .escrow
            .deal_resolve(&vault, id, &parties, buyer_share_bps)?;
        self.execute_as_vault(&[ix]).await
    }
}

fn fees_of(fees: &ScenarioFees) -> anyhow::Result<sol::FeeScheduleArgs> {
    let tiers = |t: &[stablerail_sdk::Tier]| -> anyhow::Result<Vec<sol::FeeTier>> {
        t.iter()
            .map(|t| {
                Ok(sol::FeeTier {
                    threshold: t.threshold,
                    bps: u16::try_from(t.bps)?,
                })
            })
            .collect()
    };
    Ok(sol::FeeScheduleArgs {
        merchant_tiers: tiers(&fees.merchant_tiers)?,
        agent_tiers: tiers(&fees.agent_tiers)?,
        trader_reward_bps: u16::try_from(fees.trader_reward_bps)?,
    })
}

/// The escrow's error code for an outflow beyond the allowance.
fn allowance_exceeded() -> u32 {
    u32::from(stablerail_escrow::errors::EscrowError::AllowanceExceeded)
}

/// Runs `s` on a fresh bank through the SDK's builders and returns the escrow's
/// final state. Conservation is checked after every step (vault equals the
/// liabilities plus any unswept surplus, liabilities equal the sum of balances), and every final deal must have
/// closed its account. The protocol v2 fields of `tests/vectors/README.md` are
/// honoured: treasury moved onto a party, co-signers with allowances (the run
/// starts at the beginning of a UTC day), direct transfers and sweeps, sized
/// buy orders and their remaining amount, fee changes after open, agent role
/// revoked before open, withdrawals, and co-signed outflows.
pub(crate) async fn run_scenario(s: &Scenario) -> anyhow::Result<Expected> {
    let p = Platform::start(fees_of(&s.fees)?, scenario_limits()).await?;
    Ok(play_scenario(p, s).await?.0)
}

/// [`run_scenario`] with every transaction recorded (`common/solana_ledger.rs`):
/// the final state and the ledger, with the platform for reading accounts.
pub(crate) async fn run_scenario_recorded(
    s: &Scenario,
) -> anyhow::Result<(Expected, Ledger, Platform)> {
    let p = Platform::start_recording(fees_of(&s.fees)?, scenario_limits()).await?;
    let (expected, mut p) = play_scenario(p, s).await?;
    let ledger = p
        .bank
        .take_ledger()
        .context("the platform stopped recording")?;
    Ok((expected, ledger, p))
}

/// A settlement vector played with every transaction recorded.
pub(crate) struct RecordedScenario {
    /// The scenario's name.
    pub(crate) name: String,
    /// Its final state, read from the bank (equal to the vector's, checked).
    pub(crate) expected: Expected,
    /// Every transaction it sent, one block each.
    pub(crate) ledger: Ledger,
    /// The platform it ran on, for reading program accounts.
    pub(crate) platform: Platform,
}

/// Every scenario of `tests/vectors/settlement.json`, each on its own bank
/// with recording on; each must end as the SDK's reference ledger says.
pub(crate) async fn record_conformance() -> anyhow::Result<Vec<RecordedScenario>> {
    let file = super::settlement_vectors()?;
    let mut out = Vec::new();
    for s in &file.scenarios {
        let reference = s.run()?;
        let (expected, ledger, platform) = run_scenario_recorded(s).await?;
        ensure!(
            expected == reference,
            "{}: recorded run differs from the reference",
            s.name
        );
        out.push(RecordedScenario {
            name: s.name.clone(),
            expected,
            ledger,
            platform,
        });
    }
    Ok(out)
}

/// The vectors are about money: no deal-size cap, as the Solidity conformance run.
fn scenario_limits() -> sol::LimitsArgs {
    sol::LimitsArgs {
        max_deal_amount: u64::MAX,
        ..default_limits()
    }
}

async fn play_scenario(mut p: Platform, s: &Scenario) -> anyhow::Result<(Expected, Platform)> {
    let mut users: BTreeMap<&str, User> = BTreeMap::new();
    for name in &s.parties {
        let user = p.user().await?;
        users.insert(name.as_str(), user);
    }
    let key_of = |users: &BTreeMap<&str, User>, name: &str| -> anyhow::Result<Pubkey> {
        users
            .get(name)
            .map(User::key)
            .with_context(|| format!("{}: unknown party {name}", s.name))
    };
    let user_of = |name: &str| -> anyhow::Result<&User> {
        users
            .get(name)
            .with_context(|| format!("{}: unknown party {name}", s.name))
    };

    // Roles as the deals need them, then the agents: admin actions, so proposals.
    let mut roles: BTreeMap<&str, Roles> = BTreeMap::new();
    for d in &s.deals {
        *roles.entry(&d.merchant).or_default() |= Roles::MERCHANT;
        match d.kind {
            DealKind::Collection => *roles.entry(&d.seller).or_default() |= Roles::ACCEPTOR,
            DealKind::Payout => *roles.entry(&d.buyer).or_default() |= Roles::ACCEPTOR,
            DealKind::Trade => {}
        }
    }
    for link in &s.agents {
        *roles.entry(&link.agent).or_default() |= Roles::AGENT;
    }
    let vault = p.multisig.vault();
    let mut admin = Vec::new();
    for (name, bits) in &roles {
        admin.push(
            p.escrow
                .account_set_roles(&vault, &key_of(&users, name)?, *bits)?,
        );
    }
    p.admin(&admin).await?;
    // Acceptors go online with limits that do not get in the way.
    for (name, bits) in &roles {
        if bits.contains(Roles::ACCEPTOR) {
            let user = user_of(name)?;
            let ix = p.escrow.acceptor_set_limits(
                &user.key(),
                &sol::AcceptorSetLimitsArgs {
                    online: true,
                    max_per_deal: u64::MAX,
                    max_locked: u64::MAX,
                },
            );
            p.bank.send(vec![ix], &[&user.kp]).await?;
        }
    }
    let mut admin = Vec::new();
    for link in &s.agents {
        admin.push(p.escrow.account_set_agent(
            &vault,
            &key_of(&users, &link.merchant)?,
            &key_of(&users, &link.agent)?,
        )?);
    }
    if !admin.is_empty() {
        p.admin(&admin).await?;
    }

    // The treasury moved onto a party: platform parts are credited in place.
    let treasury = match &s.treasury_is {
        Some(name) => {
            let wallet = key_of(&users, name)?;
            let mut authorities = p.config().await?.authorities;
            authorities.treasury = wallet;
            let ix = p.escrow.config_set_authorities(&vault, &authorities)?;
            p.admin(&[ix]).await?;
            wallet
        }
        None => p.treasury(),
    };

    // Co-signers: the run starts at the beginning of a UTC day.
    let mut co_signers: BTreeMap<&str, Keypair> = BTreeMap::new();
    if !s.co_signers.is_empty() {
        let now = p.bank.now().await?;
        let next_day = (now.div_euclid(86_400) + 1) * 86_400;
        p.bank.warp(next_day - now).await?;
    }
    for c in &s.co_signers {
        let user = user_of(&c.party)?;
        let co_signer = Keypair::new();
        let ix = p.escrow.co_signer_set(
            &user.key(),
            &sol::CoSignerSetArgs {
                co_signer: Some(co_signer.pubkey()),
                daily_allowance: c.daily_allowance,
            },
            None,
        )?;
        p.bank.send(vec![ix], &[&user.kp]).await?;
        co_signers.insert(c.party.as_str(), co_signer);
    }

    for d in &s.deposits {
        let user = user_of(&d.party)?;
        p.mint_to(&user.token, d.amount).await?;
        p.deposit(user, d.amount).await?;
        p.check_conservation().await?;
    }
    if s.direct_transfer > 0 {
        let vault_token = p.escrow.vault();
        p.mint_to(&vault_token, s.direct_transfer).await?;
        p.surplus += s.direct_transfer;
        p.check_conservation().await?;
    }

    let dispatcher = p.dispatcher.insecure_clone();
    for (i, d) in s.deals.iter().enumerate() {
        let ctx = || format!("{} deal {i}", s.name);
        let seller = user_of(&d.seller).with_context(ctx)?;
        let buyer = user_of(&d.buyer).with_context(ctx)?;
        let reference = keccak256(format!("{}/{i}", s.name)).0;
        if d.agent_role_revoked_before_open {
            let merchant = key_of(&users, &d.merchant)?;
            let agent = p
                .merchant_agent(&merchant)
                .await?
                .with_context(|| format!("{}: no agent to revoke", ctx()))?;
            let roles = p.account(&agent).await?.roles.without(Roles::AGENT);
            let ix = p.escrow.account_set_roles(&vault, &agent, roles)?;
            p.admin(&[ix]).await.with_context(ctx)?;
        }
        let mut order = None;
        let id = match d.kind {
            DealKind::Trade => {
                let size = d.order_amount.unwrap_or(d.amount);
                let order_id = p
                    .post_order_with(buyer, size, d.amount.min(size))
                    .await
                    .with_context(ctx)?;
                order = Some(order_id);
                p.fill(seller, order_id, d.amount, reference)
                    .await
                    .with_context(ctx)?
            }
            DealKind::Collection => {
                let id = p.config().await?.next_deal_id;
                let agent = p.merchant_agent(&buyer.key()).await?;
                let ix = p.escrow.deal_collection_open(
                    &dispatcher.pubkey(),
                    &seller.key(),
                    &buyer.key(),
                    agent.as_ref(),
                    id,
                    &sol::DealCollectionOpenArgs {
                        amount: d.amount,
                        payment_window_secs: WINDOW,
                        reference,
                    },
                )?;
                p.bank
                    .send(vec![ix], &[&dispatcher])
                    .await
                    .with_context(ctx)?;
                id
            }
            DealKind::Payout => {
                let id = p.config().await?.next_deal_id;
                let agent = p.merchant_agent(&seller.key()).await?;
                let ix = p.escrow.deal_payout_open(
                    &seller.key(),
                    agent.as_ref(),
                    id,
                    &sol::DealPayoutOpenArgs {
                        amount: d.amount,
                        reference,
                    },
                )?;
                p.bank
                    .send(vec![ix], &[&seller.kp])
                    .await
                    .with_context(ctx)?;
                let ix =
                    p.escrow
                        .deal_payout_assign(&dispatcher.pubkey(), id, &buyer.key(), WINDOW)?;
                p.bank
                    .send(vec![ix], &[&dispatcher])
                    .await
                    .with_context(ctx)?;
                id
            }
        };
        p.check_conservation().await.with_context(ctx)?;
        let deal = p.deal(id).await?.with_context(ctx)?;
        ensure!(
            deal.merchant == key_of(&users, &d.merchant)? && deal.amount == d.amount,
            "{}: merchant or amount differs",
            ctx()
        );
        // Marked paid first where the outcome does that, then the fee change.
        if matches!(d.outcome, Outcome::Release | Outcome::Resolve) {
            p.mark_paid(&buyer.kp, id).await.with_context(ctx)?;
        }
        if let Some(fees) = &d.fees_after_open {
            let ix = p.escrow.config_set_fees(&vault, &fees_of(fees)?)?;
            p.admin(&[ix]).await.with_context(ctx)?;
        }
        match d.outcome {
            Outcome::Release => {
                if d.co_sign == CoSign::Required {
                    let before = p.account(&seller.key()).await?;
                    let refused = p.release(&seller.kp, id).await?;
                    ensure!(
                        custom_error(&refused) == Some(allowance_exceeded()),
                        "{}: the seller alone was not refused: {refused:?}",
                        ctx()
                    );
                    ensure!(
                        p.account(&seller.key()).await? == before,
                        "{}: a refused release changed the seller",
                        ctx()
                    );
                    let co_signer = co_signers
                        .get(d.seller.as_str())
                        .with_context(|| format!("{}: seller has no co-signer", ctx()))?;
                    let parties = p.settlement(id).await?;
                    let ix = p.escrow.deal_release_cosigned(
                        &seller.key(),
                        id,
                        &parties,
                        &co_signer.pubkey(),
                    );
                    p.bank
                        .send(vec![ix], &[&seller.kp, co_signer])
                        .await
                        .with_context(ctx)?;
                } else {
                    p.release(&seller.kp, id).await?.with_context(ctx)?;
                }
            }
            Outcome::CancelByBuyer => p.cancel(&buyer.kp, id).await?.with_context(ctx)?,
            Outcome::CancelAfterDeadline => {
                p.bank.warp(i64::from(WINDOW) + 1).await?;
                p.cancel(&seller.kp, id).await?.with_context(ctx)?;
            }
            Outcome::Resolve => {
                p.dispute(&seller.kp, id).await.with_context(ctx)?;
                p.resolve(id, u16::try_from(d.buyer_share_bps)?)
                    .await
                    .with_context(ctx)?;
            }
        }
        p.check_conservation().await.with_context(ctx)?;
        ensure!(p.deal(id).await?.is_none(), "{}: deal not closed", ctx());
        if let (Some(want), Some(order_id)) = (d.expect_order_remaining, order) {
            let stored: Option<sol::BuyOrder> =
                p.bank.decoded(&p.escrow.buy_order(order_id)).await?;
            let actual = stored.map(|o| o.remaining);
            let expected = (want > 0).then_some(want);
            ensure!(
                actual == expected,
                "{}: order remaining {actual:?}, expected {expected:?} (None: freed)",
                ctx()
            );
        }
    }

    for (i, w) in s.withdrawals.iter().enumerate() {
        let ctx = || format!("{} withdrawal {i}", s.name);
        let user = user_of(&w.party).with_context(ctx)?;
        let amount = Amount::from_units(w.amount);
        let ix = p.escrow.withdraw(
            &user.key(),
            &user.token,
            &p.mint,
            &pda::TOKEN_PROGRAM_ID,
            amount,
        )?;
        let result = p.bank.send(vec![ix], &[&user.kp]).await;
        if w.co_sign == CoSign::Required {
            ensure!(
                custom_error(&result) == Some(allowance_exceeded()),
                "{}: the owner alone was not refused: {result:?}",
                ctx()
            );
            let co_signer = co_signers
                .get(w.party.as_str())
                .with_context(|| format!("{}: no co-signer", ctx()))?;
            let ix = p.escrow.withdraw_cosigned(
                &user.key(),
                &user.token,
                &p.mint,
                &pda::TOKEN_PROGRAM_ID,
                amount,
                &co_signer.pubkey(),
            )?;
            p.bank
                .send(vec![ix], &[&user.kp, co_signer])
                .await
                .with_context(ctx)?;
        } else {
            result.with_context(ctx)?;
        }
        p.check_conservation().await.with_context(ctx)?;
    }
    if s.sweep {
        let ix = p.escrow.sweep_surplus(&vault, &treasury);
        p.admin(&[ix]).await?;
        p.surplus = 0;
        p.check_conservation().await?;
    }

    // The final state, read from the chain.
    let mut everyone: Vec<(String, Pubkey)> = users
        .iter()
        .map(|(name, u)| ((*name).to_owned(), u.key()))
        .collect();
    if s.treasury_is.is_none() {
        everyone.push((TREASURY.to_owned(), treasury));
    }
    let mut out = Expected::default();
    for (name, wallet) in &everyone {
        let a = p.account(wallet).await?;
        if a.locked != 0 {
            bail!("{}: {name} still has {} locked", s.name, a.locked);
        }
        out.balances.insert(name.clone(), a.available);
        if a.merchant_volume > 0 {
            out.merchant_volume.insert(name.clone(), a.merchant_volume);
        }
        if a.agent_volume > 0 {
            out.agent_volume.insert(name.clone(), a.agent_volume);
        }
    }
    p.check_conservation().await?;
    // Liabilities equal the listed balances (every holder is listed).
    let listed: u64 = out.balances.values().sum();
    let config = p.config().await?;
    ensure!(
        config.liabilities == listed,
        "{}: liabilities {} differ from the listed balances {listed}",
        s.name,
        config.liabilities
    );
    Ok((out, p))
}
