//! Replays a scenario of `tests/vectors/settlement.json` through the Solidity
//! escrow on a fresh anvil, acting only through the SDK's `EscrowClient` and the
//! platform's 2-of-3 multisig (admin and arbiter), and reads the final state back
//! from the contract in the shape of the SDK's reference [`Expected`].

use std::collections::BTreeMap;

use alloy::primitives::{Address, Bytes, keccak256};
use alloy::sol_types::SolCall;
use anyhow::{Context, bail, ensure};
use stablerail_demo::{PlatformConfig, role::*};
use stablerail_sdk::evm::{Escrow, Roles};
use stablerail_sdk::{Amount, DealKind, Expected, Outcome, Scenario, TREASURY};

use super::Platform;

/// Payment window of every deal, seconds.
const WINDOW: u32 = 3_600;

/// The dev accounts the scenario's parties are played by, in order of appearance.
const PARTY_SLOTS: [usize; 7] = [
    MERCHANT, TRADER, AGENT, MERCHANT_2, AGENT_2, ACCEPTOR, TRADER_2,
];

/// Runs `s` on its own anvil and returns the escrow's final state.
pub async fn run_on_evm(s: &Scenario) -> anyhow::Result<Expected> {
    let tiers = |t: &[stablerail_sdk::Tier]| -> anyhow::Result<Vec<(u64, u16)>> {
        t.iter()
            .map(|t| Ok((t.threshold, u16::try_from(t.bps)?)))
            .collect()
    };
    let config = PlatformConfig {
        merchant_tiers: tiers(&s.fees.merchant_tiers)?,
        agent_tiers: tiers(&s.fees.agent_tiers)?,
        trader_reward_bps: u16::try_from(s.fees.trader_reward_bps)?,
        // The vectors are about money, not KYC.
        min_kyc_level: 0,
        ..PlatformConfig::default()
    };
    let p = Platform::start_with(config).await?;

    ensure!(
        s.parties.len() <= PARTY_SLOTS.len(),
        "{}: more parties than dev accounts",
        s.name
    );
    let slot: BTreeMap<&str, usize> = s
        .parties
        .iter()
        .map(String::as_str)
        .zip(PARTY_SLOTS)
        .collect();
    let of = |name: &str| -> anyhow::Result<usize> {
        slot.get(name)
            .copied()
            .with_context(|| format!("{}: unknown party {name}", s.name))
    };

    // Roles as the deals need them, granted by the multisig.
    let mut roles: BTreeMap<usize, Roles> = BTreeMap::new();
    let mut grant = |who: usize, r: Roles| {
        let e = roles.entry(who).or_insert(Roles(0));
        *e = e.union(r);
    };
    for d in &s.deals {
        grant(of(&d.merchant)?, Roles::MERCHANT);
        match d.kind {
            DealKind::Collection => grant(of(&d.seller)?, Roles::ACCEPTOR),
            DealKind::Payout => grant(of(&d.buyer)?, Roles::ACCEPTOR),
            DealKind::Trade => {}
        }
    }
    for link in &s.agents {
        grant(of(&link.agent)?, Roles::AGENT);
    }
    for (&who, &r) in &roles {
        p.set_roles(p.address(who), r).await?;
        if r.0 & Roles::ACCEPTOR.0 != 0 {
            p.go_online(who).await?;
        }
    }
    for link in &s.agents {
        p.set_agent(p.address(of(&link.merchant)?), p.address(of(&link.agent)?))
            .await?;
    }

    for d in &s.deposits {
        let who = of(&d.party)?;
        let amount = Amount::from_units(d.amount);
        p.mint(p.address(who), amount).await?;
        p.escrow(who)?.deposit(p.address(who), amount).await?;
    }

    for (i, d) in s.deals.iter().enumerate() {
        let (seller, buyer) = (of(&d.seller)?, of(&d.buyer)?);
        let (as_seller, as_buyer) = (p.escrow(seller)?, p.escrow(buyer)?);
        let amount = Amount::from_units(d.amount);
        let order_ref = keccak256(format!("{}/{i}", s.name));
        let deal = match d.kind {
            DealKind::Trade => {
                let expiry = p.now().await? + 86_400;
                let order = as_buyer
                    .post_buy_order(725, "CNY", amount, amount, amount, expiry, WINDOW)
                    .await?;
                as_seller.fill_buy_order(order, amount, order_ref).await?
            }
            DealKind::Collection => {
                p.escrow(DISPATCHER)?
                    .assign_collection(
                        p.address(seller),
                        p.address(buyer),
                        amount,
                        WINDOW,
                        order_ref,
                    )
                    .await?
            }
            DealKind::Payout => {
                let deal = as_seller.open_payout(amount, WINDOW, order_ref).await?;
                p.escrow(DISPATCHER)?
                    .assign_payout(deal, p.address(buyer))
                    .await?;
                deal
            }
        };
        match d.outcome {
            Outcome::Release => {
                as_buyer.mark_paid(deal).await?;
                as_seller.release(deal).await?;
            }
            Outcome::CancelByBuyer => {
                as_buyer.cancel(deal).await?;
            }
            Outcome::CancelAfterDeadline => {
                p.warp(u64::from(WINDOW) + 1).await?;
                as_seller.cancel(deal).await?;
            }
            Outcome::Resolve => {
                as_buyer.mark_paid(deal).await?;
                as_seller.dispute(deal).await?;
                let resolve = Escrow::resolveCall {
                    dealId: deal,
                    buyerShareBps: u16::try_from(d.buyer_share_bps)?,
                }
                .abi_encode();
                p.admin()
                    .await?
                    .execute(p.deployment.escrow, Bytes::from(resolve))
                    .await?;
            }
        }
        // A final deal is deleted: its storage reads back as zeros.
        let left = p.escrow(DEPLOYER)?.contract().deal(deal).call().await?;
        ensure!(
            left.seller == Address::ZERO,
            "{}: deal {deal} not final",
            s.name
        );
    }

    // The final state, read from the contract.
    let mut everyone: Vec<(String, Address)> = s
        .parties
        .iter()
        .map(|n| Ok((n.clone(), p.address(of(n)?))))
        .collect::<anyhow::Result<_>>()?;
    everyone.push((TREASURY.to_owned(), p.deployment.multisig));
    let escrow = p.escrow(DEPLOYER)?;
    let mut out = Expected::default();
    for (name, address) in &everyone {
        let a = escrow.contract().account(*address).call().await?;
        if a.locked != alloy::primitives::Uint::ZERO {
            bail!("{}: {name} still has {} locked", s.name, a.locked);
        }
        out.balances.insert(name.clone(), a.available.to::<u64>());
        if a.merchantVolume > 0 {
            out.merchant_volume.insert(name.clone(), a.merchantVolume);
        }
        if a.agentVolume > 0 {
            out.agent_volume.insert(name.clone(), a.agentVolume);
        }
    }
    let addresses: Vec<Address> = everyone.iter().map(|(_, a)| *a).collect();
    p.check_conservation(&addresses).await?;
    Ok(out)
}
