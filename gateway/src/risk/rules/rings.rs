//! Self-dealing rings: a merchant and its counterparty (the trader of its trades,
//! the acceptor of its collections) funded from the same address within the
//! window — or one funding the other — while their deals together pile up volume,
//! the volume that buys the merchant a cheaper fee tier (wash volume).
//!
//! Funding is an incoming transfer; the escrow, the zero address (mints), the
//! merchants' receiving addresses and `risk.exempt` (exchanges, the platform's hot
//! wallets) are not funding sources anyone shares by choice, so they are left out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::json;

use crate::risk::{
    Evidence, Finding, Flow, SubjectKind,
    config::SelfDealing,
    rules::{escrow::DealRow, flows::MAX_EVIDENCE},
    usdt,
};

/// The rule's name.
pub const RULE: &str = "self_dealing";

/// The (merchant, counterparty) pairs of `deals` worth checking: trades and
/// collections opened at or after `since` between two different addresses.
pub fn pairs(deals: &[DealRow], since: i64) -> BTreeMap<(String, String), Vec<&DealRow>> {
    let mut out: BTreeMap<(String, String), Vec<&DealRow>> = BTreeMap::new();
    for d in deals {
        if !matches!(d.kind.as_str(), "trade" | "collection") || d.opened_time < since {
            continue;
        }
        let Some(party) = d.counterparty() else {
            continue;
        };
        if party == d.merchant {
            continue;
        }
        out.entry((d.merchant.clone(), party.to_owned()))
            .or_default()
            .push(d);
    }
    out
}

