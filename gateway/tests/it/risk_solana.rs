//! Escrow conservation and the circuit breaker on Solana, against the node whose
//! state is the native runtime (`stablerail_demo::solana_node`: the escrow program
//! and the real SPL Token program execute every transaction, and the gateway's
//! indexer follows the blocks they land in).
//!
//! The indexer runs one block behind the node (`head_lag = 1`), so the monitor's
//! read of the vault always comes from a later slot than the indexer's block: it
//! stands for the indexer's block only while no transaction touched the vault in
//! between. A withdrawal in that gap is not a breach; a balance the vault lost
//! without a transaction (as an exploit of a program bug would leave it, simulated
//! by writing the token account in the runtime) is one: the critical alert names the
//! escrow and the amount missing, and the guardian's keypair pauses the escrow with
//! `config_pause` in the next block. The guardian cannot unpause.

use sqlx::Row;
use stablerail_sdk::Amount;
use stablerail_sdk::solana::sdk::{Keypair, Signer};
use stablerail_sdk::solana::{self as sol, pda};

use crate::{
    common::{Backend, Client, TestDb, wait_for},
    cosigner_solana::Sol,
    risk_treasury::start_gateway_with_admin,
    risk_treasury_solana::solana_gateway_config,
};

const U: u64 = 1_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_conservation_and_breaker_on_solana() {
    conservation_and_breaker(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_conservation_and_breaker_on_solana_postgres() {
    conservation_and_breaker(Backend::Postgres).await;
}

/// The slot the monitor has evaluated up to.
async fn monitor_slot(gw: &stablerail_gateway::Gateway) -> u64 {
    sqlx::query("SELECT block_number FROM gw_risk_cursors WHERE chain = 'solana'")
        .fetch_optional(&gw.app().db.pool)
        .await
        .unwrap()
        .map_or(0, |r| u64::try_from(r.get::<i64, _>(0)).unwrap())
}

async fn conservation_alerts(admin: &Client) -> Vec<serde_json::Value> {
    let (s, v) = admin.get("/admin/risk/alerts?rule=conservation").await;
    assert_eq!(s, 200, "{v}");
    v["data"].as_array().unwrap().clone()
}

async fn conservation_and_breaker(backend: Backend) {
    let sol = Sol::deploy().await;
    let rt = &sol.rt;
    // A block that does not touch the vault: a token account for a new wallet.
    let tick = || async { rt.create_ata(&Keypair::new().pubkey(), &sol.mint).await };
    let (wallet, token) = sol.wallet(50 * U).await;
    let vault = sol.escrow.vault();

    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let guardian_key = dir.path().join("guardian.json");
    std::fs::write(
        &guardian_key,
        serde_json::to_string(&sol.guardian.to_bytes().to_vec()).unwrap(),
    )
    .unwrap();
    let chain = format!("escrow = \"{}\"\nhead_lag = 1", sol.escrow.config);
    let breaker = format!(
        "\n[risk.breaker]\nrules = [\"conservation\"]\n\n[risk.breaker.guardian_key_files]\nsolana = \"{}\"\n",
        guardian_key.display()
    );
    let text = solana_gateway_config(&db, rt, &sol.mint.to_string(), &chain, &breaker).await;
    let (gw, admin) = start_gateway_with_admin(&text).await;

    // 50 deposited: balance and liabilities 50 once the indexer has the deposit.
    tick().await;
    let deposited = rt.head().await - 1;
    wait_for(60, "the monitor past the deposit", || async {
        monitor_slot(&gw).await >= deposited
    })
    .await;

    // A withdrawal of 20 lands while the indexer is still one block before it: the
    // node's vault (30) is newer than the indexed liabilities (50), and the monitor
    // must not call that a breach.
    let ix = sol
        .escrow
        .withdraw(
            &wallet.pubkey(),
            &token,
            &sol.mint,
            &pda::TOKEN_PROGRAM_ID,
            Amount::from_units(20 * U),
        )
        .unwrap();
    rt.setup(vec![ix], &[&wallet]).await;
    let withdrawn = rt.head().await;
    wait_for(
        60,
        "the monitor at the block before the withdrawal",
        || async { monitor_slot(&gw).await >= withdrawn - 1 },
    )
    .await;
    // Many passes of the monitor (20 ms each) at that block.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(conservation_alerts(&admin).await.is_empty());
    tick().await;
    wait_for(60, "the monitor past the withdrawal", || async {
        monitor_slot(&gw).await >= withdrawn
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(conservation_alerts(&admin).await.is_empty());
    // Conservation on chain: the vault holds exactly what the program owes.
    let config: sol::Config = rt.decoded(&sol.escrow.config).await.unwrap();
    assert_eq!(rt.token_balance(&vault).await, 30 * U);
    assert_eq!(config.liabilities, 30 * U);
    assert!(!config.paused);

    // The vault loses 10 it owes, with no transaction; the next block shows it.
    rt.set_token_amount(&vault, 20 * U).await;
    tick().await;
    tick().await;
    let broken = rt.head().await - 1;
    wait_for(60, "conservation alert on Solana", || async {
        !conservation_alerts(&admin).await.is_empty()
    })
    .await;
    let alerts = conservation_alerts(&admin).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["chain"], "solana", "{alert}");
    assert_eq!(alert["severity"], "critical");
    let d = &alert["details"];
    assert_eq!(d["escrow"], sol.escrow.config.to_string(), "{alert}");
    assert_eq!(d["balance"], "20000000");
    assert_eq!(d["liabilities"], "30000000");
    assert_eq!(d["missing"], "10000000");
    // The loss has no transaction: any measurement after it shows it, at the indexed
    // slot of that pass (not before the last vault transaction, the withdrawal).
    let at = alert["block_number"].as_u64().unwrap();
    assert!((withdrawn..=broken).contains(&at), "{alert}");
    let id = alert["id"].as_str().unwrap();
    let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    assert_eq!(full["evidence"][0]["data"]["balance"], "20000000", "{full}");

    // The guardian's `config_pause`, in a block after the alert's, paused it.
    let breaker = &d["breaker"];
    assert_eq!(breaker["paused"], true, "{alert}");
    let signature = breaker["tx_hash"].as_str().unwrap();
    let paused_at = breaker["block_number"].as_u64().unwrap();
    assert!(paused_at > at, "{alert}");
    assert_eq!(rt.processed(signature).await.slot, paused_at);
    let config: sol::Config = rt.decoded(&sol.escrow.config).await.unwrap();
    assert!(config.paused);
    let row = sqlx::query(
        "SELECT reason, tx_hash, error FROM gw_risk_actions WHERE alert_id = $1 AND action = 'pause'",
    )
    .bind(id)
    .fetch_one(&gw.app().db.pool)
    .await
    .unwrap();
    assert_eq!(row.get::<Option<String>, _>(1).as_deref(), Some(signature));
    assert_eq!(row.get::<Option<String>, _>(2), None);

    // The guardian cannot unpause (the admin's, i.e. the multisig's, decision).
    let blockhash = sol::SolanaRpc::new(&rt.url)
        .unwrap()
        .latest_blockhash()
        .await
        .unwrap()
        .blockhash;
    let unpause = sol::TransactionBuilder::new(sol.guardian.pubkey())
        .with_instruction(sol.escrow.config_unpause(&sol.guardian.pubkey()))
        .sign(blockhash, &[&sol.guardian as &dyn Signer])
        .unwrap();
    assert!(rt.send(unpause).await.is_err());
    let config: sol::Config = rt.decoded(&sol.escrow.config).await.unwrap();
    assert!(config.paused);

    // The indexer sees the pause under the guardian's signature.
    tick().await;
    wait_for(60, "the pause indexed", || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM escrow_events WHERE chain = 'solana' AND tx_hash = $1",
        )
        .bind(signature)
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap()
            == 1
    })
    .await;
    // One alert, one pause: the paused escrow is not paused again.
    tick().await;
    let last = rt.head().await - 1;
    wait_for(60, "the monitor past the pause", || async {
        monitor_slot(&gw).await >= last
    })
    .await;
    assert_eq!(conservation_alerts(&admin).await.len(), 1);
    let pauses: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM gw_risk_actions WHERE action = 'pause'")
            .fetch_one(&gw.app().db.pool)
            .await
            .unwrap();
    assert_eq!(pauses, 1);
    gw.stop().await;
}
