//! The demo's day (`make demo ARGS=--once`) as a test: every figure of its report
//! is checked against the SDK's reference fee math, step by step.

use anyhow::Context as _;

use crate::common::*;
use std::{collections::BTreeMap, time::Duration};

use alloy::primitives::{Address, U256};
use stablerail_demo::{DAY_STEPS, DEMO_CHAIN, DemoIndexer, lowered_fees, play_day};
use stablerail_sdk::{Amount, DealKind};

fn sum(xs: &[Amount]) -> anyhow::Result<Amount> {
    xs.iter()
        .try_fold(Amount::ZERO, |a, &b| a.checked_add(b))
        .context("sum overflows")
}
fn sub(a: Amount, b: Amount) -> anyhow::Result<Amount> {
    a.checked_sub(b).context("difference underflows")
}

#[tokio::test]
async fn demo_day_report_matches_the_reference_fee_math() -> anyhow::Result<()> {
    let p = Platform::start().await?;
    let db = tempfile::tempdir()?;
    let indexer = DemoIndexer::start(&p, &db.path().join("demo.sqlite")).await?;
    let mut steps = Vec::new();
    let report = play_day(&p, |s| steps.push(s.to_owned())).await?;
    indexer
        .wait_for(report.last_block, Duration::from_secs(60))
        .await?;
    indexer_agrees_with_chain(&p, &indexer).await?;
    derived_tables_agree_with_escrow(&p, &indexer, &report).await?;
    indexer.stop().await;
    assert_eq!(steps.len(), DAY_STEPS, "{steps:?}");

    // The day's settlements in order, each with the merchant's (= its agent's, one
    // merchant per agent) settled volume before it. The fee change applies from
    // the second collection on.
    let before = p.schedule()?;
    let after = lowered_fees(&p.config).fee_schedule()?;
    let zero = Amount::ZERO;
    let trade = before.settle(DealKind::Trade, usdt("1200"), zero, Some(zero));
    let trade_2 = before.settle(DealKind::Trade, usdt("2000"), zero, Some(zero));
    let collection = before.settle(
        DealKind::Collection,
        usdt("3000"),
        usdt("1200"),
        Some(usdt("1200")),
    );
    let collection_2 = after.settle(
        DealKind::Collection,
        usdt("2500"),
        usdt("2000"),
        Some(usdt("2000")),
    );
    // The multisig gives the acceptor (buyer) half of the disputed 800.
    let payout = after.settle(
        DealKind::Payout,
        usdt("400"),
        usdt("4200"),
        Some(usdt("4200")),
    );
    assert!(
        collection_2.fee_bps < collection.fee_bps,
        "the fee change took effect"
    );

    assert_eq!(
        (
            report.opened,
            report.released,
            report.resolved,
            report.cancelled,
            report.open()
        ),
        (6, 4, 1, 1, 0)
    );
    assert_eq!(report.volume, usdt("9100"));
    let settlements = [trade, trade_2, collection, collection_2, payout];
    let fees = sum(&settlements.map(|s| s.platform))?;
    assert_eq!(report.fees_to_treasury, fees);
    assert_eq!(report.treasury_balance, fees);
    assert!(report.conserved);
    assert!(report.mismatches().is_empty(), "{:?}", report.mismatches());

    let commissions = [
        (
            "agent 1",
            sum(&[trade.agent_cut, collection.agent_cut, payout.agent_cut])?,
        ),
        (
            "agent 2",
            sum(&[trade_2.agent_cut, collection_2.agent_cut])?,
        ),
    ];
    assert_eq!(report.commissions.len(), commissions.len());
    for ((name, _, earned, balance), (want_name, want)) in
        report.commissions.iter().zip(commissions)
    {
        assert_eq!((*name, *earned, *balance), (want_name, want, want));
    }

    let expected = [
        // Two settlements in, 800 locked for the payout of which 400 came back, 1000 withdrawn.
        (
            "merchant 1",
            sub(
                sum(&[trade.buyer_net, collection.buyer_net, usdt("400")])?,
                usdt("1800"),
            )?,
        ),
        (
            "merchant 2",
            sum(&[trade_2.buyer_net, collection_2.buyer_net])?,
        ),
        ("trader 1", sum(&[usdt("800"), trade.reward])?),
        ("trader 2", sum(&[usdt("500"), trade_2.reward])?),
        // 8000 deposited, 5500 sold in collections, the cancelled 200 came back.
        ("acceptor", sum(&[usdt("2500"), payout.buyer_net])?),
    ];
    assert_eq!(report.balances.len(), expected.len());
    for ((name, _, got), (want_name, want)) in report.balances.iter().zip(expected) {
        assert_eq!(*name, want_name);
        assert_eq!(*got, want, "{name}");
    }
    Ok(())
}

