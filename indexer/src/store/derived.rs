//! Derived tables: the escrow's state replayed from its events, exactly as the contract
//! changes it (`contracts/src/Escrow.sol`):
//!
//! - `Deposited` +available; `Withdrawn` −available;
//! - `DealOpened` moves the amount from the seller's available to locked;
//! - `DealCancelled` moves it back;
//! - `DealReleased` unlocks the settled amount and credits the settlement's parts:
//!   buyer `buyer_net`, agent `agent_cut`, seller `reward`, treasury `platform`; the
//!   merchant's settled volume and the agent's referred volume grow by the gross
//!   (saturating at 2^64−1 like the contract);
//! - `DealResolved` unlocks gross + refund, refunds the seller, settles the gross as above
//!   (a zero gross settles nothing, as `_settle` returns early).
//!
//! The treasury is whatever the last `TreasurySet` named (the constructor emits one), so
//! the tables are exact when indexing starts at or below the escrow's deployment block.
//! The working set ([`Derived`]) holds only the rows a batch touches: the store loads
//! them, [`Derived::apply`] changes them, the store writes them back, all in the batch's
//! transaction. A reorg replays every remaining event of the chain into an empty set.

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::U256;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    error::{Error, Result},
    events::{AuthoritiesFields, EscrowEvent, EscrowEventRow, SettlementFields, to_json},
};

/// A wallet's escrow account as derived from events (equals the contract's `account(addr)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EscrowAccount {
    /// The chain.
    pub chain: String,
    /// The wallet.
    pub address: String,
    /// Available balance (exact decimal).
    pub available: String,
    /// Locked in open deals (exact decimal).
    pub locked: String,
    /// Roles bitmask: 1 merchant, 2 acceptor, 4 agent.
    pub roles: u8,
    /// The referring agent, set once.
    pub agent: Option<String>,
    /// Settled volume as merchant (selects the fee tier).
    pub merchant_volume: String,
    /// Referred volume as agent (selects the agent share).
    pub agent_volume: String,
    /// KYC level set by compliance.
    pub kyc_level: u8,
    /// Region code set by compliance.
    pub region: u16,
    /// Total deposited.
    pub deposited: String,
    /// Total withdrawn.
    pub withdrawn: String,
    /// The co-signer outflows beyond the allowance need (docs/rules.md, "Co-signer and
    /// daily allowance"); none when absent.
    pub co_signer: Option<String>,
    /// Outflows per UTC day without co-signature (exact decimal).
    pub daily_allowance: String,
    /// The UTC day (Unix time / 86400) `outflow_today` counts.
    pub outflow_day: u32,
    /// Outflows counted against the allowance on `outflow_day` (exact decimal).
    pub outflow_today: String,
    /// Acceptor: whether the dispatcher may assign it deals (docs/rules.md, "Acceptor limits").
    pub online: bool,
    /// Acceptor: the largest deal the dispatcher may assign (exact decimal).
    pub max_per_deal: String,
    /// Acceptor: the most its assigned collections may lock (exact decimal).
    pub max_locked: String,
}

impl EscrowAccount {
    /// An account no event touched yet (all zero, as the contract returns it).
    pub fn new(chain: &str, address: &str) -> Self {
        Self {
            chain: chain.to_owned(),
            address: address.to_owned(),
            available: "0".into(),
            locked: "0".into(),
            roles: 0,
            agent: None,
            merchant_volume: "0".into(),
            agent_volume: "0".into(),
            kyc_level: 0,
            region: 0,
            deposited: "0".into(),
            withdrawn: "0".into(),
            co_signer: None,
            daily_allowance: "0".into(),
            outflow_day: 0,
            outflow_today: "0".into(),
            online: false,
            max_per_deal: "0".into(),
            max_locked: "0".into(),
        }
    }
}

