//! `stablerail-demo`: the main job of `make demo`. Starts a local chain, deploys
//! stablerail, plays a short platform day through the SDK and reports.

use clap::Parser;
use stablerail_demo::{LocalPlatform, play_day};

/// Starts a local chain with stablerail deployed and plays a platform day on it.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Exit after the report instead of keeping the chain up until Ctrl-C.
    #[arg(long)]
    once: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();

    println!("[1/3] starting anvil and deploying token, 2-of-3 MultiSig and Escrow");
    let platform = LocalPlatform::start().await?;
    let d = platform.deployment;
    println!("      chain    {}", platform.devnet.rpc_url());
    println!("      USDT     {}", d.token);
    println!(
        "      MultiSig {}  (escrow admin, arbiter, treasury)",
        d.multisig
    );
    println!("      Escrow   {}", d.escrow);

    println!("[2/3] playing the day");
    let report = play_day(&platform, |step| println!("      - {step}")).await?;

    println!("[3/3] report (read from the chain)");
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
            "      conservation: no mismatch (escrow token balance == sum of accounts; fees and commissions == balances)"
        );
    } else {
        anyhow::bail!("conservation mismatch: {}", mismatches.join("; "));
    }

    if cli.once {
        return Ok(());
    }
    println!(
        "chain stays up at {} until Ctrl-C",
        platform.devnet.rpc_url()
    );
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    Ok(())
}
