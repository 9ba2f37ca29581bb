//! Crash safety: the binary is SIGKILLed at random moments during a backfill (at least 20
//! times while it is running), restarted each time, and must end with exactly the rows of
//! an uninterrupted run: no duplicate, no gap.

use std::{path::Path, process::Stdio, time::Duration};

use rand::Rng;
use stablerail_indexer::store::TransferRecord;

use crate::common::{BACKENDS, Backend, CHAIN, Chain, TestDb, stored};

const BIN: &str = env!("CARGO_BIN_EXE_stablerail-indexer");

fn write_config(dir: &Path, name: &str, chain: &Chain, db: &TestDb) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            r#"
database_url = "{}"
[chains.{CHAIN}]
kind = "evm"
rpc_urls = ["{}"]
usdt = "{:#x}"
finality_depth = 30
head_lag = 0
initial_range = 1
max_range = 2
concurrency = 1
poll_interval_ms = 50
"#,
            db.url, chain.url, chain.emitter
        ),
    )
    .unwrap();
    path
}

fn backfill_cmd(config: &Path, to: u64) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("--config")
        .arg(config)
        .args([
            "backfill",
            "--chain",
            CHAIN,
            "--from",
            "0",
            "--to",
            &to.to_string(),
            "--no-progress",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    cmd
}

fn full(rows: Vec<TransferRecord>) -> Vec<TransferRecord> {
    rows
}

async fn crash_and_resume(backend: Backend) {
    let chain = Chain::start().await;
    let mut seed = 7u64;
    // 300 blocks with transfers between stretches of empty blocks: about 900 ranges of
    // at most 2 blocks, each its own commit, so kills land all along the backfill.
    for i in 0..300 {
        seed += 1;
        chain.emit(15, seed).await;
        if i % 10 == 0 {
            chain.mine(50).await;
        }
    }
    let to = chain.head().await;
    let dir = tempfile::tempdir().unwrap();

    // Reference: one uninterrupted run.
    let ref_db = TestDb::new(backend).await;
    let ref_cfg = write_config(dir.path(), "ref.toml", &chain, &ref_db);
    let started = std::time::Instant::now();
    let status = backfill_cmd(&ref_cfg, to).status().await.unwrap();
    assert!(status.success(), "uninterrupted backfill succeeded");
    // Kill delays scale with how long a whole run takes on this machine and store.
    let whole_ms = u64::try_from(started.elapsed().as_millis()).unwrap();
    // ...and with how long the process takes to start (connect, migrate) before its
    // first commit, so that kills land all along the backfill, not only in start-up.
    let t = std::time::Instant::now();
    let mut probe = backfill_cmd(&ref_cfg, to);
    assert!(
        probe.status().await.unwrap().success(),
        "no-op backfill succeeded"
    );
    let startup_ms = u64::try_from(t.elapsed().as_millis()).unwrap();
    let min_delay = startup_ms / 2;
    let max_delay = startup_ms + (whole_ms / 25).max(40);
    let ref_store = ref_db.store().await;
    let reference = full(ref_store.all_transfers(CHAIN).await.unwrap());
    assert_eq!(
        stored(&ref_store).await,
        chain.canonical(to).await,
        "reference run equals the chain"
    );

    // Killed run.
    let db = TestDb::new(backend).await;
    let cfg = write_config(dir.path(), "killed.toml", &chain, &db);
    let store = db.store().await;
    let mut rng = rand::rng();
    let mut kills = 0;
    let mut restarts = 0;
    let mut cursors = Vec::new();
    while kills < 20 {
        restarts += 1;
        assert!(
            restarts < 400,
            "too many restarts without 20 effective kills"
        );
        let mut child = backfill_cmd(&cfg, to).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(
            rng.random_range(min_delay..max_delay),
        ))
        .await;
        if child.try_wait().unwrap().is_none() {
            child.start_kill().unwrap(); // SIGKILL
            child.wait().await.unwrap();
            kills += 1;
        } else {
            // Finished before the kill: the store is complete, later kills prove nothing.
            break;
        }
        cursors.push(store.cursor(CHAIN).await.unwrap().map(|c| c.block_number));
    }
    assert!(
        kills >= 20,
        "killed the backfill {kills} times while running (wanted 20)"
    );
    let status = backfill_cmd(&cfg, to).status().await.unwrap();
    assert!(status.success(), "final backfill succeeded");

    let got = full(store.all_transfers(CHAIN).await.unwrap());
    assert_eq!(
        got.len(),
        reference.len(),
        "{backend:?}: row count after {kills} kills (cursors seen: {cursors:?})"
    );
    assert_eq!(
        got, reference,
        "{backend:?}: store after kills equals the uninterrupted run"
    );
    let c = store.cursor(CHAIN).await.unwrap().unwrap();
    let rc = ref_store.cursor(CHAIN).await.unwrap().unwrap();
    assert_eq!(
        (c.block_number, &c.block_hash),
        (rc.block_number, &rc.block_hash)
    );
    // The kills landed at different points of the backfill, not all before the first commit.
    let distinct: std::collections::BTreeSet<_> = cursors.iter().flatten().collect();
    assert!(
        distinct.len() >= 5,
        "kills hit many different points: {cursors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_backfill_sqlite() {
    crash_and_resume(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_backfill_postgres() {
    crash_and_resume(BACKENDS[1]).await;
}
