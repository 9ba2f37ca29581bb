//! Crash safety: the binary is SIGKILLed at random moments during a backfill (at least 20
//! times while it is running), restarted each time, and must end with exactly the rows of
//! an uninterrupted run in every table: no duplicate, no gap. Two chains: USDT transfers
//! only, and a platform's escrow and multisig activity (derived tables included).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use alloy::primitives::{B256, U256};
use rand::Rng;
use stablerail_demo::{LocalPlatform, lowered_fees, play_day, role::*};
use stablerail_indexer::Store;

use crate::{
    common::{BACKENDS, Backend, CHAIN, Chain, TABLES, TestDb, assert_same_rows, evm_toml, stored},
    escrow::{
        assert_derived_matches_chain, assert_events_match_chain, leave_deals_open, platform_toml,
        usdt,
    },
};

const BIN: &str = env!("CARGO_BIN_EXE_stablerail-indexer");

/// Small ranges (1, then 2 blocks): a commit every block or two, so kills land all along.
const SMALL_RANGES: &str = "finality_depth = 30\nhead_lag = 0\ninitial_range = 1\nmax_range = 2\nconcurrency = 1\npoll_interval_ms = 50";

/// Kills are spread over this many equal parts of the chain (the last ones may find the
/// backfill already done).
const KILL_SEGMENTS: u64 = 24;