/// A finding per merchant and counterparty that share a funding source (or fund
/// each other) within the window and dealt at least `min_deals` deals and
/// `min_volume` together. `funding` holds each address's incoming transfers since
/// `now - window_secs`.
pub fn rings(
    config: &SelfDealing,
    chain: &str,
    deals: &[DealRow],
    funding: &HashMap<String, Vec<Flow>>,
    exempt: &BTreeSet<String>,
    now: i64,
) -> Vec<Finding> {
    let since = now.saturating_sub(i64::try_from(config.window_secs).unwrap_or(i64::MAX));
    // Incoming transfers of `who` in the window from a non-exempt address (or from
    // the pair itself: a merchant's receiving address is exempt elsewhere, yet its
    // funding its own trader is the point here).
    let funded = |who: &str, pair: [&str; 2]| -> Vec<&Flow> {
        funding
            .get(who)
            .map(|fs| {
                fs.iter()
                    .filter(|f| {
                        f.block_time >= since
                            && f.to == who
                            && (!exempt.contains(&f.from) || pair.contains(&f.from.as_str()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for ((merchant, party), ds) in pairs(deals, since) {
        let volume = ds.iter().fold(0u128, |a, d| a.saturating_add(d.amount));
        if (ds.len() as u64) < config.min_deals.max(1)
            || volume < u128::from(config.min_volume.units())
        {
            continue;
        }
        let pair = [merchant.as_str(), party.as_str()];
        let (to_merchant, to_party) = (funded(&merchant, pair), funded(&party, pair));
        let sources_of =
            |fs: &[&Flow]| -> BTreeSet<String> { fs.iter().map(|f| f.from.clone()).collect() };
        let (m_sources, p_sources) = (sources_of(&to_merchant), sources_of(&to_party));
        let mut shared: BTreeSet<String> = m_sources.intersection(&p_sources).cloned().collect();
        // One funding the other directly is the tightest ring of all.
        if p_sources.contains(&merchant) {
            shared.insert(merchant.clone());
        }
        if m_sources.contains(&party) {
            shared.insert(party.clone());
        }
        if shared.is_empty() {
            continue;
        }
        let mut transfers: Vec<&Flow> = to_merchant
            .iter()
            .chain(to_party.iter())
            .filter(|f| shared.contains(&f.from))
            .copied()
            .collect();
        transfers.sort_by_key(|f| (f.block_number, f.log_index));
        let mut evidence: Vec<Evidence> = transfers
            .iter()
            .rev()
            .take(MAX_EVIDENCE)
            .map(|f| Evidence::Transfer((*f).clone()))
            .collect();
        evidence.extend(ds.iter().rev().take(MAX_EVIDENCE).map(|d| Evidence::Deal {
            deal_id: d.deal_id,
            block_number: Some(d.last_block),
            data: serde_json::to_value(d).unwrap_or_default(),
        }));
        let funded_total = transfers
            .iter()
            .fold(0u128, |a, f| a.saturating_add(f.amount));
        out.push(Finding {
            rule: RULE,
            severity: config.severity,
            chain: chain.to_owned(),
            subject_kind: SubjectKind::Address,
            subject: merchant.clone(),
            summary: format!(
                "merchant and {party} share funding from {} address(es) and dealt {} USDT in {} deals",
                shared.len(),
                usdt(volume),
                ds.len()
            ),
            details: json!({
                "counterparty": party,
                "shared_sources": shared,
                "funded": funded_total.to_string(),
                "volume": volume.to_string(),
                "deals": ds.len(),
                "window_secs": config.window_secs,
                "min_volume": config.min_volume.units().to_string(),
            }),
            evidence,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: u128 = 1_000_000;

    fn deal(id: u64, kind: &str, seller: &str, merchant: &str, amount: u128) -> DealRow {
        DealRow {
            deal_id: id,
            kind: kind.into(),
            seller: seller.into(),
            buyer: Some(merchant.into()),
            merchant: merchant.into(),
            amount,
            state: "released".into(),
            deadline: 10_000,
            opened_time: 5_000 + id as i64,
            disputed_at: None,
            last_block: 100 + id,
        }
    }

    fn transfer(block: u64, from: &str, to: &str, amount: u128) -> Flow {
        Flow {
            block_number: block,
            log_index: 0,
            block_hash: format!("0xb{block}"),
            block_time: block as i64 * 10,
            tx_hash: format!("0xt{block}"),
            from: from.into(),
            to: to.into(),
            amount,
        }
    }

    fn funding(flows: &[Flow]) -> HashMap<String, Vec<Flow>> {
        let mut m: HashMap<String, Vec<Flow>> = HashMap::new();
        for f in flows {
            m.entry(f.to.clone()).or_default().push(f.clone());
        }
        m
    }

    fn config() -> SelfDealing {
        SelfDealing {
            min_volume: stablerail_sdk::Amount::from_units(10_000 * 1_000_000),
            min_deals: 3,
            ..SelfDealing::default()
        }
    }

    fn wash(trader: &str) -> Vec<DealRow> {
        (0..4)
            .map(|i| deal(i, "trade", trader, "m", 3_000 * U))
            .collect()
    }

    #[test]
    fn shared_funder_with_wash_volume_fires() {
        // "s" funds both the merchant and the trader; 12,000 USDT of trades follow.
        let f = funding(&[
            transfer(400, "s", "m", 5_000 * U),
            transfer(401, "s", "t", 5_000 * U),
            transfer(402, "x", "t", 7 * U),
        ]);
        let got = rings(&config(), "c", &wash("t"), &f, &BTreeSet::new(), 6_000);
        assert_eq!(got.len(), 1, "{got:?}");
        let g = &got[0];
        assert_eq!((g.rule, g.subject.as_str()), (RULE, "m"));
        assert_eq!(g.details["counterparty"], "t");
        assert_eq!(g.details["shared_sources"], json!(["s"]));
        assert_eq!(g.details["volume"], (12_000 * U).to_string());
        assert_eq!(g.details["funded"], (10_000 * U).to_string());
        // Two funding transfers (the unrelated one left out) and the four deals.
        let kinds: Vec<&str> = g
            .evidence
            .iter()
            .map(|e| match e {
                Evidence::Transfer(_) => "transfer",
                Evidence::Deal { .. } => "deal",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            ["transfer", "transfer", "deal", "deal", "deal", "deal"]
        );
        assert_eq!(g.block_number(), Some(401));
    }

    #[test]
    fn merchant_funding_its_own_acceptor_fires() {
        let ds: Vec<DealRow> = (0..3)
            .map(|i| deal(i, "collection", "a", "m", 4_000 * U))
            .collect();
        let f = funding(&[transfer(400, "m", "a", 20_000 * U)]);
        // Even when the merchant's address is exempt from the behavioural rules.
        let exempt: BTreeSet<String> = ["m".to_owned()].into();
        let got = rings(&config(), "c", &ds, &f, &exempt, 6_000);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].details["shared_sources"], json!(["m"]));
    }

    #[test]
    fn benign_cases_stay_quiet() {
        let exempt: BTreeSet<String> = ["exchange".to_owned()].into();
        let c = config();
        // Different funders.
        let f = funding(&[transfer(400, "s1", "m", U), transfer(401, "s2", "t", U)]);
        assert!(rings(&c, "c", &wash("t"), &f, &exempt, 6_000).is_empty());
        // The same exchange (exempt) pays out to both.
        let f = funding(&[
            transfer(400, "exchange", "m", U),
            transfer(401, "exchange", "t", U),
        ]);
        assert!(rings(&c, "c", &wash("t"), &f, &exempt, 6_000).is_empty());
        // A shared funder, but little volume or too few deals.
        let f = funding(&[transfer(400, "s", "m", U), transfer(401, "s", "t", U)]);
        let small: Vec<DealRow> = (0..4)
            .map(|i| deal(i, "trade", "t", "m", 100 * U))
            .collect();
        assert!(rings(&c, "c", &small, &f, &exempt, 6_000).is_empty());
        assert!(rings(&c, "c", &wash("t")[..2], &f, &exempt, 6_000).is_empty());
        // A shared funder, but its transfers (at 4,000 and 4,010 s) are older than
        // the window that the recent deals fall in.
        let now = 4_011 + i64::try_from(c.window_secs).unwrap();
        let mut recent = wash("t");
        for d in &mut recent {
            d.opened_time = now - 10;
        }
        assert!(rings(&c, "c", &recent, &f, &exempt, now).is_empty());
        assert_eq!(rings(&c, "c", &recent, &f, &exempt, now - 11).len(), 1);
        // Payouts are not counted (the merchant is the seller there).
        let payouts: Vec<DealRow> = (0..4)
            .map(|i| {
                let mut d = deal(i, "payout", "m", "m", 3_000 * U);
                d.buyer = Some("t".into());
                d
            })
            .collect();
        assert!(rings(&c, "c", &payouts, &f, &exempt, 6_000).is_empty());
    }
}
