//! A running gateway: the embedded indexer `Service` (same database), the invoice
//! watcher, the webhook sender and the HTTP API, in the caller's tokio runtime.

use std::{net::SocketAddr, sync::Arc};

use stablerail_indexer::{Service, ServiceOptions};
use tokio::{
    sync::{Notify, watch},
    task::JoinHandle,
};

use crate::{
    api,
    config::Config,
    error::{Error, Result},
    invoices::watcher,
    orders, risk,
    state::AppState,
    store::Db,
    webhooks::sender,
};

/// What to start besides the API.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Run the embedded indexer (off when another process indexes the database).
    pub indexer: bool,
    /// Run the invoice watcher.
    pub watcher: bool,
    /// Run the webhook sender.
    pub sender: bool,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        Self {
            indexer: true,
            watcher: true,
            sender: true,
        }
    }
}

/// A running gateway.
#[derive(Debug)]
pub struct Gateway {
    app: AppState,
    addr: SocketAddr,
    indexer: Option<Service>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Gateway {
    /// Starts everything `options` asks for; returns once the API listens.
    pub async fn start(config: Config, options: GatewayOptions) -> Result<Self> {
        let indexer = if options.indexer {
            Some(
                Service::start(
                    &config.indexer,
                    ServiceOptions {
                        no_api: true,
                        ..Default::default()
                    },
                )
                .await?,
            )
        } else {
            // Still create and migrate the indexer's tables the watcher reads.
            stablerail_indexer::Store::open(&config.database_url).await?;
            None
        };
        let db = Db::open_sized(&config.database_url, config.database_max_connections).await?;
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .map_err(Error::Serve)?;
        let addr = listener.local_addr().map_err(Error::Serve)?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        let risk = Arc::new(risk::shared::Shared::new(&config));
        let app = AppState {
            db,
            risk,
            config: Arc::new(config),
            outbox: Arc::new(Notify::new()),
            public_url,
            creates: Arc::default(),
        };
        let (shutdown, rx) = watch::channel(false);
        let mut tasks = Vec::new();
        if options.watcher {
            tasks.push(tokio::spawn(watcher::run(app.clone(), rx.clone())));
        }
        if options.watcher {
            tasks.push(tokio::spawn(orders::run(
                app.clone(),
                orders::selector::EngineSelector::new(app.config.dispatch.clone()),
                rx.clone(),
            )));
        }
        if options.watcher && app.config.risk.enabled {
            tasks.push(tokio::spawn(risk::monitor::run(app.clone(), rx.clone())));
        }
        if options.sender {
            tasks.push(tokio::spawn(sender::run(app.clone(), rx.clone())));
        }
        let mut router = api::router(app.clone());
        if let Some(service) = &indexer {
            // The indexer's query API on the same base URL, under /indexer (its data
            // routes take the indexer's own API keys).
            let state = stablerail_indexer::api::ApiState {
                store: service.store().clone(),
                metrics: service.metrics().clone(),
                chains: Arc::new(
                    app.config
                        .indexer
                        .chains
                        .iter()
                        .map(|(n, c)| (n.clone(), c.kind))
                        .collect(),
                ),
            };
            router = router.nest("/indexer", stablerail_indexer::api::router(state));
        }
        let mut api_rx = rx;
        tasks.push(tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = api_rx.changed().await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "gateway API stopped");
            }
        }));
        tracing::info!(%addr, "gateway started");
        Ok(Self {
            app,
            addr,
            indexer,
            shutdown,
            tasks,
        })
    }

    /// Where the API listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (database, config).
    pub fn app(&self) -> &AppState {
        &self.app
    }

    /// Stops every part and waits for them.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        if let Some(i) = self.indexer {
            i.stop().await;
        }
    }
}
