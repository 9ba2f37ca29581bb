//! Instruction builders for every instruction of the escrow program
//! (`programs/escrow/src/instructions/`), with the program's argument types in
//! Borsh and the accounts in the order and with the flags its
//! `#[derive(Accounts)]` structs declare.
//!
//! Builders whose arguments the program validates check them first and return a
//! [`SolanaError`], so a bad input fails before anything is signed.

use borsh::{BorshDeserialize, BorshSerialize};
use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;

use super::error::SolanaError;
use crate::Roles;
use crate::amount::{Amount, BPS_DENOMINATOR};
use crate::solana::codec::instruction_data;
use crate::solana::pda::{self, ESCROW_PROGRAM_ID, SYSTEM_PROGRAM_ID};

pub use crate::fees::MAX_TIERS;
/// Most blocked region codes.
pub const MAX_BLOCKED_REGIONS: usize = 8;
/// Highest merchant fee a tier may charge (10 %), as the program's `MAX_FEE_BPS`.
pub const MAX_FEE_BPS: u16 = 1_000;

/// The keys holding a role in the escrow config.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Authorities {
    /// Changes fees, limits, roles, authorities; unpauses (normally the multisig vault).
    pub admin: Pubkey,
    /// May pause.
    pub guardian: Pubkey,
    /// Resolves disputes.
    pub arbiter: Pubkey,
    /// Assigns collection and payout deals.
    pub dispatcher: Pubkey,
    /// Records KYC level and region.
    pub compliance: Pubkey,
    /// Wallet whose escrow account receives the platform fee.
    pub treasury: Pubkey,
}

impl Authorities {
    /// The program's check that the treasury is not the escrow itself (its
    /// config or vault), whose balance nobody could withdraw.
    fn validate_for(&self, config: &Pubkey) -> Result<(), SolanaError> {
        self.validate()?;
        if self.treasury == *config || self.treasury == pda::escrow_vault(config) {
            return Err(SolanaError::Config {
                what: "authorities",
                reason: "the treasury cannot be the escrow's own config or vault",
            });
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), SolanaError> {
        let keys = [
            self.admin,
            self.guardian,
            self.arbiter,
            self.dispatcher,
            self.compliance,
            self.treasury,
        ];
        if keys.contains(&Pubkey::default()) {
            return Err(SolanaError::Config {
                what: "authorities",
                reason: "no authority may be the default (all-zero) key",
            });
        }
        Ok(())
    }
}

/// One fee tier: applies from `threshold` (volume in smallest units) upwards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct FeeTier {
    /// Volume from which the tier applies.
    pub threshold: u64,
    /// Merchant fee (merchant table) or agent share of the fee (agent table), bps.
    pub bps: u16,
}

/// The fee schedule as `config_initialize` and `config_set_fees` take it.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct FeeScheduleArgs {
    /// Merchant fee tiers by the merchant's settled volume.
    pub merchant_tiers: Vec<FeeTier>,
    /// Agent share tiers by the agent's referred volume.
    pub agent_tiers: Vec<FeeTier>,
    /// Share of the fee paid to the trader on Trade deals, bps.
    pub trader_reward_bps: u16,
}

impl FeeScheduleArgs {
    /// The checks of the program's `FeeSchedule::from_args`: the SDK's one fee
    /// schedule validation ([`crate::FeeSchedule::new`]), which runs them in the
    /// program's order.
    pub fn validate(&self) -> Result<(), SolanaError> {
        let tiers = |table: &[FeeTier]| {
            table
                .iter()
                .map(|t| crate::Tier::new(t.threshold, u32::from(t.bps)))
                .collect()
        };
        crate::FeeSchedule::new(
            tiers(&self.merchant_tiers),
            tiers(&self.agent_tiers),
            u32::from(self.trader_reward_bps),
        )?;
        Ok(())
    }
}

/// Limits as `config_initialize` and `config_set_limits` take them.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LimitsArgs {
    /// Shortest payment window, seconds (>= 1).
    pub min_payment_window_secs: u32,
    /// Longest payment window, seconds.
    pub max_payment_window_secs: u32,
    /// Largest amount of one deal, smallest units.
    pub max_deal_amount: u64,
    /// Minimum KYC level of both deal parties.
    pub min_kyc_level: u8,
    /// Blocked region codes (at most 8).
    pub blocked_regions: Vec<u16>,
    /// Delay of a withdrawal-address change, seconds.
    pub withdrawal_delay_secs: i64,
}

