//! `run`: every chain's pipeline plus the query API (a [`Service`]) until Ctrl-C or
//! SIGTERM.

use anyhow::Context as _;
use stablerail_indexer::{Config, Service, ServiceOptions};

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
    let options = ServiceOptions {
        api_listen: args.listen,
        chains: args.chains,
        no_api: args.no_api,
    };
    let service = Service::start(&config, options)
        .await
        .context("starting the indexer")?;
    // One line on stdout with the bound address: with `api_listen` at port 0 the
    // caller learns the port the system picked.
    if let Some(addr) = service.api_addr() {
        println!("api: http://{addr}");
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    service.stop().await;
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