fn write_config(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
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

/// A finished uninterrupted backfill and a finished backfill that was SIGKILLed at
/// least 20 times; their databases live as long as this.
struct Runs {
    reference: Store,
    killed: Store,
    _dbs: (TestDb, TestDb),
}

/// Backfills `[0, to]` once uninterrupted and once with SIGKILLs at random moments (at
/// least 20 while running, restarted each time: two in start-up, then one a random
/// moment after the cursor passes a random block of each [`KILL_SEGMENTS`] part of the
/// chain), then checks that both stores hold the
/// same rows in every table (no duplicate, no gap) and the same cursor. `config` gives
/// the config text for a database.
async fn kill_and_resume(backend: Backend, to: u64, config: impl Fn(&TestDb) -> String) -> Runs {
    let dir = tempfile::tempdir().unwrap();

    // Reference: one uninterrupted run.
    let ref_db = TestDb::new(backend).await;
    let ref_cfg = write_config(dir.path(), "ref.toml", &config(&ref_db));
    let started = std::time::Instant::now();
    let status = backfill_cmd(&ref_cfg, to).status().await.unwrap();
    assert!(status.success(), "uninterrupted backfill succeeded");
    // A kill lands a random moment after the run passes a random block of its segment:
    // within about two ranges' time (fetch, load, apply, write, commit).
    let whole_ms = u64::try_from(started.elapsed().as_millis()).unwrap();
    let jitter_ms = (whole_ms * 4 / to.max(1)).max(2);
    // The first kills land in start-up (connect, migrate): as long as a no-op run takes.
    let t = std::time::Instant::now();
    let mut probe = backfill_cmd(&ref_cfg, to);
    assert!(
        probe.status().await.unwrap().success(),
        "no-op backfill succeeded"
    );
    let startup_ms = u64::try_from(t.elapsed().as_millis()).unwrap().max(2);
    let ref_store = ref_db.store().await;

    // Killed run: one kill per segment of the chain, so they cover the whole backfill.
    let db = TestDb::new(backend).await;
    let cfg = write_config(dir.path(), "killed.toml", &config(&db));
    let store = db.store().await;
    let mut rng = rand::rng();
    let (mut kills, mut restarts) = (0u64, 0u64);
    let mut cursors = Vec::new();
    for segment in 0..KILL_SEGMENTS {
        restarts += 1;
        let mut child = backfill_cmd(&cfg, to).spawn().unwrap();
        let delay = if segment < 2 {
            rng.random_range(0..startup_ms)
        } else {
            let lo = to * segment / KILL_SEGMENTS;
            let target = rng.random_range(lo..lo + to / KILL_SEGMENTS);
            while child.try_wait().unwrap().is_none()
                && store
                    .cursor(CHAIN)
                    .await
                    .unwrap()
                    .is_none_or(|c| c.block_number < target)
            {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            rng.random_range(0..jitter_ms)
        };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        match child.try_wait().unwrap() {
            None => {
                child.start_kill().unwrap(); // SIGKILL
                child.wait().await.unwrap();
                kills += 1;
            }
            // Finished before the kill: the store is complete, later kills prove nothing.
            Some(status) => {
                assert!(
                    status.success(),
                    "{backend:?}: the backfill after {kills} kills failed: {status}"
                );
                break;
            }
        }
        cursors.push(store.cursor(CHAIN).await.unwrap().map(|c| c.block_number));
    }
    assert!(
        kills >= 20,
        "killed the backfill {kills} times while running (wanted 20; cursors {cursors:?})"
    );
    let status = backfill_cmd(&cfg, to).status().await.unwrap();
    assert!(status.success(), "final backfill succeeded");

    assert_same_rows(
        &store,
        &ref_store,
        &TABLES,
        &format!("{backend:?} after {kills} kills (cursors seen: {cursors:?}) vs uninterrupted"),
    )
    .await;
    let c = store.cursor(CHAIN).await.unwrap().unwrap();
    let rc = ref_store.cursor(CHAIN).await.unwrap().unwrap();
    assert_eq!(
        (c.block_number, &c.block_hash),
        (rc.block_number, &rc.block_hash)
    );
    // The kills landed at different points all along the backfill.
    let distinct: std::collections::BTreeSet<_> = cursors.iter().flatten().collect();
    assert!(
        distinct.len() >= 15 && distinct.last().is_some_and(|&&c| c >= to * 3 / 4),
        "kills hit many different points: {cursors:?}"
    );
    eprintln!(
        "{backend:?}: {kills} kills in {restarts} runs of a {whole_ms} ms backfill; cursors at the kills: {cursors:?}"
    );
    Runs {
        reference: ref_store,
        killed: store,
        _dbs: (ref_db, db),
    }
}

/// A chain of emitter transfers only.
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
    let runs = kill_and_resume(backend, to, |db| evm_toml(&chain, db, SMALL_RANGES)).await;
    let canonical = chain.canonical(to).await;
    assert_eq!(
        stored(&runs.reference).await,
        canonical,
        "reference run equals the chain"
    );
    assert_eq!(
        stored(&runs.killed).await,
        canonical,
        "killed run equals the chain"
    );
}

/// After the day: `rounds` more blocks of settlements, each a block or more with escrow
/// events: collections assigned and released (merchant volume, agent commissions,
/// treasury fees, daily volume), every 4th round a whole payout, every 5th a withdrawal,
/// every 25th a fee-schedule change by multisig proposal.
async fn busy_platform(p: &LocalPlatform, rounds: u64) {
    let acceptor = p.address(ACCEPTOR);
    p.mint(acceptor, usdt(20_000)).await.unwrap();
    p.escrow(ACCEPTOR)
        .unwrap()
        .deposit(acceptor, usdt(20_000))
        .await
        .unwrap();
    let [as_dispatcher, as_acceptor, as_merchant, as_merchant_2] =
        [DISPATCHER, ACCEPTOR, MERCHANT, MERCHANT_2].map(|r| p.escrow(r).unwrap());
    let reference = |i: u64| B256::from(U256::from(10_000 + i));
    for i in 0..rounds {
        let merchant = [MERCHANT, MERCHANT_2][(i % 2) as usize];
        let c = as_dispatcher
            .assign_collection(
                acceptor,
                p.address(merchant),
                usdt(10 + i),
                1_800,
                reference(i),
            )
            .await
            .unwrap();
        as_acceptor.release(c).await.unwrap();
        if i % 4 == 1 {
            let payout = as_merchant
                .open_payout(usdt(5 + i), 1_800, reference(rounds + i))
                .await
                .unwrap();
            as_dispatcher.assign_payout(payout, acceptor).await.unwrap();
            as_acceptor.mark_paid(payout).await.unwrap();
            as_merchant.release(payout).await.unwrap();
        }
        if i % 5 == 2 {
            as_merchant_2.withdraw(usdt(1)).await.unwrap();
        }
        if i % 25 == 3 {
            let fees = if i % 50 == 3 {
                lowered_fees(&p.config)
            } else {
                p.config.clone()
            };
            p.set_fee_schedule(&fees).await.unwrap();
        }
    }
}

/// A platform's whole demo day, deals left open, and [`busy_platform`]: token
/// transfers, escrow and multisig events on almost every block, so most kills land in
/// commits that load and write back derived rows.
async fn crash_escrow_and_resume(backend: Backend) {
    let p = LocalPlatform::start().await.unwrap();
    play_day(&p, |_| {}).await.unwrap();
    leave_deals_open(&p).await;
    busy_platform(&p, 100).await;
    let to = p.block_number().await.unwrap();
    let runs = kill_and_resume(backend, to, |db| platform_toml(&p, db, SMALL_RANGES)).await;
    for (store, run) in [(&runs.reference, "reference"), (&runs.killed, "killed")] {
        let ctx = format!("{backend:?} {run}");
        assert_derived_matches_chain(&p, store, &ctx).await;
        assert_events_match_chain(&p, store, &ctx).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_backfill_sqlite() {
    crash_and_resume(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_backfill_postgres() {
    crash_and_resume(BACKENDS[1]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_escrow_backfill_sqlite() {
    crash_escrow_and_resume(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_escrow_backfill_postgres() {
    crash_escrow_and_resume(BACKENDS[1]).await;
}
