//! `[dispatch]` in `gateway.toml`: how the dispatcher service chooses acceptors.
//!
//! ```toml
//! [dispatch]
//! strategy = { kind = "success_rate", exploration_bps = 1000 }
//! heartbeat_timeout_secs = 60   # a missed heartbeat makes an acceptor ineligible
//! accept_timeout_secs = 30      # an offered order not accepted in time goes to another (0: assign at once)
//! window_secs = 86400           # sliding window of success rates and of the contract period
//! min_kyc_level = 1             # besides the escrow's own minimum
//! retry_after_ms = 3000         # after a failed assignment, before deciding again
//! max_attempts = 5              # decisions per order before it fails
//!
//! [dispatch.elimination]        # the engine's EliminationPolicy (every field optional)
//! max_timeouts = 3
//! cool_down_secs = 3600
//!
//! [dispatch.merchants]          # per merchant (wins over the currency)
//! mer_0123 = { kind = "priority" }
//!
//! [dispatch.currencies]         # per fiat currency of the order
//! EUR = { kind = "volume_split" }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::dispatch::{EliminationPolicy, Strategy};

/// The dispatcher service's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchSettings {
    /// The strategy when neither the merchant nor the currency has one.
    pub strategy: Strategy,
    /// When an acceptor is taken out, and for how long.
    pub elimination: EliminationPolicy,
    /// An acceptor whose last heartbeat is older than this is ineligible (seconds).
    pub heartbeat_timeout_secs: u64,
    /// How long an acceptor has to accept an offered order (seconds); after that the
    /// order goes to someone else and the time-out counts against it. 0: no offer
    /// step, the chosen acceptor is assigned at once.
    pub accept_timeout_secs: u64,
    /// The sliding window of success rates and elimination, and the contract period
    /// (seconds).
    pub window_secs: u64,
    /// Minimum KYC level of an acceptor (the escrow's own minimum applies too).
    pub min_kyc_level: u8,
    /// After a failed assignment transaction, wait this long (so the indexer sees a
    /// transaction that did go through) before deciding again (milliseconds).
    pub retry_after_ms: u64,
    /// Decisions per order (time-outs and failed assignments) before it fails.
    pub max_attempts: u32,
    /// Strategy per merchant id.
    pub merchants: BTreeMap<String, Strategy>,
    /// Strategy per fiat currency (ISO 4217) of the order.
    pub currencies: BTreeMap<String, Strategy>,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            strategy: Strategy::SuccessRate {
                exploration_bps: 1_000,
            },
            elimination: EliminationPolicy::default(),
            heartbeat_timeout_secs: 60,
            accept_timeout_secs: 0,
            window_secs: 24 * 3600,
            min_kyc_level: 1,
            retry_after_ms: 3_000,
            max_attempts: 5,
            merchants: BTreeMap::new(),
            currencies: BTreeMap::new(),
        }
    }
}

impl DispatchSettings {
    /// The strategy for an order of `merchant_id` in `currency`: the merchant's, else
    /// the currency's, else the default.
    pub fn strategy_for(&self, merchant_id: &str, currency: &str) -> &Strategy {
        self.merchants
            .get(merchant_id)
            .or_else(|| self.currencies.get(currency))
            .unwrap_or(&self.strategy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_overrides_and_picks_merchant_then_currency() {
        let s: DispatchSettings = toml::from_str(
            r#"
strategy = { kind = "least_load" }
accept_timeout_secs = 5
[elimination]
max_timeouts = 2
[merchants]
mer_a = { kind = "priority" }
[currencies]
EUR = { kind = "success_rate", exploration_bps = 500 }
"#,
        )
        .unwrap();
        assert_eq!(s.elimination.max_timeouts, 2);
        assert_eq!(s.elimination.cool_down_secs, 3_600);
        assert_eq!(s.strategy_for("mer_a", "EUR"), &Strategy::Priority);
        assert_eq!(
            s.strategy_for("mer_b", "EUR"),
            &Strategy::SuccessRate {
                exploration_bps: 500
            }
        );
        assert_eq!(s.strategy_for("mer_b", "USD"), &Strategy::LeastLoad);
        assert!(toml::from_str::<DispatchSettings>("strategy = { kind = \"nope\" }").is_err());
        assert!(toml::from_str::<DispatchSettings>("typo = 1").is_err());
    }
}
