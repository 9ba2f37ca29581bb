//! Serde for an acceptor id shared as `Arc<str>` between the book and the
//! candidates of its decisions: written and read as a plain string.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serializer};

/// Writes the id as a string.
pub(crate) fn serialize<S: Serializer>(id: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(id)
}

/// Reads a string as a shared id.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
    String::deserialize(d).map(Arc::from)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::dispatch::{Acceptor, Book, Decision, EngineConfig, Order, OrderKind};

    /// A stored decision reads back equal and replays; its ids are plain strings.
    #[test]
    fn a_decision_round_trips_through_json() {
        let mut book = Book::new(EngineConfig::default());
        for i in 0..3u32 {
            book.upsert(Acceptor {
                id: format!("0xacc{i}"),
                has_role: true,
                kyc_level: 1,
                region: 1,
                online: true,
                last_heartbeat: 1_000,
                available: 10_000_000,
                locked: 0,
                max_per_deal: 10_000_000,
                max_locked: 10_000_000,
                currencies: BTreeSet::from(["EUR".to_owned()]),
                min_amount: 1,
                max_amount: 10_000_000,
                priority: i,
                target_share_bps: 0,
                target_volume: 0,
            });
        }
        let order = Order {
            id: "o1".into(),
            kind: OrderKind::Collection,
            amount: 1_000_000,
            currency: "EUR".into(),
            min_kyc_level: 0,
            blocked_regions: BTreeSet::new(),
            excluded: BTreeSet::new(),
        };
        let d = book.decide(&order, 1_000, 42);
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["candidates"][1]["id"], "0xacc1");
        let back: Decision = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.replay(), Ok(()));
        let book_json = serde_json::to_value(&book).unwrap();
        let again: Book = serde_json::from_value(book_json).unwrap();
        assert_eq!(
            again.free_collateral("0xacc1"),
            book.free_collateral("0xacc1")
        );
    }
}