/// A deal with its whole life: open fields, current or final state, settlement parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Deal {
    /// The chain.
    pub chain: String,
    /// The escrow's deal id.
    pub deal_id: u64,
    /// `trade`, `collection` or `payout`.
    pub kind: String,
    /// Whose USDT is locked.
    pub seller: String,
    /// Who receives it (absent while an unassigned payout).
    pub buyer: Option<String>,
    /// The fee party.
    pub merchant: String,
    /// Locked amount (exact decimal).
    pub amount: String,
    /// `unassigned`, `open`, `paid`, `disputed`, `released`, `cancelled` or `resolved`.
    pub state: String,
    /// Payment window, seconds.
    pub payment_window: u32,
    /// Unix time after which the seller may cancel an unpaid deal (0 while unassigned).
    pub deadline: u64,
    /// 32-byte reference of the off-chain order (`0x` hex).
    pub order_ref: String,
    /// The buy order a Trade filled.
    pub order_id: Option<u64>,
    /// Block of `DealOpened`.
    pub opened_block: u64,
    /// Time of `DealOpened`, Unix seconds.
    pub opened_time: i64,
    /// Block of the final event.
    pub closed_block: Option<u64>,
    /// Time of the final event, Unix seconds.
    pub closed_time: Option<i64>,
    /// Buyer share of a resolved dispute, bps.
    pub buyer_share_bps: Option<u16>,
    /// The merchant's agent at settlement.
    pub agent: Option<String>,
    /// Gross settled to the buyer side (release: the amount; resolve: the buyer's share).
    pub settled_amount: Option<String>,
    /// What the buyer got.
    pub buyer_net: Option<String>,
    /// The whole fee.
    pub fee: Option<String>,
    /// The agent's cut.
    pub agent_cut: Option<String>,
    /// The trader's reward.
    pub reward: Option<String>,
    /// The platform's part (to the treasury).
    pub platform: Option<String>,
    /// Returned to the seller (cancel: the amount; resolve: the rest).
    pub seller_refund: Option<String>,
    /// The merchant's fee tier fixed at open, bps (docs/rules.md, "Fee rates").
    pub fee_bps: u16,
    /// The agent's share fixed at open, bps (0 without agent).
    pub agent_share_bps: u16,
    /// A Trade's trader reward fixed at open, bps.
    pub reward_bps: u16,
    /// When the deal was disputed, Unix seconds (docs/rules.md, "Deals").
    pub disputed_at: Option<u64>,
}

/// A merchant's buy order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BuyOrder {
    /// The chain.
    pub chain: String,
    /// The escrow's order id.
    pub order_id: u64,
    /// The merchant.
    pub merchant: String,
    /// Fiat minor units per 1 USDT.
    pub price: u64,
    /// ISO 4217 code.
    pub currency: String,
    /// Total asked for.
    pub amount: String,
    /// Left to fill.
    pub remaining: String,
    /// Smallest fill.
    pub min_fill: String,
    /// Largest fill.
    pub max_fill: String,
    /// Unix time after which it cannot be filled.
    pub expiry: u64,
    /// Seconds to pay each fill.
    pub payment_window: u32,
    /// Still fillable (not filled up, not cancelled).
    pub open: bool,
    /// Block of `BuyOrderPosted`.
    pub posted_block: u64,
}

/// An agent's cut of one settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AgentCommission {
    /// The chain.
    pub chain: String,
    /// Block of the settlement event.
    pub block_number: u64,
    /// Its log index.
    pub log_index: u64,
    /// Block time, Unix seconds.
    pub block_time: i64,
    /// The deal.
    pub deal_id: u64,
    /// The agent.
    pub agent: String,
    /// The merchant it referred.
    pub merchant: String,
    /// Gross settled.
    pub gross: String,
    /// The agent's cut (exact decimal).
    pub amount: String,
}

/// A merchant's settled volume in one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MerchantDay {
    /// The chain.
    pub chain: String,
    /// The merchant.
    pub address: String,
    /// Start of the day, Unix seconds.
    pub day: i64,
    /// Gross settled (exact decimal).
    pub amount: String,
    /// Settlements.
    pub count: u64,
    /// Fees charged.
    pub fees: String,
}

/// The escrow's configuration as last emitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EscrowSettings {
    /// The admin (platform multisig).
    pub owner: Option<String>,
    /// May pause.
    pub guardian: Option<String>,
    /// Resolves disputes.
    pub arbiter: Option<String>,
    /// Assigns collections and payouts.
    pub dispatcher: Option<String>,
    /// Records KYC.
    pub compliance: Option<String>,
    /// Credited with platform fees.
    pub treasury: Option<String>,
    /// Paused.
    pub paused: bool,
    /// Last `FeeScheduleSet` fields (JSON).
    pub fee_schedule: Option<String>,
    /// Last `LimitsSet` fields (JSON).
    pub limits: Option<String>,
    /// Deposits - withdrawals + sweeps: the sum of every account's balances (exact
    /// decimal; docs/rules.md, "Liabilities").
    pub liabilities: String,
    /// Total credited to the treasury by `sweepSurplus` (exact decimal).
    pub swept: String,
}

