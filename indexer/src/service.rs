//! The indexer as a library service: every configured chain's pipeline plus the query
//! API in the current tokio runtime, as `stablerail-indexer run` does in its own
//! process. For embedding (the demo) and tests.
//!
//! ```no_run
//! # async fn demo(config: stablerail_indexer::Config) -> stablerail_indexer::Result<()> {
//! use stablerail_indexer::{Service, ServiceOptions, create_api_key};
//! let service = Service::start(&config, ServiceOptions::default()).await?;
//! let (_id, key) = create_api_key(service.store(), "analyst").await?;
//! if let Some(addr) = service.api_addr() {
//!     println!("http://{addr}/v1/deals?chain=ethereum  (x-api-key: {key})");
//! }
//! service.stop().await;
//! # Ok(()) }
//! ```

use std::{collections::BTreeMap, net::SocketAddr, sync::Arc};

use tokio::{sync::watch, task::JoinHandle};

use crate::{
    api,
    config::Config,
    error::{Error, Result},
    metrics::Metrics,
    pipeline::ChainIndexer,
    store::Store,
};

/// How to start a [`Service`].
#[derive(Debug, Clone, Default)]
pub struct ServiceOptions {
    /// Listen address of the query API; `None` uses the config's `api_listen`.
    /// Port 0 picks a free port ([`Service::api_addr`] tells which).
    pub api_listen: Option<String>,
    /// Only these chains; empty means every configured chain.
    pub chains: Vec<String>,
    /// Do not serve the query API (pipelines only).
    pub no_api: bool,
}

/// A running indexer: one pipeline per chain and the query API.
#[derive(Debug)]
pub struct Service {
    store: Store,
    metrics: Arc<Metrics>,
    api_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Service {
    /// Opens (and migrates) the store, starts every chain's pipeline (each under its
    /// chain lock) and serves the API unless [`ServiceOptions::no_api`]. Returns once the
    /// API listens.
    pub async fn start(config: &Config, options: ServiceOptions) -> Result<Self> {
        config.validate()?;
        let names: Vec<String> = if options.chains.is_empty() {
            config.chains.keys().cloned().collect()
        } else {
            for c in &options.chains {
                config.chain(c)?;
            }
            options.chains.clone()
        };
        let store = Store::open(&config.database_url).await?;
        let metrics = Arc::new(Metrics::default());
        let (shutdown, rx) = watch::channel(false);
        let mut tasks = Vec::new();
        for name in &names {
            let indexer =
                ChainIndexer::new(name, config.chain(name)?, store.clone(), metrics.clone())?;
            let store = store.clone();
            let rx = rx.clone();
            let name = name.clone();
            tasks.push(tokio::spawn(async move {
                let _lock = match store.lock_chain(&name).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(chain = %name, error = %e, "cannot take the chain lock");
                        return;
                    }
                };
                tracing::info!(chain = %name, "indexing");
                indexer.run(rx).await;
            }));
        }
        let api_addr = if options.no_api {
            None
        } else {
            let listen = options
                .api_listen
                .clone()
                .unwrap_or_else(|| config.api_listen.clone());
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(Error::Serve)?;
            let api_addr = listener.local_addr().map_err(Error::Serve)?;
            let state = api::ApiState {
                store: store.clone(),
                metrics: metrics.clone(),
                chains: Arc::new(
                    config
                        .chains
                        .iter()
                        .map(|(n, c)| (n.clone(), c.kind))
                        .collect::<BTreeMap<_, _>>(),
                ),
            };
            let mut api_rx = rx;
            tasks.push(tokio::spawn(async move {
                let served = api::serve_on(listener, state, async move {
                    let _ = api_rx.changed().await;
                })
                .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "query API stopped");
                }
            }));
            Some(api_addr)
        };
        tracing::info!(api_addr = ?api_addr, chains = names.len(), "indexer service started");
        Ok(Self {
            store,
            metrics,
            api_addr,
            shutdown,
            tasks,
        })
    }

    /// Where the query API listens; `None` when started with [`ServiceOptions::no_api`].
    pub fn api_addr(&self) -> Option<SocketAddr> {
        self.api_addr
    }

    /// The store the pipelines write (readable directly).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Counters of this service (reorgs, batches, requests).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Stops the pipelines and the API and waits for them.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Creates an API key named `name`: returns its id and the key (shown once; only its
/// sha256 is stored).
pub async fn create_api_key(store: &Store, name: &str) -> Result<(i64, String)> {
    if name.trim().is_empty() {
        return Err(Error::BadParam {
            param: "name",
            reason: "must not be empty".into(),
        });
    }
    let key = api::generate_api_key();
    let id = store.create_api_key(name, &api::hash_api_key(&key)).await?;
    Ok((id, key))
}
