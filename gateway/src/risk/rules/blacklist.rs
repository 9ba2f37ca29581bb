//! The USDT contract's own blacklist: a transfer from or to an address that the
//! chain's USDT contract had blacklisted at that point of the chain.
//!
//! Tether's contract refuses transfers *from* a blacklisted address, so what shows
//! up in practice is funds sent *to* one (they are frozen on arrival) — a payer
//! who paid into a frozen wallet, or a hot wallet feeding one. The state is taken
//! at the transfer's own position: the address's last blacklist event before it
//! (block, log index) decides, so a listing later in the same block does not count.

use std::collections::HashMap;

use serde_json::json;

use crate::risk::{BlacklistEvent, Evidence, Finding, Flow, Severity, SubjectKind, usdt};

/// The rule's name.
pub const RULE: &str = "usdt_blacklist";

/// Every blacklist event of one chain's USDT contract, per address, in chain order.
/// Small (Tether lists addresses by the thousand, not the million), kept in memory,
/// fed range by range as the indexer commits and cut back on a reorg.
#[derive(Debug, Default)]
pub struct TokenBlacklist {
    by_address: HashMap<String, Vec<BlacklistEvent>>,
}

impl TokenBlacklist {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an event (events arrive in chain order; one already held, as when a
    /// range is read again after a failed commit, is ignored).
    pub fn apply(&mut self, e: BlacklistEvent) {
        let events = self.by_address.entry(e.address.clone()).or_default();
        if events
            .last()
            .is_none_or(|l| (l.block_number, l.log_index) < (e.block_number, e.log_index))
        {
            events.push(e);
        }
    }

    /// Forgets the events above block `ancestor` (a reorg rolled them back).
    pub fn truncate_above(&mut self, ancestor: u64) {
        self.by_address.retain(|_, events| {
            events.retain(|e| e.block_number <= ancestor);
            !events.is_empty()
        });
    }

    /// How many addresses are blacklisted after every event seen.
    pub fn listed(&self) -> usize {
        self.by_address
            .values()
            .filter(|events| events.last().is_some_and(|e| e.blacklisted))
            .count()
    }

    /// The event that left `address` blacklisted just before position
    /// (`block`, `log`), if it was.
    pub fn listing_before(&self, address: &str, block: u64, log: u64) -> Option<&BlacklistEvent> {
        self.by_address
            .get(address)?
            .iter()
            .rev()
            .find(|e| (e.block_number, e.log_index) < (block, log))
            .filter(|e| e.blacklisted)
    }

    /// A finding per blacklisted party of each transfer (subject: the listed
    /// address; evidence: the transfer and the event that listed it).
    pub fn screen(&self, severity: Severity, chain: &str, flows: &[Flow]) -> Vec<Finding> {
        if self.by_address.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for f in flows {
            for (address, role, other) in
                [(&f.from, "sender", &f.to), (&f.to, "recipient", &f.from)]
            {
                let Some(listing) = self.listing_before(address, f.block_number, f.log_index)
                else {
                    continue;
                };
                out.push(Finding {
                    rule: RULE,
                    severity,
                    chain: chain.to_owned(),
                    subject_kind: SubjectKind::Address,
                    subject: address.clone(),
                    summary: format!(
                        "{role} of {} USDT is blacklisted by the USDT contract since block {}",
                        usdt(f.amount),
                        listing.block_number
                    ),
                    details: json!({
                        "role": role,
                        "counterparty": other,
                        "token": listing.token,
                        "listed_block": listing.block_number,
                        "listed_tx": listing.tx_hash,
                        "listing_event": listing.event,
                    }),
                    evidence: vec![
                        Evidence::Transfer(f.clone()),
                        Evidence::Blacklist(listing.clone()),
                    ],
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTED: &str = "0x00000000000000000000000000000000000000aa";
    const CLEAN: &str = "0x00000000000000000000000000000000000000bb";

    fn event(block: u64, log: u64, event: &str, blacklisted: bool) -> BlacklistEvent {
        BlacklistEvent {
            block_number: block,
            log_index: log,
            block_hash: format!("0xb{block}"),
            block_time: block as i64 * 12,
            tx_hash: format!("0xt{block}"),
            token: "0x00000000000000000000000000000000000000cc".into(),
            address: LISTED.into(),
            event: event.into(),
            blacklisted,
        }
    }

    fn flow(block: u64, log: u64, from: &str, to: &str) -> Flow {
        Flow {
            block_number: block,
            log_index: log,
            block_hash: format!("0xb{block}"),
            block_time: block as i64 * 12,
            tx_hash: format!("0xf{block}"),
            from: from.into(),
            to: to.into(),
            amount: 7_000_000,
        }
    }

    #[test]
    fn flags_transfers_to_and_from_listed_addresses_after_the_listing() {
        let mut list = TokenBlacklist::new();
        list.apply(event(10, 3, "added", true));
        list.apply(event(10, 3, "added", true));
        assert_eq!(list.by_address[LISTED].len(), 1, "a repeat is ignored");
        // Before the listing (an earlier block, or earlier in the same block): clean.
        let before = [flow(9, 0, CLEAN, LISTED), flow(10, 2, CLEAN, LISTED)];
        assert!(list.screen(Severity::High, "c", &before).is_empty());
        // After it, either way round, with the transfer and the listing as evidence.
        let hits = list.screen(
            Severity::High,
            "c",
            &[flow(10, 4, CLEAN, LISTED), flow(11, 0, LISTED, CLEAN)],
        );
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].rule, RULE);
        assert_eq!(hits[0].subject, LISTED);
        assert_eq!(hits[0].details["role"], "recipient");
        assert_eq!(hits[0].details["counterparty"], CLEAN);
        assert_eq!(hits[1].details["role"], "sender");
        assert_eq!(hits[0].evidence.len(), 2);
        assert!(matches!(&hits[0].evidence[1], Evidence::Blacklist(e) if e.block_number == 10));
        assert_eq!(hits[0].block_number(), Some(10));
        // Transfers between clean parties never match.
        assert!(
            list.screen(Severity::High, "c", &[flow(12, 0, CLEAN, CLEAN)])
                .is_empty()
        );
    }

    #[test]
    fn removal_clears_and_destroyed_funds_keep_listed() {
        let mut list = TokenBlacklist::new();
        list.apply(event(10, 0, "added", true));
        list.apply(event(20, 0, "funds_destroyed", true));
        list.apply(event(30, 0, "removed", false));
        assert_eq!(list.listed(), 0);
        let hit = list.listing_before(LISTED, 25, 0).map(|e| e.event.as_str());
        assert_eq!(hit, Some("funds_destroyed"));
        assert!(list.listing_before(LISTED, 31, 0).is_none());
        assert!(
            list.screen(Severity::High, "c", &[flow(31, 0, CLEAN, LISTED)])
                .is_empty()
        );
    }

    #[test]
    fn reorg_forgets_rolled_back_listings() {
        let mut list = TokenBlacklist::new();
        list.apply(event(10, 0, "added", true));
        list.apply(event(15, 0, "removed", false));
        list.truncate_above(12);
        // The removal was rolled back: still listed.
        assert_eq!(list.listed(), 1);
        list.truncate_above(9);
        assert_eq!(list.listed(), 0);
        assert!(
            list.screen(Severity::High, "c", &[flow(11, 0, CLEAN, LISTED)])
                .is_empty()
        );
    }
}
