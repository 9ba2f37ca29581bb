//! One complete Trade through the real contracts on anvil, driven by the SDK:
//! admin actions as 2-of-3 multisig proposals, deposit, buy order, fill, mark
//! paid, release with the four-way fee split, withdrawal.

use crate::common::*;
use alloy::primitives::B256;
use stablerail_sdk::{
    Amount, DealKind, Roles,
    evm::{EscrowError, EvmError},
};

#[tokio::test]
async fn complete_trade_settles_with_the_reference_fee_split() -> anyhow::Result<()> {
    let p = Platform::start().await?;
    let (merchant, trader, agent) = (p.address(MERCHANT), p.address(TRADER), p.address(AGENT));
    let treasury = p.deployment.multisig;

    // Onboarding: roles and referral through the multisig, KYC by compliance.
    p.set_roles(merchant, Roles::MERCHANT).await?;
    p.set_roles(agent, Roles::AGENT).await?;
    p.set_agent(merchant, agent).await?;
    p.kyc(&[merchant, trader]).await?;

    // The trader funds its escrow account.
    p.mint(trader, usdt("1000")).await?;
    let as_trader = p.escrow(TRADER)?;
    as_trader.deposit(trader, usdt("1000")).await?;
    let everyone = [merchant, trader, agent, treasury];
    p.check_conservation(&everyone).await?;

    // The merchant wants 500 USDT at 7.25 CNY; the trader sells 200.
    let as_merchant = p.escrow(MERCHANT)?;
    let expiry = p.now().await? + 86_400;
    let order = as_merchant
        .post_buy_order(
            725,
            "CNY",
            usdt("500"),
            usdt("10"),
            usdt("500"),
            expiry,
            900,
        )
        .await?;
    let deal = as_trader
        .fill_buy_order(order, usdt("200"), B256::repeat_byte(0xab))
        .await?;
    assert_eq!(
        as_trader.balances(trader).await?,
        (usdt("800"), usdt("200"))
    );
    p.check_conservation(&everyone).await?;

    // Fiat leg off-chain; the merchant marks paid, the trader releases.
    as_merchant.mark_paid(deal).await?;
    as_trader.release(deal).await?;

    // Expected split from the SDK's reference math (DESIGN §4).
    let schedule = p.schedule()?;
    let split = schedule.settle(
        DealKind::Trade,
        usdt("200"),
        Amount::ZERO,
        Some(Amount::ZERO),
    );
    // 1% fee = 2 USDT: agent 20% = 0.4, trader 10% = 0.2, platform 1.4.
    assert_eq!(split.fee, usdt("2"));
    assert_eq!(
        (split.agent_cut, split.reward, split.platform),
        (usdt("0.4"), usdt("0.2"), usdt("1.4"))
    );

    let escrow = p.escrow(MERCHANT)?;
    assert_eq!(
        escrow.balances(merchant).await?,
        (split.buyer_net, Amount::ZERO)
    );
    assert_eq!(
        escrow.balances(trader).await?,
        (usdt("800").checked_add(split.reward).unwrap(), Amount::ZERO)
    );
    assert_eq!(
        escrow.balances(agent).await?,
        (split.agent_cut, Amount::ZERO)
    );
    assert_eq!(
        escrow.balances(treasury).await?,
        (split.platform, Amount::ZERO)
    );
    p.check_conservation(&everyone).await?;

    // The deal's storage is freed, and it cannot be released twice.
    let again = as_trader.release(deal).await.unwrap_err();
    assert!(
        matches!(
            &again,
            EvmError::Escrow(EscrowError::DealNotFound { deal_id }) if *deal_id == deal
        ),
        "a settled deal released twice, or failed otherwise: {again}"
    );

    // The merchant withdraws its USDT to its own wallet.
    as_merchant.withdraw(split.buyer_net).await?;
    assert_eq!(
        p.token_balance(merchant).await?,
        alloy::primitives::U256::from(split.buyer_net.units())
    );
    p.check_conservation(&everyone).await?;
    Ok(())
}
