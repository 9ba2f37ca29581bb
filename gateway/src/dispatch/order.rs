//! The order to place ([`Order`]) and how an assigned order ended for its
//! acceptor ([`Outcome`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::AcceptorId;

/// What kind of order: a Collection locks the acceptor's collateral; a Payout
/// pays it the merchant's USDT for the fiat it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// Fiat in: the acceptor releases USDT from collateral to the merchant.
    Collection,
    /// Fiat out: the acceptor pays the merchant's bank and receives the USDT.
    Payout,
}

/// An order to place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The gateway's order id.
    pub id: String,
    /// Collection or payout.
    pub kind: OrderKind,
    /// Amount in smallest units.
    pub amount: u64,
    /// Fiat currency (ISO 4217).
    pub currency: String,
    /// Minimum KYC level of the counterparty.
    pub min_kyc_level: u8,
    /// Regions the order may not go to.
    pub blocked_regions: BTreeSet<u16>,
    /// Acceptors this order already went to and that failed it (never chosen again).
    pub excluded: BTreeSet<AcceptorId>,
}

/// How an assigned order ended for its acceptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Settled in time.
    Completed,
    /// The acceptor did not act within its window.
    TimedOut,
    /// The deal's payment deadline passed with nothing done.
    Expired,
    /// A dispute the arbiter resolved against the acceptor.
    DisputeLost,
    /// A dispute resolved for the acceptor.
    DisputeWon,
    /// Cancelled for a reason that is not the acceptor's (the merchant, the customer).
    Cancelled,
}

impl Outcome {
    /// Whether this counts as a failure of the acceptor.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::TimedOut | Self::Expired | Self::DisputeLost)
    }
}