impl Default for EscrowSettings {
    fn default() -> Self {
        Self {
            owner: None,
            guardian: None,
            arbiter: None,
            dispatcher: None,
            compliance: None,
            treasury: None,
            paused: false,
            fee_schedule: None,
            limits: None,
            liabilities: "0".into(),
            swept: "0".into(),
        }
    }
}

/// What a batch of events touches: the rows to load before applying it.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    /// Account addresses.
    pub accounts: BTreeSet<String>,
    /// Deal ids.
    pub deals: BTreeSet<u64>,
    /// Buy order ids.
    pub orders: BTreeSet<u64>,
    /// (merchant, day) of settlements.
    pub volumes: BTreeSet<(String, i64)>,
}

fn day_of(time: i64) -> i64 {
    time.div_euclid(86_400) * 86_400
}

impl Keys {
    /// The keys of `events`, plus the current treasury (credited by settlements).
    pub fn of(events: &[EscrowEventRow], treasury: Option<&str>) -> Self {
        let mut k = Self::default();
        let mut acct = |a: &str| {
            k.accounts.insert(a.to_owned());
        };
        if let Some(t) = treasury {
            acct(t);
        }
        let mut deals = BTreeSet::new();
        let mut orders = BTreeSet::new();
        let mut volumes = BTreeSet::new();
        for row in events {
            use EscrowEvent as E;
            match &row.event {
                E::TreasurySet { current, .. } => acct(current),
                E::ConfigInitialized { authorities, .. }
                | E::AuthoritiesUpdated { authorities } => acct(&authorities.treasury),
                E::AccountOpened { account }
                | E::RolesSet { account, .. }
                | E::KycSet { account, .. }
                | E::Deposited { account, .. }
                | E::Withdrawn { account, .. }
                | E::CoSignerChangeRequested { account, .. }
                | E::CoSignerSet { account, .. }
                | E::CoSignerChangeCancelled { account }
                | E::OutflowCounted { account, .. }
                | E::OutflowCoSigned { account, .. }
                | E::AcceptorLimitsSet { account, .. } => acct(account),
                E::SurplusSwept { treasury, .. } => acct(treasury),
                E::BuyOrderClosed { order_id } => {
                    orders.insert(*order_id);
                }
                E::BuyOrderRefilled {
                    order_id, deal_id, ..
                } => {
                    orders.insert(*order_id);
                    deals.insert(*deal_id);
                }
                E::AgentSet { merchant, agent } => {
                    acct(merchant);
                    acct(agent);
                }
                E::BuyOrderPosted { order_id, .. } | E::BuyOrderCancelled { order_id, .. } => {
                    orders.insert(*order_id);
                }
                E::BuyOrderFilled {
                    order_id, deal_id, ..
                } => {
                    orders.insert(*order_id);
                    deals.insert(*deal_id);
                }
                E::DealOpened {
                    deal_id, seller, ..
                }
                | E::DealCancelled {
                    deal_id, seller, ..
                } => {
                    deals.insert(*deal_id);
                    acct(seller);
                }
                E::DealAssigned { deal_id, .. }
                | E::DealMarkedPaid { deal_id, .. }
                | E::DealDisputed { deal_id, .. } => {
                    deals.insert(*deal_id);
                }
                E::DealReleased {
                    deal_id,
                    seller,
                    buyer,
                    settlement,
                }
                | E::DealResolved {
                    deal_id,
                    seller,
                    buyer,
                    settlement,
                    ..
                } => {
                    deals.insert(*deal_id);
                    acct(seller);
                    acct(buyer);
                    acct(&settlement.merchant);
                    if let Some(a) = &settlement.agent {
                        acct(a);
                    }
                    volumes.insert((settlement.merchant.clone(), day_of(row.block_time)));
                }
                _ => {}
            }
        }
        k.deals = deals;
        k.orders = orders;
        k.volumes = volumes;
        k
    }
}

/// The derived rows a batch works on.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    /// The chain.
    pub chain: String,
    /// The escrow's configuration.
    pub settings: EscrowSettings,
    /// Accounts by address.
    pub accounts: BTreeMap<String, EscrowAccount>,
    /// Deals by id.
    pub deals: BTreeMap<u64, Deal>,
    /// Buy orders by id.
    pub orders: BTreeMap<u64, BuyOrder>,
    /// New commission rows.
    pub commissions: Vec<AgentCommission>,
    /// Merchant days by (merchant, day).
    pub volumes: BTreeMap<(String, i64), MerchantDay>,
}

