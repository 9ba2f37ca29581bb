//! The dispatcher service end to end on anvil: collections and a payout from the
//! merchant API are offered by the engine to four acceptors (with their own keys,
//! online with heartbeats); three accept through the acceptor API and act on chain
//! through the SDK, one stays silent: its offer times out and the order goes to
//! another acceptor. On PostgreSQL a second gateway on the same database takes half
//! the requests and runs the order loop too, to the end: still one offer at a time,
//! one deal and one `assigned` decision per order. A failed assignment (the acceptor went offline on chain after
//! accepting) is decided again and assigned once. Final states, balances (chain and
//! indexer) and conservation checked; every stored decision replays to itself.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use alloy::primitives::{Address, B256, U256};
use serde_json::json;
use sqlx::Row;
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::{GatewayOptions, auth, merchants, orders::decisions};
use stablerail_sdk::{Amount, Roles};

use crate::common::*;

const COLLATERAL: &str = "2000";
const MERCHANT_FUNDS: &str = "1000";

/// Σ (available + locked) over `who`, the escrow's liabilities and its token balance.
async fn books(platform: &LocalPlatform, who: &[Address]) -> (u128, u128, u128) {
    let e = platform.escrow(role::DEPLOYER).unwrap();
    let mut sum = 0u128;
    for a in who {
        let (avail, locked) = e.balances(*a).await.unwrap();
        sum += u128::from(avail.units()) + u128::from(locked.units());
    }
    let liabilities: u128 = e.liabilities().await.unwrap().to();
    let held: u128 = e
        .token_balance(platform.deployment.escrow)
        .await
        .unwrap()
        .to();
    (sum, liabilities, held)
}

