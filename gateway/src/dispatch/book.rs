//! The engine's state: every known acceptor, what earlier decisions promised it,
//! and the recent history of its orders.

use std::{collections::BTreeMap, sync::Arc};

use serde::{Deserialize, Serialize};

use super::{
    AcceptorId,
    acceptor::Entry,
    candidate::CandidateInputs,
    decision::{CandidateReport, Decision, choose},
    eligibility,
    elimination::Standing,
    history::History,
};
pub use super::{
    acceptor::Acceptor,
    config::EngineConfig,
    order::{Order, OrderKind, Outcome},
};

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
                        id: Arc::from(acceptor.id.as_str()),
                        acceptor,
                        promised: 0,
                        open: 0,
                        period_volume: 0,
                        history: History::default(),
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
        // One report per acceptor, built in place: the window's completed and failed
        // counts are kept by each history, not counted again here (issue #14).
        let candidates: Vec<CandidateReport> = self
            .entries
            .values()
            .map(|e| {
                let (completed, failed) = e.history.window_counts(window_start);
                let inputs = CandidateInputs {
                    id: Arc::clone(&e.id),
                    ineligible: eligibility::check(
                        &e.acceptor,
                        e,
                        order,
                        now,
                        self.config.heartbeat_timeout_secs,
                    ),
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
                };
                CandidateReport {
                    inputs,
                    score: None,
                    tiebreak: 0,
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
        e.history.push(at, outcome);
        while e
            .history
            .front()
            .is_some_and(|(t, _)| *t < at.saturating_sub(window))
        {
            e.history.pop_front();
        }
        e.standing = policy.next_standing(e.standing, e.history.items(), outcome, at);
    }
}
