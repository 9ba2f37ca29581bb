//! The demo's day (`make demo ARGS=--once`) as a test: every figure of its report
//! is checked against the SDK's reference fee math, step by step.

#![allow(clippy::expect_used)] // arithmetic on known test amounts

mod common;

use common::*;
use stablerail_demo::play_day;
use stablerail_sdk::{Amount, DealKind};

fn sum(xs: &[Amount]) -> Amount {
    xs.iter()
        .try_fold(Amount::ZERO, |a, &b| a.checked_add(b))
        .expect("no overflow")
}
fn sub(a: Amount, b: Amount) -> Amount {
    a.checked_sub(b).expect("no underflow")
}

#[tokio::test]
async fn demo_day_report_matches_the_reference_fee_math() -> anyhow::Result<()> {
    let p = Platform::start().await?;
    let mut steps = Vec::new();
    let report = play_day(&p, |s| steps.push(s.to_owned())).await?;
    assert_eq!(steps.len(), 7, "{steps:?}");

    // The day's settlements, in order, with the merchant's (and its agent's) volume before each.
    let f = p.schedule()?;
    let trade = f.settle(
        DealKind::Trade,
        usdt("1200"),
        Amount::ZERO,
        Some(Amount::ZERO),
    );
    let collection = f.settle(
        DealKind::Collection,
        usdt("3000"),
        usdt("1200"),
        Some(usdt("1200")),
    );
    let payout = f.settle(
        DealKind::Payout,
        usdt("400"),
        usdt("4200"),
        Some(usdt("4200")),
    );

    assert_eq!(
        (report.released, report.resolved, report.cancelled),
        (2, 1, 1)
    );
    assert_eq!(report.volume, usdt("4600"));
    assert_eq!(
        report.treasury,
        sum(&[trade.platform, collection.platform, payout.platform])
    );
    assert!(report.conserved);

    let expected = [
        // merchant: two settlements in, 800 locked for the payout of which 400 came back, 1000 withdrawn.
        (
            "merchant",
            sub(
                sum(&[trade.buyer_net, collection.buyer_net, usdt("400")]),
                usdt("1800"),
            ),
        ),
        ("trader", sum(&[usdt("800"), trade.reward])),
        (
            "agent",
            sum(&[trade.agent_cut, collection.agent_cut, payout.agent_cut]),
        ),
        ("acceptor", sum(&[usdt("2000"), payout.buyer_net])),
    ];
    for ((name, _, got), (want_name, want)) in report.balances.iter().zip(expected) {
        assert_eq!(*name, want_name);
        assert_eq!(*got, want, "{name}");
    }
    Ok(())
}
