//! `stablerail-demo`: the main job of `make demo`. Starts a local chain, deploys
//! stablerail, runs the indexer and its query API on a SQLite file, plays a
//! platform day through the SDK and reports.

use std::{path::PathBuf, time::Duration};

use clap::Parser;
use stablerail_demo::{
    DEMO_CHAIN, DemoIndexer, LocalPlatform, play_day,
    role::{AGENT, MERCHANT},
};

/// Starts a local chain with stablerail deployed and indexed, and plays a platform day on it.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Exit after the report instead of serving the chain and the API until Ctrl-C.
    #[arg(long)]
    once: bool,
    /// The indexer's SQLite file (replaced on every run).
    #[arg(long, default_value = ".stablerail-demo/indexer.sqlite")]
    database: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();

    println!("[1/4] starting anvil and deploying token, 2-of-3 MultiSig and Escrow");
    let platform = LocalPlatform::start().await?;
    let d = platform.deployment;
    println!("      chain    {}", platform.devnet.rpc_url());
    println!("      USDT     {}", d.token);
    println!(
        "      MultiSig {}  (escrow admin, arbiter, treasury)",
        d.multisig
    );
    println!("      Escrow   {}", d.escrow);

    println!("[2/4] starting the indexer on {}", cli.database.display());
    let indexer = DemoIndexer::start(&platform, &cli.database).await?;
    println!("      query API http://{}", indexer.api_addr);

    println!("[3/4] playing the day");
    let report = play_day(&platform, |step| println!("      - {step}")).await?;

    println!("[4/4] report (read from the chain)");
    println!(
        "      deals: {} opened, {} released, {} resolved by the multisig, {} cancelled, {} open",
        report.opened,
        report.released,
        report.resolved,
        report.cancelled,
        report.open()
    );
    println!("      volume settled: {} USDT", report.volume);
    println!(
        "      fees to treasury: {} USDT (treasury balance {} USDT)",
        report.fees_to_treasury, report.treasury_balance
    );
    for (name, address, earned, balance) in &report.commissions {
        println!("      {name:<10} {address}  commission {earned} USDT (balance {balance})");
    }
    for (name, address, balance) in &report.balances {
        println!("      {name:<10} {address}  {balance} USDT available");
    }
    let mismatches = report.mismatches();
    if mismatches.is_empty() {
        println!(
            "      conservation: no mismatch (escrow token balance == sum of accounts; \
             fees and commissions == balances)"
        );
    } else {
        anyhow::bail!("conservation mismatch: {}", mismatches.join("; "));
    }

    indexer
        .wait_for(report.last_block, Duration::from_secs(30))
        .await?;
    let url = format!("http://{}", indexer.api_addr);
    println!("      indexer  caught up to block {}", report.last_block);
    println!("      API      {url}  (OpenAPI at {url}/openapi.json)");
    println!("      API key  {}", indexer.api_key);
    // The indexer's derived escrow tables must tell the same story as the chain.
    let deals = indexer.store.all_deals(DEMO_CHAIN).await?;
    let treasury = indexer
        .store
        .escrow_account(DEMO_CHAIN, &format!("{:#x}", platform.deployment.multisig))
        .await?
        .map(|a| a.available)
        .unwrap_or_default();
    if treasury != report.treasury_balance.units().to_string() {
        anyhow::bail!(
            "indexed treasury {treasury} differs from the escrow's {}",
            report.treasury_balance
        );
    }
    println!(
        "      indexed  {} deals, treasury {} USDT (derived from escrow events, equal to the chain)",
        deals.len(),
        report.treasury_balance
    );
    for route in [
        format!(
            "/v1/transfers?chain={DEMO_CHAIN}&address={}",
            platform.address(MERCHANT)
        ),
        format!(
            "/v1/deals?chain={DEMO_CHAIN}&party={}",
            platform.address(MERCHANT)
        ),
        format!(
            "/v1/agents/{}/commissions?chain={DEMO_CHAIN}",
            platform.address(AGENT)
        ),
    ] {
        println!(
            "      try      curl -H 'x-api-key: {}' '{url}{route}'",
            indexer.api_key
        );
    }

    if cli.once {
        indexer.stop().await;
        return Ok(());
    }
    println!(
        "serving the chain at {} and the API at {url} until Ctrl-C",
        platform.devnet.rpc_url()
    );
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    indexer.stop().await;
    Ok(())
}
