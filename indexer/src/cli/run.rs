//! `run`: every chain's pipeline plus the query API.

use std::{collections::BTreeMap, sync::Arc};

use stablerail_indexer::{ChainIndexer, Config, api, metrics::Metrics};
use tokio::sync::watch;

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Listen address of the query API (overrides the config's api_listen).
    #[arg(long)]
    listen: Option<String>,
    /// Do not serve the query API.
    #[arg(long)]
    no_api: bool,
    /// Only these chains (repeatable); default: every configured chain.
    #[arg(long = "chain")]
    chains: Vec<String>,
}

pub(super) async fn run(config: Config, args: Args) -> anyhow::Result<()> {
    let store = super::open_store(&config).await?;
    let metrics = Arc::new(Metrics::default());
    let names: Vec<String> = if args.chains.is_empty() {
        config.chains.keys().cloned().collect()
    } else {
        for c in &args.chains {
            config.chain(c)?;
        }
        args.chains.clone()
    };
    let (tx, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    for name in &names {
        let indexer = ChainIndexer::new(name, config.chain(name)?, store.clone(), metrics.clone())?;
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
    let api_task = if args.no_api {
        None
    } else {
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
        let listen = args
            .listen
            .clone()
            .unwrap_or_else(|| config.api_listen.clone());
        let mut rx = rx.clone();
        Some(tokio::spawn(async move {
            api::serve(state, &listen, async move {
                let _ = rx.changed().await;
            })
            .await
        }))
    };
    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    if let Some(t) = api_task {
        t.await??;
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
