//! An acceptor as the engine knows it: its snapshot from the chain and the gateway
//! ([`Acceptor`]), and the book's entry around it ([`Entry`]).

use std::{collections::BTreeSet, sync::Arc};

use serde::{Deserialize, Serialize};

use super::{AcceptorId, elimination::Standing, history::History};

/// An acceptor as the chain and the gateway know it (refreshed with [`Book::upsert`](super::Book::upsert)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptor {
    /// Its escrow address.
    pub id: AcceptorId,
    /// It holds the acceptor role on chain.
    pub has_role: bool,
    /// KYC level recorded by compliance.
    pub kyc_level: u8,
    /// Region recorded by compliance.
    pub region: u16,
    /// Its own online flag (on chain, docs/rules.md "Acceptor limits").
    pub online: bool,
    /// Unix time of its last heartbeat to the gateway.
    pub last_heartbeat: u64,
    /// Available escrow balance (smallest units): its free collateral on chain.
    pub available: u64,
    /// Locked escrow balance (smallest units).
    pub locked: u64,
    /// Its own maximum per deal.
    pub max_per_deal: u64,
    /// Its own maximum locked in assigned deals.
    pub max_locked: u64,
    /// Fiat currencies it serves (ISO 4217).
    pub currencies: BTreeSet<String>,
    /// Smallest order it takes.
    pub min_amount: u64,
    /// Largest order it takes (besides `max_per_deal`).
    pub max_amount: u64,
    /// Static priority: lower goes first (strategy `priority`).
    pub priority: u32,
    /// Target share of volume in bps (strategy `volume_split`).
    pub target_share_bps: u32,
    /// Target volume for the period (strategy `contract`).
    pub target_volume: u64,
}

/// One acceptor in the book: its snapshot and what the engine knows besides.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Entry {
    pub(super) acceptor: Acceptor,
    /// `acceptor.id`, shared with the candidates of every decision.
    #[serde(with = "super::shared_id")]
    pub(super) id: Arc<str>,
    /// Collateral promised to decided collections not yet locked on chain.
    pub(super) promised: u64,
    /// Orders assigned and not finished.
    pub(super) open: u32,
    /// Volume assigned in the current period.
    pub(super) period_volume: u64,
    /// (time, outcome) of finished orders inside the window, oldest first, with
    /// its completed and failed counts.
    pub(super) history: History,
    /// Out, on probation, or in good standing.
    pub(super) standing: Standing,
}