impl LimitsArgs {
    /// The checks of the program's `Limits::from_args`.
    pub fn validate(&self) -> Result<(), SolanaError> {
        let bad = |reason| SolanaError::Config {
            what: "limits",
            reason,
        };
        if self.min_payment_window_secs == 0
            || self.min_payment_window_secs > self.max_payment_window_secs
        {
            return Err(bad("payment windows need 0 < min <= max"));
        }
        if self.max_deal_amount == 0 {
            return Err(bad("the maximum deal amount must be above zero"));
        }
        if self.blocked_regions.len() > MAX_BLOCKED_REGIONS {
            return Err(bad("at most 8 blocked regions"));
        }
        if self.withdrawal_delay_secs < 0 {
            return Err(bad("the withdrawal delay must not be negative"));
        }
        Ok(())
    }
}

/// Arguments of `config_initialize`.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ConfigInitializeArgs {
    /// Role holders.
    pub authorities: Authorities,
    /// Fee schedule.
    pub fees: FeeScheduleArgs,
    /// Limits.
    pub limits: LimitsArgs,
}

/// Arguments of `buy_order_post`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BuyOrderPostArgs {
    /// Fiat price of one USDT in the currency's minor units.
    pub price_minor: u64,
    /// ISO 4217 code, e.g. `*b"EUR"`.
    pub currency: [u8; 3],
    /// Total amount to buy, smallest units.
    pub amount: u64,
    /// Smallest fill.
    pub min_fill: u64,
    /// Largest fill.
    pub max_fill: u64,
    /// Unix time after which the order cannot be filled.
    pub expiry: i64,
    /// Payment window of the deals it opens, seconds.
    pub payment_window_secs: u32,
}

impl BuyOrderPostArgs {
    /// Checks what the program checks without reading the chain.
    pub fn validate(&self) -> Result<(), SolanaError> {
        nonzero(Amount::from_units(self.amount), "amount")?;
        if self.price_minor == 0 {
            return Err(SolanaError::ZeroAmount {
                field: "price_minor",
            });
        }
        if self.min_fill == 0 || self.min_fill > self.max_fill || self.max_fill > self.amount {
            return Err(SolanaError::FillBounds {
                min_fill: self.min_fill,
                max_fill: self.max_fill,
                amount: self.amount,
            });
        }
        if self.payment_window_secs == 0 {
            return Err(SolanaError::PaymentWindow);
        }
        parse_currency_bytes(&self.currency)?;
        Ok(())
    }
}

/// Arguments of `buy_order_fill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BuyOrderFillArgs {
    /// Amount to sell into the order.
    pub amount: u64,
    /// Reference to the off-chain order.
    pub reference: [u8; 32],
}

/// Arguments of `deal_collection_open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct DealCollectionOpenArgs {
    /// Amount to lock from the acceptor.
    pub amount: u64,
    /// Payment window, seconds.
    pub payment_window_secs: u32,
    /// Reference to the off-chain customer payment.
    pub reference: [u8; 32],
}

/// Arguments of `deal_payout_open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct DealPayoutOpenArgs {
    /// Amount to lock from the merchant.
    pub amount: u64,
    /// Reference to the off-chain payout request.
    pub reference: [u8; 32],
}

/// The accounts a final deal instruction (`deal_release`, `deal_resolve`,
/// `deal_cancel`) names, read from the deal and the config (see
/// [`Deal::settlement`](crate::solana::Deal::settlement)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementParties {
    /// The deal's seller wallet.
    pub seller: Pubkey,
    /// The deal's buyer wallet.
    pub buyer: Pubkey,
    /// The agent recorded in the deal when it is neither seller nor buyer
    /// (the program credits an agent that is a party in place).
    pub agent: Option<Pubkey>,
    /// The config's treasury wallet (its account is omitted when it is the
    /// seller, the buyer or `agent`: credited in place).
    pub treasury: Pubkey,
    /// Who paid the deal's rent (gets it back when the deal closes).
    pub rent_payer: Pubkey,
    /// The deal's merchant wallet (gets a closed buy order's rent).
    pub merchant: Pubkey,
    /// The buy order a Trade was filled from.
    pub order_id: Option<u64>,
}

/// Arguments of `co_signer_set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CoSignerSetArgs {
    /// The new co-signer (`None`: remove it).
    pub co_signer: Option<Pubkey>,
    /// Outflows allowed per UTC day without the co-signer.
    pub daily_allowance: u64,
}

