//! [`EngineSelector`]: the gateway's [`AcceptorSelector`]. For each decision it
//! rebuilds the engine's book from the database — so every process sees the same
//! inputs and a restart loses nothing — and asks the pure engine (`crate::dispatch`):
//!
//! - candidates: the acceptors registered with the gateway on the order's chain,
//!   joined with the indexer's derived `escrow_accounts` (role, KYC level, region,
//!   available and locked balances, and the protocol v2 online flag, maximum per deal
//!   and maximum locked; docs/rules.md, "Acceptor limits"), with the gateway's
//!   presence (online flag, last heartbeat);
//! - what is promised: collections decided (offered, accepted, being assigned, or
//!   assigned but not yet seen by the indexer) whose collateral is not locked on chain
//!   yet;
//! - history over the sliding window: offers that timed out (the decision log),
//!   deals released (completed), resolved (dispute won or lost by the acceptor's
//!   share), and deals still open past their payment deadline (expired), from the
//!   indexer's `deals`.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use super::{
    acceptor::{AcceptorSelector, OrderAsk},
    acceptors::AcceptorRecord,
    settings::DispatchSettings,
};
use crate::{
    dispatch::{Acceptor, Book, Decision, EngineConfig, Order, OrderKind, Outcome},
    error::Result,
    store::{Db, now_ms},
};

/// The acceptor role bit of an escrow account (the SDK's `Roles::ACCEPTOR`).
const ROLE_ACCEPTOR: i64 = 2;

/// Statuses of an order that holds its acceptor (decided and not finished).
pub(crate) const HOLDING: &str =
    "'offered', 'accepted', 'dispatching', 'assigned', 'paid', 'disputed'";

/// Chooses acceptors with the dispatcher engine, configured by `[dispatch]`.
#[derive(Debug, Clone)]
pub struct EngineSelector {
    settings: DispatchSettings,
}

impl EngineSelector {
    /// A selector with these settings.
    pub fn new(settings: DispatchSettings) -> Self {
        Self { settings }
    }
}

fn units(s: &str) -> u64 {
    // Derived balances are exact decimal integers; a value beyond u64 (no real
    // amount is, docs/rules.md "Money") saturates.
    s.parse::<u128>()
        .map(|v| u64::try_from(v).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The escrow's minimum KYC level and blocked regions, from the indexed `limits`.
fn chain_limits(limits: Option<&str>) -> (u8, BTreeSet<u16>) {
    let Some(v) = limits.and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok()) else {
        return (0, BTreeSet::new());
    };
    let field = |names: &[&str]| names.iter().find_map(|n| v.get(*n)).cloned();
    let kyc = field(&["minKycLevel", "min_kyc_level"])
        .and_then(|k| {
            k.as_u64()
                .or_else(|| k.as_str().and_then(|s| s.parse().ok()))
        })
        .and_then(|k| u8::try_from(k).ok())
        .unwrap_or(0);
    let regions = field(&["blockedRegions", "blocked_regions"])
        .and_then(|r| r.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            r.as_u64()
                .or_else(|| r.as_str().and_then(|s| s.parse().ok()))
        })
        .filter_map(|r| u16::try_from(r).ok())
        .filter(|r| *r != 0)
        .collect();
    (kyc, regions)
}

