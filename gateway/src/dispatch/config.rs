//! The engine's settings.

use serde::{Deserialize, Serialize};

use super::{elimination::EliminationPolicy, strategy::Strategy};

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
