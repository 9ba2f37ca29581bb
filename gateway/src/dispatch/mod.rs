//! The dispatcher's engine: which acceptor gets a collection or payout order.
//!
//! A pure module with no I/O: acceptors (as read from the indexer's derived
//! accounts and the gateway's heartbeats) and the history of their orders go in,
//! a [`Decision`] with its reasons comes out. The service around it reads the
//! chain, calls [`Book::decide`], assigns on chain and reports each order's end
//! with [`Book::finish`].
//!
//! The pipeline is always eligibility → elimination → strategy:
//! - [`eligibility`]: hard rules never relaxed — the acceptor role, KYC level and
//!   region, online with a recent heartbeat, currency and amount range served,
//!   the acceptor's own limits (docs/rules.md, "Acceptor limits") and enough free
//!   collateral (available balance minus what earlier decisions already promised).
//! - [`elimination`]: an acceptor that times out, lets deals expire or loses
//!   disputes above a threshold is out for a cool-down, then on probation.
//! - [`strategy`]: priority, weighted volume split, success rate over a sliding
//!   window with exploration, least load, contract (target volume), or uniform.
//!
//! Every decision records each candidate's inputs, eligibility and score, the
//! strategy and the seed, so [`Decision::replay`] recomputes it exactly.

mod acceptor;
mod book;
mod candidate;
mod config;
mod decision;
pub mod eligibility;
pub mod elimination;
mod history;
mod order;
mod shared_id;
pub mod simulation;
pub mod strategy;

pub use book::{Acceptor, Book, EngineConfig, Order, OrderKind, Outcome};
pub use decision::{CandidateInputs, CandidateReport, Decision, ReplayError};
pub use eligibility::Ineligible;
pub use elimination::EliminationPolicy;
pub use strategy::Strategy;

/// An acceptor's id: its escrow address, normalised.
pub type AcceptorId = String;

#[cfg(test)]
mod tests;
