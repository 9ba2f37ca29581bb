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

use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    amount::Amount,
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
    pub available: Amount,
    /// Locked in open deals (exact decimal).
    pub locked: Amount,
    /// Roles bitmask: 1 merchant, 2 acceptor, 4 agent.
    pub roles: u8,
    /// The referring agent, set once.
    pub agent: Option<String>,
    /// Settled volume as merchant (selects the fee tier).
    pub merchant_volume: Amount,
    /// Referred volume as agent (selects the agent share).
    pub agent_volume: Amount,
    /// KYC level set by compliance.
    pub kyc_level: u8,
    /// Region code set by compliance.
    pub region: u16,
    /// Total deposited.
    pub deposited: Amount,
    /// Total withdrawn.
    pub withdrawn: Amount,
    /// The co-signer outflows beyond the allowance need (docs/rules.md, "Co-signer and
    /// daily allowance"); none when absent.
    pub co_signer: Option<String>,
    /// Outflows per UTC day without co-signature (exact decimal).
    pub daily_allowance: Amount,
    /// The UTC day (Unix time / 86400) `outflow_today` counts.
    pub outflow_day: u32,
    /// Outflows counted against the allowance on `outflow_day` (exact decimal).
    pub outflow_today: Amount,
    /// Acceptor: whether the dispatcher may assign it deals (docs/rules.md, "Acceptor limits").
    pub online: bool,
    /// Acceptor: the largest deal the dispatcher may assign (exact decimal).
    pub max_per_deal: Amount,
    /// Acceptor: the most its assigned collections may lock (exact decimal).
    pub max_locked: Amount,
}

