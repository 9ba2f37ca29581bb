//! How to choose among eligible acceptors. Every strategy turns a candidate into an
//! integer score (higher is better); ties fall to a seeded random key.

use serde::{Deserialize, Serialize};

use super::{candidate::CandidateInputs, order::Order};

/// A choosing rule, configured per merchant or per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Strategy {
    /// The lowest `priority` number first.
    Priority,
    /// Each acceptor towards its `target_share_bps` of the volume: the largest
    /// shortfall against its share (after this order) goes first.
    VolumeSplit,
    /// The best success rate over the sliding window (completed vs failed, with a
    /// +1/+2 prior so a new acceptor starts at 50 %); a share `exploration_bps` of
    /// decisions goes to a uniformly random eligible acceptor instead, so new and
    /// recovering acceptors get measured.
    SuccessRate {
        /// Share of decisions that explore, in bps.
        exploration_bps: u32,
    },
    /// The fewest open orders, then the least locked and promised collateral.
    LeastLoad,
    /// Each acceptor towards its `target_volume` for the period: the largest share
    /// of its target still to fill goes first.
    Contract,
    /// Uniformly at random (the baseline the others are measured against).
    Uniform,
}

impl Strategy {
    /// The share of decisions that explore.
    pub(super) fn exploration_bps(&self) -> u32 {
        match self {
            Self::SuccessRate { exploration_bps } => (*exploration_bps).min(10_000),
            _ => 0,
        }
    }

    /// The score of `c` for the order, given the totals over the eligible.
    pub(super) fn score(&self, c: &CandidateInputs, totals: &Totals) -> i64 {
        match self {
            Self::Priority => -i64::from(c.priority),
            Self::VolumeSplit => {
                if totals.shares == 0 {
                    return 0;
                }
                // Its share of the volume after this order, minus what it has had.
                let expected = totals.volume_after * u128::from(c.target_share_bps) / totals.shares;
                clamp(expected as i128 - i128::from(c.period_volume))
            }
            Self::SuccessRate { .. } => {
                let done = u64::from(c.completed);
                let tried = done + u64::from(c.failed);
                // Bps of (completed + 1) / (tried + 2): never 0, never 10000.
                ((done + 1) * 10_000 / (tried + 2)) as i64
            }
            Self::LeastLoad => {
                let load = c.locked.saturating_add(c.promised) / 1_000_000;
                -(i64::from(c.open) * 1_000_000_000_000
                    + clamp(i128::from(load)).min(999_999_999_999))
            }
            Self::Contract => {
                if c.target_volume == 0 {
                    return -1;
                }
                let left = c.target_volume.saturating_sub(c.period_volume);
                (u128::from(left) * 10_000 / u128::from(c.target_volume)) as i64
            }
            Self::Uniform => 0,
        }
    }
}

/// Sums over the eligible candidates that some strategies compare against.
#[derive(Debug, Clone, Copy)]
pub(super) struct Totals {
    /// Sum of their target shares (bps).
    pub(super) shares: u128,
    /// Sum of their period volumes plus the order's amount.
    pub(super) volume_after: u128,
}

impl Totals {
    /// No eligible candidate yet, for `order`.
    pub(super) fn new(order: &Order) -> Self {
        Self {
            shares: 0,
            volume_after: u128::from(order.amount),
        }
    }

    /// Counts one more eligible candidate.
    pub(super) fn add(&mut self, c: &CandidateInputs) {
        self.shares += u128::from(c.target_share_bps);
        self.volume_after += u128::from(c.period_volume);
    }
}

fn clamp(v: i128) -> i64 {
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}
