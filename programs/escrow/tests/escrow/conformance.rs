//! Every scenario of tests/vectors/settlement.json, run through the program.

use std::collections::BTreeMap;

use serde_json::Value;
use stablerail_escrow::state::{
    DealKind, FeeScheduleArgs, FeeTier, LimitsArgs, ROLE_ACCEPTOR, ROLE_AGENT, ROLE_MERCHANT,
};

use solana_sdk::signature::{Keypair, Signer};

use crate::harness::{default_limits, Env, User, WINDOW};

const VECTORS: &str = include_str!("../../../../tests/vectors/settlement.json");

fn u64_of(v: &Value) -> u64 {
    v.as_u64().expect("integer")
}

fn str_of(v: &Value) -> &str {
    v.as_str().expect("string")
}

fn tiers(v: &Value) -> Vec<FeeTier> {
    v.as_array()
        .expect("tiers")
        .iter()
        .map(|t| FeeTier {
            threshold: u64_of(&t["threshold"]),
            bps: u16::try_from(u64_of(&t["bps"])).expect("bps"),
        })
        .collect()
}

/// Roles a party needs given the deals it takes part in.
fn roles(scenario: &Value) -> BTreeMap<String, u8> {
    let mut roles: BTreeMap<String, u8> = BTreeMap::new();
    for party in scenario["parties"].as_array().expect("parties") {
        roles.insert(str_of(party).to_string(), 0);
    }
    let mut add = |name: &str, role: u8| *roles.entry(name.to_string()).or_default() |= role;
    for link in items(&scenario["agents"]) {
        add(str_of(&link["agent"]), ROLE_AGENT);
    }
    for deal in items(&scenario["deals"]) {
        add(str_of(&deal["merchant"]), ROLE_MERCHANT);
        match str_of(&deal["kind"]) {
            "collection" => add(str_of(&deal["seller"]), ROLE_ACCEPTOR),
            "payout" => add(str_of(&deal["buyer"]), ROLE_ACCEPTOR),
            _ => {}
        }
    }
    roles
}

fn fees_of(v: &Value) -> FeeScheduleArgs {
    FeeScheduleArgs {
        merchant_tiers: tiers(&v["merchant_tiers"]),
        agent_tiers: tiers(&v["agent_tiers"]),
        trader_reward_bps: u16::try_from(u64_of(&v["trader_reward_bps"])).expect("bps"),
    }
}