/// The indexer ran during the whole day: every USDT holder's balance replayed
/// from its stored transfers equals the token's own `balanceOf`.
async fn indexer_agrees_with_chain(p: &Platform, indexer: &DemoIndexer) -> anyhow::Result<()> {
    let transfers = indexer.store.all_transfers(DEMO_CHAIN).await?;
    assert!(!transfers.is_empty(), "the indexer stored no transfers");
    let mut net: BTreeMap<Address, i128> = BTreeMap::new();
    for t in &transfers {
        let amount: i128 = t.amount.parse()?;
        *net.entry(t.from.parse()?).or_default() -= amount;
        *net.entry(t.to.parse()?).or_default() += amount;
    }
    net.remove(&Address::ZERO); // the mint's source
    assert!(net.contains_key(&p.deployment.escrow));
    for (who, balance) in net {
        let on_chain = p.token_balance(who).await?;
        assert_eq!(U256::try_from(balance)?, on_chain, "token balance of {who}");
    }
    Ok(())
}

/// The indexer's derived escrow tables equal the escrow's own view: every account's
/// balances and volumes (`account(addr)`), every deal final and deleted on-chain, each
/// agent's commissions (its only income) and the treasury, and the escrow's holding.
async fn derived_tables_agree_with_escrow(
    p: &Platform,
    indexer: &DemoIndexer,
    report: &stablerail_demo::DayReport,
) -> anyhow::Result<()> {
    let escrow = p.escrow(DEPLOYER)?;
    let store = &indexer.store;
    let accounts = store.escrow_accounts(DEMO_CHAIN).await?;
    let mut held = U256::ZERO;
    for a in &accounts {
        let on = escrow.contract().account(a.address.parse()?).call().await?;
        let who = &a.address;
        assert_eq!(
            a.available.0,
            U256::from(on.available),
            "available of {who}"
        );
        assert_eq!(a.locked.0, U256::from(on.locked), "locked of {who}");
        assert_eq!(a.merchant_volume, on.merchantVolume, "{who}");
        assert_eq!(a.agent_volume, on.agentVolume, "{who}");
        held += U256::from(on.available) + U256::from(on.locked);
    }
    assert_eq!(
        held,
        p.token_balance(p.deployment.escrow).await?,
        "conservation"
    );

    let deals = store.all_deals(DEMO_CHAIN).await?;
    let count = |s: &str| deals.iter().filter(|d| d.state == s).count() as u32;
    assert_eq!(
        (count("released"), count("resolved"), count("cancelled")),
        (report.released, report.resolved, report.cancelled)
    );
    assert_eq!(deals.len() as u32, report.opened);
    for d in &deals {
        let on = escrow.contract().deal(U256::from(d.deal_id)).call().await?;
        assert_eq!(
            on.state, 0,
            "deal {} is final and deleted on-chain",
            d.deal_id
        );
    }

    for (name, agent, earned, balance) in &report.commissions {
        let agent = format!("{agent:#x}");
        let (_, total) = store.agent_commission_total(DEMO_CHAIN, &agent).await?;
        assert_eq!(total, earned.units(), "{name}");
        assert_eq!(total, balance.units(), "{name}'s escrow balance");
    }
    let treasury = format!("{:#x}", p.deployment.multisig);
    let t = store
        .escrow_account(DEMO_CHAIN, &treasury)
        .await?
        .context("the treasury has an account")?;
    assert_eq!(t.available, report.treasury_balance.units());
    Ok(())
}

#[tokio::test]
async fn a_second_demo_run_starts_with_a_clean_database() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("demo.sqlite");
    let first = Platform::start().await?;
    let indexer = DemoIndexer::start(&first, &path).await?;
    first.mint(first.address(MERCHANT), usdt("5")).await?;
    indexer
        .wait_for(first.block_number().await?, Duration::from_secs(30))
        .await?;
    assert_eq!(indexer.store.all_transfers(DEMO_CHAIN).await?.len(), 1);
    indexer.stop().await;

    // A new chain: the old file's rows and cursor would be wrong for it.
    let second = Platform::start().await?;
    let indexer = DemoIndexer::start(&second, &path).await?;
    assert!(indexer.store.all_transfers(DEMO_CHAIN).await?.is_empty());
    indexer.stop().await;
    Ok(())
}