impl AcceptorSelector for EngineSelector {
    async fn decide(&self, db: &Db, ask: &OrderAsk<'_>) -> Result<Decision> {
        let now_ms = now_ms();
        let now = u64::try_from(now_ms / 1000).unwrap_or(0);
        let window_start = now.saturating_sub(self.settings.window_secs);
        let window_start_ms = i64::try_from(window_start)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        let strategy = self
            .settings
            .strategy_for(ask.merchant_id, ask.currency)
            .clone();
        let mut book = Book::new(EngineConfig {
            strategy,
            elimination: self.settings.elimination.clone(),
            heartbeat_timeout_secs: self.settings.heartbeat_timeout_secs,
            window_secs: self.settings.window_secs,
        });

        let limits: Option<String> =
            sqlx::query_scalar("SELECT limits FROM escrow_settings WHERE chain = $1")
                .bind(ask.chain)
                .fetch_optional(&db.pool)
                .await?
                .flatten();
        let (chain_kyc, blocked_regions) = chain_limits(limits.as_deref());

        // Candidates.
        let columns = "a.id, a.chain, a.address, a.name, a.currencies, a.min_amount, a.max_amount, a.priority, a.target_share_bps, a.target_volume, a.online, a.last_heartbeat, a.created_at";
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {columns}, CAST(e.available AS TEXT), CAST(e.locked AS TEXT), CAST(e.roles AS BIGINT), CAST(e.kyc_level AS BIGINT), CAST(e.region AS BIGINT), CASE WHEN e.online THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END, CAST(e.max_per_deal AS TEXT), CAST(e.max_locked AS TEXT) FROM gw_acceptors a JOIN escrow_accounts e ON e.chain = a.chain AND e.address = a.address WHERE a.chain = $1"
        )))
        .bind(ask.chain)
        .fetch_all(&db.pool)
        .await?;
        let mut known = BTreeSet::new();
        for r in &rows {
            let rec = AcceptorRecord::from_row(r)?;
            let currencies = if rec.currencies.is_empty() {
                BTreeSet::from([ask.currency.to_owned()])
            } else {
                rec.currencies.iter().cloned().collect()
            };
            let roles: i64 = r.try_get(15)?;
            known.insert(rec.address.clone());
            book.upsert(Acceptor {
                id: rec.address.clone(),
                has_role: roles & ROLE_ACCEPTOR != 0,
                kyc_level: u8::try_from(r.try_get::<i64, _>(16)?).unwrap_or(0),
                region: u16::try_from(r.try_get::<i64, _>(17)?).unwrap_or(u16::MAX),
                online: rec.online && r.try_get::<i64, _>(18)? != 0,
                last_heartbeat: u64::try_from(rec.last_heartbeat / 1000).unwrap_or(0),
                available: units(&r.try_get::<String, _>(13)?),
                locked: units(&r.try_get::<String, _>(14)?),
                max_per_deal: units(&r.try_get::<String, _>(19)?),
                max_locked: units(&r.try_get::<String, _>(20)?),
                currencies,
                min_amount: rec.min_amount,
                max_amount: if rec.max_amount == 0 {
                    u64::MAX
                } else {
                    rec.max_amount
                },
                priority: rec.priority,
                target_share_bps: rec.target_share_bps,
                target_volume: rec.target_volume,
            });
        }

        // History over the window, oldest first.
        let mut events: Vec<(u64, String, Outcome)> = Vec::new();
        let timeouts = sqlx::query(
            "SELECT chosen, ended_at FROM gw_dispatch_decisions WHERE chain = $1 AND outcome = 'timed_out' AND ended_at >= $2",
        )
        .bind(ask.chain)
        .bind(window_start_ms)
        .fetch_all(&db.pool)
        .await?;
        for r in &timeouts {
            if let (Some(who), Some(at)) = (
                r.try_get::<Option<String>, _>(0)?,
                r.try_get::<Option<i64>, _>(1)?,
            ) {
                events.push((
                    u64::try_from(at / 1000).unwrap_or(0),
                    who,
                    Outcome::TimedOut,
                ));
            }
        }
        let deals = sqlx::query(
            "SELECT kind, seller, buyer, state, CAST(deadline AS BIGINT), CAST(closed_time AS BIGINT), CAST(buyer_share_bps AS BIGINT) FROM deals WHERE chain = $1 AND kind IN ('collection', 'payout') AND ((closed_time IS NOT NULL AND closed_time >= $2) OR (state = 'open' AND deadline < $3))",
        )
        .bind(ask.chain)
        .bind(i64::try_from(window_start).unwrap_or(i64::MAX))
        .bind(i64::try_from(now).unwrap_or(i64::MAX))
        .fetch_all(&db.pool)
        .await?;
        for r in &deals {
            let kind: String = r.try_get(0)?;
            let who: Option<String> = if kind == "collection" {
                Some(r.try_get(1)?)
            } else {
                r.try_get(2)?
            };
            let Some(who) = who.filter(|w| known.contains(w)) else {
                continue;
            };
            let state: String = r.try_get(3)?;
            let deadline = u64::try_from(r.try_get::<i64, _>(4)?).unwrap_or(0);
            let closed = r
                .try_get::<Option<i64>, _>(5)?
                .and_then(|t| u64::try_from(t).ok());
            let share = r.try_get::<Option<i64>, _>(6)?.unwrap_or(0);
            // The acceptor is the seller of a collection and the buyer of a payout
            // (docs/rules.md, "Deals"); its share of a resolved dispute decides.
            let acceptor_share = if kind == "collection" {
                10_000 - share
            } else {
                share
            };
            let (at, outcome) = match (state.as_str(), closed) {
                ("released", Some(t)) => (t, Outcome::Completed),
                ("resolved", Some(t)) if acceptor_share < 5_000 => (t, Outcome::DisputeLost),
                ("resolved", Some(t)) => (t, Outcome::DisputeWon),
                ("cancelled", Some(t)) => (t, Outcome::Cancelled),
                ("open", _) => (deadline, Outcome::Expired),
                _ => continue,
            };
            events.push((at, who, outcome));
        }
        events.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        for (at, who, outcome) in &events {
            book.finish(who, *outcome, *at, 0);
        }

        // What each acceptor holds now.
        let held = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT o.acceptor, o.kind, o.status, o.amount, o.created_at, CASE WHEN d.deal_id IS NULL THEN CAST(0 AS BIGINT) ELSE CAST(1 AS BIGINT) END FROM gw_orders o LEFT JOIN deals d ON d.chain = o.chain AND d.deal_id = o.deal_id WHERE o.chain = $1 AND o.acceptor IS NOT NULL AND (o.status IN ({HOLDING}) OR (o.status = 'settled' AND o.created_at >= $2))"
        )))
        .bind(ask.chain)
        .bind(window_start_ms)
        .fetch_all(&db.pool)
        .await?;
        let mut load: BTreeMap<String, (u64, u32, u64)> = BTreeMap::new();
        for r in &held {
            let who: String = r.try_get(0)?;
            let kind: String = r.try_get(1)?;
            let status: String = r.try_get(2)?;
            let amount = u64::try_from(r.try_get::<i64, _>(3)?).unwrap_or(0);
            let created: i64 = r.try_get(4)?;
            let indexed = r.try_get::<i64, _>(5)? != 0;
            let l = load.entry(who).or_default();
            if status != "settled" {
                l.1 += 1;
                let not_locked = matches!(status.as_str(), "offered" | "accepted" | "dispatching")
                    || (status == "assigned" && !indexed);
                if kind == "collection" && not_locked {
                    l.0 = l.0.saturating_add(amount);
                }
            }
            if created >= window_start_ms {
                l.2 = l.2.saturating_add(amount);
            }
        }
        for (who, (promised, open, volume)) in &load {
            book.set_load(who, *promised, *open, *volume);
        }

        let order = Order {
            id: ask.id.to_owned(),
            kind: if ask.kind == "collection" {
                OrderKind::Collection
            } else {
                OrderKind::Payout
            },
            amount: ask.amount,
            currency: ask.currency.to_owned(),
            min_kyc_level: self.settings.min_kyc_level.max(chain_kyc),
            blocked_regions,
            excluded: ask.excluded.clone(),
        };
        Ok(book.decide(&order, now, rand::random()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_limits_read_both_spellings() {
        assert_eq!(chain_limits(None), (0, BTreeSet::new()));
        assert_eq!(
            chain_limits(Some(r#"{"minKycLevel": 2, "blockedRegions": [0, 7]}"#)),
            (2, BTreeSet::from([7]))
        );
        assert_eq!(
            chain_limits(Some(r#"{"min_kyc_level": "3", "blocked_regions": ["9"]}"#)),
            (3, BTreeSet::from([9]))
        );
        assert_eq!(units("18446744073709551616000"), u64::MAX);
        assert_eq!(units("5000000"), 5_000_000);
    }
}
