//! A short platform day on the local chain, played through the SDK: onboarding
//! through the multisig, a trade on a buy order, a collection, a disputed payout
//! resolved by a multisig proposal, a deal cancelled after its payment deadline,
//! and a withdrawal. Every figure in the [`DayReport`] is read back from the chain.

use alloy::{
    primitives::{Address, B256, Bytes},
    sol_types::SolCall,
};
use stablerail_sdk::{
    Amount,
    evm::{Escrow, Roles},
};

use crate::{
    LocalPlatform,
    error::{Error, Result},
    role::*,
};

/// What the day ended with, read from the contracts.
#[derive(Debug, Clone)]
pub struct DayReport {
    /// Deals released by their seller.
    pub released: u32,
    /// Deals resolved by the arbiter.
    pub resolved: u32,
    /// Deals cancelled.
    pub cancelled: u32,
    /// Gross USDT settled (released plus the buyer's share of resolved deals).
    pub volume: Amount,
    /// Available balance of the treasury (platform fees).
    pub treasury: Amount,
    /// Available balance of each party, by name.
    pub balances: Vec<(&'static str, Address, Amount)>,
    /// Whether the escrow's token balance equals the sum of its accounts.
    pub conserved: bool,
}

fn usdt(units: u64) -> Amount {
    Amount::from_units(units * 1_000_000)
}

/// Plays the day, calling `progress` with a line per step.
pub async fn play_day(p: &LocalPlatform, mut progress: impl FnMut(&str)) -> Result<DayReport> {
    let (merchant, trader, agent) = (p.address(MERCHANT), p.address(TRADER), p.address(AGENT));
    // anvil funds ten wallets; the guardian's doubles as the acceptor's (the guardian never trades).
    let acceptor = p.address(GUARDIAN);
    let treasury = p.deployment.multisig;

    progress("onboarding: roles and referral by 2-of-3 multisig proposals, KYC by compliance");
    p.set_roles(merchant, Roles::MERCHANT).await?;
    p.set_roles(acceptor, Roles::ACCEPTOR).await?;
    p.set_roles(agent, Roles::AGENT).await?;
    p.set_agent(merchant, agent).await?;
    p.kyc(&[merchant, trader, acceptor]).await?;

    progress("funding: the trader and the acceptor deposit USDT");
    p.mint(trader, usdt(2_000)).await?;
    p.mint(acceptor, usdt(5_000)).await?;
    p.escrow(TRADER)?.deposit(trader, usdt(2_000)).await?;
    p.escrow(GUARDIAN)?.deposit(acceptor, usdt(5_000)).await?;

    let (as_merchant, as_trader, as_acceptor, as_dispatcher) = (
        p.escrow(MERCHANT)?,
        p.escrow(TRADER)?,
        p.escrow(GUARDIAN)?,
        p.escrow(DISPATCHER)?,
    );
    let (mut released, mut resolved, mut cancelled) = (0, 0, 0);
    let mut volume = Amount::ZERO;
    let add = |v: Amount, a: Amount| v.checked_add(a).ok_or(Error::Overflow);

    progress("trade: the merchant buys 1,500 USDT at 7.25 CNY; the trader fills 1,200");
    let expiry = p.now().await? + 86_400;
    let order = as_merchant
        .post_buy_order(725, "CNY", usdt(1_500), usdt(10), usdt(1_500), expiry, 900)
        .await?;
    let trade = as_trader
        .fill_buy_order(order, usdt(1_200), B256::repeat_byte(1))
        .await?;
    as_merchant.mark_paid(trade).await?;
    as_trader.release(trade).await?;
    released += 1;
    volume = add(volume, usdt(1_200))?;

    progress("collection: the dispatcher assigns a 3,000 USDT customer payment to the acceptor");
    let collection = as_dispatcher
        .assign_collection(acceptor, merchant, usdt(3_000), 1_800, B256::repeat_byte(2))
        .await?;
    as_dispatcher.mark_paid(collection).await?;
    as_acceptor.release(collection).await?;
    released += 1;
    volume = add(volume, usdt(3_000))?;

    progress("payout: the merchant cashes out 800 USDT; disputed; the multisig resolves 50/50");
    let payout = as_merchant
        .open_payout(usdt(800), 1_800, B256::repeat_byte(3))
        .await?;
    as_dispatcher.assign_payout(payout, acceptor).await?;
    as_acceptor.mark_paid(payout).await?;
    as_merchant.dispute(payout).await?;
    let resolve = Escrow::resolveCall {
        dealId: payout,
        buyerShareBps: 5_000,
    }
    .abi_encode();
    p.admin()
        .await?
        .execute(p.deployment.escrow, Bytes::from(resolve))
        .await?;
    resolved += 1;
    volume = add(volume, usdt(400))?;

    progress(
        "expiry: an unpaid 200 USDT collection is cancelled by the acceptor after its deadline",
    );
    let late = as_dispatcher
        .assign_collection(acceptor, merchant, usdt(200), 600, B256::repeat_byte(4))
        .await?;
    p.warp(601).await?;
    as_acceptor.cancel(late).await?;
    cancelled += 1;

    progress("withdrawal: the merchant withdraws 1,000 USDT to its wallet");
    as_merchant.withdraw(usdt(1_000)).await?;

    let everyone = [merchant, trader, agent, acceptor, treasury];
    let conserved = match p.check_conservation(&everyone).await {
        Ok(()) => true,
        Err(Error::Conservation { .. }) => false,
        Err(e) => return Err(e),
    };
    let mut balances = Vec::new();
    for (name, who) in [
        ("merchant", merchant),
        ("trader", trader),
        ("agent", agent),
        ("acceptor", acceptor),
    ] {
        balances.push((name, who, as_merchant.balances(who).await?.0));
    }
    let treasury_balance = as_merchant.balances(treasury).await?.0;
    Ok(DayReport {
        released,
        resolved,
        cancelled,
        volume,
        treasury: treasury_balance,
        balances,
        conserved,
    })
}
