//! `stablerail-gateway`: run the gateway, migrate, register merchants, sign a
//! dashboard sign-in message with a wallet key.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::json;
use stablerail_gateway::{
    Config, Gateway, GatewayOptions, auth,
    merchants::{self, NewMerchant},
    orders::acceptors::{self, NewAcceptor},
    store::Db,
};

/// The stablerail gateway: invoices, webhooks and checkout over the embedded indexer.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// The configuration file.
    #[arg(
        long,
        default_value = "gateway.toml",
        env = "STABLERAIL_GATEWAY_CONFIG"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the indexer, the watcher, the webhook sender and the API until Ctrl-C/SIGTERM.
    Run {
        /// Do not run the embedded indexer (another process indexes this database).
        #[arg(long)]
        no_indexer: bool,
    },
    /// Creates or updates the database tables and exits.
    Migrate,
    /// Signs a dashboard sign-in message read from stdin with a wallet key read from
    /// an environment variable (never an argument); prints the signature to paste
    /// into the sign-in page. Needs no configuration.
    SignMessage {
        /// evm (EIP-191), tron (signMessageV2) or solana (ed25519).
        #[arg(long)]
        kind: String,
        /// The variable holding the key (32 bytes hex).
        #[arg(long)]
        key_env: String,
    },
    /// Merchants.
    Merchant {
        #[command(subcommand)]
        command: MerchantCommand,
    },
    /// Acceptors (liquidity providers the dispatcher gives orders to).
    Acceptor {
        #[command(subcommand)]
        command: AcceptorCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AcceptorCommand {
    /// Registers an acceptor and prints its id and first API key (shown once).
    Create {
        /// The chain.
        #[arg(long)]
        chain: String,
        /// Its escrow address on that chain.
        #[arg(long)]
        address: String,
        /// Display name.
        #[arg(long, default_value = "acceptor")]
        name: String,
        /// A fiat currency it serves (ISO 4217), once per currency; none: all.
        #[arg(long = "currency")]
        currencies: Vec<String>,
        /// Static priority, lower first (strategy `priority`).
        #[arg(long)]
        priority: Option<u32>,
        /// Target share of volume in bps (strategy `volume_split`).
        #[arg(long)]
        target_share_bps: Option<u32>,
        /// Target volume per period, decimal USDT (strategy `contract`).
        #[arg(long)]
        target_volume: Option<String>,
        /// Smallest order it takes, decimal USDT.
        #[arg(long)]
        min_amount: Option<String>,
        /// Largest order it takes, decimal USDT.
        #[arg(long)]
        max_amount: Option<String>,
    },
    /// Issues another API key for an acceptor (shown once).
    Key {
        /// The acceptor's id.
        acceptor: String,
        /// A label for the key.
        #[arg(long, default_value = "key")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum MerchantCommand {
    /// Registers a merchant and prints its id and first API key (shown once).
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// `CHAIN:RECEIVING[:ESCROW_ACCOUNT]`, once per chain.
        #[arg(long = "chain", required = true)]
        chains: Vec<String>,
        /// `LABEL:HOLDER:ACCOUNT:CURRENCY[:payout]`, once per bank account; exactly
        /// one must end in `:payout`.
        #[arg(long = "bank")]
        banks: Vec<String>,
    },
    /// Issues another API key for a merchant (shown once).
    Key {
        /// The merchant's id.
        merchant: String,
        /// A label for the key.
        #[arg(long, default_value = "key")]
        name: String,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Command::SignMessage { kind, key_env } = &cli.command {
        let kind = stablerail_gateway::session::message::WalletKind::parse(kind)
            .with_context(|| format!("--kind {kind}: expected evm, tron or solana"))?;
        let key = std::env::var(key_env).with_context(|| format!("{key_env} is not set"))?;
        let mut message = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut message)?;
        // Wallets sign the message exactly; a file's last line end is not part of it.
        let message = message.replace("\r\n", "\n");
        let message = message.strip_suffix('\n').unwrap_or(&message);
        let (_, signature) = stablerail_gateway::session::sign::sign(kind, &key, message)?;
        println!("{signature}");
        return Ok(());
    }
    let config =
        Config::load(&cli.config).with_context(|| format!("loading {}", cli.config.display()))?;
    match cli.command {
        Command::Run { no_indexer } => {
            let gw = Gateway::start(
                config,
                GatewayOptions {
                    indexer: !no_indexer,
                    ..Default::default()
                },
            )
            .await
            .context("starting the gateway")?;
            println!("stablerail-gateway listening on http://{}", gw.addr());
            shutdown_signal().await;
            gw.stop().await;
        }
        Command::Migrate => {
            stablerail_indexer::Store::open(&config.database_url)
                .await
                .context("migrating the indexer's tables")?;
            Db::open_sized(&config.database_url, config.database_max_connections)
                .await
                .context("migrating the gateway's tables")?;
            println!("migrated");
        }
        // Signed above, before any configuration is read.
        Command::SignMessage { .. } => {}
        Command::Merchant { command } => {
            stablerail_indexer::Store::open(&config.database_url).await?;
            let db = Db::open_sized(&config.database_url, config.database_max_connections).await?;
            match command {
                MerchantCommand::Create {
                    name,
                    chains,
                    banks,
                } => {
                    let chains = chains
                        .iter()
                        .map(|c| {
                            let p: Vec<&str> = c.split(':').collect();
                            match p.as_slice() {
                                [chain, receiving] => Ok(json!({"chain": chain, "receiving": receiving})),
                                [chain, receiving, escrow] => Ok(json!({"chain": chain, "receiving": receiving, "escrow_account": escrow})),
                                _ => bail!("--chain {c}: expected CHAIN:RECEIVING[:ESCROW_ACCOUNT]"),
                            }
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let banks = banks
                        .iter()
                        .map(|b| {
                            let p: Vec<&str> = b.split(':').collect();
                            match p.as_slice() {
                                [label, holder, account, currency] => Ok(json!({"label": label, "holder": holder, "account": account, "currency": currency})),
                                [label, holder, account, currency, "payout"] => Ok(json!({"label": label, "holder": holder, "account": account, "currency": currency, "payout": true})),
                                _ => bail!("--bank {b}: expected LABEL:HOLDER:ACCOUNT:CURRENCY[:payout]"),
                            }
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let input = json!({"name": name, "chains": chains, "bank_accounts": banks});
                    let m = NewMerchant::from_json(&config, &input).map_err(|p| {
                        anyhow::anyhow!("{}: {}", p.field.unwrap_or_default(), p.message)
                    })?;
                    let merchant = merchants::create(&db, &m)
                        .await
                        .map_err(|p| anyhow::anyhow!("{}", p.message))?;
                    let (_, key) = auth::create_key(&db, &merchant.id, "default").await?;
                    println!("merchant {}", merchant.id);
                    println!("api key  {key}   (shown once; only its hash is stored)");
                }
                MerchantCommand::Key { merchant, name } => {
                    if merchants::get(&db, &merchant).await?.is_none() {
                        bail!("no merchant {merchant}");
                    }
                    let (_, key) = auth::create_key(&db, &merchant, &name).await?;
                    println!("api key  {key}   (shown once; only its hash is stored)");
                }
            }
        }
        Command::Acceptor { command } => {
            stablerail_indexer::Store::open(&config.database_url).await?;
            let db = Db::open_sized(&config.database_url, config.database_max_connections).await?;
            match command {
                AcceptorCommand::Create {
                    chain,
                    address,
                    name,
                    currencies,
                    priority,
                    target_share_bps,
                    target_volume,
                    min_amount,
                    max_amount,
                } => {
                    let mut input = json!({"chain": chain, "address": address, "name": name, "currencies": currencies});
                    for (k, v) in [
                        ("priority", priority.map(|p| json!(p))),
                        ("target_share_bps", target_share_bps.map(|p| json!(p))),
                        ("target_volume", target_volume.map(|p| json!(p))),
                        ("min_amount", min_amount.map(|p| json!(p))),
                        ("max_amount", max_amount.map(|p| json!(p))),
                    ] {
                        if let Some(v) = v {
                            input[k] = v;
                        }
                    }
                    let a = NewAcceptor::from_json(&config, &input).map_err(|p| {
                        anyhow::anyhow!("{}: {}", p.field.unwrap_or_default(), p.message)
                    })?;
                    let acceptor = acceptors::create(&db, &a)
                        .await
                        .map_err(|p| anyhow::anyhow!("{}", p.message))?;
                    let (_, key) = acceptors::create_key(&db, &acceptor.id, "default").await?;
                    println!("acceptor {}", acceptor.id);
                    println!("api key  {key}   (shown once; only its hash is stored)");
                }
                AcceptorCommand::Key { acceptor, name } => {
                    if acceptors::get(&db, &acceptor).await?.is_none() {
                        bail!("no acceptor {acceptor}");
                    }
                    let (_, key) = acceptors::create_key(&db, &acceptor, &name).await?;
                    println!("api key  {key}   (shown once; only its hash is stored)");
                }
            }
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