/// Arguments of `acceptor_set_limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AcceptorSetLimitsArgs {
    /// Whether the acceptor takes new assignments.
    pub online: bool,
    /// Largest deal the dispatcher may assign.
    pub max_per_deal: u64,
    /// Largest total its collections may keep locked.
    pub max_locked: u64,
}

/// Parses an ISO 4217 code: three upper-case ASCII letters.
pub fn parse_currency(code: &str) -> Result<[u8; 3], SolanaError> {
    let bytes: [u8; 3] = code
        .as_bytes()
        .try_into()
        .map_err(|_| SolanaError::Currency {
            code: code.to_owned(),
        })?;
    parse_currency_bytes(&bytes)
}

fn parse_currency_bytes(bytes: &[u8; 3]) -> Result<[u8; 3], SolanaError> {
    if bytes.iter().all(u8::is_ascii_uppercase) {
        Ok(*bytes)
    } else {
        Err(SolanaError::Currency {
            code: String::from_utf8_lossy(bytes).into_owned(),
        })
    }
}

/// Parses a 32-byte reference from 64 hex digits (an optional `0x` is allowed).
pub fn parse_reference(text: &str) -> Result<[u8; 32], SolanaError> {
    let bad = || SolanaError::Reference {
        input: text.to_owned(),
    };
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(digits).map_err(|_| bad())?;
    bytes.try_into().map_err(|_| bad())
}

fn nonzero(amount: Amount, field: &'static str) -> Result<u64, SolanaError> {
    if amount.is_zero() {
        Err(SolanaError::ZeroAmount { field })
    } else {
        Ok(amount.units())
    }
}

fn window(secs: u32) -> Result<u32, SolanaError> {
    if secs == 0 {
        Err(SolanaError::PaymentWindow)
    } else {
        Ok(secs)
    }
}

fn signer(key: Pubkey, writable: bool) -> AccountMeta {
    if writable {
        AccountMeta::new(key, true)
    } else {
        AccountMeta::new_readonly(key, true)
    }
}

fn writable(key: Pubkey) -> AccountMeta {
    AccountMeta::new(key, false)
}

fn readonly(key: Pubkey) -> AccountMeta {
    AccountMeta::new_readonly(key, false)
}

/// Anchor passes an absent optional account as the program id, read-only.
fn absent() -> AccountMeta {
    readonly(ESCROW_PROGRAM_ID)
}

fn optional(key: Option<AccountMeta>) -> AccountMeta {
    key.unwrap_or_else(absent)
}

/// One escrow deployment (its config) and builders for its instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscrowProgram {
    /// The config PDA all instructions act on.
    pub config: Pubkey,
}

impl EscrowProgram {
    /// The deployment whose config is `config`.
    pub fn new(config: Pubkey) -> Self {
        Self { config }
    }

    /// The deployment whose config `creator` created (or will create).
    pub fn for_creator(creator: &Pubkey) -> Self {
        Self::new(pda::escrow_config(creator))
    }

    /// The vault token account.
    pub fn vault(&self) -> Pubkey {
        pda::escrow_vault(&self.config)
    }

    /// The escrow account of `wallet`.
    pub fn account(&self, wallet: &Pubkey) -> Pubkey {
        pda::escrow_account(&self.config, wallet)
    }

    /// Buy order `id`.
    pub fn buy_order(&self, id: u64) -> Pubkey {
        pda::buy_order(&self.config, id)
    }

    /// Deal `id`.
    pub fn deal(&self, id: u64) -> Pubkey {
        pda::deal(&self.config, id)
    }

    fn ix<A: BorshSerialize>(
        &self,
        name: &str,
        mut accounts: Vec<AccountMeta>,
        args: &A,
    ) -> Instruction {
        // `#[event_cpi]` appends the event authority and the program itself
        // (docs/rules.md, "Events").
        accounts.push(AccountMeta::new_readonly(
            pda::event_authority(&ESCROW_PROGRAM_ID),
            false,
        ));
        accounts.push(AccountMeta::new_readonly(ESCROW_PROGRAM_ID, false));
        Instruction {
            program_id: ESCROW_PROGRAM_ID,
            accounts,
            data: instruction_data(name, args),
        }
    }