/// An acceptor's agent: accepts every offer while `on`, through the acceptor API.
fn agent(c: Client, on: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if on.load(Ordering::SeqCst) {
                let (_, v) = c.get("/v1/acceptor/orders").await;
                for o in v["data"].as_array().cloned().unwrap_or_default() {
                    if o["status"] == "offered" {
                        let id = o["id"].as_str().unwrap_or_default();
                        let _ = c
                            .post(&format!("/v1/acceptor/orders/{id}/accept"), json!({}))
                            .await;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

async fn dispatch(backend: Backend) {
    let platform = LocalPlatform::start().await.unwrap();
    let merchant_addr = platform.address(role::MERCHANT);
    let merchant2_addr = platform.address(role::MERCHANT_2);
    // Three acceptors that act, one that stays silent; priorities 0..3 (the USD
    // strategy below is `priority`).
    let roles_of = [role::ACCEPTOR, role::TRADER, role::TRADER_2, role::AGENT_2];
    let addrs: Vec<Address> = roles_of.iter().map(|r| platform.address(*r)).collect();
    let silent = addrs[3];
    for m in [merchant_addr, merchant2_addr] {
        platform.set_roles(m, Roles::MERCHANT).await.unwrap();
    }
    for a in &addrs {
        platform.set_roles(*a, Roles::ACCEPTOR).await.unwrap();
    }
    let mut everyone = addrs.clone();
    everyone.extend([merchant_addr, merchant2_addr]);
    platform.kyc(&everyone).await.unwrap();
    for (who, amount) in roles_of
        .iter()
        .map(|r| (*r, COLLATERAL))
        .chain([(role::MERCHANT, MERCHANT_FUNDS)])
    {
        let amount: Amount = amount.parse().unwrap();
        let addr = platform.address(who);
        platform.mint(addr, amount).await.unwrap();
        platform
            .escrow(who)
            .unwrap()
            .deposit(addr, amount)
            .await
            .unwrap();
    }
    for r in roles_of {
        platform
            .escrow(r)
            .unwrap()
            .set_acceptor_limits(true, "1000".parse().unwrap(), COLLATERAL.parse().unwrap())
            .await
            .unwrap();
    }
    let mut accounts = everyone.clone();
    accounts.push(platform.deployment.multisig); // the treasury
    let before = books(&platform, &accounts).await;
    assert_eq!(before.0, before.1, "liabilities == Σ balances");
    assert_eq!(before.1, before.2, "token balance == liabilities");

    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("dispatcher.key");
    std::fs::write(
        &key_file,
        hex::encode(platform.signer(role::DISPATCHER).to_bytes()),
    )
    .unwrap();
    let text = config_text(&platform, &db, 1, FAST_WEBHOOKS).replace(
        "[invoices]",
        &format!(
            r#"[dispatcher]
key_file = "{}"

[dispatch]
strategy = {{ kind = "least_load" }}
accept_timeout_secs = 3
heartbeat_timeout_secs = 5
retry_after_ms = 300

[dispatch.currencies]
USD = {{ kind = "priority" }}

[invoices]"#,
            key_file.display()
        ),
    );
    let config_path = dir.path().join("gateway.toml");
    std::fs::write(&config_path, &text).unwrap();
    let gw = start_gateway(&text, GatewayOptions::default()).await;

    // Merchant 1 (EUR: least load), merchant 2 (USD: priority).
    let mut merchant_ids = Vec::new();
    let mut merchant_keys = Vec::new();
    for (name, addr, currency) in [
        ("Shop", merchant_addr, "EUR"),
        ("Store", merchant2_addr, "USD"),
    ] {
        let input = json!({
            "name": name,
            "chains": [{ "chain": CHAIN, "receiving": format!("{addr:#x}"), "escrow_account": format!("{addr:#x}") }],
            "bank_accounts": [{ "label": "Main", "holder": name, "account": "DE89370400440532013000", "currency": currency, "payout": true }],
        });
        let m = merchants::create(
            &gw.app().db,
            &merchants::NewMerchant::from_json(&gw.app().config, &input).unwrap(),
        )
        .await
        .unwrap();
        let (_, key) = auth::create_key(&gw.app().db, &m.id, "t").await.unwrap();
        merchant_ids.push(m.id);
        merchant_keys.push(key);
    }
    let c = Client::new(&gw, &merchant_keys[0]);
    let c2 = Client::new(&gw, &merchant_keys[1]);

    // Acceptors: the first through the CLI (`acceptor create`), the others through
    // the library (what the admin route calls).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stablerail-gateway"))
        .args([
            "--config",
            config_path.to_str().unwrap(),
            "acceptor",
            "create",
        ])
        .args(["--chain", CHAIN, "--address", &format!("{:#x}", addrs[0])])
        .args(["--name", "First", "--priority", "0"])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let cli_key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("api key  "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert!(cli_key.starts_with("ak_"), "{stdout}");
    let mut keys = vec![cli_key];
    for (i, a) in addrs.iter().enumerate().skip(1) {
        keys.push(register_acceptor(&gw, *a, i as u32).await.1);
    }
    let acc: Vec<Client> = keys.iter().map(|k| Client::new(&gw, k)).collect();

    // On PostgreSQL a second gateway shares the database and runs the order loop
    // too: offers, time-outs and assignments must be claimed by one process at a
    // time. Two of the agents and half the collections go through it. (SQLite is one
    // process per file.)
    let gw2 = match backend {
        Backend::Postgres => Some(
            start_gateway(
                &text,
                GatewayOptions {
                    indexer: false,
                    ..Default::default()
                },
            )
            .await,
        ),
        Backend::Sqlite => None,
    };
    let via2 = |c: &Client, i: usize| -> Client {
        match &gw2 {
            Some(g) if i % 2 == 1 => Client {
                base: format!("http://{}", g.addr()),
                ..c.clone()
            },
            _ => c.clone(),
        }
    };

    // Keys are scoped: an acceptor key cannot touch merchant routes, a merchant key
    // cannot touch acceptor routes, an unknown key is refused.
    assert_eq!(acc[0].get("/v1/collections").await.0, 401);
    assert_eq!(
        acc[0]
            .post("/v1/collections", json!({ "chain": CHAIN, "amount": "1" }))
            .await
            .0,
        401
    );
    assert_eq!(c.post("/v1/acceptor/heartbeat", json!({})).await.0, 401);
    assert_eq!(c.get("/v1/acceptor/orders").await.0, 401);
    let mut stranger = c.clone();
    stranger.key = "ak_0000000000000000000000000000000000000000000000000000000000000000".into();
    let (s, v) = stranger.post("/v1/acceptor/heartbeat", json!({})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    stranger.key = String::new();
    assert_eq!(stranger.post("/v1/acceptor/online", json!({})).await.0, 401);

    // Everyone online with heartbeats; three agents accept offers, the silent one never.
    let mut alive = Vec::new();
    for a in &acc {
        alive.push(keep_alive(a).await);
    }
    let on: Vec<Arc<AtomicBool>> = (0..3).map(|_| Arc::new(AtomicBool::new(true))).collect();
    let agents: Vec<_> = (0..3)
        .map(|i| agent(via2(&acc[i], i), on[i].clone()))
        .collect();
    for a in &acc {
        wait_for(30, "acceptor indexed and present", || async {
            let (_, v) = a.get("/v1/acceptor").await;
            v["present"] == true && v["on_chain"]["online"] == true
        })
        .await;
    }

    // Eight collections at once: least load spreads them over all four acceptors
    // (the first four decisions go to four different ones).
    let mut cols = Vec::new();
    for i in 0..8 {
        let (s, v) = via2(&c, i)
            .post(
                "/v1/collections",
                json!({ "chain": CHAIN, "amount": format!("{}", 50 + i * 10), "payment_window_secs": 900 }),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        cols.push(v["id"].as_str().unwrap().to_owned());
    }
    let get = |c: &Client, path: String| {
        let c = c.clone();
        async move { c.get(&path).await.1 }
    };
    for id in &cols {
        wait_for(60, "collection assigned", || async {
            let v = get(&c, format!("/v1/collections/{id}")).await;
            assert_ne!(v["status"], "failed", "{v}");
            v["status"] == "assigned"
        })
        .await;
    }
    let mut by_acceptor: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    let mut redispatched = 0;
    for id in &cols {
        let v = get(&c, format!("/v1/collections/{id}")).await;
        let who = v["acceptor"].as_str().unwrap().to_owned();
        assert_ne!(who, format!("{silent:#x}"), "the silent acceptor got {v}");
        by_acceptor
            .entry(who.clone())
            .or_default()
            .push((id.clone(), v["deal_id"].as_u64().unwrap()));
        let (s, d) = c.get(&format!("/v1/collections/{id}/decisions")).await;
        assert_eq!(s, 200, "{d}");
        let d = d["data"].as_array().unwrap().clone();
        assert!(d.iter().all(|x| x["replays"] == true), "{d:?}");
        let last = d.last().unwrap();
        assert_eq!(
            (last["outcome"].as_str(), last["chosen"].as_str()),
            (Some("assigned"), Some(who.as_str()))
        );
        if d.iter()
            .any(|x| x["outcome"] == "timed_out" && x["chosen"] == format!("{silent:#x}"))
        {
            redispatched += 1;
            assert!(d.len() >= 2);
        }
        // Every candidate is listed with its eligibility and score.
        assert_eq!(last["candidates"].as_array().unwrap().len(), 4, "{last}");
    }
    assert!(
        redispatched >= 1,
        "the silent acceptor's offer was re-dispatched"
    );
    // One deal per order, and one `assigned` decision each, whichever gateway
    // decided.
    let collection_deals = || async {
        sqlx::query("SELECT COUNT(*) FROM deals WHERE kind = 'collection'")
            .fetch_one(&gw.app().db.pool)
            .await
            .unwrap()
            .get::<i64, _>(0)
    };
    wait_for(30, "eight collection deals indexed", || async {
        collection_deals().await >= 8
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(collection_deals().await, 8, "one deal per collection order");
    for id in &cols {
        let (_, d) = c.get(&format!("/v1/collections/{id}/decisions")).await;
        let assigned = d["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["outcome"] == "assigned")
            .count();
        assert_eq!(assigned, 1, "{d}");
    }
    assert_eq!(
        by_acceptor.len(),
        3,
        "spread over the three acting acceptors: {by_acceptor:?}"
    );

    // Another merchant's ids are 404, like unknown ones; an acceptor cannot accept
    // another acceptor's order.
    assert_eq!(
        c2.get(&format!("/v1/collections/{}/decisions", cols[0]))
            .await
            .0,
        404
    );
    assert_eq!(c2.get(&format!("/v1/collections/{}", cols[0])).await.0, 404);
    assert_eq!(c.get("/v1/collections/col_nope/decisions").await.0, 404);
    assert_eq!(
        c.get(&format!("/v1/payouts/{}/decisions", cols[0])).await.0,
        404
    );
    let (owner, _) = by_acceptor.iter().next().unwrap();
    let other = addrs
        .iter()
        .position(|a| format!("{a:#x}") != *owner)
        .unwrap();
    let (s, _) = acc[other]
        .post(
            &format!("/v1/acceptor/orders/{}/accept", by_acceptor[owner][0].0),
            json!({}),
        )
        .await;
    assert_eq!(s, 404);

    // Fiat arrives (the dispatcher marks paid), each acceptor releases through the SDK.
    for (who, list) in &by_acceptor {
        let r = roles_of[addrs
            .iter()
            .position(|a| format!("{a:#x}") == *who)
            .unwrap()];
        for (_, deal) in list {
            platform
                .escrow(role::DISPATCHER)
                .unwrap()
                .mark_paid(U256::from(*deal))
                .await
                .unwrap();
            platform
                .escrow(r)
                .unwrap()
                .release(U256::from(*deal))
                .await
                .unwrap();
        }
    }
    for id in &cols {
        wait_for(60, "collection settled", || async {
            get(&c, format!("/v1/collections/{id}")).await["status"] == "settled"
        })
        .await;
    }

    // A payout: the merchant opens it, the gateway offers and assigns it, the
    // acceptor pays the bank (marks paid through the SDK), the merchant releases.
    let payout_deal = platform
        .escrow(role::MERCHANT)
        .unwrap()
        .open_payout("120".parse().unwrap(), 1800, B256::repeat_byte(7))
        .await
        .unwrap();
    let payout_deal = u64::try_from(payout_deal).unwrap();
    let mut pay_id = String::new();
    for _ in 0..600 {
        let (s, v) = c
            .post(
                "/v1/payouts",
                json!({ "chain": CHAIN, "deal_id": payout_deal }),
            )
            .await;
        if s == 201 {
            pay_id = v["id"].as_str().unwrap().to_owned();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!pay_id.is_empty());
    wait_for(60, "payout assigned", || async {
        let v = get(&c, format!("/v1/payouts/{pay_id}")).await;
        assert_ne!(v["status"], "failed", "{v}");
        v["status"] == "assigned"
    })
    .await;
    let v = get(&c, format!("/v1/payouts/{pay_id}")).await;
    let payee = v["acceptor"].as_str().unwrap().to_owned();
    let payee_i = addrs
        .iter()
        .position(|a| format!("{a:#x}") == payee)
        .unwrap();
    assert!(payee_i < 3, "{v}");
    // Only the chosen acceptor sees the bank account.
    let (_, mine) = acc[payee_i].get("/v1/acceptor/orders").await;
    let seen = mine["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == pay_id.as_str())
        .unwrap_or_else(|| panic!("{mine}"))
        .clone();
    assert_eq!(seen["bank_account"]["account"], "DE89370400440532013000");
    platform
        .escrow(roles_of[payee_i])
        .unwrap()
        .mark_paid(U256::from(payout_deal))
        .await
        .unwrap();
    platform
        .escrow(role::MERCHANT)
        .unwrap()
        .release(U256::from(payout_deal))
        .await
        .unwrap();
    wait_for(60, "payout settled", || async {
        get(&c, format!("/v1/payouts/{pay_id}")).await["status"] == "settled"
    })
    .await;

    // The silent acceptor stops its heartbeats: it becomes ineligible. A failed
    // assignment: merchant 2's USD orders go by priority to the first acceptor, which
    // accepts and then goes offline on chain before the assignment is sent.
    alive[3].abort();
    tokio::time::sleep(Duration::from_secs(6)).await;
    on[0].store(false, Ordering::SeqCst);
    // Merchant 2 needs no funds for a collection (the acceptor locks collateral).
    let (s, v) = c2
        .post("/v1/collections", json!({ "chain": CHAIN, "amount": "40" }))
        .await;
    assert_eq!(s, 201, "{v}");
    let usd = v["id"].as_str().unwrap().to_owned();
    wait_for(30, "offered to the first acceptor", || async {
        let v = get(&c2, format!("/v1/collections/{usd}")).await;
        v["status"] == "offered" && v["acceptor"] == format!("{:#x}", addrs[0])
    })
    .await;
    platform
        .escrow(roles_of[0])
        .unwrap()
        .set_acceptor_limits(false, "1000".parse().unwrap(), COLLATERAL.parse().unwrap())
        .await
        .unwrap();
    let (s, v) = acc[0]
        .post(&format!("/v1/acceptor/orders/{usd}/accept"), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    wait_for(60, "re-decided and assigned to another", || async {
        let v = get(&c2, format!("/v1/collections/{usd}")).await;
        assert_ne!(v["status"], "failed", "{v}");
        v["status"] == "assigned" && v["acceptor"] != format!("{:#x}", addrs[0])
    })
    .await;
    let (_, d) = c2.get(&format!("/v1/collections/{usd}/decisions")).await;
    let d = d["data"].as_array().unwrap().clone();
    let outcomes: Vec<&str> = d.iter().map(|x| x["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["assign_failed", "assigned"], "{d:?}");
    assert_eq!(d[1]["strategy"]["kind"], "priority");
    assert_eq!(
        d[1]["chosen"],
        format!("{:#x}", addrs[1]),
        "next by priority"
    );
    let silent_row = d[1]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == format!("{silent:#x}"))
        .unwrap()
        .clone();
    assert!(
        silent_row["ineligible"]
            .as_array()
            .unwrap()
            .contains(&json!("heartbeat_missed")),
        "{silent_row}"
    );
    let first_row = d[1]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == format!("{:#x}", addrs[0]))
        .unwrap()
        .clone();
    assert!(
        first_row["ineligible"]
            .as_array()
            .unwrap()
            .contains(&json!("already_failed_this_order")),
        "{first_row}"
    );
    // One deal for the order: never assigned twice.
    let order_ref: String = {
        let v = get(&c2, format!("/v1/collections/{usd}")).await;
        v["order_ref"].as_str().unwrap().to_owned()
    };
    let deals = || async {
        sqlx::query("SELECT COUNT(*) FROM deals WHERE order_ref = $1")
            .bind(&order_ref)
            .fetch_one(&gw.app().db.pool)
            .await
            .unwrap()
            .get::<i64, _>(0)
    };
    wait_for(30, "the deal indexed", || async { deals().await >= 1 }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(deals().await, 1);
    let usd_deal = get(&c2, format!("/v1/collections/{usd}")).await["deal_id"]
        .as_u64()
        .unwrap();
    platform
        .escrow(role::DISPATCHER)
        .unwrap()
        .mark_paid(U256::from(usd_deal))
        .await
        .unwrap();
    platform
        .escrow(roles_of[1])
        .unwrap()
        .release(U256::from(usd_deal))
        .await
        .unwrap();
    wait_for(60, "USD collection settled", || async {
        get(&c2, format!("/v1/collections/{usd}")).await["status"] == "settled"
    })
    .await;

    // Nobody may take an order above every acceptor's own maximum per deal: it fails,
    // and the decision log says why for each candidate.
    let (s, v) = c
        .post(
            "/v1/collections",
            json!({ "chain": CHAIN, "amount": "1500" }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let big = v["id"].as_str().unwrap().to_owned();
    wait_for(30, "too big an order failed", || async {
        get(&c, format!("/v1/collections/{big}")).await["status"] == "failed"
    })
    .await;
    let (_, d) = c.get(&format!("/v1/collections/{big}/decisions")).await;
    let d = d["data"].as_array().unwrap().clone();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0]["outcome"].as_str(), &d[0]["chosen"]),
        (Some("no_candidate"), &json!(null))
    );
    for cand in d[0]["candidates"].as_array().unwrap() {
        assert!(
            cand["ineligible"]
                .as_array()
                .unwrap()
                .contains(&json!("above_max_per_deal")),
            "{cand}"
        );
        assert_eq!(cand["score"], json!(null));
    }

    // Replay from the stored rows: every decision gives itself again; a tampered one
    // does not.
    let mut all = cols.clone();
    all.extend([pay_id.clone(), usd.clone(), big.clone()]);
    let mut n = 0;
    for id in &all {
        for row in decisions::of_order(&gw.app().db, id).await.unwrap() {
            let text: String =
                sqlx::query("SELECT decision FROM gw_dispatch_decisions WHERE id = $1")
                    .bind(&row.id)
                    .fetch_one(&gw.app().db.pool)
                    .await
                    .unwrap()
                    .get(0);
            let mut d: stablerail_gateway::dispatch::Decision =
                serde_json::from_str(&text).unwrap();
            d.replay().unwrap();
            n += 1;
            if let Some(c) = d.candidates.iter_mut().find(|c| c.score.is_some()) {
                c.score = c.score.map(|s| s + 1);
                assert!(d.replay().is_err());
            }
        }
    }
    assert!(n >= all.len());

    // Final balances: chain == indexer == expected from the settled deals; conservation.
    wait_for(30, "indexer caught up", || async {
        let (_, v) = acc[1].get("/v1/acceptor").await;
        v["on_chain"]["locked"] == "0"
    })
    .await;
    let e = platform.escrow(role::DEPLOYER).unwrap();
    let settled: Vec<(String, String, String, String, String)> = sqlx::query(
        "SELECT kind, seller, buyer, CAST(amount AS TEXT), CAST(fee AS TEXT) FROM deals WHERE kind IN ('collection', 'payout') AND state = 'released'",
    )
    .fetch_all(&gw.app().db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
    .collect();
    assert_eq!(settled.len(), 10, "8 + 1 collections and 1 payout");
    let collateral = COLLATERAL.parse::<Amount>().unwrap().units();
    for (i, a) in addrs.iter().enumerate() {
        let me = format!("{a:#x}");
        let mut expected = i128::from(collateral);
        for (kind, seller, buyer, amount, fee) in &settled {
            let (amount, fee): (i128, i128) = (amount.parse().unwrap(), fee.parse().unwrap());
            if kind == "collection" && *seller == me {
                expected -= amount;
            }
            if kind == "payout" && *buyer == me {
                expected += amount - fee;
            }
        }
        let (avail, locked) = e.balances(*a).await.unwrap();
        assert_eq!(
            (i128::from(avail.units()), locked.units()),
            (expected, 0),
            "acceptor {i}"
        );
        let row = sqlx::query(
            "SELECT CAST(available AS TEXT), CAST(locked AS TEXT) FROM escrow_accounts WHERE address = $1",
        )
        .bind(&me)
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap();
        assert_eq!(
            (row.get::<String, _>(0), row.get::<String, _>(1)),
            (avail.units().to_string(), "0".to_owned()),
            "indexer == chain for acceptor {i}"
        );
    }
    let after = books(&platform, &accounts).await;
    assert_eq!(
        after, before,
        "conservation: Σ balances, liabilities, token balance"
    );
    let served: BTreeSet<String> = settled.iter().map(|s| s.1.clone()).collect();
    assert!(!served.contains(&format!("{silent:#x}")));

    for h in alive.into_iter().chain(agents) {
        h.abort();
    }
    if let Some(g) = gw2 {
        g.stop().await;
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dispatch_sqlite() {
    dispatch(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dispatch_postgres() {
    dispatch(Backend::Postgres).await;
}
