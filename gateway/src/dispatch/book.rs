//! The engine's state: every known acceptor, what earlier decisions promised it,
//! and the recent history of its orders.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::{
    AcceptorId,
    decision::{CandidateInputs, Decision, choose},
    eligibility,
    elimination::{EliminationPolicy, Standing},
    strategy::Strategy,
};

/// An acceptor as the chain and the gateway know it (refreshed with [`Book::upsert`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptor {
    /// Its escrow address.
    pub id: AcceptorId,
    /// It holds the acceptor role on chain.
    pub has_role: bool,
    /// KYC level recorded by compliance.
    pub kyc_level: u8,
    /// Region recorded by compliance.
    pub region: u16,
    /// Its own online flag (on chain, docs/rules.md "Acceptor limits").
    pub online: bool,
    /// Unix time of its last heartbeat to the gateway.
    pub last_heartbeat: u64,
    /// Available escrow balance (smallest units): its free collateral on chain.
    pub available: u64,
    /// Locked escrow balance (smallest units).
    pub locked: u64,
    /// Its own maximum per deal.
    pub max_per_deal: u64,
    /// Its own maximum locked in assigned deals.
    pub max_locked: u64,
    /// Fiat currencies it serves (ISO 4217).
    pub currencies: BTreeSet<String>,
    /// Smallest order it takes.
    pub min_amount: u64,
    /// Largest order it takes (besides `max_per_deal`).
    pub max_amount: u64,
    /// Static priority: lower goes first (strategy `priority`).
    pub priority: u32,
    /// Target share of volume in bps (strategy `volume_split`).
    pub target_share_bps: u32,
    /// Target volume for the period (strategy `contract`).
    pub target_volume: u64,
}

/// What kind of order: a Collection locks the acceptor's collateral; a Payout
/// pays it the merchant's USDT for the fiat it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// Fiat in: the acceptor releases USDT from collateral to the merchant.
    Collection,
    /// Fiat out: the acceptor pays the merchant's bank and receives the USDT.
    Payout,
}

/// An order to place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The gateway's order id.
    pub id: String,
    /// Collection or payout.
    pub kind: OrderKind,
    /// Amount in smallest units.
    pub amount: u64,
    /// Fiat currency (ISO 4217).
    pub currency: String,
    /// Minimum KYC level of the counterparty.
    pub min_kyc_level: u8,
    /// Regions the order may not go to.
    pub blocked_regions: BTreeSet<u16>,
    /// Acceptors this order already went to and that failed it (never chosen again).
    pub excluded: BTreeSet<AcceptorId>,
}

/// How an assigned order ended for its acceptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Settled in time.
    Completed,
    /// The acceptor did not act within its window.
    TimedOut,
    /// The deal's payment deadline passed with nothing done.
    Expired,
    /// A dispute the arbiter resolved against the acceptor.
    DisputeLost,
    /// A dispute resolved for the acceptor.
    DisputeWon,
    /// Cancelled for a reason that is not the acceptor's (the merchant, the customer).
    Cancelled,
}

impl Outcome {
    /// Whether this counts as a failure of the acceptor.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::TimedOut | Self::Expired | Self::DisputeLost)
    }
}

/// Settings of the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// How to choose among the eligible.
    pub strategy: Strategy,
    /// When to take an acceptor out.
    pub elimination: EliminationPolicy,
    /// A heartbeat older than this makes an acceptor ineligible (seconds).
    pub heartbeat_timeout_secs: u64,
    /// The sliding window of the success rate (seconds).
    pub window_secs: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            strategy: Strategy::SuccessRate {
                exploration_bps: 1_000,
            },
            elimination: EliminationPolicy::default(),
            heartbeat_timeout_secs: 120,
            window_secs: 24 * 3600,
        }
    }
}

/// One acceptor in the book: its snapshot and what the engine knows besides.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Entry {
    pub(super) acceptor: Acceptor,
    /// Collateral promised to decided collections not yet locked on chain.
    pub(super) promised: u64,
    /// Orders assigned and not finished.
    pub(super) open: u32,
    /// Volume assigned in the current period.
    pub(super) period_volume: u64,
    /// (time, outcome) of finished orders inside the window, oldest first.
    pub(super) history: VecDeque<(u64, Outcome)>,
    /// Out, on probation, or in good standing.
    pub(super) standing: Standing,
}

/// The engine's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Book {
    config: EngineConfig,
    entries: BTreeMap<AcceptorId, Entry>,
}