    /// `config_initialize`: creates the config and the vault; `creator` must be the
    /// key this deployment was derived from ([`EscrowProgram::for_creator`]).
    pub fn config_initialize(
        &self,
        creator: &Pubkey,
        usdt_mint: &Pubkey,
        token_program: &Pubkey,
        args: &ConfigInitializeArgs,
    ) -> Result<Instruction, SolanaError> {
        args.authorities.validate_for(&self.config)?;
        args.fees.validate()?;
        args.limits.validate()?;
        let accounts = vec![
            signer(*creator, true),
            writable(self.config),
            readonly(*usdt_mint),
            writable(self.vault()),
            readonly(*token_program),
            readonly(SYSTEM_PROGRAM_ID),
        ];
        Ok(self.ix("config_initialize", accounts, args))
    }

    fn admin_config(&self, admin: &Pubkey) -> Vec<AccountMeta> {
        vec![signer(*admin, false), writable(self.config)]
    }

    /// `config_set_authorities` (admin).
    pub fn config_set_authorities(
        &self,
        admin: &Pubkey,
        authorities: &Authorities,
    ) -> Result<Instruction, SolanaError> {
        authorities.validate_for(&self.config)?;
        Ok(self.ix(
            "config_set_authorities",
            self.admin_config(admin),
            authorities,
        ))
    }

    /// `config_set_fees` (admin).
    pub fn config_set_fees(
        &self,
        admin: &Pubkey,
        fees: &FeeScheduleArgs,
    ) -> Result<Instruction, SolanaError> {
        fees.validate()?;
        Ok(self.ix("config_set_fees", self.admin_config(admin), fees))
    }

    /// `config_set_limits` (admin).
    pub fn config_set_limits(
        &self,
        admin: &Pubkey,
        limits: &LimitsArgs,
    ) -> Result<Instruction, SolanaError> {
        limits.validate()?;
        Ok(self.ix("config_set_limits", self.admin_config(admin), limits))
    }

    /// `config_pause` (guardian or admin).
    pub fn config_pause(&self, authority: &Pubkey) -> Instruction {
        self.ix("config_pause", self.admin_config(authority), &())
    }

    /// `config_unpause` (admin).
    pub fn config_unpause(&self, admin: &Pubkey) -> Instruction {
        self.ix("config_unpause", self.admin_config(admin), &())
    }

    /// `account_open`: opens `wallet`'s escrow account, `payer` pays the rent.
    pub fn account_open(&self, payer: &Pubkey, wallet: &Pubkey) -> Instruction {
        let accounts = vec![
            signer(*payer, true),
            readonly(*wallet),
            readonly(self.config),
            writable(self.account(wallet)),
            readonly(SYSTEM_PROGRAM_ID),
        ];
        self.ix("account_open", accounts, &())
    }

    /// `account_set_roles` (admin): `roles` is a union of [`Roles`] (one byte
    /// on the wire, as the program's `ROLE_*` bits).
    pub fn account_set_roles(
        &self,
        admin: &Pubkey,
        wallet: &Pubkey,
        roles: Roles,
    ) -> Result<Instruction, SolanaError> {
        if !roles.is_valid() {
            return Err(SolanaError::Roles { roles: roles.0 });
        }
        let accounts = vec![
            signer(*admin, false),
            readonly(self.config),
            writable(self.account(wallet)),
        ];
        Ok(self.ix("account_set_roles", accounts, &roles))
    }

    /// `account_set_agent` (admin): sets `agent` as `merchant`'s agent, once.
    pub fn account_set_agent(
        &self,
        admin: &Pubkey,
        merchant: &Pubkey,
        agent: &Pubkey,
    ) -> Result<Instruction, SolanaError> {
        if merchant == agent {
            return Err(SolanaError::Config {
                what: "agent",
                reason: "a merchant cannot be its own agent",
            });
        }
        let accounts = vec![
            signer(*admin, false),
            readonly(self.config),
            writable(self.account(merchant)),
            readonly(self.account(agent)),
        ];
        Ok(self.ix("account_set_agent", accounts, &()))
    }

    /// `account_set_compliance` (compliance): KYC level and region of `wallet`.
    pub fn account_set_compliance(
        &self,
        compliance: &Pubkey,
        wallet: &Pubkey,
        kyc_level: u8,
        region: u16,
    ) -> Instruction {
        let accounts = vec![
            signer(*compliance, false),
            readonly(self.config),
            writable(self.account(wallet)),
        ];
        self.ix("account_set_compliance", accounts, &(kyc_level, region))
    }

