//! What the engine knew of one acceptor when it decided: the inputs a strategy
//! scores and a decision records.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::eligibility::Ineligible;

/// What the engine knew of one acceptor when it decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateInputs {
    /// The acceptor (its [`AcceptorId`](super::AcceptorId), shared with the book: a
    /// decision lists every acceptor, and copying each id was a memory allocation
    /// per candidate; issue #14). Serialized as the plain string.
    #[serde(with = "super::shared_id")]
    pub id: Arc<str>,
    /// The hard rules it broke (empty: eligible).
    pub ineligible: Vec<Ineligible>,
    /// Available minus promised collateral.
    pub free_collateral: u64,
    /// Locked on chain.
    pub locked: u64,
    /// Promised to earlier decisions, not yet locked.
    pub promised: u64,
    /// Orders assigned and not finished.
    pub open: u32,
    /// Volume assigned this period.
    pub period_volume: u64,
    /// Orders completed in the window.
    pub completed: u32,
    /// Orders failed in the window (timed out, expired, dispute lost).
    pub failed: u32,
    /// Static priority.
    pub priority: u32,
    /// Target share of volume (bps).
    pub target_share_bps: u32,
    /// Target volume for the period.
    pub target_volume: u64,
}
