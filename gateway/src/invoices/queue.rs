//! The queue invoice creates wait in for a group commit (`batch.rs`), and what a
//! create carries into it and gets back. Its own file so the shared state
//! (`state.rs`) holds the queue without importing the batch code that reads the state.

use std::sync::Mutex;

use serde_json::Value;
use tokio::sync::oneshot;

use crate::{invoices::Invoice, store::idempotency::Slot};

/// Most creates committed together (SQLite allows 32,766 bound values; a create
/// binds at most 13 per statement).
pub(super) const MAX_BATCH: usize = 256;

/// A create ready to be written.
#[derive(Debug)]
pub struct Prepared {
    /// The invoice (its `seq` is filled in once written).
    pub invoice: Invoice,
    /// The `invoice.created` event's data.
    pub data: Value,
    /// The answer (JSON text).
    pub body: String,
    /// What is recorded under the slot: the answer without its QR code, which a
    /// replay draws again from the payment URI ([`super::replayed_answer`]).
    pub record: String,
    /// The Idempotency-Key to record with it.
    pub slot: Option<Slot>,
}

/// How a create ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Committed with this `seq`.
    Created(i64),
    /// Its unique amount is reserved by another invoice: choose another (this one
    /// if it is free: no other create of the batch was told it).
    AmountTaken(Option<u64>),
    /// Its Idempotency-Key was recorded by another request: nothing written.
    SlotTaken,
    /// Another create of the batch has the same Idempotency-Key: nothing written; run
    /// again (the key then answers [`Outcome::SlotTaken`], unless that create failed).
    Again,
}

pub(super) struct Pending {
    pub(super) job: Prepared,
    pub(super) reply: oneshot::Sender<Result<Outcome, String>>,
}

/// The queue of creates waiting for a leader.
#[derive(Default)]
pub struct CreateQueue {
    pub(super) queue: Mutex<Vec<Pending>>,
    pub(super) leader: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for CreateQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CreateQueue")
    }
}