    fn owner_account(&self, owner: &Pubkey) -> Vec<AccountMeta> {
        vec![
            signer(*owner, false),
            readonly(self.config),
            writable(self.account(owner)),
        ]
    }

    /// `withdrawal_address_request` (owner): future withdrawals go to token
    /// accounts owned by `address`, after the config's delay.
    pub fn withdrawal_address_request(&self, owner: &Pubkey, address: &Pubkey) -> Instruction {
        self.ix(
            "withdrawal_address_request",
            self.owner_account(owner),
            address,
        )
    }

    /// `withdrawal_address_cancel` (owner).
    pub fn withdrawal_address_cancel(&self, owner: &Pubkey) -> Instruction {
        self.ix("withdrawal_address_cancel", self.owner_account(owner), &())
    }

    /// `withdrawal_address_apply` (owner), after the delay.
    pub fn withdrawal_address_apply(&self, owner: &Pubkey) -> Instruction {
        self.ix("withdrawal_address_apply", self.owner_account(owner), &())
    }

    /// `deposit` (owner): moves `amount` from `source` (a token account of
    /// `usdt_mint` owned by `owner`) into the vault.
    pub fn deposit(
        &self,
        owner: &Pubkey,
        source: &Pubkey,
        usdt_mint: &Pubkey,
        token_program: &Pubkey,
        amount: Amount,
    ) -> Result<Instruction, SolanaError> {
        let amount = nonzero(amount, "deposit amount")?;
        let accounts = vec![
            signer(*owner, false),
            writable(self.config),
            writable(self.account(owner)),
            readonly(*usdt_mint),
            readonly(*token_program),
            writable(*source),
            writable(self.vault()),
        ];
        Ok(self.ix("deposit", accounts, &amount))
    }

    /// `withdraw` (owner): sends `amount` of the available balance to
    /// `destination`, a token account owned by the account's withdrawal
    /// address. With a co-signer set, it must fit today's allowance.
    pub fn withdraw(
        &self,
        owner: &Pubkey,
        destination: &Pubkey,
        usdt_mint: &Pubkey,
        token_program: &Pubkey,
        amount: Amount,
    ) -> Result<Instruction, SolanaError> {
        self.withdraw_with(owner, destination, usdt_mint, token_program, amount, None)
    }

    /// `withdraw` approved by the account's `co_signer` (a second signer):
    /// beyond the daily allowance, without using it.
    pub fn withdraw_cosigned(
        &self,
        owner: &Pubkey,
        destination: &Pubkey,
        usdt_mint: &Pubkey,
        token_program: &Pubkey,
        amount: Amount,
        co_signer: &Pubkey,
    ) -> Result<Instruction, SolanaError> {
        if co_signer == owner {
            return Err(SolanaError::Config {
                what: "co-signer",
                reason: "the co-signer must be another key than the owner",
            });
        }
        self.withdraw_with(
            owner,
            destination,
            usdt_mint,
            token_program,
            amount,
            Some(co_signer),
        )
    }

    fn withdraw_with(
        &self,
        owner: &Pubkey,
        destination: &Pubkey,
        usdt_mint: &Pubkey,
        token_program: &Pubkey,
        amount: Amount,
        co_signer: Option<&Pubkey>,
    ) -> Result<Instruction, SolanaError> {
        let amount = nonzero(amount, "withdrawal amount")?;
        let accounts = vec![
            signer(*owner, false),
            writable(self.config),
            writable(self.account(owner)),
            readonly(*usdt_mint),
            readonly(*token_program),
            writable(self.vault()),
            writable(*destination),
            optional(co_signer.map(|key| signer(*key, false))),
        ];
        Ok(self.ix("withdraw", accounts, &amount))
    }

    /// `co_signer_set` (owner): names `co_signer` (`None`: removes it) and the
    /// daily allowance; `approver` is the current co-signer signing too
    /// (makes the change immediate).
    pub fn co_signer_set(
        &self,
        owner: &Pubkey,
        args: &CoSignerSetArgs,
        approver: Option<&Pubkey>,
    ) -> Result<Instruction, SolanaError> {
        if args
            .co_signer
            .is_some_and(|key| key == *owner || key == Pubkey::default())
        {
            return Err(SolanaError::Config {
                what: "co-signer",
                reason: "the co-signer must be a real key other than the owner",
            });
        }
        let mut accounts = self.owner_account(owner);
        accounts.push(optional(approver.map(|key| signer(*key, false))));
        Ok(self.ix("co_signer_set", accounts, args))
    }