impl Book {
    /// An empty book.
    pub fn new(config: EngineConfig) -> Self {
        Self {
            config,
            entries: BTreeMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Adds an acceptor or refreshes its snapshot, keeping what the engine knows.
    pub fn upsert(&mut self, acceptor: Acceptor) {
        match self.entries.get_mut(&acceptor.id) {
            Some(e) => e.acceptor = acceptor,
            None => {
                self.entries.insert(
                    acceptor.id.clone(),
                    Entry {
                        acceptor,
                        promised: 0,
                        open: 0,
                        period_volume: 0,
                        history: VecDeque::new(),
                        standing: Standing::Good { since: 0 },
                    },
                );
            }
        }
    }

    /// The acceptor's snapshot, if known.
    pub fn acceptor(&self, id: &str) -> Option<&Acceptor> {
        self.entries.get(id).map(|e| &e.acceptor)
    }

    /// Free collateral: available balance minus what decisions already promised.
    pub fn free_collateral(&self, id: &str) -> Option<u64> {
        self.entries
            .get(id)
            .map(|e| e.acceptor.available.saturating_sub(e.promised))
    }

    /// Orders assigned to `id` and not finished.
    pub fn open_orders(&self, id: &str) -> Option<u32> {
        self.entries.get(id).map(|e| e.open)
    }

    /// Whether `id` is eliminated at `now`.
    pub fn is_eliminated(&self, id: &str, now: u64) -> bool {
        self.entries.get(id).is_some_and(|e| e.standing.is_out(now))
    }

    /// Sets what the service knows of `id`'s load from its own records (a book
    /// rebuilt for each decision, so several processes agree): collateral promised to
    /// orders decided but not yet locked on chain, orders assigned and not finished,
    /// and the volume assigned in the current period. Call after replaying its
    /// history with [`Book::finish`].
    pub fn set_load(&mut self, id: &str, promised: u64, open: u32, period_volume: u64) {
        if let Some(e) = self.entries.get_mut(id) {
            e.promised = promised;
            e.open = open;
            e.period_volume = period_volume;
        }
    }

    /// Starts a new contract period: every acceptor's period volume back to 0.
    pub fn new_period(&mut self) {
        for e in self.entries.values_mut() {
            e.period_volume = 0;
        }
    }

    /// Decides who gets `order` at `now` with the random `seed`, and reserves it:
    /// the chosen acceptor's open orders, period volume and (for a collection)
    /// promised collateral grow, so a concurrent decision cannot promise the same
    /// collateral twice.
    pub fn decide(&mut self, order: &Order, now: u64, seed: u64) -> Decision {
        let window_start = now.saturating_sub(self.config.window_secs);
        let candidates: Vec<CandidateInputs> = self
            .entries
            .values()
            .map(|e| {
                let (completed, failed) = e
                    .history
                    .iter()
                    .filter(|(at, _)| *at >= window_start)
                    .fold((0u32, 0u32), |(c, f), (_, o)| match o {
                        Outcome::Completed | Outcome::DisputeWon => (c + 1, f),
                        o if o.is_failure() => (c, f + 1),
                        _ => (c, f),
                    });
                CandidateInputs {
                    id: e.acceptor.id.clone(),
                    ineligible: eligibility::check(&e.acceptor, e, order, now, &self.config),
                    free_collateral: e.acceptor.available.saturating_sub(e.promised),
                    locked: e.acceptor.locked,
                    promised: e.promised,
                    open: e.open,
                    period_volume: e.period_volume,
                    completed,
                    failed,
                    priority: e.acceptor.priority,
                    target_share_bps: e.acceptor.target_share_bps,
                    target_volume: e.acceptor.target_volume,
                }
            })
            .collect();
        let decision = choose(&self.config.strategy, order, now, seed, candidates);
        if let Some(id) = &decision.chosen
            && let Some(e) = self.entries.get_mut(id)
        {
            e.open += 1;
            e.period_volume = e.period_volume.saturating_add(order.amount);
            if order.kind == OrderKind::Collection {
                e.promised = e.promised.saturating_add(order.amount);
            }
        }
        decision
    }

    /// The chain now shows the deal of a decided collection: its collateral is
    /// locked there, so the promise is no longer needed (call before the next
    /// [`Book::upsert`] with the new balances).
    pub fn confirm_locked(&mut self, id: &str, amount: u64) {
        if let Some(e) = self.entries.get_mut(id) {
            e.promised = e.promised.saturating_sub(amount);
        }
    }

    /// An assigned order ended with `outcome` at `at`. `still_promised` is the
    /// amount of a collection whose collateral was never locked on chain (a failed
    /// assignment), returned to the free collateral; 0 otherwise.
    pub fn finish(&mut self, id: &str, outcome: Outcome, at: u64, still_promised: u64) {
        let window = self.config.window_secs;
        let policy = self.config.elimination.clone();
        let Some(e) = self.entries.get_mut(id) else {
            return;
        };
        e.open = e.open.saturating_sub(1);
        e.promised = e.promised.saturating_sub(still_promised);
        e.history.push_back((at, outcome));
        while e
            .history
            .front()
            .is_some_and(|(t, _)| *t < at.saturating_sub(window))
        {
            e.history.pop_front();
        }
        e.standing = policy.next_standing(e.standing, &e.history, outcome, at);
    }
}
