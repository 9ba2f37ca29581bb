//! The hard rules: an acceptor that fails any of them is never chosen.

use serde::{Deserialize, Serialize};

use super::{
    acceptor::{Acceptor, Entry},
    order::{Order, OrderKind},
};

/// Why an acceptor cannot take an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ineligible {
    /// It does not hold the acceptor role.
    NoRole,
    /// Its KYC level is below the order's minimum.
    KycTooLow,
    /// Its region is blocked for the order.
    RegionBlocked,
    /// Its online flag is off.
    Offline,
    /// No heartbeat within the configured timeout.
    HeartbeatMissed,
    /// It does not serve the order's currency.
    Currency,
    /// The amount is outside the range it serves.
    AmountOutOfRange,
    /// The amount is above its own maximum per deal.
    AboveMaxPerDeal,
    /// Locking the amount would exceed its own maximum locked.
    AboveMaxLocked,
    /// Not enough free collateral (available minus promised).
    InsufficientCollateral,
    /// Taken out after failures, until its cool-down ends.
    Eliminated,
    /// On probation and already busy with an order.
    ProbationBusy,
    /// It already failed this very order.
    AlreadyFailedThisOrder,
}

/// Every rule `acceptor` breaks for `order` at `now` (empty: eligible).
pub(super) fn check(
    acceptor: &Acceptor,
    entry: &Entry,
    order: &Order,
    now: u64,
    heartbeat_timeout_secs: u64,
) -> Vec<Ineligible> {
    let mut out = Vec::new();
    let mut fail = |cond: bool, why: Ineligible| {
        if cond {
            out.push(why);
        }
    };
    fail(!acceptor.has_role, Ineligible::NoRole);
    fail(
        acceptor.kyc_level < order.min_kyc_level,
        Ineligible::KycTooLow,
    );
    fail(
        order.blocked_regions.contains(&acceptor.region),
        Ineligible::RegionBlocked,
    );
    fail(!acceptor.online, Ineligible::Offline);
    fail(
        now.saturating_sub(acceptor.last_heartbeat) > heartbeat_timeout_secs,
        Ineligible::HeartbeatMissed,
    );
    fail(
        !acceptor.currencies.contains(&order.currency),
        Ineligible::Currency,
    );
    fail(
        order.amount < acceptor.min_amount || order.amount > acceptor.max_amount,
        Ineligible::AmountOutOfRange,
    );
    fail(
        order.amount > acceptor.max_per_deal,
        Ineligible::AboveMaxPerDeal,
    );
    if order.kind == OrderKind::Collection {
        let free = acceptor.available.saturating_sub(entry.promised);
        fail(order.amount > free, Ineligible::InsufficientCollateral);
        let would_lock =
            u128::from(acceptor.locked) + u128::from(entry.promised) + u128::from(order.amount);
        fail(
            would_lock > u128::from(acceptor.max_locked),
            Ineligible::AboveMaxLocked,
        );
    }
    fail(entry.standing.is_out(now), Ineligible::Eliminated);
    fail(
        entry.standing.is_probation() && entry.open > 0,
        Ineligible::ProbationBusy,
    );
    fail(
        order.excluded.contains(&acceptor.id),
        Ineligible::AlreadyFailedThisOrder,
    );
    out
}
