//! Every scenario of tests/vectors/settlement.json, run through the program.

use std::collections::BTreeMap;

use serde_json::Value;
use stablerail_escrow::state::{
    DealKind, FeeScheduleArgs, FeeTier, ROLE_ACCEPTOR, ROLE_AGENT, ROLE_MERCHANT,
};

use crate::harness::{Env, User, WINDOW};

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
    for link in scenario["agents"].as_array().expect("agents") {
        add(str_of(&link["agent"]), ROLE_AGENT);
    }
    for deal in scenario["deals"].as_array().expect("deals") {
        add(str_of(&deal["merchant"]), ROLE_MERCHANT);
        match str_of(&deal["kind"]) {
            "collection" => add(str_of(&deal["seller"]), ROLE_ACCEPTOR),
            "payout" => add(str_of(&deal["buyer"]), ROLE_ACCEPTOR),
            _ => {}
        }
    }
    roles
}

async fn run_scenario(scenario: &Value) {
    let name = str_of(&scenario["name"]);
    let fees = FeeScheduleArgs {
        merchant_tiers: tiers(&scenario["fees"]["merchant_tiers"]),
        agent_tiers: tiers(&scenario["fees"]["agent_tiers"]),
        trader_reward_bps: u16::try_from(u64_of(&scenario["fees"]["trader_reward_bps"]))
            .expect("bps"),
    };
    let mut env = Env::new(fees).await;
    let mut users: BTreeMap<String, User> = BTreeMap::new();
    for (party, role) in roles(scenario) {
        let user = env.user(role).await;
        users.insert(party, user);
    }
    for link in scenario["agents"].as_array().expect("agents") {
        let merchant = users[str_of(&link["merchant"])].key();
        let agent = users[str_of(&link["agent"])].key();
        env.set_agent(&merchant, &agent).await.expect("set agent");
    }
    for deposit in scenario["deposits"].as_array().expect("deposits") {
        let user = &users[str_of(&deposit["party"])];
        env.fund_and_deposit(user, u64_of(&deposit["amount"])).await;
        env.assert_conservation().await;
    }
    for (i, deal) in scenario["deals"]
        .as_array()
        .expect("deals")
        .iter()
        .enumerate()
    {
        let seller = &users[str_of(&deal["seller"])];
        let buyer = &users[str_of(&deal["buyer"])];
        let amount = u64_of(&deal["amount"]);
        let kind = match str_of(&deal["kind"]) {
            "trade" => DealKind::Trade,
            "collection" => DealKind::Collection,
            "payout" => DealKind::Payout,
            other => panic!("{name}: unknown kind {other}"),
        };
        let id = env
            .open_deal(kind, seller, buyer, amount)
            .await
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
        let payer_before = env.lamports(&state.rent_payer).await;
        match str_of(&deal["outcome"]) {
            "release" => {
                env.mark_paid(&buyer.kp, id).await.expect("mark paid");
                env.release(&seller.kp, id).await.expect("release");
            }
            "cancel_by_buyer" => env.cancel(&buyer.kp, id).await.expect("cancel by buyer"),
            "cancel_after_deadline" => {
                env.warp_secs(i64::from(WINDOW) + 1).await;
                env.cancel(&seller.kp, id)
                    .await
                    .expect("cancel after deadline");
            }
            "resolve" => {
                let bps = u16::try_from(u64_of(&deal["buyer_share_bps"])).expect("bps");
                env.mark_paid(&buyer.kp, id).await.expect("mark paid");
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
    }
    let expected = &scenario["expected"];
    for (party, value) in expected["balances"].as_object().expect("balances") {
        let wallet = if party == "treasury" {
            env.treasury.key()
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
    // Every party and the treasury are listed, so the balances add up to the vault.
    let listed: u64 = expected["balances"]
        .as_object()
        .expect("balances")
        .values()
        .map(u64_of)
        .sum();
    let vault = env.vault;
    assert_eq!(
        env.token_balance(&vault).await,
        listed,
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