fn parse(v: &str, what: &'static str) -> Result<U256> {
    U256::from_str_radix(v, 10).map_err(|e| Error::CorruptRow {
        table: what,
        reason: format!("amount `{v}`: {e}"),
    })
}

fn add(acc: &mut String, v: &str, what: &'static str) -> Result<()> {
    let sum = parse(acc, what)?
        .checked_add(parse(v, what)?)
        .ok_or_else(|| Error::CorruptRow {
            table: what,
            reason: "amount overflows 256 bits".into(),
        })?;
    *acc = sum.to_string();
    Ok(())
}

fn sub(acc: &mut String, v: &str, what: &'static str) -> Result<()> {
    let diff = parse(acc, what)?
        .checked_sub(parse(v, what)?)
        .ok_or_else(|| Error::CorruptRow {
            table: what,
            reason: format!("{acc} - {v} is negative: the events do not replay (indexing started after the escrow's deployment?)"),
        })?;
    *acc = diff.to_string();
    Ok(())
}

/// `acc += v` saturating at 2^64 − 1, as the contract's `_addVolume`.
fn add_volume(acc: &mut String, v: &str) -> Result<()> {
    let sum = parse(acc, "escrow_accounts")?.saturating_add(parse(v, "escrow_accounts")?);
    *acc = sum.min(U256::from(u64::MAX)).to_string();
    Ok(())
}

impl Derived {
    /// An empty working set for `chain`.
    pub fn new(chain: &str) -> Self {
        Self {
            chain: chain.to_owned(),
            ..Self::default()
        }
    }

    fn account(&mut self, address: &str) -> &mut EscrowAccount {
        let chain = self.chain.clone();
        self.accounts
            .entry(address.to_owned())
            .or_insert_with(|| EscrowAccount::new(&chain, address))
    }

    /// Applies events in (block, log index) order.
    pub fn apply(&mut self, events: &[EscrowEventRow]) -> Result<()> {
        for row in events {
            self.apply_one(row)?;
        }
        Ok(())
    }

