//! Taking failing acceptors out for a cool-down, and letting them back in on
//! probation.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::order::Outcome;

/// When an acceptor is taken out, and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EliminationPolicy {
    /// Time-outs plus expired deals within the window that take an acceptor out.
    pub max_timeouts: u32,
    /// Share of lost disputes (bps of its decided disputes in the window) above
    /// which it is taken out...
    pub max_dispute_loss_bps: u32,
    /// ...once it has at least this many decided disputes in the window.
    pub min_disputes: u32,
    /// How long it stays out (seconds).
    pub cool_down_secs: u64,
    /// Orders it must complete on probation (one at a time) to be in good standing.
    pub probation_orders: u32,
}

impl Default for EliminationPolicy {
    fn default() -> Self {
        Self {
            max_timeouts: 3,
            max_dispute_loss_bps: 3_000,
            min_disputes: 3,
            cool_down_secs: 3_600,
            probation_orders: 3,
        }
    }
}

/// Where an acceptor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "standing")]
pub enum Standing {
    /// Eligible as usual; failures before `since` (its return from probation) no
    /// longer count towards elimination.
    Good {
        /// Unix time from which failures count.
        since: u64,
    },
    /// Out until `until` (unix seconds), then on probation.
    Out {
        /// End of the cool-down.
        until: u64,
    },
    /// Back in, one order at a time, until `left` more orders complete.
    Probation {
        /// Completions still needed.
        left: u32,
    },
}

impl Standing {
    /// Whether it is out at `now`.
    pub fn is_out(self, now: u64) -> bool {
        matches!(self, Self::Out { until } if now < until)
    }

    /// Whether it is on probation (an `Out` whose cool-down ended counts too).
    pub fn is_probation(self) -> bool {
        matches!(self, Self::Probation { .. } | Self::Out { .. })
    }
}

impl EliminationPolicy {
    /// The standing after an order ended with `outcome` at `at`, given the history
    /// of the window (which already includes it).
    pub(super) fn next_standing(
        &self,
        current: Standing,
        history: &VecDeque<(u64, Outcome)>,
        outcome: Outcome,
        at: u64,
    ) -> Standing {
        let out = Standing::Out {
            until: at.saturating_add(self.cool_down_secs),
        };
        match current {
            // Orders assigned before it went out may end during the cool-down.
            Standing::Out { until } if at < until => current,
            Standing::Out { .. } | Standing::Probation { .. } => {
                let left = match current {
                    Standing::Probation { left } => left,
                    _ => self.probation_orders,
                };
                if outcome.is_failure() {
                    out
                } else if outcome == Outcome::Completed {
                    if left <= 1 {
                        Standing::Good { since: at }
                    } else {
                        Standing::Probation { left: left - 1 }
                    }
                } else {
                    Standing::Probation { left }
                }
            }
            Standing::Good { since } if self.breached(history, since) => out,
            Standing::Good { .. } => current,
        }
    }

    /// Whether the failures in the window since `since` break the thresholds.
    fn breached(&self, history: &VecDeque<(u64, Outcome)>, since: u64) -> bool {
        let counted = || history.iter().filter(|(t, _)| *t >= since).map(|(_, o)| *o);
        let timeouts = counted()
            .filter(|o| matches!(o, Outcome::TimedOut | Outcome::Expired))
            .count() as u64;
        let lost = counted().filter(|o| *o == Outcome::DisputeLost).count() as u64;
        let disputes = lost + counted().filter(|o| *o == Outcome::DisputeWon).count() as u64;
        timeouts >= u64::from(self.max_timeouts)
            || (disputes >= u64::from(self.min_disputes.max(1))
                && lost * 10_000 > u64::from(self.max_dispute_loss_bps) * disputes)
    }
}
