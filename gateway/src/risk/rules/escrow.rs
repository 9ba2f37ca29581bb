//! Escrow behaviour: dispute and cancel rates per acceptor and trader, deals marked
//! paid but not released near their deadline, disputes unresolved past the
//! arbitration window. Times are chain time (Unix seconds of the indexed head), so
//! a stalled indexer never makes deadlines look passed.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use crate::risk::{Evidence, Finding, SubjectKind, config::EscrowRules, usdt};

/// A deal as the indexer derived it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DealRow {
    /// Deal id.
    pub deal_id: u64,
    /// `trade`, `collection` or `payout`.
    pub kind: String,
    /// Who locked the USDT.
    pub seller: String,
    /// Who receives it (none while a payout is unassigned).
    pub buyer: Option<String>,
    /// The fee party.
    pub merchant: String,
    /// Gross amount, smallest units.
    #[serde(serialize_with = "as_text")]
    pub amount: u128,
    /// `unassigned`, `open`, `paid`, `disputed`, `released`, `cancelled`, `resolved`.
    pub state: String,
    /// Payment deadline (Unix s).
    pub deadline: i64,
    /// When it opened (Unix s).
    pub opened_time: i64,
    /// When it was disputed (Unix s), if it was.
    pub disputed_at: Option<i64>,
    /// Block of its last event.
    pub last_block: u64,
}

fn as_text<S: serde::Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl DealRow {
    /// The party that is not the merchant: the trader of a Trade, the acceptor of a
    /// Collection or Payout.
    pub fn counterparty(&self) -> Option<&str> {
        match self.kind.as_str() {
            "payout" => self.buyer.as_deref(),
            _ => Some(self.seller.as_str()),
        }
    }

    fn evidence(&self) -> Evidence {
        Evidence::Deal {
            deal_id: self.deal_id,
            block_number: Some(self.last_block),
            data: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}

/// Dispute and cancel rates of each counterparty over `deals` (those opened within
/// the window).
pub fn rates(config: &EscrowRules, chain: &str, deals: &[DealRow]) -> Vec<Finding> {
    let mut by_party: BTreeMap<&str, Vec<&DealRow>> = BTreeMap::new();
    for d in deals {
        if let Some(p) = d.counterparty() {
            by_party.entry(p).or_default().push(d);
        }
    }
    let mut out = Vec::new();
    for (party, ds) in by_party {
        let total = ds.len() as u64;
        if total < config.min_deals.max(1) {
            continue;
        }
        let disputed: Vec<&&DealRow> = ds.iter().filter(|d| d.disputed_at.is_some()).collect();
        let cancelled: Vec<&&DealRow> = ds.iter().filter(|d| d.state == "cancelled").collect();
        for (rule, hits, max) in [
            ("dispute_rate", disputed, config.max_dispute_rate_bps),
            ("cancel_rate", cancelled, config.max_cancel_rate_bps),
        ] {
            let n = hits.len() as u64;
            let bps = n * 10_000 / total;
            if n == 0 || bps < u64::from(max) {
                continue;
            }
            out.push(Finding {
                rule,
                severity: config.rate_severity,
                chain: chain.to_owned(),
                subject_kind: SubjectKind::Address,
                subject: party.to_owned(),
                summary: format!(
                    "{n} of {total} deals {} ({}.{:02} %)",
                    if rule == "dispute_rate" {
                        "disputed"
                    } else {
                        "cancelled"
                    },
                    bps / 100,
                    bps % 100
                ),
                details: json!({
                    "count": n,
                    "deals": total,
                    "rate_bps": bps,
                    "max_rate_bps": max,
                    "window_secs": config.window_secs,
                }),
                evidence: hits
                    .iter()
                    .rev()
                    .take(crate::risk::rules::flows::MAX_EVIDENCE)
                    .map(|d| d.evidence())
                    .collect(),
            });
        }
    }
    out
}

/// Deals marked paid and not released within `release_warning_secs` of their
/// deadline (or past it), and disputes open longer than the arbitration window.
pub fn deadlines(config: &EscrowRules, chain: &str, live: &[DealRow], now: i64) -> Vec<Finding> {
    let warn = i64::try_from(config.release_warning_secs).unwrap_or(i64::MAX);
    let arbitration = i64::try_from(config.arbitration_secs).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    for d in live {
        let finding = |rule: &'static str, summary: String, details| Finding {
            rule,
            severity: config.deadline_severity,
            chain: chain.to_owned(),
            subject_kind: SubjectKind::Deal,
            subject: d.deal_id.to_string(),
            summary,
            details,
            evidence: vec![d.evidence()],
        };
        match d.state.as_str() {
            "paid" if d.deadline.saturating_sub(now) <= warn => out.push(finding(
                "paid_not_released",
                format!(
                    "deal of {} USDT marked paid, not released, {} s to its deadline",
                    usdt(d.amount),
                    d.deadline - now
                ),
                json!({ "deadline": d.deadline, "now": now, "warning_secs": config.release_warning_secs }),
            )),
            "disputed" => {
                let Some(at) = d.disputed_at else { continue };
                if now.saturating_sub(at) > arbitration {
                    out.push(finding(
                        "arbitration_overdue",
                        format!(
                            "dispute over {} USDT unresolved for {} s",
                            usdt(d.amount),
                            now - at
                        ),
                        json!({ "disputed_at": at, "now": now, "arbitration_secs": config.arbitration_secs }),
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(id: u64, kind: &str, seller: &str, buyer: &str, state: &str) -> DealRow {
        DealRow {
            deal_id: id,
            kind: kind.into(),
            seller: seller.into(),
            buyer: Some(buyer.into()),
            merchant: "m".into(),
            amount: 100,
            state: state.into(),
            deadline: 1_000,
            opened_time: 0,
            disputed_at: None,
            last_block: id,
        }
    }

    #[test]
    fn rates_per_counterparty() {
        let config = EscrowRules::default();
        // Acceptor "a": 10 collections, 3 cancelled (30 %) -> cancel_rate.
        let mut ds: Vec<DealRow> = (0..10)
            .map(|i| {
                deal(
                    i,
                    "collection",
                    "a",
                    "m",
                    if i < 3 { "cancelled" } else { "released" },
                )
            })
            .collect();
        // Acceptor "b" on payouts (the buyer): 10 deals, 1 disputed (10 %) -> nothing.
        for i in 10..20 {
            let mut d = deal(i, "payout", "m", "b", "released");
            if i == 10 {
                d.disputed_at = Some(5);
                d.state = "resolved".into();
            }
            ds.push(d);
        }
        let f = rates(&config, "c", &ds);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].rule, f[0].subject.as_str()), ("cancel_rate", "a"));
        assert_eq!(f[0].evidence.len(), 3);
        // Too few deals: nothing.
        assert!(rates(&config, "c", &ds[..3]).is_empty());
    }

    #[test]
    fn paid_near_deadline_and_overdue_arbitration() {
        let config = EscrowRules::default();
        let mut paid = deal(1, "collection", "a", "m", "paid");
        paid.deadline = 1_000;
        let mut disputed = deal(2, "trade", "t", "m", "disputed");
        disputed.disputed_at = Some(0);
        let live = vec![paid, disputed];
        assert!(deadlines(&config, "c", &live, 600).is_empty());
        let f = deadlines(&config, "c", &live, 700);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "paid_not_released");
        let f = deadlines(&config, "c", &live, 3 * 86_400 + 1);
        assert!(
            f.iter()
                .any(|f| f.rule == "arbitration_overdue" && f.subject == "2")
        );
    }
}