    fn apply_one(&mut self, row: &EscrowEventRow) -> Result<()> {
        use EscrowEvent as E;
        const A: &str = "escrow_accounts";
        match &row.event {
            E::ConfigInitialized {
                authorities,
                merchant_tiers,
                agent_tiers,
                trader_reward_bps,
                limits,
                ..
            } => {
                self.set_authorities(authorities);
                // Stored as a `FeeScheduleSet` would be, so settings read alike on every chain.
                self.settings.fee_schedule = Some(to_json(&E::FeeScheduleSet {
                    merchant_tiers: merchant_tiers.clone(),
                    agent_tiers: agent_tiers.clone(),
                    trader_reward_bps: *trader_reward_bps,
                })?);
                self.settings.limits = Some(to_json(limits)?);
            }
            E::AuthoritiesUpdated { authorities } => self.set_authorities(authorities),
            E::AccountOpened { account } => {
                self.account(account);
            }
            E::GuardianSet { current, .. } => self.settings.guardian = Some(current.clone()),
            E::ArbiterSet { current, .. } => self.settings.arbiter = Some(current.clone()),
            E::DispatcherSet { current, .. } => self.settings.dispatcher = Some(current.clone()),
            E::ComplianceSet { current, .. } => self.settings.compliance = Some(current.clone()),
            E::TreasurySet { current, .. } => self.settings.treasury = Some(current.clone()),
            E::OwnershipTransferred { new_owner, .. } => {
                self.settings.owner = Some(new_owner.clone())
            }
            E::Paused { .. } => self.settings.paused = true,
            E::Unpaused { .. } => self.settings.paused = false,
            e @ E::FeeScheduleSet { .. } => self.settings.fee_schedule = Some(to_json(e)?),
            E::LimitsSet { limits } => self.settings.limits = Some(to_json(limits)?),
            E::RegionBlockedSet { .. }
            | E::EIP712DomainChanged {}
            | E::CoSignerChangeRequested { .. }
            | E::CoSignerChangeCancelled { .. }
            | E::OutflowCoSigned { .. }
            | E::OwnershipTransferStarted { .. }
            | E::WithdrawalAddressChangeRequested { .. }
            | E::WithdrawalAddressChangeCancelled { .. }
            | E::WithdrawalAddressChanged { .. } => {}
            E::DealMarkedPaid { deal_id, .. } => {
                if let Some(d) = self.deals.get_mut(deal_id) {
                    d.state = "paid".into();
                }
            }
            E::DealDisputed {
                deal_id,
                disputed_at,
                ..
            } => {
                if let Some(d) = self.deals.get_mut(deal_id) {
                    d.state = "disputed".into();
                    d.disputed_at = Some(*disputed_at);
                }
            }
            E::CoSignerSet {
                account,
                co_signer,
                daily_allowance,
            } => {
                let a = self.account(account);
                a.co_signer = co_signer.clone();
                a.daily_allowance = daily_allowance.to_string();
            }
            E::OutflowCounted {
                account,
                day,
                outflow_today,
            } => {
                let a = self.account(account);
                a.outflow_day = *day;
                a.outflow_today = outflow_today.to_string();
            }
            E::AcceptorLimitsSet {
                account,
                online,
                max_per_deal,
                max_locked,
            } => {
                let a = self.account(account);
                a.online = *online;
                a.max_per_deal = max_per_deal.to_string();
                a.max_locked = max_locked.to_string();
            }
            E::RolesSet { account, roles } => self.account(account).roles = *roles,
            E::AgentSet { merchant, agent } => self.account(merchant).agent = Some(agent.clone()),
            E::KycSet {
                account,
                kyc_level,
                region,
            } => {
                let a = self.account(account);
                a.kyc_level = *kyc_level;
                a.region = *region;
            }
            E::Deposited { account, amount } => {
                add(&mut self.settings.liabilities, amount, "escrow_settings")?;
                let a = self.account(account);
                add(&mut a.available, amount, A)?;
                add(&mut a.deposited, amount, A)?;
            }
            E::Withdrawn {
                account, amount, ..
            } => {
                sub(&mut self.settings.liabilities, amount, "escrow_settings")?;
                let a = self.account(account);
                sub(&mut a.available, amount, A)?;
                add(&mut a.withdrawn, amount, A)?;
            }
            E::BuyOrderPosted {
                order_id,
                merchant,
                price,
                currency,
                amount,
                min_fill,
                max_fill,
                expiry,
                payment_window,
            } => {
                self.orders.insert(
                    *order_id,
                    BuyOrder {
                        chain: self.chain.clone(),
                        order_id: *order_id,
                        merchant: merchant.clone(),
                        price: *price,
                        currency: currency.clone(),
                        amount: amount.clone(),
                        remaining: amount.clone(),
                        min_fill: min_fill.clone(),
                        max_fill: max_fill.clone(),
                        expiry: *expiry,
                        payment_window: *payment_window,
                        open: true,
                        posted_block: row.block_number,
                    },
                );
            }
            E::SurplusSwept { treasury, amount } => {
                add(&mut self.settings.liabilities, amount, "escrow_settings")?;
                add(&mut self.settings.swept, amount, "escrow_settings")?;
                add(&mut self.account(treasury).available, amount, A)?;
            }
            // docs/rules.md, "Buy orders": the order stays while
            // a fill of it is open, even with nothing remaining; `BuyOrderClosed` ends it.
            E::BuyOrderRefilled {
                order_id, amount, ..
            } => {
                if let Some(o) = self.orders.get_mut(order_id) {
                    add(&mut o.remaining, amount, "buy_orders")?;
                }
            }
            E::BuyOrderClosed { order_id } => {
                if let Some(o) = self.orders.get_mut(order_id) {
                    o.open = false;
                }
            }
            E::BuyOrderFilled {
                order_id,
                deal_id,
                remaining,
                ..
            } => {
                if let Some(o) = self.orders.get_mut(order_id) {
                    o.remaining = remaining.clone();
                }
                if let Some(d) = self.deals.get_mut(deal_id) {
                    d.order_id = Some(*order_id);
                }
            }
            E::BuyOrderCancelled {
                order_id,
                remaining,
                ..
            } => {
                if let Some(o) = self.orders.get_mut(order_id) {
                    o.remaining = remaining.clone();
                    o.open = false;
                }
            }
            E::DealOpened {
                deal_id,
                deal_kind,
                seller,
                buyer,
                merchant,
                amount,
                payment_window,
                deadline,
                order_ref,
                fee_bps,
                rate_agent,
                agent_share_bps,
                reward_bps,
            } => {
                let s = self.account(seller);
                sub(&mut s.available, amount, A)?;
                add(&mut s.locked, amount, A)?;
                let state = if buyer.is_none() {
                    "unassigned"
                } else {
                    "open"
                };
                self.deals.insert(
                    *deal_id,
                    Deal {
                        chain: self.chain.clone(),
                        deal_id: *deal_id,
                        kind: deal_kind.clone(),
                        seller: seller.clone(),
                        buyer: buyer.clone(),
                        merchant: merchant.clone(),
                        amount: amount.clone(),
                        state: state.into(),
                        payment_window: *payment_window,
                        deadline: *deadline,
                        order_ref: order_ref.clone(),
                        order_id: None,
                        opened_block: row.block_number,
                        opened_time: row.block_time,
                        closed_block: None,
                        closed_time: None,
                        buyer_share_bps: None,
                        agent: rate_agent.clone(),
                        settled_amount: None,
                        buyer_net: None,
                        fee: None,
                        agent_cut: None,
                        reward: None,
                        platform: None,
                        seller_refund: None,
                        fee_bps: *fee_bps,
                        agent_share_bps: *agent_share_bps,
                        reward_bps: *reward_bps,
                        disputed_at: None,
                    },
                );
            }
            E::DealAssigned {
                deal_id,
                buyer,
                deadline,
            } => {
                if let Some(d) = self.deals.get_mut(deal_id) {
                    d.buyer = Some(buyer.clone());
                    d.deadline = *deadline;
                    d.state = "open".into();
                }
            }
            E::DealCancelled {
                deal_id,
                seller,
                amount,
                ..
            } => {
                let s = self.account(seller);
                sub(&mut s.locked, amount, A)?;
                add(&mut s.available, amount, A)?;
                self.close(*deal_id, row, "cancelled", |d| {
                    d.seller_refund = Some(amount.clone())
                });
            }
            E::DealReleased {
                deal_id,
                seller,
                buyer,
                settlement,
            } => {
                sub(&mut self.account(seller).locked, &settlement.amount, A)?;
                self.settle(*deal_id, row, seller, buyer, settlement)?;
                self.close(*deal_id, row, "released", |d| set_parts(d, settlement));
            }
            E::DealResolved {
                deal_id,
                seller,
                buyer,
                buyer_share_bps,
                seller_refund,
                settlement,
            } => {
                let s = self.account(seller);
                sub(&mut s.locked, &settlement.amount, A)?;
                sub(&mut s.locked, seller_refund, A)?;
                add(&mut s.available, seller_refund, A)?;
                self.settle(*deal_id, row, seller, buyer, settlement)?;
                self.close(*deal_id, row, "resolved", |d| {
                    set_parts(d, settlement);
                    d.buyer_share_bps = Some(*buyer_share_bps);
                    d.seller_refund = Some(seller_refund.clone());
                });
            }
        }
        Ok(())
    }

