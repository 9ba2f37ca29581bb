//! Replays a scenario of `tests/vectors/settlement.json` through the Solidity
//! escrow on a fresh anvil, acting only through the SDK's `EscrowClient` and the
//! platform's 2-of-3 multisig (admin and arbiter), and reads the final state back
//! from the contract in the shape of the SDK's reference [`Expected`].

use std::collections::BTreeMap;

use alloy::primitives::{Address, Bytes, U256, keccak256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use anyhow::{Context, bail, ensure};
use stablerail_demo::{PlatformConfig, role::*};
use stablerail_sdk::Roles;
use stablerail_sdk::conformance::{CoSign, Expected, Outcome, Scenario, TREASURY};
use stablerail_sdk::evm::{CoSignAction, Escrow, EscrowError, EvmError};
use stablerail_sdk::{Amount, DealKind, ScenarioFees};

use super::Platform;

/// Payment window of every deal, seconds.
const WINDOW: u32 = 3_600;

/// The dev accounts the scenario's parties are played by, in order of appearance.
const PARTY_SLOTS: [usize; 7] = [
    MERCHANT, TRADER, AGENT, MERCHANT_2, AGENT_2, ACCEPTOR, TRADER_2,
];

/// Runs `s` on its own anvil and returns the escrow's final state.
pub(crate) async fn run_on_evm(s: &Scenario) -> anyhow::Result<Expected> {
    Ok(run_on_evm_kept(s).await?.expected)
}

/// A scenario played on anvil, with the chain kept running for an indexer.
pub(crate) struct EvmRun {
    /// The escrow's final state, read from the contract.
    pub(crate) expected: Expected,
    /// The chain and its deployment.
    pub(crate) platform: Platform,
    /// Every party (and the treasury) by name, with its address.
    pub(crate) parties: Vec<(String, Address)>,
}

/// [`run_on_evm`], keeping the chain.
pub(crate) async fn run_on_evm_kept(s: &Scenario) -> anyhow::Result<EvmRun> {
    let tiers = |t: &[stablerail_sdk::Tier]| -> anyhow::Result<Vec<(u64, u16)>> {
        t.iter()
            .map(|t| Ok((t.threshold, u16::try_from(t.bps)?)))
            .collect()
    };
    let config_of = |f: &ScenarioFees| -> anyhow::Result<PlatformConfig> {
        Ok(PlatformConfig {
            merchant_tiers: tiers(&f.merchant_tiers)?,
            agent_tiers: tiers(&f.agent_tiers)?,
            trader_reward_bps: u16::try_from(f.trader_reward_bps)?,
            // The vectors are about money, not KYC or deal-size caps.
            min_kyc_level: 0,
            max_deal_amount: u64::MAX,
            ..PlatformConfig::default()
        })
    };
    let p = Platform::start_with(config_of(&s.fees)?).await?;
    let admin_call = |data: Vec<u8>| {
        let p = &p;
        async move {
            p.admin()
                .await?
                .execute(p.deployment.escrow, Bytes::from(data))
                .await?;
            anyhow::Ok(())
        }
    };

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
    if let Some(t) = &s.treasury_is {
        let treasury = p.address(of(t)?);
        admin_call(
            Escrow::setTreasuryCall {
                treasury_: treasury,
            }
            .abi_encode(),
        )
        .await?;
    }

    // Co-signers (docs/rules.md, "Co-signer and daily allowance"), at the start of a UTC
    // day so every outflow of the scenario falls in it.
    let mut co_signers: BTreeMap<usize, PrivateKeySigner> = BTreeMap::new();
    if !s.co_signers.is_empty() {
        let now = p.now().await?;
        p.warp(86_400 - now % 86_400).await?;
    }
    for c in &s.co_signers {
        let who = of(&c.party)?;
        let key = PrivateKeySigner::from_bytes(&keccak256(format!("co-signer:{}", c.party)))?;
        p.escrow(who)?
            .set_co_signer(key.address(), Amount::from_units(c.daily_allowance))
            .await?;
        co_signers.insert(who, key);
    }
    let key_of = |who: usize| {
        co_signers
            .get(&who)
            .with_context(|| format!("{}: no co-signer for the outflow", s.name))
    };

    for d in &s.deposits {
        let who = of(&d.party)?;
        let amount = Amount::from_units(d.amount);
        p.mint(p.address(who), amount).await?;
        p.escrow(who)?.deposit(p.address(who), amount).await?;
    }
    if s.direct_transfer > 0 {
        p.mint(p.deployment.escrow, Amount::from_units(s.direct_transfer))
            .await?;
    }

    for (i, d) in s.deals.iter().enumerate() {
        let (seller, buyer) = (of(&d.seller)?, of(&d.buyer)?);
        let as_seller = p.escrow(seller)?.with_caller(p.address(seller));
        let as_buyer = p.escrow(buyer)?.with_caller(p.address(buyer));
        let amount = Amount::from_units(d.amount);
        let order_ref = keccak256(format!("{}/{i}", s.name));
        if d.agent_role_revoked_before_open {
            let merchant = p
                .escrow(DEPLOYER)?
                .account(p.address(of(&d.merchant)?))
                .await?;
            let agent = p.escrow(DEPLOYER)?.account(merchant.agent).await?;
            p.set_roles(merchant.agent, Roles(agent.roles.0 & !Roles::AGENT.0))
                .await?;
        }
        let mut order = None;
        let deal = match d.kind {
            DealKind::Trade => {
                // Orders expire a day after the deal's payment deadline (tests/vectors/README.md).
                let expiry = p.now().await? + u64::from(WINDOW) + 86_401;
                let size = Amount::from_units(d.order_amount.unwrap_or(d.amount));
                let id = as_buyer
                    .post_buy_order(
                        725,
                        "CNY",
                        size,
                        Amount::from_units(1),
                        size,
                        expiry,
                        WINDOW,
                    )
                    .await?;
                order = Some(id);
                as_seller.fill_buy_order(id, amount, order_ref).await?
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
        let fees_after_open = || async {
            if let Some(f) = &d.fees_after_open {
                p.set_fee_schedule(&config_of(f)?).await?;
            }
            anyhow::Ok(())
        };
        match d.outcome {
            Outcome::Release => {
                as_buyer.mark_paid(deal).await?;
                fees_after_open().await?;
                match d.co_sign {
                    CoSign::None => {
                        as_seller.release(deal).await?;
                    }
                    CoSign::Required => {
                        expect_allowance_exceeded(as_seller.release(deal).await, &s.name)?;
                        let deadline = p.now().await? + 3_600;
                        let sig = as_seller
                            .co_sign(
                                key_of(seller)?,
                                p.address(seller),
                                CoSignAction::Release,
                                deal,
                                deadline,
                            )
                            .await?;
                        as_seller.release_co_signed(deal, deadline, &sig).await?;
                    }
                }
            }
            Outcome::CancelByBuyer => {
                fees_after_open().await?;
                as_buyer.cancel(deal).await?;
            }
            Outcome::CancelAfterDeadline => {
                fees_after_open().await?;
                p.warp(u64::from(WINDOW) + 1).await?;
                as_seller.cancel(deal).await?;
            }
            Outcome::Resolve => {
                as_buyer.mark_paid(deal).await?;
                fees_after_open().await?;
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
        if let (Some(want), Some(id)) = (d.expect_order_remaining, order) {
            let o = p.escrow(DEPLOYER)?.contract().buyOrder(id).call().await?;
            let remaining = if o.merchant == Address::ZERO {
                0
            } else {
                o.remaining.to::<u64>()
            };
            ensure!(
                remaining == want && (want != 0 || o.merchant == Address::ZERO),
                "{}: order {id} has {remaining} left, the vector says {want}",
                s.name
            );
        }
    }

    for w in &s.withdrawals {
        let who = of(&w.party)?;
        let escrow = p.escrow(who)?.with_caller(p.address(who));
        let amount = Amount::from_units(w.amount);
        match w.co_sign {
            CoSign::None => {
                escrow.withdraw(amount).await?;
            }
            CoSign::Required => {
                expect_allowance_exceeded(escrow.withdraw(amount).await, &s.name)?;
                let deadline = p.now().await? + 3_600;
                let sig = escrow
                    .co_sign(
                        key_of(who)?,
                        p.address(who),
                        CoSignAction::Withdraw,
                        U256::from(w.amount),
                        deadline,
                    )
                    .await?;
                escrow.withdraw_co_signed(amount, deadline, &sig).await?;
            }
        }
    }
    if s.sweep {
        admin_call(Escrow::sweepSurplusCall {}.abi_encode()).await?;
    }

    // The final state, read from the contract.
    let mut everyone: Vec<(String, Address)> = s
        .parties
        .iter()
        .map(|n| Ok((n.clone(), p.address(of(n)?))))
        .collect::<anyhow::Result<_>>()?;
    if s.treasury_is.is_none() {
        everyone.push((TREASURY.to_owned(), p.deployment.multisig));
    }
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
    // The holding is the liabilities plus what was sent directly and not swept.
    let held = p.token_balance(p.deployment.escrow).await?;
    let surplus = if s.sweep { 0 } else { s.direct_transfer };
    ensure!(
        held == escrow.liabilities().await? + U256::from(surplus),
        "{}: holding {held} is not liabilities + unswept surplus {surplus}",
        s.name
    );
    drop(escrow);
    Ok(EvmRun {
        expected: out,
        platform: p,
        parties: everyone,
    })
}

/// `result` is the SDK's refusal of an outflow beyond the allowance (nothing sent).
fn expect_allowance_exceeded<T: std::fmt::Debug>(
    result: Result<T, EvmError>,
    scenario: &str,
) -> anyhow::Result<()> {
    match result {
        Err(EvmError::Escrow(EscrowError::AllowanceExceeded { .. })) => Ok(()),
        other => bail!("{scenario}: expected AllowanceExceeded, got {other:?}"),
    }
}