    /// `co_signer_apply` (anyone): applies `wallet`'s pending co-signer change
    /// after the delay.
    pub fn co_signer_apply(&self, wallet: &Pubkey) -> Instruction {
        let accounts = vec![readonly(self.config), writable(self.account(wallet))];
        self.ix("co_signer_apply", accounts, &())
    }

    /// `co_signer_cancel` (owner): drops the pending co-signer change.
    pub fn co_signer_cancel(&self, owner: &Pubkey) -> Instruction {
        self.ix("co_signer_cancel", self.owner_account(owner), &())
    }

    /// `acceptor_set_limits` (the acceptor): its online flag and own limits.
    pub fn acceptor_set_limits(&self, owner: &Pubkey, args: &AcceptorSetLimitsArgs) -> Instruction {
        self.ix("acceptor_set_limits", self.owner_account(owner), args)
    }

    /// `sweep_surplus` (admin): credits the vault's surplus over the
    /// liabilities to `treasury`'s account (the config's treasury).
    pub fn sweep_surplus(&self, admin: &Pubkey, treasury: &Pubkey) -> Instruction {
        let accounts = vec![
            signer(*admin, false),
            writable(self.config),
            readonly(self.vault()),
            writable(self.account(treasury)),
        ];
        self.ix("sweep_surplus", accounts, &())
    }

    /// `buy_order_post` (merchant): `order_id` must be the config's `next_order_id`.
    pub fn buy_order_post(
        &self,
        merchant: &Pubkey,
        order_id: u64,
        args: &BuyOrderPostArgs,
    ) -> Result<Instruction, SolanaError> {
        args.validate()?;
        let accounts = vec![
            signer(*merchant, true),
            writable(self.config),
            readonly(self.account(merchant)),
            writable(self.buy_order(order_id)),
            readonly(SYSTEM_PROGRAM_ID),
        ];
        Ok(self.ix("buy_order_post", accounts, args))
    }

    /// `buy_order_cancel` (merchant): closes the order, rent back to the merchant.
    pub fn buy_order_cancel(&self, merchant: &Pubkey, order_id: u64) -> Instruction {
        let accounts = vec![
            signer(*merchant, true),
            readonly(self.config),
            writable(self.buy_order(order_id)),
        ];
        self.ix("buy_order_cancel", accounts, &())
    }

    /// The merchant's agent account a new deal names: none without agent or
    /// when the agent is one of the deal's other `parties`.
    fn agent_meta(&self, agent: Option<&Pubkey>, parties: &[&Pubkey]) -> AccountMeta {
        optional(
            agent
                .filter(|agent| !parties.contains(agent))
                .map(|agent| readonly(self.account(agent))),
        )
    }

    /// `buy_order_fill` (trader): sells into order `order_id` of `merchant`,
    /// opening deal `deal_id` (the config's `next_deal_id`); `merchant_agent`
    /// is the merchant's agent (its account fixes the agent's rate).
    pub fn buy_order_fill(
        &self,
        trader: &Pubkey,
        order_id: u64,
        merchant: &Pubkey,
        merchant_agent: Option<&Pubkey>,
        deal_id: u64,
        args: &BuyOrderFillArgs,
    ) -> Result<Instruction, SolanaError> {
        nonzero(Amount::from_units(args.amount), "fill amount")?;
        let accounts = vec![
            signer(*trader, true),
            writable(self.config),
            writable(self.buy_order(order_id)),
            writable(self.account(trader)),
            readonly(self.account(merchant)),
            self.agent_meta(merchant_agent, &[trader]),
            writable(self.deal(deal_id)),
            readonly(SYSTEM_PROGRAM_ID),
        ];
        Ok(self.ix("buy_order_fill", accounts, args))
    }

    /// `deal_collection_open` (dispatcher): locks from `acceptor` for
    /// `merchant`, whose agent is `merchant_agent`.
    pub fn deal_collection_open(
        &self,
        dispatcher: &Pubkey,
        acceptor: &Pubkey,
        merchant: &Pubkey,
        merchant_agent: Option<&Pubkey>,
        deal_id: u64,
        args: &DealCollectionOpenArgs,
    ) -> Result<Instruction, SolanaError> {
        nonzero(Amount::from_units(args.amount), "deal amount")?;
        window(args.payment_window_secs)?;
        let accounts = vec![
            signer(*dispatcher, true),
            writable(self.config),
            writable(self.account(acceptor)),
            readonly(self.account(merchant)),
            self.agent_meta(merchant_agent, &[acceptor]),
            writable(self.deal(deal_id)),
            readonly(SYSTEM_PROGRAM_ID),
        ];
        Ok(self.ix("deal_collection_open", accounts, args))
    }

