//! Rules over transfers: large transfer, velocity, structuring, pass-through, the
//! escrow's drain and the candidates of "new address with high volume". Pure: a [`FlowWindow`] holds the
//! recent transfers of one chain (the longest rule window) and is fed the newly
//! indexed ones in chain order; each is evaluated once, seeing exactly the transfers
//! before it, so the result does not depend on how blocks were batched.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde_json::json;

use crate::risk::{Evidence, Finding, Flow, RiskConfig, SubjectKind, usdt};

/// At most this many transfers are kept as an alert's evidence (the details carry
/// the full counts).
pub const MAX_EVIDENCE: usize = 20;

/// One transfer as seen from one of its parties.
#[derive(Debug, Clone, Copy)]
struct Touch {
    /// Index into the window's flows (monotonic; see `FlowWindow::base`).
    seq: u64,
    time: i64,
    amount: u128,
    incoming: bool,
}

/// The recent transfers of one chain and, per address, the ones it took part in.
#[derive(Debug, Default)]
pub struct FlowWindow {
    span_secs: i64,
    /// Sequence number of `flows[0]`.
    base: u64,
    flows: VecDeque<Flow>,
    touches: HashMap<String, VecDeque<Touch>>,
}

/// An address whose volume within the new-address age window reached the minimum;
/// it alerts if it was first seen within that window ([`new_address_findings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAddressCandidate {
    /// The chain.
    pub chain: String,
    /// The address.
    pub address: String,
    /// Its volume (in plus out) within the window.
    pub volume: u128,
    /// Time of the transfer that reached the minimum.
    pub at: i64,
    /// The transfers behind the volume (at most [`MAX_EVIDENCE`]).
    pub evidence: Vec<Flow>,
}

impl FlowWindow {
    /// An empty window keeping `span_secs` of history.
    pub fn new(span_secs: i64) -> Self {
        Self {
            span_secs,
            ..Self::default()
        }
    }

    /// How many transfers it holds.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Drops every transfer above block `ancestor` (after a reorg rollback).
    pub fn truncate_above(&mut self, ancestor: u64) {
        while self.flows.back().is_some_and(|f| f.block_number > ancestor) {
            let Some(f) = self.flows.pop_back() else {
                break;
            };
            for a in [&f.from, &f.to] {
                if let Some(t) = self.touches.get_mut(a) {
                    t.pop_back();
                    if t.is_empty() {
                        self.touches.remove(a);
                    }
                }
            }
        }
    }

    /// Adds a transfer that precedes everything evaluated (seeding the window at
    /// start-up) without evaluating it.
    pub fn seed(&mut self, flow: Flow) {
        self.push(flow);
    }

    fn push(&mut self, flow: Flow) -> u64 {
        let seq = self.base + self.flows.len() as u64;
        self.touches
            .entry(flow.from.clone())
            .or_default()
            .push_back(Touch {
                seq,
                time: flow.block_time,
                amount: flow.amount,
                incoming: false,
            });
        if flow.to != flow.from {
            self.touches
                .entry(flow.to.clone())
                .or_default()
                .push_back(Touch {
                    seq,
                    time: flow.block_time,
                    amount: flow.amount,
                    incoming: true,
                });
        }
        self.flows.push_back(flow);
        seq
    }

    /// Forgets transfers older than the span before `now`.
    fn evict(&mut self, now: i64) {
        let oldest = now.saturating_sub(self.span_secs);
        while self.flows.front().is_some_and(|f| f.block_time < oldest) {
            let Some(f) = self.flows.pop_front() else {
                break;
            };
            self.base += 1;
            for a in [&f.from, &f.to] {
                if let Some(t) = self.touches.get_mut(a) {
                    t.pop_front();
                    if t.is_empty() {
                        self.touches.remove(a);
                    }
                }
            }
        }
    }

    fn flow(&self, seq: u64) -> Option<&Flow> {
        self.flows
            .get(usize::try_from(seq.checked_sub(self.base)?).ok()?)
    }

    /// `address`'s touches within `(now - window, now]`, newest last.
    fn recent(&self, address: &str, now: i64, window: u64) -> impl Iterator<Item = &Touch> {
        let since = now.saturating_sub(i64::try_from(window).unwrap_or(i64::MAX));
        self.touches
            .get(address)
            .into_iter()
            .flat_map(|t| t.iter())
            .filter(move |t| t.time > since)
    }

