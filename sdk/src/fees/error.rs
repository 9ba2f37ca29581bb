//! Why a fee schedule is refused: one error per rule, named as the contracts and the
//! program name them (docs/rules.md, one name per rule).

use thiserror::Error;

/// Why a [`FeeSchedule`](crate::FeeSchedule) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FeeScheduleError {
    /// A tier table has no entries or more than 8.
    #[error("{table} tier table has {count} tiers; 1 to 8 are allowed")]
    TierCount {
        /// Which table: `merchant` or `agent`.
        table: TierTable,
        /// How many tiers it had.
        count: usize,
    },
    /// The first tier's threshold is not 0.
    #[error("{table} tier table must start at threshold 0, found {threshold}")]
    FirstTierThreshold {
        /// Which table.
        table: TierTable,
        /// The first threshold, in smallest units.
        threshold: u64,
    },
    /// Thresholds are not strictly increasing.
    #[error("{table} tier {index} threshold {threshold} is not above the previous {previous}")]
    TierOrder {
        /// Which table.
        table: TierTable,
        /// Index of the offending tier.
        index: usize,
        /// Its threshold.
        threshold: u64,
        /// The previous tier's threshold.
        previous: u64,
    },
    /// A tier's basis points, or the trader reward, exceed 10000.
    #[error("{at} has {bps} bps; at most 10000 are allowed")]
    BpsTooHigh {
        /// Which value.
        at: BpsAt,
        /// Its basis points.
        bps: u32,
    },
    /// A merchant tier charges more than `MAX_FEE_BPS` (1000 bps, 10 %).
    #[error("merchant tier {index} charges {bps} bps; at most 1000 (10 %) are allowed")]
    FeeTooHigh {
        /// Index of the offending merchant tier.
        index: usize,
        /// Its basis points.
        bps: u32,
    },
    /// An agent share plus the trader reward exceeds 10000 bps.
    #[error(
        "agent tier {index} share {share_bps} bps + trader reward {reward_bps} bps exceeds 10000"
    )]
    ShareAndRewardTooHigh {
        /// Index of the offending agent tier.
        index: usize,
        /// Its share.
        share_bps: u32,
        /// The trader reward.
        reward_bps: u32,
    },
}

impl FeeScheduleError {
    /// The rule's one name, as the contracts' error and the program's error are
    /// called (docs/rules.md, one name per rule).
    pub const fn name(&self) -> &'static str {
        match self {
            Self::TierCount { .. } => "TierCount",
            Self::FirstTierThreshold { .. } => "FirstTierThreshold",
            Self::TierOrder { .. } => "TierOrder",
            Self::BpsTooHigh { .. } => "BpsTooHigh",
            Self::FeeTooHigh { .. } => "FeeTooHigh",
            Self::ShareAndRewardTooHigh { .. } => "ShareAndRewardTooHigh",
        }
    }
}

/// Which basis-point value of a schedule a [`FeeScheduleError::BpsTooHigh`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BpsAt {
    /// A tier of a table.
    Tier {
        /// Which table.
        table: TierTable,
        /// Index of the tier.
        index: usize,
    },
    /// The trader reward.
    TraderReward,
}

impl core::fmt::Display for BpsAt {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Tier { table, index } => write!(f, "{table} tier {index}"),
            Self::TraderReward => f.write_str("the trader reward"),
        }
    }
}

/// Which tier table a [`FeeScheduleError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierTable {
    /// The merchant fee tiers.
    Merchant,
    /// The agent share tiers.
    Agent,
}

impl core::fmt::Display for TierTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Merchant => "merchant",
            Self::Agent => "agent",
        })
    }
}