    /// `deal_payout_open` (merchant): locks `amount` of its own balance;
    /// `merchant_agent` is its agent.
    pub fn deal_payout_open(
        &self,
        merchant: &Pubkey,
        merchant_agent: Option<&Pubkey>,
        deal_id: u64,
        args: &DealPayoutOpenArgs,
    ) -> Result<Instruction, SolanaError> {
        nonzero(Amount::from_units(args.amount), "payout amount")?;
        let accounts = vec![
            signer(*merchant, true),
            writable(self.config),
            writable(self.account(merchant)),
            self.agent_meta(merchant_agent, &[]),
            writable(self.deal(deal_id)),
            readonly(SYSTEM_PROGRAM_ID),
        ];
        Ok(self.ix("deal_payout_open", accounts, args))
    }

    /// `deal_payout_assign` (dispatcher): `acceptor` becomes the payout's buyer.
    pub fn deal_payout_assign(
        &self,
        dispatcher: &Pubkey,
        deal_id: u64,
        acceptor: &Pubkey,
        payment_window_secs: u32,
    ) -> Result<Instruction, SolanaError> {
        let secs = window(payment_window_secs)?;
        let accounts = vec![
            signer(*dispatcher, false),
            readonly(self.config),
            writable(self.deal(deal_id)),
            readonly(self.account(acceptor)),
        ];
        Ok(self.ix("deal_payout_assign", accounts, &secs))
    }

    fn deal_action(&self, authority: &Pubkey, deal_id: u64) -> Vec<AccountMeta> {
        vec![
            signer(*authority, false),
            readonly(self.config),
            writable(self.deal(deal_id)),
        ]
    }

    /// `deal_mark_paid` (buyer; for a Collection also the dispatcher).
    pub fn deal_mark_paid(&self, authority: &Pubkey, deal_id: u64) -> Instruction {
        self.ix("deal_mark_paid", self.deal_action(authority, deal_id), &())
    }

    /// `deal_dispute` (buyer or seller, while Paid).
    pub fn deal_dispute(&self, authority: &Pubkey, deal_id: u64) -> Instruction {
        self.ix("deal_dispute", self.deal_action(authority, deal_id), &())
    }

    /// The buy order and merchant a final instruction of a Trade names.
    fn order_metas(&self, p: &SettlementParties) -> [AccountMeta; 2] {
        match p.order_id {
            Some(id) => [writable(self.buy_order(id)), writable(p.merchant)],
            None => [absent(), absent()],
        }
    }

    /// `deal_cancel` (buyer any time; seller while Open after the deadline);
    /// a Trade's amount returns to its buy order.
    pub fn deal_cancel(
        &self,
        authority: &Pubkey,
        deal_id: u64,
        parties: &SettlementParties,
    ) -> Instruction {
        let mut accounts = vec![
            signer(*authority, false),
            readonly(self.config),
            writable(self.deal(deal_id)),
            writable(self.account(&parties.seller)),
            writable(parties.rent_payer),
        ];
        accounts.extend(self.order_metas(parties));
        self.ix("deal_cancel", accounts, &())
    }

    fn settlement(
        &self,
        authority: &Pubkey,
        deal_id: u64,
        p: &SettlementParties,
    ) -> Vec<AccountMeta> {
        let in_place =
            p.treasury == p.seller || p.treasury == p.buyer || Some(p.treasury) == p.agent;
        let mut accounts = vec![
            signer(*authority, false),
            readonly(self.config),
            writable(self.deal(deal_id)),
            writable(self.account(&p.seller)),
            writable(self.account(&p.buyer)),
            optional(p.agent.map(|agent| writable(self.account(&agent)))),
            optional((!in_place).then(|| writable(self.account(&p.treasury)))),
            writable(p.rent_payer),
        ];
        accounts.extend(self.order_metas(p));
        accounts
    }

    /// `deal_release` (seller): settles the whole amount with the rates fixed
    /// at open. With a co-signer set, the amount must fit the seller's
    /// allowance of today.
    pub fn deal_release(
        &self,
        seller: &Pubkey,
        deal_id: u64,
        parties: &SettlementParties,
    ) -> Instruction {
        let mut accounts = self.settlement(seller, deal_id, parties);
        accounts.push(absent());
        self.ix("deal_release", accounts, &())
    }

