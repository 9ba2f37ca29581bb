//! Which acceptor gets an order: the [`AcceptorSelector`] the order loop asks. The
//! gateway's selector is [`super::selector::EngineSelector`], which feeds the pure
//! engine in `crate::dispatch`.

use std::{collections::BTreeSet, future::Future};

use crate::{dispatch::Decision, error::Result, store::Db};

/// What the choice is about.
#[derive(Debug, Clone)]
pub struct OrderAsk<'a> {
    /// The gateway's order id.
    pub id: &'a str,
    /// The merchant who placed it.
    pub merchant_id: &'a str,
    /// `collection` or `payout`.
    pub kind: &'a str,
    /// Chain name.
    pub chain: &'a str,
    /// Smallest units.
    pub amount: u64,
    /// Fiat currency of the order (ISO 4217; the merchant's payout bank account's).
    pub currency: &'a str,
    /// Acceptors that already had this order and did not take it (timed out,
    /// declined, or their assignment failed): never chosen again for it.
    pub excluded: &'a BTreeSet<String>,
}

/// Chooses an acceptor for an order.
pub trait AcceptorSelector: Send + Sync {
    /// The decision: the chosen acceptor's address (`chosen`, `None` if nobody is
    /// eligible now) with every candidate and its reasons, to be stored.
    fn decide(&self, db: &Db, ask: &OrderAsk<'_>) -> impl Future<Output = Result<Decision>> + Send;
}
