//! The indexer and its query API, running in-process next to the demo's chain
//! on a SQLite file, exactly as `stablerail-indexer run` would with this config.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use stablerail_indexer::{Config, Service, ServiceOptions, Store, create_api_key};

use crate::{
    LocalPlatform,
    error::{Error, Result},
};

/// Name of the demo's chain in the indexer's rows and API.
pub const DEMO_CHAIN: &str = "anvil";

/// A running indexer with its API; stopped by [`DemoIndexer::stop`] (or on drop
/// of the runtime).
#[derive(Debug)]
pub struct DemoIndexer {
    /// The store the indexer writes (also readable directly by tests).
    pub store: Store,
    /// Where the query API listens.
    pub api_addr: SocketAddr,
    /// A freshly created API key for the data routes (shown once, stored hashed).
    pub api_key: String,
    /// The SQLite file.
    pub database: PathBuf,
    service: Service,
}

impl DemoIndexer {
    /// Starts indexing `platform`'s chain (token, escrow and multisig from block 0)
    /// into a new SQLite file at `database` (any previous file is removed, so every
    /// run starts clean) and serves the API on a free localhost port.
    pub async fn start(platform: &LocalPlatform, database: &Path) -> Result<Self> {
        remove_database(database)?;
        let d = &platform.deployment;
        let config = Config::parse(&format!(
            r#"
database_url = "sqlite:{db}"
api_listen = "127.0.0.1:0"

[chains.{DEMO_CHAIN}]
kind = "evm"
rpc_urls = ["{rpc}"]
finality_depth = 2
head_lag = 0
poll_interval_ms = 200
usdt = "{usdt}"
escrow = "{escrow}"
multisig = "{multisig}"
"#,
            db = database.display(),
            rpc = platform.devnet.rpc_url(),
            usdt = d.token,
            escrow = d.escrow,
            multisig = d.multisig,
        ))?;
        let service = Service::start(&config, ServiceOptions::default()).await?;
        let (_, api_key) = create_api_key(service.store(), "demo").await?;
        let api_addr = service.api_addr().ok_or(Error::IndexerWithoutApi)?;
        Ok(Self {
            store: service.store().clone(),
            api_addr,
            api_key,
            database: database.to_owned(),
            service,
        })
    }

    /// Waits until every block up to `block` is stored (at most `timeout`).
    pub async fn wait_for(&self, block: u64, timeout: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let cursor = self.store.cursor(DEMO_CHAIN).await?;
            if cursor.is_some_and(|c| c.block_number >= block) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::IndexerBehind { block, timeout });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the pipeline and the API and waits for both.
    pub async fn stop(self) {
        self.service.stop().await;
    }
}

/// Removes a SQLite database and its WAL side files.
pub(crate) fn remove_database(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("removing the previous demo database")(e)),
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io("creating the demo database's folder"))?;
    }
    Ok(())
}

pub(crate) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { what, source }
}