    fn evidence<'a>(&self, touches: impl Iterator<Item = &'a Touch>) -> Vec<Evidence> {
        let seqs: Vec<u64> = touches.map(|t| t.seq).collect();
        // The newest ones: those that made the pattern.
        seqs.iter()
            .rev()
            .take(MAX_EVIDENCE)
            .rev()
            .filter_map(|s| self.flow(*s).cloned().map(Evidence::Transfer))
            .collect()
    }

    /// Adds `flows` (newly indexed, in chain order) and evaluates each against the
    /// transfers before it. `exempt` addresses are left out of the behavioural rules;
    /// `escrow` (in the transfers' form) is watched for a drain. Returns the findings
    /// and the new-address candidates.
    pub fn evaluate(
        &mut self,
        config: &RiskConfig,
        chain: &str,
        exempt: &BTreeSet<String>,
        escrow: Option<&str>,
        flows: Vec<Flow>,
    ) -> (Vec<Finding>, Vec<NewAddressCandidate>) {
        let mut findings = Vec::new();
        let mut candidates = Vec::new();
        for flow in flows {
            self.evict(flow.block_time);
            let seq = self.push(flow);
            let Some(f) = self.flow(seq).cloned() else {
                continue;
            };
            if let Some(x) = large_transfer(config, chain, &f) {
                findings.push(x);
            }
            if escrow == Some(f.from.as_str())
                && let Some(x) = self.escrow_drain(config, chain, &f)
            {
                findings.push(x);
            }
            for (address, other) in [(&f.from, &f.to), (&f.to, &f.from)] {
                if exempt.contains(address) {
                    continue;
                }
                if let Some(x) = self.velocity(config, chain, address, f.block_time) {
                    findings.push(x);
                }
                if let Some(c) = self.new_address_candidate(config, chain, address, f.block_time) {
                    candidates.push(c);
                }
                let outgoing = address == &f.from;
                if outgoing {
                    if let Some(x) = self.structuring(config, chain, address, &f) {
                        findings.push(x);
                    }
                    if !exempt.contains(other)
                        && let Some(x) = self.pass_through(config, chain, address, seq, &f)
                    {
                        findings.push(x);
                    }
                }
            }
        }
        (findings, candidates)
    }

    fn velocity(
        &self,
        config: &RiskConfig,
        chain: &str,
        address: &str,
        now: i64,
    ) -> Option<Finding> {
        let c = &config.velocity;
        if !c.enabled {
            return None;
        }
        let (count, amount) = self
            .recent(address, now, c.window_secs)
            .fold((0u64, 0u128), |(n, s), t| {
                (n + 1, s.saturating_add(t.amount))
            });
        let max_amount = u128::from(c.max_amount.units());
        if count <= c.max_count && amount <= max_amount {
            return None;
        }
        Some(Finding {
            rule: "velocity",
            severity: c.severity,
            chain: chain.to_owned(),
            subject_kind: SubjectKind::Address,
            subject: address.to_owned(),
            summary: format!(
                "{count} transfers moving {} USDT within {} s",
                usdt(amount),
                c.window_secs
            ),
            details: json!({
                "count": count,
                "amount": amount.to_string(),
                "window_secs": c.window_secs,
                "max_count": c.max_count,
                "max_amount": c.max_amount.units().to_string(),
            }),
            evidence: self.evidence(self.recent(address, now, c.window_secs)),
        })
    }

    fn structuring(
        &self,
        config: &RiskConfig,
        chain: &str,
        address: &str,
        f: &Flow,
    ) -> Option<Finding> {
        let c = &config.structuring;
        if !c.enabled {
            return None;
        }
        let threshold = u128::from(c.threshold.units());
        let floor = threshold - threshold * u128::from(c.margin_bps) / 10_000;
        let just_under = |a: u128| a >= floor && a < threshold;
        if !just_under(f.amount) {
            return None;
        }
        let hits: Vec<&Touch> = self
            .recent(address, f.block_time, c.window_secs)
            .filter(|t| !t.incoming && just_under(t.amount))
            .collect();
        let count = hits.len() as u64;
        if count < c.min_count {
            return None;
        }
        let total = hits.iter().fold(0u128, |s, t| s.saturating_add(t.amount));
        Some(Finding {
            rule: "structuring",
            severity: c.severity,
            chain: chain.to_owned(),
            subject_kind: SubjectKind::Address,
            subject: address.to_owned(),
            summary: format!(
                "{count} transfers just under {} USDT ({} USDT in all) within {} s",
                usdt(threshold),
                usdt(total),
                c.window_secs
            ),
            details: json!({
                "count": count,
                "total": total.to_string(),
                "threshold": threshold.to_string(),
                "band_floor": floor.to_string(),
                "window_secs": c.window_secs,
                "min_count": c.min_count,
            }),
            evidence: self.evidence(hits.into_iter()),
        })
    }

    fn pass_through(
        &self,
        config: &RiskConfig,
        chain: &str,
        address: &str,
        seq: u64,
        f: &Flow,
    ) -> Option<Finding> {
        let c = &config.pass_through;
        if !c.enabled || f.amount < u128::from(c.min_amount.units()) {
            return None;
        }
        let incoming: Vec<&Touch> = self
            .recent(address, f.block_time, c.window_secs)
            .filter(|t| t.incoming && t.seq < seq)
            .collect();
        let received = incoming
            .iter()
            .fold(0u128, |s, t| s.saturating_add(t.amount));
        if received < u128::from(c.min_amount.units())
            || f.amount.saturating_mul(10_000)
                < received.saturating_mul(u128::from(c.min_share_bps))
        {
            return None;
        }
        let mut evidence = self.evidence(incoming.into_iter());
        evidence.push(Evidence::Transfer(f.clone()));
        Some(Finding {
            rule: "pass_through",
            severity: c.severity,
            chain: chain.to_owned(),
            subject_kind: SubjectKind::Address,
            subject: address.to_owned(),
            summary: format!(
                "received {} USDT and sent {} USDT on within {} s",
                usdt(received),
                usdt(f.amount),
                c.window_secs
            ),
            details: json!({
                "received": received.to_string(),
                "sent": f.amount.to_string(),
                "to": f.to,
                "window_secs": c.window_secs,
                "min_share_bps": c.min_share_bps,
            }),
            evidence,
        })
    }

    /// The escrow (`f.from`) lost more than the limit within the window: what it
    /// sent out minus what it received, up to and including `f`.
    fn escrow_drain(&self, config: &RiskConfig, chain: &str, f: &Flow) -> Option<Finding> {
        let c = &config.escrow_drain;
        if !c.enabled {
            return None;
        }
        let (mut out, mut inflow, mut count) = (0u128, 0u128, 0u64);
        for t in self.recent(&f.from, f.block_time, c.window_secs) {
            if t.incoming {
                inflow = inflow.saturating_add(t.amount);
            } else {
                out = out.saturating_add(t.amount);
                count += 1;
            }
        }
        let lost = out.saturating_sub(inflow);
        let max = u128::from(c.max_outflow.units());
        if lost <= max {
            return None;
        }
        Some(Finding {
            rule: "escrow_drain",
            severity: c.severity,
            chain: chain.to_owned(),
            subject_kind: SubjectKind::Address,
            subject: f.from.clone(),
            summary: format!(
                "the escrow lost {} USDT within {} s ({} USDT out in {count} transfers, {} USDT in); the limit is {} USDT",
                usdt(lost),
                c.window_secs,
                usdt(out),
                usdt(inflow),
                usdt(max)
            ),
            details: json!({
                "lost": lost.to_string(),
                "out": out.to_string(),
                "in": inflow.to_string(),
                "count": count,
                "window_secs": c.window_secs,
                "max_outflow": max.to_string(),
            }),
            evidence: self.evidence(
                self.recent(&f.from, f.block_time, c.window_secs)
                    .filter(|t| !t.incoming),
            ),
        })
    }

    fn new_address_candidate(
        &self,
        config: &RiskConfig,
        chain: &str,
        address: &str,
        now: i64,
    ) -> Option<NewAddressCandidate> {
        let c = &config.new_address;
        if !c.enabled {
            return None;
        }
        let volume = self
            .recent(address, now, c.age_secs)
            .fold(0u128, |s, t| s.saturating_add(t.amount));
        if volume < u128::from(c.min_volume.units()) {
            return None;
        }
        let evidence = self
            .evidence(self.recent(address, now, c.age_secs))
            .into_iter()
            .filter_map(|e| match e {
                Evidence::Transfer(f) => Some(f),
                _ => None,
            })
            .collect();
        Some(NewAddressCandidate {
            chain: chain.to_owned(),
            address: address.to_owned(),
            volume,
            at: now,
            evidence,
        })
    }
}

