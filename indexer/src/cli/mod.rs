//! Command line: `run`, `migrate`, `backfill`, `status`, `api-key`.

mod api_key;
mod backfill;
mod run;
mod status;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use stablerail_indexer::{Config, Store};

/// Default config file looked for in the working directory.
const DEFAULT_CONFIG: &str = "stablerail-indexer.toml";

/// Indexes USDT transfers from EVM chains and TRON into SQLite or PostgreSQL and serves
/// them over a JSON API.
///
/// The config file (TOML) has `database_url` (default `sqlite:stablerail-indexer.db`;
/// `postgres://...` for PostgreSQL), `api_listen` (default `127.0.0.1:8080`) and one
/// `[chains.NAME]` section per chain with: `kind` (evm | tron), `rpc_urls` (first used,
/// the rest are fallbacks), `finality_depth` (blocks; default 64; TRON uses the solid
/// block), `start_block` (default 0), `usdt` (token contract), `escrow` and `multisig`
/// (optional), `watched` (optional list: only transfers touching these addresses),
/// `poll_interval_ms` (default 2000), `head_lag` (blocks to trail the head, default 1),
/// `initial_range`/`max_range` (eth_getLogs block range, default 100/10000),
/// `concurrency` (requests in flight, default 4), `request_timeout_ms` (default 30000),
/// `max_attempts` (per request, default 8).
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
pub(crate) struct Cli {
    /// Config file (TOML). Without it, `./stablerail-indexer.toml` is used if present.
    #[arg(long, short, env = "STABLERAIL_INDEXER_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Overrides the config's database_url (sqlite:PATH or postgres://...).
    #[arg(
        long,
        env = "STABLERAIL_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate, then index every configured chain and serve the query API until Ctrl-C.
    Run(run::Args),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Index one chain's blocks FROM..=TO and exit (resumes from the chain's cursor).
    Backfill(backfill::Args),
    /// Print every chain's cursor, head and lag.
    Status,
    /// Manage API keys for the query API's data routes.
    #[command(subcommand)]
    ApiKey(api_key::Command),
}

impl Cli {
    fn config(&self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::load(path)?,
            None if std::path::Path::new(DEFAULT_CONFIG).exists() => {
                Config::load(std::path::Path::new(DEFAULT_CONFIG))?
            }
            None => Config::parse("")?,
        };
        if let Some(url) = &self.database_url {
            config.database_url.clone_from(url);
        }
        Ok(config)
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url)
        .await
        .context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

/// Runs the parsed command line.
pub(crate) async fn main(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config()?;
    match cli.command {
        Command::Run(args) => run::run(config, args).await,
        Command::Migrate => {
            open_store(&config).await?;
            println!("database schema is up to date");
            Ok(())
        }
        Command::Backfill(args) => backfill::run(config, args).await,
        Command::Status => status::run(config).await,
        Command::ApiKey(cmd) => api_key::run(config, cmd).await,
    }
}