impl EscrowAccount {
    /// An account no event touched yet (all zero, as the contract returns it).
    pub fn new(chain: &str, address: &str) -> Self {
        Self {
            chain: chain.to_owned(),
            address: address.to_owned(),
            available: Amount::ZERO,
            locked: Amount::ZERO,
            roles: 0,
            agent: None,
            merchant_volume: Amount::ZERO,
            agent_volume: Amount::ZERO,
            kyc_level: 0,
            region: 0,
            deposited: Amount::ZERO,
            withdrawn: Amount::ZERO,
            co_signer: None,
            daily_allowance: Amount::ZERO,
            outflow_day: 0,
            outflow_today: Amount::ZERO,
            online: false,
            max_per_deal: Amount::ZERO,
            max_locked: Amount::ZERO,
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
    pub amount: Amount,
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
    pub settled_amount: Option<Amount>,
    /// What the buyer got.
    pub buyer_net: Option<Amount>,
    /// The whole fee.
    pub fee: Option<Amount>,
    /// The agent's cut.
    pub agent_cut: Option<Amount>,
    /// The trader's reward.
    pub reward: Option<Amount>,
    /// The platform's part (to the treasury).
    pub platform: Option<Amount>,
    /// Returned to the seller (cancel: the amount; resolve: the rest).
    pub seller_refund: Option<Amount>,
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
    pub amount: Amount,
    /// Left to fill.
    pub remaining: Amount,
    /// Smallest fill.
    pub min_fill: Amount,
    /// Largest fill.
    pub max_fill: Amount,
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
    pub gross: Amount,
    /// The agent's cut (exact decimal).
    pub amount: Amount,
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
    pub amount: Amount,
    /// Settlements.
    pub count: u64,
    /// Fees charged.
    pub fees: Amount,
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
    pub liabilities: Amount,
    /// Total credited to the treasury by `sweepSurplus` (exact decimal).
    pub swept: Amount,
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
            liabilities: Amount::ZERO,
            swept: Amount::ZERO,
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
                a.daily_allowance = Amount::from(*daily_allowance);
            }
            E::OutflowCounted {
                account,
                day,
                outflow_today,
            } => {
                let a = self.account(account);
                a.outflow_day = *day;
                a.outflow_today = Amount::from(*outflow_today);
            }
            E::AcceptorLimitsSet {
                account,
                online,
                max_per_deal,
                max_locked,
            } => {
                let a = self.account(account);
                a.online = *online;
                a.max_per_deal = Amount::from(*max_per_deal);
                a.max_locked = Amount::from(*max_locked);
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
                self.settings.liabilities.add(*amount, "escrow_settings")?;
                let a = self.account(account);
                a.available.add(*amount, A)?;
                a.deposited.add(*amount, A)?;
            }
            E::Withdrawn {
                account, amount, ..
            } => {
                self.settings.liabilities.sub(*amount, "escrow_settings")?;
                let a = self.account(account);
                a.available.sub(*amount, A)?;
                a.withdrawn.add(*amount, A)?;
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
                        amount: *amount,
                        remaining: *amount,
                        min_fill: *min_fill,
                        max_fill: *max_fill,
                        expiry: *expiry,
                        payment_window: *payment_window,
                        open: true,
                        posted_block: row.block_number,
                    },
                );
            }
            E::SurplusSwept { treasury, amount } => {
                self.settings.liabilities.add(*amount, "escrow_settings")?;
                self.settings.swept.add(*amount, "escrow_settings")?;
                self.account(treasury).available.add(*amount, A)?;
            }
            // docs/rules.md, "Buy orders": the order stays while
            // a fill of it is open, even with nothing remaining; `BuyOrderClosed` ends it.
            E::BuyOrderRefilled {
                order_id, amount, ..
            } => {
                if let Some(o) = self.orders.get_mut(order_id) {
                    o.remaining.add(*amount, "buy_orders")?;
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
                    o.remaining = *remaining;
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
                    o.remaining = *remaining;
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
                s.available.sub(*amount, A)?;
                s.locked.add(*amount, A)?;
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
                        amount: *amount,
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
                s.locked.sub(*amount, A)?;
                s.available.add(*amount, A)?;
                self.close(*deal_id, row, "cancelled", |d| {
                    d.seller_refund = Some(*amount)
                });
            }
            E::DealReleased {
                deal_id,
                seller,
                buyer,
                settlement,
            } => {
                self.account(seller).locked.sub(settlement.amount, A)?;
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
                s.locked.sub(settlement.amount, A)?;
                s.locked.sub(*seller_refund, A)?;
                s.available.add(*seller_refund, A)?;
                self.settle(*deal_id, row, seller, buyer, settlement)?;
                self.close(*deal_id, row, "resolved", |d| {
                    set_parts(d, settlement);
                    d.buyer_share_bps = Some(*buyer_share_bps);
                    d.seller_refund = Some(*seller_refund);
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
        if s.amount.is_zero() {
            return Ok(());
        }
        self.account(&s.merchant)
            .merchant_volume
            .add_volume(s.amount);
        self.account(buyer).available.add(s.buyer_net, A)?;
        if let Some(agent) = &s.agent {
            let g = self.account(agent);
            g.available.add(s.agent_cut, A)?;
            g.agent_volume.add_volume(s.amount);
            self.commissions.push(AgentCommission {
                chain: self.chain.clone(),
                block_number: row.block_number,
                log_index: row.log_index,
                block_time: row.block_time,
                deal_id,
                agent: agent.clone(),
                merchant: s.merchant.clone(),
                gross: s.amount,
                amount: s.agent_cut,
            });
        }
        if !s.reward.is_zero() {
            self.account(seller).available.add(s.reward, A)?;
        }
        if !s.platform.is_zero() {
            let treasury = self.settings.treasury.clone().ok_or_else(|| Error::CorruptRow {
                table: A,
                reason: format!(
                    "deal {deal_id} pays the treasury but no TreasurySet was indexed (start below the escrow's deployment)"
                ),
            })?;
            self.account(&treasury).available.add(s.platform, A)?;
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
                amount: Amount::ZERO,
                count: 0,
                fees: Amount::ZERO,
            });
        v.amount.add(s.amount, "daily_volume")?;
        v.fees.add(s.fee, "daily_volume")?;
        v.count += 1;
        Ok(())
    }
}

fn set_parts(d: &mut Deal, s: &SettlementFields) {
    d.agent = s.agent.clone();
    d.settled_amount = Some(s.amount);
    d.buyer_net = Some(s.buyer_net);
    d.fee = Some(s.fee);
    d.agent_cut = Some(s.agent_cut);
    d.reward = Some(s.reward);
    d.platform = Some(s.platform);
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

    fn n(v: u64) -> Amount {
        Amount::from(v)
    }

    fn big(v: &str) -> Amount {
        v.parse().unwrap()
    }

    fn parts(amount: u64, net: u64, fee: u64, cut: u64, platform: u64) -> SettlementFields {
        SettlementFields {
            deal_kind: "payout".into(),
            merchant: "m".into(),
            agent: Some("g".into()),
            amount: n(amount),
            buyer_net: n(net),
            fee: n(fee),
            agent_cut: n(cut),
            reward: Amount::ZERO,
            platform: n(platform),
        }
    }

    fn bal(d: &Derived, a: &str) -> (Amount, Amount) {
        let x = &d.accounts[a];
        (x.available, x.locked)
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
                    amount: n(1000),
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
                    amount: n(800),
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
                    seller_refund: n(400),
                    settlement: parts(400, 392, 8, 2, 6),
                },
            ),
        ])
        .unwrap();
        assert_eq!(bal(&d, "m"), (n(600), n(0)));
        assert_eq!(bal(&d, "a"), (n(392), n(0)));
        assert_eq!(bal(&d, "g"), (n(2), n(0)));
        assert_eq!(bal(&d, "t"), (n(6), n(0)));
        assert_eq!(d.accounts["m"].merchant_volume, 400u64);
        assert_eq!(d.accounts["g"].agent_volume, 400u64);
        assert_eq!(d.deals[&1].state, "resolved");
        assert_eq!(d.commissions.len(), 1);
        assert_eq!(d.volumes[&("m".into(), 86_400 * 3)].amount, 400u64);

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
                    amount: n(100),
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
                    seller_refund: n(100),
                    settlement: parts(0, 0, 0, 0, 0),
                },
            ),
        ])
        .unwrap();
        assert_eq!(bal(&d, "m"), (n(600), n(0)));
        assert_eq!(d.accounts["m"].merchant_volume, 400u64);
        assert_eq!(d.commissions.len(), 1);
    }

    #[test]
    fn volumes_saturate_and_missing_history_is_an_error() {
        let mut d = Derived::new("c");
        let huge = Amount::from(u128::from(u64::MAX) + 5);
        let mut v = n(7);
        v.add_volume(huge);
        assert_eq!(v, u64::MAX);
        // A withdrawal without the deposit before it: indexing started too late.
        let late = d.apply(&[at(
            1,
            EscrowEvent::Withdrawn {
                account: "x".into(),
                to: "x".into(),
                amount: n(1),
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
                    amount: n(10),
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
                    amount: n(10),
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
                    settlement: parts(10, 9, 1, 0, 1),
                },
            ),
        ]);
        assert!(matches!(r, Err(Error::CorruptRow { .. })), "{r:?}");
    }

    /// Amounts far above u128 (2^200 and more) replay exactly, through the stored JSON
    /// form the store replays from: nothing may narrow, round or saturate them except
    /// the volumes, which saturate at 2^64 − 1 as the contract's do.
    #[test]
    fn amounts_above_u128_replay_exactly() {
        const TWO_200: &str = "1606938044258990275541962092341162602522202993782792835301376";
        let two_200: Amount = big(TWO_200);
        let deposit = big("4820814132776970826625886277023487807566608981348378505904135"); // 3·2^200 + 7
        let gross = big("1606938044258990275541962092341162602522202993782792835301381"); // 2^200 + 5
        let fee = big("803469022129495137770981046170581301261101496891396417650688"); // 2^199
        let half_fee = big("401734511064747568885490523085290650630550748445698208825344"); // 2^198
        let net = big("803469022129495137770981046170581301261101496891396417650693"); // gross − fee
        assert!(u128::try_from(two_200).is_err());
        let settlement = SettlementFields {
            amount: gross,
            buyer_net: net,
            fee,
            agent_cut: half_fee,
            platform: half_fee,
            ..parts(0, 0, 0, 0, 0)
        };
        let events = [
            EscrowEvent::TreasurySet {
                previous: "0".into(),
                current: "t".into(),
            },
            EscrowEvent::Deposited {
                account: "m".into(),
                amount: deposit,
            },
            EscrowEvent::DealOpened {
                deal_id: 1,
                deal_kind: "payout".into(),
                seller: "m".into(),
                buyer: Some("a".into()),
                merchant: "m".into(),
                amount: gross,
                payment_window: 60,
                deadline: 9,
                order_ref: "0x00".into(),
                fee_bps: 0,
                rate_agent: Some("g".into()),
                agent_share_bps: 0,
                reward_bps: 0,
            },
            EscrowEvent::DealReleased {
                deal_id: 1,
                seller: "m".into(),
                buyer: "a".into(),
                settlement,
            },
        ];
        // As the store does: each event written to `fields` and read back.
        let rows: Vec<EscrowEventRow> = events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let json = to_json(e).unwrap();
                at(
                    i as u64 + 1,
                    crate::events::escrow_from_json(&json).unwrap(),
                )
            })
            .collect();
        assert!(to_json(&events[1]).unwrap().contains(
            r#""amount":"4820814132776970826625886277023487807566608981348378505904135""#
        ));
        let mut d = Derived::new("c");
        d.apply(&rows).unwrap();
        let text = |a: Amount| a.to_string();
        assert_eq!(
            text(d.accounts["m"].available),
            "3213876088517980551083924184682325205044405987565585670602754"
        );
        assert_eq!(d.accounts["m"].locked, 0u64);
        assert_eq!(text(d.accounts["m"].deposited), text(deposit));
        assert_eq!(
            text(d.accounts["a"].available),
            "803469022129495137770981046170581301261101496891396417650693"
        );
        assert_eq!(
            text(d.accounts["g"].available),
            "401734511064747568885490523085290650630550748445698208825344"
        );
        assert_eq!(text(d.accounts["t"].available), text(half_fee));
        assert_eq!(text(d.settings.liabilities), text(deposit));
        assert_eq!(d.accounts["m"].merchant_volume, u64::MAX);
        assert_eq!(d.accounts["g"].agent_volume, u64::MAX);
        let day = &d.volumes[&("m".into(), 86_400 * 3)];
        assert_eq!(
            text(day.amount),
            "1606938044258990275541962092341162602522202993782792835301381"
        );
        assert_eq!(text(day.fees), text(fee));
        assert_eq!(d.commissions[0].amount, half_fee);
        assert_eq!(d.deals[&1].settled_amount, Some(gross));
        assert!(two_200 < gross);
        // The rows serialize (API) to the same exact decimal strings.
        let json = serde_json::to_value(&d.accounts["m"]).unwrap();
        assert_eq!(
            json["available"],
            "3213876088517980551083924184682325205044405987565585670602754"
        );
    }
}