/// The items of an optional array field (absent: none).
fn items(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// Whether a `co_sign` field says the co-signer is required.
fn co_sign_required(v: &Value) -> bool {
    v["co_sign"].as_str() == Some("required")
}

async fn run_scenario(scenario: &Value) {
    let name = str_of(&scenario["name"]);
    let mut env = Env::new(fees_of(&scenario["fees"])).await;
    let admin = env.admin.insecure_clone();
    // The vectors are about money: no deal-size cap, as the Solidity conformance run.
    let limits = LimitsArgs {
        max_deal_amount: u64::MAX,
        ..default_limits()
    };
    let ix = env.ix_set_limits(&admin.pubkey(), limits);
    env.send(vec![ix], &[&admin]).await.expect("limits set");
    let mut users: BTreeMap<String, User> = BTreeMap::new();
    for (party, role) in roles(scenario) {
        let user = env.user(role).await;
        users.insert(party, user);
    }
    for link in items(&scenario["agents"]) {
        let merchant = users[str_of(&link["merchant"])].key();
        let agent = users[str_of(&link["agent"])].key();
        env.set_agent(&merchant, &agent).await.expect("set agent");
    }
    // v2: the treasury moved onto a party (credited in place).
    let treasury = match scenario["treasury_is"].as_str() {
        Some(party) => {
            let wallet = users[party].key();
            let mut authorities = env.authorities();
            authorities.treasury = wallet;
            let ix = env.ix_set_authorities(&admin.pubkey(), authorities);
            env.send(vec![ix], &[&admin]).await.expect("treasury moved");
            wallet
        }
        None => env.treasury.key(),
    };
    // v2: co-signers; the run starts at the beginning of a UTC day.
    let mut co_signers: BTreeMap<String, Keypair> = BTreeMap::new();
    let co_signer_setups = items(&scenario["co_signers"]);
    if !co_signer_setups.is_empty() {
        let now = env.now().await;
        env.warp_secs((now.div_euclid(86_400) + 1) * 86_400 - now)
            .await;
    }
    for c in co_signer_setups {
        let party = str_of(&c["party"]);
        let co_signer = Keypair::new();
        let user = &users[party];
        let ix = env.ix_co_signer_set(
            &user.key(),
            Some(co_signer.pubkey()),
            u64_of(&c["daily_allowance"]),
            None,
        );
        env.send(vec![ix], &[&user.kp]).await.expect("co-signer");
        co_signers.insert(party.to_string(), co_signer);
    }
    for deposit in items(&scenario["deposits"]) {
        let user = &users[str_of(&deposit["party"])];
        env.fund_and_deposit(user, u64_of(&deposit["amount"])).await;
        env.assert_conservation().await;
    }
    // v2: tokens sent straight to the vault are surplus.
    if let Some(direct) = scenario["direct_transfer"].as_u64() {
        let vault = env.vault;
        env.mint_to(&vault, direct).await;
        env.surplus += direct;
        env.assert_conservation().await;
    }
    for (i, deal) in items(&scenario["deals"]).iter().enumerate() {
        let seller = &users[str_of(&deal["seller"])];
        let buyer = &users[str_of(&deal["buyer"])];
        let amount = u64_of(&deal["amount"]);
        let kind = match str_of(&deal["kind"]) {
            "trade" => DealKind::Trade,
            "collection" => DealKind::Collection,
            "payout" => DealKind::Payout,
            other => panic!("{name}: unknown kind {other}"),
        };
        if deal["agent_role_revoked_before_open"].as_bool() == Some(true) {
            let merchant = users[str_of(&deal["merchant"])].key();
            let agent = env.agents[&merchant];
            let roles = env.escrow(&agent).await.roles & !ROLE_AGENT;
            let ix = env.ix_set_roles(&agent, roles);
            env.send(vec![ix], &[&admin]).await.expect("role revoked");
        }
        let mut order = None;
        let id = match kind {
            DealKind::Trade => {
                let size = deal["order_amount"].as_u64().unwrap_or(amount);
                let order_id = env.post_order(buyer, size).await.expect("post");
                order = Some(order_id);
                env.fill(seller, order_id, &buyer.key(), amount).await
            }
            _ => env.open_deal(kind, seller, buyer, amount).await,
        }
        .unwrap_or_else(|e| panic!("{name} deal {i}: open: {e}"));
        env.assert_conservation().await;
        let deal_key = env.deal_pda(id);
        let state = env.deal(id).await;
        assert_eq!(
            state.merchant,
            users[str_of(&deal["merchant"])].key(),
            "{name} deal {i}: merchant"
        );
        let rent = env.lamports(&deal_key).await;
        let outcome = str_of(&deal["outcome"]);
        if matches!(outcome, "release" | "resolve") {
            env.mark_paid(&buyer.kp, id).await.expect("mark paid");
        }
        // v2: a fee change after open (and after mark paid) does not apply to it.
        if deal["fees_after_open"].is_object() {
            let ix = env.ix_set_fees(&admin.pubkey(), fees_of(&deal["fees_after_open"]));
            env.send(vec![ix], &[&admin]).await.expect("fees changed");
        }
        let payer_before = env.lamports(&state.rent_payer).await;
        match outcome {
            "release" if co_sign_required(deal) => {
                let before = env.escrow(&seller.key()).await;
                let result = env.release(&seller.kp, id).await;
                assert_eq!(
                    crate::harness::err_code(result),
                    crate::harness::code(stablerail_escrow::errors::EscrowError::AllowanceExceeded),
                    "{name} deal {i}: the seller alone is refused"
                );
                assert_eq!(
                    env.escrow(&seller.key()).await.outflow_today,
                    before.outflow_today
                );
                let co_signer = &co_signers[str_of(&deal["seller"])];
                let ix = env
                    .ix_release_cosigned(&seller.key(), id, Some(co_signer.pubkey()))
                    .await;
                env.send(vec![ix], &[&seller.kp, co_signer])
                    .await
                    .expect("co-signed release");
            }
            "release" => env.release(&seller.kp, id).await.expect("release"),
            "cancel_by_buyer" => env.cancel(&buyer.kp, id).await.expect("cancel by buyer"),
            "cancel_after_deadline" => {
                env.warp_secs(i64::from(WINDOW) + 1).await;
                env.cancel(&seller.kp, id)
                    .await
                    .expect("cancel after deadline");
            }
            "resolve" => {
                let bps = u16::try_from(u64_of(&deal["buyer_share_bps"])).expect("bps");
                env.dispute(&seller.kp, id).await.expect("dispute");
                let arbiter = env.arbiter.insecure_clone();
                env.resolve(&arbiter, id, bps).await.expect("resolve");
            }
            other => panic!("{name}: unknown outcome {other}"),
        }
        env.assert_conservation().await;
        // The deal account is gone and its rent went back to whoever paid it.
        assert!(
            env.raw(&deal_key).await.is_none(),
            "{name} deal {i}: account closed"
        );
        assert_eq!(
            env.lamports(&state.rent_payer).await,
            payer_before + rent,
            "{name} deal {i}: rent returned"
        );
        // v2: what is left in the buy order (0: its storage was freed).
        if let (Some(want), Some(order_id)) = (deal["expect_order_remaining"].as_u64(), order) {
            let key = env.order_pda(order_id);
            if want == 0 {
                assert!(
                    env.raw(&key).await.is_none(),
                    "{name} deal {i}: order freed"
                );
            } else {
                assert_eq!(env.order(order_id).await.remaining, want, "{name} deal {i}");
            }
        }
    }
    // v2: withdrawals, co-signed where the allowance does not suffice.
    for w in items(&scenario["withdrawals"]) {
        let party = str_of(&w["party"]);
        let user = &users[party];
        let amount = u64_of(&w["amount"]);
        let ix = env.ix_withdraw(&user.key(), &user.token, amount);
        let result = env.send(vec![ix.clone()], &[&user.kp]).await;
        if co_sign_required(&w) {
            assert_eq!(
                crate::harness::err_code(result),
                crate::harness::code(stablerail_escrow::errors::EscrowError::AllowanceExceeded),
                "{name}: withdrawal of {party} alone is refused"
            );
            let co_signer = &co_signers[party];
            let mut ix = ix;
            ix.accounts[7] =
                solana_sdk::instruction::AccountMeta::new_readonly(co_signer.pubkey(), true);
            env.send(vec![ix], &[&user.kp, co_signer])
                .await
                .expect("co-signed withdrawal");
        } else {
            result.expect("withdrawal");
        }
        env.assert_conservation().await;
    }
    if scenario["sweep"].as_bool() == Some(true) {
        let ix = env.ix_sweep_surplus(&admin.pubkey(), &treasury);
        env.send(vec![ix], &[&admin]).await.expect("sweep");
        env.surplus = 0;
        env.assert_conservation().await;
    }
    let expected = &scenario["expected"];
    for (party, value) in expected["balances"].as_object().expect("balances") {
        let wallet = if party == "treasury" {
            treasury
        } else {
            users[party.as_str()].key()
        };
        let account = env.escrow(&wallet).await;
        assert_eq!(
            account.available,
            u64_of(value),
            "{name}: available of {party}"
        );
        assert_eq!(account.locked, 0, "{name}: locked of {party}");
    }
    for (party, value) in expected["merchant_volume"]
        .as_object()
        .expect("merchant_volume")
    {
        let account = env.escrow(&users[party.as_str()].key()).await;
        assert_eq!(
            account.merchant_volume,
            u64_of(value),
            "{name}: merchant volume of {party}"
        );
    }
    for (party, value) in expected["agent_volume"].as_object().expect("agent_volume") {
        let account = env.escrow(&users[party.as_str()].key()).await;
        assert_eq!(
            account.agent_volume,
            u64_of(value),
            "{name}: agent volume of {party}"
        );
    }
    // Every holder is listed: liabilities equal the listed balances, and the
    // vault holds exactly them (plus any unswept direct transfer).
    let listed: u64 = expected["balances"]
        .as_object()
        .expect("balances")
        .values()
        .map(u64_of)
        .sum();
    assert_eq!(
        env.config_state().await.liabilities,
        listed,
        "{name}: liabilities equal the listed balances"
    );
    let vault = env.vault;
    assert_eq!(
        env.token_balance(&vault).await,
        listed + env.surplus,
        "{name}: vault holds exactly the listed balances"
    );
}

#[tokio::test]
async fn settlement_vectors() {
    let vectors: Value = serde_json::from_str(VECTORS).expect("settlement.json");
    let scenarios = vectors["scenarios"].as_array().expect("scenarios");
    assert!(!scenarios.is_empty());
    for scenario in scenarios {
        run_scenario(scenario).await;
    }
}
