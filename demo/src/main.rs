//! `stablerail-demo`: the main job of `make demo`. Starts a local chain, deploys
//! stablerail, runs the gateway (with the indexer inside) on a SQLite file, opens a
//! shop on it (two merchants, invoices paid from customer wallets, a collection and
//! a payout through an acceptor, webhooks to a local receiver that verifies every
//! signature), plays a platform day through the SDK and reports; then prints the
//! dashboards' sign-in page and the sign-in path of each demo wallet.

use std::{path::PathBuf, time::Duration};

use clap::Parser;
use serde_json::Value;
use stablerail_demo::{
    DEMO_CHAIN, LocalPlatform, Shop, ShopGateway, play_day,
    role::{AGENT, MERCHANT},
};

/// Starts a local chain with stablerail deployed, the gateway with its indexer, a
/// shop on it, and plays a platform day.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Exit after the report instead of serving the chain and the gateway until Ctrl-C.
    #[arg(long)]
    once: bool,
    /// Folder of the gateway's SQLite file (replaced on every run) and of the local
    /// key files (merchant API keys, the indexer API key, the devnet dispatcher key).
    #[arg(long, default_value = ".stablerail-demo")]
    dir: PathBuf,
}

fn row(v: &Value, field: &str) -> String {
    match &v[field] {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();

    println!("[1/6] starting anvil and deploying token, 2-of-3 MultiSig and Escrow");
    let platform = LocalPlatform::start().await?;
    let d = platform.deployment;
    println!("      chain    {}", platform.devnet.rpc_url());
    println!("      USDT     {}", d.token);
    println!(
        "      MultiSig {}  (escrow admin, arbiter, treasury)",
        d.multisig
    );
    println!("      Escrow   {}", d.escrow);

    let gw = ShopGateway::start(&platform, &cli.dir).await?;
    println!(
        "[2/6] gateway with the indexer inside on {}",
        gw.database.display()
    );
    println!(
        "      gateway  {}  (merchant API /v1, checkout /pay/{{invoice}}, indexer API /indexer)",
        gw.base
    );
    let mut shop = Shop::open(&gw, &platform).await?;
    for m in [&shop.corner, &shop.market] {
        println!(
            "      merchant {:<12} {}  receiving {:#x}, API key in {}",
            m.label,
            m.id,
            m.address,
            m.key_file.display()
        );
    }
    println!(
        "      webhooks http://{}/hooks/{{merchant}}: a local receiver that checks every \
         signature with stablerail_sdk::webhooks::verify",
        shop.receiver.addr
    );

    println!("[3/6] the shop: invoices created, customers pay from their own wallets");
    shop.create_invoices().await?;
    for inv in &shop.invoices {
        println!(
            "      - {:<12} {:<5} {:>6} USDT  unique amount {:>6}  {}  {}",
            inv.merchant,
            inv.case,
            inv.amount,
            inv.unique_amount,
            inv.id,
            match (&inv.pays, inv.case) {
                (None, _) => "never paid".to_owned(),
                (Some(p), "late") => format!("the customer pays {p} after it expired"),
                (Some(p), _) => format!("the customer pays {p} now"),
            }
        );
    }
    shop.pay_in_time().await?;

    println!("[4/6] the platform's day");
    let report = play_day(&platform, |step| println!("      - {step}")).await?;
    println!("      report (read from the chain):");
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
    gw.wait_for_block(report.last_block).await?;
    // The indexer's derived escrow tables must tell the same story as the chain.
    let deals = gw.indexer.all_deals(DEMO_CHAIN).await?;
    let treasury = gw
        .indexer
        .escrow_account(DEMO_CHAIN, &format!("{:#x}", d.multisig))
        .await?
        .map(|a| a.available)
        .unwrap_or_default();
    if treasury != report.treasury_balance.units() {
        anyhow::bail!(
            "indexed treasury {treasury} differs from the escrow's {}",
            report.treasury_balance
        );
    }
    println!(
        "      indexed  {} deals up to block {}, treasury {} USDT (derived from escrow events, \
         equal to the chain)",
        deals.len(),
        report.last_block,
        report.treasury_balance
    );

    println!(
        "[5/6] the shop after the day: the late payment, six collections over three acceptors and a payout through the \
         gateway's orders API"
    );
    shop.pay_late().await?;
    shop.run_orders(&gw, &platform).await?;
    for a in &shop.acceptors {
        println!(
            "      {} {}  {:#x}  target share {:>2} %, online with heartbeats, API key in {}",
            a.name,
            a.id,
            a.address,
            a.target_share_bps / 100,
            a.key_file.display()
        );
    }
    println!(
        "      conservation after the shop's orders: no mismatch (every account, the new acceptors included)"
    );
    shop.settle(&platform).await?;

    println!("[6/6] the shop's report (read from the gateway's API)");
    println!("      invoices:");
    for inv in &shop.invoices {
        let v = &inv.last;
        println!(
            "      {:<12} {:<5} {}  {:>6} USDT  paid {:>9}  {:<10} {:<12} ({} payment{})",
            inv.merchant,
            inv.case,
            inv.id,
            inv.amount,
            row(v, "paid"),
            row(v, "status"),
            row(v, "additional_status"),
            v["payments"].as_array().map_or(0, Vec::len),
            if v["payments"].as_array().map_or(0, Vec::len) == 1 {
                ""
            } else {
                "s"
            },
        );
    }
    println!("      orders:");
    for o in &shop.orders {
        let v = &o.last;
        println!(
            "      {:<12} {:<10} {}  {:>6} USDT  deal {}  {}  {}",
            o.merchant,
            o.kind,
            row(v, "id"),
            row(v, "amount"),
            row(v, "deal_id"),
            shop.acceptor_of(v).map_or("?", |a| a.name.as_str()),
            row(v, "status"),
        );
    }
    println!(
        "      dispatcher decisions (strategy volume_split; score = USDT the acceptor is short of \
         its target share after this order, highest wins):"
    );
    for o in &shop.orders {
        for d in o.decisions["data"].as_array().into_iter().flatten() {
            let scores: Vec<String> = d["candidates"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let name = c["id"]
                        .as_str()
                        .and_then(|id| shop.acceptor_named(id))
                        .map_or("?", |a| a.name.as_str());
                    match c["score"].as_i64() {
                        Some(s) => format!("{name} {}", signed_usdt(s)),
                        None => format!("{name} ineligible"),
                    }
                })
                .collect();
            println!(
                "      {}  {:<10} -> {}   [{}]{}",
                row(d, "id"),
                o.kind,
                d["chosen"]
                    .as_str()
                    .and_then(|id| shop.acceptor_named(id))
                    .map_or("nobody", |a| a.name.as_str()),
                scores.join(", "),
                if d["replays"] == true {
                    "  replays"
                } else {
                    "  DOES NOT REPLAY"
                },
            );
        }
    }
    let spread: Vec<String> = shop
        .spread("collection")
        .iter()
        .map(|(a, n)| format!("{} {n} (target {} %)", a.name, a.target_share_bps / 100))
        .collect();
    println!(
        "      {} collections spread: {}",
        stablerail_demo::COLLECTIONS,
        spread.join(", ")
    );
    let alert = gw.plant_pass_through(&platform).await?;
    println!(
        "      risk monitor: a mule wallet received 5,000 USDT and forwarded 4,900 a block later; the operator's alert:"
    );
    println!(
        "      {} {} {} on {}: {}",
        row(&alert, "id"),
        row(&alert, "severity"),
        row(&alert, "rule"),
        row(&alert, "subject"),
        row(&alert, "summary"),
    );
    for e in alert["evidence"].as_array().into_iter().flatten() {
        println!(
            "        evidence: block {} tx {} {} -> {} {} units",
            e["block_number"],
            row(&e["data"], "tx_hash"),
            row(&e["data"], "from"),
            row(&e["data"], "to"),
            row(&e["data"], "amount"),
        );
    }
    let log = shop.receiver.log();
    println!(
        "      webhook log of the receiver ({} deliveries, every signature verified):",
        log.len()
    );
    for e in &log {
        println!(
            "      {:>7.3}s  {:<12} {}  {:<22} {}  {}  {}",
            e.at.as_secs_f64(),
            e.merchant,
            e.webhook_id,
            e.kind,
            e.subject,
            e.status,
            if e.verified { "verified" } else { "REJECTED" },
        );
    }

    // A fresh invoice to pay by hand from any wallet connected to the local chain.
    let open = shop.open_invoice("25").await?;
    let indexer_key_file = gw.indexer_api_key().await?;
    println!(
        "      checkout {}  (an open 25 USDT invoice of {}: pay {} USDT to {:#x})",
        shop.checkout_url(&gw, &open),
        shop.corner.label,
        open.unique_amount,
        shop.corner.address
    );
    let key = |p: &std::path::Path| format!("$(cat {})", p.display());
    println!(
        "      try      curl -H \"Authorization: Bearer {}\" {}/v1/invoices",
        key(&shop.corner.key_file),
        gw.base
    );
    for route in [
        format!(
            "/v1/transfers?chain={DEMO_CHAIN}&address={}",
            platform.address(MERCHANT)
        ),
        format!(
            "/v1/agents/{}/commissions?chain={DEMO_CHAIN}",
            platform.address(AGENT)
        ),
    ] {
        println!(
            "      try      curl -H \"x-api-key: {}\" '{}/indexer{route}'",
            key(&indexer_key_file),
            gw.base
        );
    }

    // The dashboards: the sign-in page, and how each demo wallet signs its message
    // (its key stays in its file). Each path is walked here as printed.
    println!(
        "      dashboards {}/dashboard/sign-in  (choose Ethereum, enter a wallet's address, save the message shown as message.txt, run its line below, paste the signature)",
        gw.base
    );
    for w in stablerail_demo::dashboard::wallets(&platform, &cli.dir)? {
        let landed = stablerail_demo::dashboard::sign_in(&gw.base, &w).await?;
        println!(
            "      {:<9} {:#x}  (sign-in checked: lands on \"{landed}\")",
            w.role, w.address
        );
        println!(
            "                {}",
            stablerail_demo::dashboard::sign_command(&w)
        );
    }

    if cli.once {
        gw.stop().await;
        return Ok(());
    }
    println!(
        "serving the chain at {} and the gateway at {} until Ctrl-C",
        platform.devnet.rpc_url(),
        gw.base
    );
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    tokio::time::timeout(Duration::from_secs(10), gw.stop()).await?;
    Ok(())
}

/// A signed amount of smallest units as USDT (`-5`, `+25`, `+12.5`): exact, no floats.
fn signed_usdt(units: i64) -> String {
    let sign = if units < 0 { '-' } else { '+' };
    format!(
        "{sign}{}",
        stablerail_sdk::Amount::from_units(units.unsigned_abs())
    )
}