    /// `deal_release` approved by the seller's `co_signer` (a second signer):
    /// beyond the daily allowance, without using it.
    pub fn deal_release_cosigned(
        &self,
        seller: &Pubkey,
        deal_id: u64,
        parties: &SettlementParties,
        co_signer: &Pubkey,
    ) -> Instruction {
        let mut accounts = self.settlement(seller, deal_id, parties);
        accounts.push(signer(*co_signer, false));
        self.ix("deal_release", accounts, &())
    }

    /// `deal_resolve` (arbiter): settles `buyer_share_bps` of the amount to the
    /// buyer, the rest back to the seller.
    pub fn deal_resolve(
        &self,
        arbiter: &Pubkey,
        deal_id: u64,
        parties: &SettlementParties,
        buyer_share_bps: u16,
    ) -> Result<Instruction, SolanaError> {
        if u32::from(buyer_share_bps) > BPS_DENOMINATOR {
            return Err(SolanaError::Bps {
                field: "buyer share",
                bps: u32::from(buyer_share_bps),
            });
        }
        Ok(self.ix(
            "deal_resolve",
            self.settlement(arbiter, deal_id, parties),
            &buyer_share_bps,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Pubkey {
        Pubkey::new_from_array([n; 32])
    }

    #[test]
    fn bad_inputs_are_rejected_before_building() {
        let e = EscrowProgram::for_creator(&key(1));
        assert_eq!(
            e.deposit(&key(2), &key(3), &key(4), &key(5), Amount::ZERO),
            Err(SolanaError::ZeroAmount {
                field: "deposit amount"
            })
        );
        assert!(matches!(
            e.account_set_roles(&key(2), &key(3), Roles(8)),
            Err(SolanaError::Roles { roles: 8 })
        ));
        assert!(matches!(
            e.deal_resolve(
                &key(2),
                0,
                &SettlementParties {
                    seller: key(3),
                    buyer: key(4),
                    agent: None,
                    treasury: key(5),
                    rent_payer: key(3),
                    merchant: key(4),
                    order_id: None,
                },
                10_001
            ),
            Err(SolanaError::Bps { bps: 10_001, .. })
        ));
        assert_eq!(parse_currency("EUR"), Ok(*b"EUR"));
        assert!(parse_currency("eur").is_err());
        assert!(parse_currency("EURO").is_err());
        assert!(parse_reference(&"ab".repeat(32)).is_ok());
        assert!(parse_reference("abcd").is_err());
        let order = BuyOrderPostArgs {
            price_minor: 92,
            currency: *b"EUR",
            amount: 10,
            min_fill: 11,
            max_fill: 10,
            expiry: 1,
            payment_window_secs: 60,
        };
        assert!(matches!(
            order.validate(),
            Err(SolanaError::FillBounds { .. })
        ));
        let fees = FeeScheduleArgs {
            merchant_tiers: vec![FeeTier {
                threshold: 0,
                bps: 100,
            }],
            agent_tiers: vec![FeeTier {
                threshold: 0,
                bps: 9_500,
            }],
            trader_reward_bps: 1_000,
        };
        assert!(fees.validate().is_err());
        let fees = FeeScheduleArgs {
            merchant_tiers: vec![FeeTier {
                threshold: 0,
                bps: MAX_FEE_BPS + 1,
            }],
            agent_tiers: vec![FeeTier {
                threshold: 0,
                bps: 1_000,
            }],
            trader_reward_bps: 1_000,
        };
        assert!(fees.validate().is_err());
        let mut authorities = Authorities {
            admin: key(1),
            guardian: key(1),
            arbiter: key(1),
            dispatcher: key(1),
            compliance: key(1),
            treasury: e.config,
        };
        assert!(e.config_set_authorities(&key(1), &authorities).is_err());
        authorities.treasury = e.vault();
        assert!(e.config_set_authorities(&key(1), &authorities).is_err());
        let args = CoSignerSetArgs {
            co_signer: Some(key(2)),
            daily_allowance: 1,
        };
        assert!(e.co_signer_set(&key(2), &args, None).is_err());
        assert!(
            e.withdraw_cosigned(
                &key(2),
                &key(3),
                &key(4),
                &key(5),
                Amount::from_units(1),
                &key(2)
            )
            .is_err()
        );
    }
}