/// One transfer of at least the threshold.
pub fn large_transfer(config: &RiskConfig, chain: &str, f: &Flow) -> Option<Finding> {
    let c = &config.large_transfer;
    let threshold = u128::from(c.threshold.units());
    if !c.enabled || f.amount < threshold {
        return None;
    }
    Some(Finding {
        rule: "large_transfer",
        severity: c.severity,
        chain: chain.to_owned(),
        subject_kind: SubjectKind::Address,
        subject: f.from.clone(),
        summary: format!("{} USDT sent to {}", usdt(f.amount), f.to),
        details: json!({
            "amount": f.amount.to_string(),
            "threshold": threshold.to_string(),
            "to": f.to,
            "tx_hash": f.tx_hash,
        }),
        evidence: vec![Evidence::Transfer(f.clone())],
    })
}

/// The candidates first seen (on this chain, per the indexer) within the age window
/// before the transfer that made their volume; `first_seen` maps an address to the
/// time of its first indexed transfer.
pub fn new_address_findings(
    config: &RiskConfig,
    candidates: Vec<NewAddressCandidate>,
    first_seen: &HashMap<String, i64>,
) -> Vec<Finding> {
    let c = &config.new_address;
    let age = i64::try_from(c.age_secs).unwrap_or(i64::MAX);
    candidates
        .into_iter()
        .filter_map(|cand| {
            let first = *first_seen.get(&cand.address)?;
            if cand.at.saturating_sub(first) > age {
                return None;
            }
            Some(Finding {
                rule: "new_address",
                severity: c.severity,
                chain: cand.chain,
                subject_kind: SubjectKind::Address,
                subject: cand.address,
                summary: format!(
                    "first seen {} s ago, moved {} USDT since",
                    cand.at.saturating_sub(first),
                    usdt(cand.volume)
                ),
                details: json!({
                    "first_seen": first,
                    "volume": cand.volume.to_string(),
                    "age_secs": c.age_secs,
                    "min_volume": c.min_volume.units().to_string(),
                }),
                evidence: cand.evidence.into_iter().map(Evidence::Transfer).collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: u128 = 1_000_000;

    fn flow(n: u64, time: i64, from: &str, to: &str, amount: u128) -> Flow {
        Flow {
            block_number: n,
            log_index: 0,
            block_hash: format!("0x{n:x}"),
            block_time: time,
            tx_hash: format!("0xt{n}"),
            from: from.into(),
            to: to.into(),
            amount,
        }
    }

    fn run(flows: Vec<Flow>) -> (Vec<Finding>, Vec<NewAddressCandidate>) {
        let config = RiskConfig::default();
        let mut w = FlowWindow::new(config.flow_span_secs());
        w.evaluate(&config, "c", &BTreeSet::new(), None, flows)
    }

    fn rules(f: &[Finding]) -> BTreeSet<&'static str> {
        f.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn large_transfer_at_threshold_only() {
        let (f, _) = run(vec![flow(1, 0, "a", "b", 9_999 * U)]);
        assert!(f.is_empty());
        let (f, _) = run(vec![flow(1, 0, "a", "b", 10_000 * U)]);
        assert_eq!(rules(&f), BTreeSet::from(["large_transfer"]));
        assert_eq!(f[0].subject, "a");
        assert_eq!(f[0].evidence.len(), 1);
    }

    #[test]
    fn velocity_by_count_within_window_only() {
        // 51 transfers spread over two hours: never more than 50 in one hour.
        let spread: Vec<Flow> = (0..51)
            .map(|i| flow(i, i as i64 * 150, "a", "b", U))
            .collect();
        assert!(!rules(&run(spread).0).contains("velocity"));
        let burst: Vec<Flow> = (0..51).map(|i| flow(i, i as i64, "a", "b", U)).collect();
        let (f, _) = run(burst);
        let v: Vec<_> = f.iter().filter(|f| f.rule == "velocity").collect();
        assert!(v.iter().any(|f| f.subject == "a"));
        assert_eq!(v[0].evidence.len(), MAX_EVIDENCE);
    }

    #[test]
    fn velocity_by_amount() {
        let f = run(vec![
            flow(1, 0, "a", "b", 60_000 * U),
            flow(2, 10, "a", "c", 50_000 * U),
        ])
        .0;
        assert!(f.iter().any(|f| f.rule == "velocity" && f.subject == "a"));
    }

    #[test]
    fn structuring_needs_three_just_under() {
        let two = vec![
            flow(1, 0, "a", "b", 9_500 * U),
            flow(2, 10, "a", "c", 9_900 * U),
            flow(3, 20, "a", "c", 8_000 * U), // below the band
        ];
        assert!(!rules(&run(two).0).contains("structuring"));
        let three = vec![
            flow(1, 0, "a", "b", 9_500 * U),
            flow(2, 10, "a", "c", 9_900 * U),
            flow(3, 20, "a", "d", 9_000 * U),
        ];
        let f = run(three).0;
        let s: Vec<_> = f.iter().filter(|f| f.rule == "structuring").collect();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].evidence.len(), 3);
    }

    #[test]
    fn pass_through_in_then_out_within_minutes() {
        let quick = vec![
            flow(1, 0, "x", "a", 5_000 * U),
            flow(2, 120, "a", "y", 4_900 * U),
        ];
        let f = run(quick).0;
        let p: Vec<_> = f.iter().filter(|f| f.rule == "pass_through").collect();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].subject, "a");
        assert_eq!(p[0].evidence.len(), 2);
        // Too late, or only part of it: nothing.
        let slow = vec![
            flow(1, 0, "x", "a", 5_000 * U),
            flow(2, 700, "a", "y", 4_900 * U),
        ];
        assert!(!rules(&run(slow).0).contains("pass_through"));
        let part = vec![
            flow(1, 0, "x", "a", 5_000 * U),
            flow(2, 60, "a", "y", 2_000 * U),
        ];
        assert!(!rules(&run(part).0).contains("pass_through"));
    }

    #[test]
    fn exempt_addresses_skip_behavioural_rules() {
        let config = RiskConfig::default();
        let mut w = FlowWindow::new(config.flow_span_secs());
        let exempt = BTreeSet::from(["a".to_owned(), "y".to_owned()]);
        let flows = (0..60).map(|i| flow(i, i as i64, "x", "a", U)).collect();
        let (f, _) = w.evaluate(&config, "c", &exempt, None, flows);
        assert!(f.iter().all(|f| f.subject != "a"));
        // Out to an exempt address (the escrow, a merchant) is not pass-through.
        let (f, _) = run(vec![
            flow(1, 0, "x", "b", 5_000 * U),
            flow(2, 1, "b", "y", 5_000 * U),
        ]);
        assert!(f.iter().any(|f| f.rule == "pass_through"));
        let mut w = FlowWindow::new(config.flow_span_secs());
        let (f, _) = w.evaluate(
            &config,
            "c",
            &exempt,
            None,
            vec![
                flow(1, 0, "x", "b", 5_000 * U),
                flow(2, 1, "b", "y", 5_000 * U),
            ],
        );
        assert!(!f.iter().any(|f| f.rule == "pass_through"));
    }

    #[test]
    fn escrow_drain_counts_net_outflow_within_window() {
        let mut config = RiskConfig::default();
        config.escrow_drain.enabled = true;
        config.escrow_drain.window_secs = 600;
        config.escrow_drain.max_outflow = stablerail_sdk::Amount::from_units(50_000_000_000);
        let exempt = BTreeSet::from(["e".to_owned()]);
        let drains = |flows: Vec<Flow>| {
            let mut w = FlowWindow::new(config.flow_span_secs());
            let (f, _) = w.evaluate(&config, "c", &exempt, Some("e"), flows);
            f.into_iter()
                .filter(|f| f.rule == "escrow_drain")
                .collect::<Vec<_>>()
        };
        // 6 × 9,000 out within 100 s: 54,000 lost, above 50,000, on the sixth.
        let out = |start: u64, t0: i64| -> Vec<Flow> {
            (0..6)
                .map(|i| {
                    flow(
                        start + i,
                        t0 + i as i64 * 20,
                        "e",
                        &format!("r{i}"),
                        9_000 * U,
                    )
                })
                .collect()
        };
        let f = drains(out(1, 1_000));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "e");
        assert_eq!(f[0].severity, crate::risk::Severity::Critical);
        assert_eq!(f[0].details["lost"], "54000000000");
        assert_eq!(f[0].details["count"], 6);
        assert_eq!(f[0].evidence.len(), 6);
        // Exactly the limit is allowed: 5 × 9,000 + 5,000.
        let mut at_limit = out(1, 1_000);
        at_limit[5].amount = 5_000 * U;
        assert!(drains(at_limit).is_empty());
        // Deposits within the window offset the outflow.
        let mut offset = vec![flow(0, 990, "d", "e", 10_000 * U)];
        offset.extend(out(1, 1_000));
        assert!(drains(offset).is_empty());
        // A deposit before the window does not.
        let mut early = vec![flow(0, 100, "d", "e", 10_000 * U)];
        early.extend(out(1, 1_000));
        assert_eq!(drains(early).len(), 1);
        // Spread beyond the window: never more than 50,000 within 600 s.
        let spread: Vec<Flow> = (0..6)
            .map(|i| flow(1 + i, 1_000 + i as i64 * 200, "e", "r", 9_000 * U))
            .collect();
        assert!(drains(spread).is_empty());
        // Another address's outflow is not the escrow's; off by default.
        let other: Vec<Flow> = (0..6)
            .map(|i| flow(1 + i, 1_000 + i as i64, "x", "r", 9_000 * U))
            .collect();
        assert!(drains(other).is_empty());
        let mut w = FlowWindow::new(RiskConfig::default().flow_span_secs());
        let (f, _) = w.evaluate(
            &RiskConfig::default(),
            "c",
            &exempt,
            Some("e"),
            out(1, 1_000),
        );
        assert!(!f.iter().any(|f| f.rule == "escrow_drain"));
    }

    #[test]
    fn new_address_needs_recent_first_sight() {
        let (_, c) = run(vec![flow(1, 100_000, "x", "n", 60_000 * U)]);
        assert!(c.iter().any(|c| c.address == "n"));
        let config = RiskConfig::default();
        let young = HashMap::from([("n".to_owned(), 90_000), ("x".to_owned(), 0)]);
        let f = new_address_findings(&config, c.clone(), &young);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "n");
        let old = HashMap::from([("n".to_owned(), 0), ("x".to_owned(), 0)]);
        assert!(new_address_findings(&config, c, &old).is_empty());
    }

    #[test]
    fn batching_does_not_change_findings() {
        let flows: Vec<Flow> = (0..40)
            .map(|i| flow(i, i as i64 * 30, &format!("s{}", i % 3), "m", 9_600 * U))
            .collect();
        let config = RiskConfig::default();
        let mut one = FlowWindow::new(config.flow_span_secs());
        let (all, _) = one.evaluate(&config, "c", &BTreeSet::new(), None, flows.clone());
        let mut many = FlowWindow::new(config.flow_span_secs());
        let mut split = Vec::new();
        for chunk in flows.chunks(7) {
            split.extend(
                many.evaluate(&config, "c", &BTreeSet::new(), None, chunk.to_vec())
                    .0,
            );
        }
        assert_eq!(all, split);
    }

    #[test]
    fn truncate_forgets_rolled_back_blocks() {
        let config = RiskConfig::default();
        let mut w = FlowWindow::new(config.flow_span_secs());
        let flows = vec![
            flow(1, 0, "a", "b", U),
            flow(2, 1, "a", "b", U),
            flow(3, 2, "a", "c", U),
        ];
        w.evaluate(&config, "c", &BTreeSet::new(), None, flows);
        w.truncate_above(1);
        assert_eq!(w.len(), 1);
        assert!(!w.touches.contains_key("c"));
        assert_eq!(w.touches["a"].len(), 1);
    }
}
