//! What every part of a running gateway shares.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::{config::Config, invoices::queue::CreateQueue, store::Db};

/// Shared by the API, the watcher and the sender.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The configuration.
    pub config: Arc<Config>,
    /// Woken after a commit that wrote outbox rows.
    pub outbox: Arc<Notify>,
    /// Base of checkout links (no trailing slash).
    pub public_url: String,
    /// Invoice creates waiting to be committed together (`invoices::batch`).
    pub creates: Arc<CreateQueue>,
    /// The risk monitor's shared state (the screening list).
    pub risk: Arc<crate::risk::shared::Shared>,
}