    fn set_authorities(&mut self, a: &AuthoritiesFields) {
        let s = &mut self.settings;
        s.owner = Some(a.admin.clone());
        s.guardian = Some(a.guardian.clone());
        s.arbiter = Some(a.arbiter.clone());
        s.dispatcher = Some(a.dispatcher.clone());
        s.compliance = Some(a.compliance.clone());
        s.treasury = Some(a.treasury.clone());
    }

    fn close(
        &mut self,
        deal_id: u64,
        row: &EscrowEventRow,
        state: &str,
        f: impl FnOnce(&mut Deal),
    ) {
        if let Some(d) = self.deals.get_mut(&deal_id) {
            d.state = state.into();
            d.closed_block = Some(row.block_number);
            d.closed_time = Some(row.block_time);
            f(d);
        }
    }

    /// Credits one settlement as `Escrow._settle` does.
    fn settle(
        &mut self,
        deal_id: u64,
        row: &EscrowEventRow,
        seller: &str,
        buyer: &str,
        s: &SettlementFields,
    ) -> Result<()> {
        const A: &str = "escrow_accounts";
        if s.amount == "0" {
            return Ok(());
        }
        add_volume(&mut self.account(&s.merchant).merchant_volume, &s.amount)?;
        add(&mut self.account(buyer).available, &s.buyer_net, A)?;
        if let Some(agent) = &s.agent {
            let g = self.account(agent);
            add(&mut g.available, &s.agent_cut, A)?;
            add_volume(&mut g.agent_volume, &s.amount)?;
            self.commissions.push(AgentCommission {
                chain: self.chain.clone(),
                block_number: row.block_number,
                log_index: row.log_index,
                block_time: row.block_time,
                deal_id,
                agent: agent.clone(),
                merchant: s.merchant.clone(),
                gross: s.amount.clone(),
                amount: s.agent_cut.clone(),
            });
        }
        if s.reward != "0" {
            add(&mut self.account(seller).available, &s.reward, A)?;
        }
        if s.platform != "0" {
            let treasury = self.settings.treasury.clone().ok_or_else(|| Error::CorruptRow {
                table: A,
                reason: format!(
                    "deal {deal_id} pays the treasury but no TreasurySet was indexed (start below the escrow's deployment)"
                ),
            })?;
            add(&mut self.account(&treasury).available, &s.platform, A)?;
        }
        let chain = self.chain.clone();
        let key = (s.merchant.clone(), day_of(row.block_time));
        let v = self
            .volumes
            .entry(key.clone())
            .or_insert_with(|| MerchantDay {
                chain,
                address: key.0,
                day: key.1,
                amount: "0".into(),
                count: 0,
                fees: "0".into(),
            });
        add(&mut v.amount, &s.amount, "daily_volume")?;
        add(&mut v.fees, &s.fee, "daily_volume")?;
        v.count += 1;
        Ok(())
    }
}

fn set_parts(d: &mut Deal, s: &SettlementFields) {
    d.agent = s.agent.clone();
    d.settled_amount = Some(s.amount.clone());
    d.buyer_net = Some(s.buyer_net.clone());
    d.fee = Some(s.fee.clone());
    d.agent_cut = Some(s.agent_cut.clone());
    d.reward = Some(s.reward.clone());
    d.platform = Some(s.platform.clone());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventRow;

    fn at(n: u64, event: EscrowEvent) -> EscrowEventRow {
        EventRow {
            block_number: n,
            log_index: 0,
            block_hash: String::new(),
            block_time: 86_400 * 3 + n as i64,
            tx_hash: String::new(),
            contract: String::new(),
            event,
        }
    }

    fn parts(amount: &str, net: &str, fee: &str, cut: &str, platform: &str) -> SettlementFields {
        SettlementFields {
            deal_kind: "payout".into(),
            merchant: "m".into(),
            agent: Some("g".into()),
            amount: amount.into(),
            buyer_net: net.into(),
            fee: fee.into(),
            agent_cut: cut.into(),
            reward: "0".into(),
            platform: platform.into(),
        }
    }

    fn bal(d: &Derived, a: &str) -> (String, String) {
        let x = &d.accounts[a];
        (x.available.clone(), x.locked.clone())
    }

    /// A Solana config names its treasury in `ConfigInitialized` and
    /// `AuthoritiesUpdated`, and opens accounts with `AccountOpened`: a batch must load
    /// those rows, or a settlement crediting a new treasury would start it from zero.
    #[test]
    fn solana_authorities_and_opened_accounts_are_loaded() {
        let authorities = AuthoritiesFields {
            admin: "a".into(),
            guardian: "g".into(),
            arbiter: "r".into(),
            dispatcher: "d".into(),
            compliance: "c".into(),
            treasury: "t2".into(),
        };
        let events = [
            at(1, EscrowEvent::AuthoritiesUpdated { authorities }),
            at(
                2,
                EscrowEvent::AccountOpened {
                    account: "w".into(),
                },
            ),
        ];
        let keys = Keys::of(&events, Some("t1"));
        for a in ["t1", "t2", "w"] {
            assert!(keys.accounts.contains(a), "{a} not loaded: {keys:?}");
        }
    }

    #[test]
    fn resolve_splits_and_a_zero_share_settles_nothing() {
        let mut d = Derived::new("c");
        d.apply(&[
            at(
                1,
                EscrowEvent::TreasurySet {
                    previous: "0".into(),
                    current: "t".into(),
                },
            ),
            at(
                2,
                EscrowEvent::Deposited {
                    account: "m".into(),
                    amount: "1000".into(),
                },
            ),
            at(
                3,
                EscrowEvent::DealOpened {
                    deal_id: 1,
                    deal_kind: "payout".into(),
                    seller: "m".into(),
                    buyer: None,
                    merchant: "m".into(),
                    amount: "800".into(),
                    payment_window: 60,
                    deadline: 0,
                    order_ref: "0x00".into(),
                    fee_bps: 0,
                    rate_agent: None,
                    agent_share_bps: 0,
                    reward_bps: 0,
                },
            ),
            at(
                4,
                EscrowEvent::DealAssigned {
                    deal_id: 1,
                    buyer: "a".into(),
                    deadline: 99,
                },
            ),
            at(
                5,
                EscrowEvent::DealResolved {
                    deal_id: 1,
                    seller: "m".into(),
                    buyer: "a".into(),
                    buyer_share_bps: 5_000,
                    seller_refund: "400".into(),
                    settlement: parts("400", "392", "8", "2", "6"),
                },
            ),
        ])
        .unwrap();
        assert_eq!(bal(&d, "m"), ("600".into(), "0".into()));
        assert_eq!(bal(&d, "a"), ("392".into(), "0".into()));
        assert_eq!(bal(&d, "g"), ("2".into(), "0".into()));
        assert_eq!(bal(&d, "t"), ("6".into(), "0".into()));
        assert_eq!(d.accounts["m"].merchant_volume, "400");
        assert_eq!(d.accounts["g"].agent_volume, "400");
        assert_eq!(d.deals[&1].state, "resolved");
        assert_eq!(d.commissions.len(), 1);
        assert_eq!(d.volumes[&("m".into(), 86_400 * 3)].amount, "400");

        // A zero buyer share: everything back to the seller, no volume, no commission.
        d.apply(&[
            at(
                6,
                EscrowEvent::DealOpened {
                    deal_id: 2,
                    deal_kind: "payout".into(),
                    seller: "m".into(),
                    buyer: Some("a".into()),
                    merchant: "m".into(),
                    amount: "100".into(),
                    payment_window: 60,
                    deadline: 9,
                    order_ref: "0x00".into(),
                    fee_bps: 0,
                    rate_agent: None,
                    agent_share_bps: 0,
                    reward_bps: 0,
                },
            ),
            at(
                7,
                EscrowEvent::DealResolved {
                    deal_id: 2,
                    seller: "m".into(),
                    buyer: "a".into(),
                    buyer_share_bps: 0,
                    seller_refund: "100".into(),
                    settlement: parts("0", "0", "0", "0", "0"),
                },
            ),
        ])
        .unwrap();
        assert_eq!(bal(&d, "m"), ("600".into(), "0".into()));
        assert_eq!(d.accounts["m"].merchant_volume, "400");
        assert_eq!(d.commissions.len(), 1);
    }

    #[test]
    fn volumes_saturate_and_missing_history_is_an_error() {
        let mut d = Derived::new("c");
        let huge = (U256::from(u64::MAX) + U256::from(5u8)).to_string();
        let mut v = "7".to_owned();
        add_volume(&mut v, &huge).unwrap();
        assert_eq!(v, u64::MAX.to_string());
        // A withdrawal without the deposit before it: indexing started too late.
        let late = d.apply(&[at(
            1,
            EscrowEvent::Withdrawn {
                account: "x".into(),
                to: "x".into(),
                amount: "1".into(),
            },
        )]);
        assert!(matches!(late, Err(Error::CorruptRow { .. })));
        // A platform fee without a known treasury (no TreasurySet indexed).
        let mut d = Derived::new("c");
        let r = d.apply(&[
            at(
                2,
                EscrowEvent::Deposited {
                    account: "s".into(),
                    amount: "10".into(),
                },
            ),
            at(
                3,
                EscrowEvent::DealOpened {
                    deal_id: 1,
                    deal_kind: "payout".into(),
                    seller: "s".into(),
                    buyer: Some("b".into()),
                    merchant: "m".into(),
                    amount: "10".into(),
                    payment_window: 60,
                    deadline: 9,
                    order_ref: "0x00".into(),
                    fee_bps: 0,
                    rate_agent: None,
                    agent_share_bps: 0,
                    reward_bps: 0,
                },
            ),
            at(
                4,
                EscrowEvent::DealReleased {
                    deal_id: 1,
                    seller: "s".into(),
                    buyer: "b".into(),
                    settlement: parts("10", "9", "1", "0", "1"),
                },
            ),
        ]);
        assert!(matches!(r, Err(Error::CorruptRow { .. })), "{r:?}");
    }
}
