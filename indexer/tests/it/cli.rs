//! The binary's commands: `--help`, `migrate`, `api-key create|list|revoke`, `status`,
//! and clear errors for a bad config or a bad range, leaving the database untouched.

use std::process::Output;
use tokio::io::AsyncBufReadExt;

use stablerail_indexer::{Store, api::hash_api_key};

use crate::common::{BACKENDS, Backend, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_stablerail-indexer");

async fn run(config: &std::path::Path, args: &[&str]) -> Output {
    tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn cli_commands(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("indexer.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\n[chains.eth]\nkind = \"evm\"\nrpc_urls = [\"http://127.0.0.1:1\"]\nusdt = \"0xdAC17F958D2ee523a2206206994597C13D831ec7\"\n",
            db.url
        ),
    )
    .unwrap();

    let out = run(&config, &["migrate"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(&config, &["api-key", "create", "--name", "analyst"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("key: "))
        .unwrap()
        .trim()
        .to_owned();
    let id: i64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(key.starts_with("sr_") && key.len() == 67);
    let store = Store::open(&db.url).await.unwrap();
    assert!(
        store.api_key_valid(&hash_api_key(&key)).await.unwrap(),
        "hash stored"
    );
    let listed = run(&config, &["api-key", "list"]).await;
    let listed = text(&listed.stdout);
    assert!(
        listed.contains("analyst") && !listed.contains(&key),
        "list never shows the key"
    );

    let out = run(&config, &["api-key", "revoke", "--id", &id.to_string()]).await;
    assert!(out.status.success());
    assert!(!store.api_key_valid(&hash_api_key(&key)).await.unwrap());
    let out = run(&config, &["api-key", "revoke", "--id", &id.to_string()]).await;
    assert!(!out.status.success(), "revoking twice fails");
    assert!(text(&out.stderr).contains("no active API key"));

    let out = run(&config, &["status"]).await;
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("eth: not started"));

    // Bad inputs: clear error, nothing written.
    let out = run(
        &config,
        &["backfill", "--chain", "eth", "--from", "10", "--to", "5"],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("below --from"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &config,
        &["backfill", "--chain", "mars", "--from", "1", "--to", "5"],
    )
    .await;
    assert!(
        text(&out.stderr).contains("unknown chain `mars`"),
        "{}",
        text(&out.stderr)
    );
    assert!(store.cursors().await.unwrap().is_empty());

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[chains.eth]\nkind = \"evm\"\nrpc_urls = []\nusdt = \"0x00\"\n",
    )
    .unwrap();
    let out = run(&bad, &["status"]).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("rpc_urls"),
        "{}",
        text(&out.stderr)
    );
    let missing = dir.path().join("missing.toml");
    let out = run(&missing, &["status"]).await;
    assert!(
        text(&out.stderr).contains("cannot read config file"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sqlite() {
    cli_commands(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_postgres() {
    cli_commands(BACKENDS[1]).await;
}

#[tokio::test]
async fn help_explains_every_option() {
    let out = tokio::process::Command::new(BIN)
        .arg("--help")
        .output()
        .await
        .unwrap();
    let help = text(&out.stdout);
    for word in [
        "database_url",
        "kind",
        "rpc_urls",
        "finality_depth",
        "start_block",
        "usdt",
        "escrow",
        "multisig",
        "watched",
        "poll_interval_ms",
        "head_lag",
        "initial_range",
        "max_range",
        "concurrency",
        "request_timeout_ms",
        "max_attempts",
        "run",
        "migrate",
        "backfill",
        "status",
        "api-key",
    ] {
        assert!(help.contains(word), "--help mentions `{word}`");
    }
}

/// Two processes sharing one PostgreSQL: the second waits for the chain's lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_chain_lock_is_exclusive() {
    let db = TestDb::new(Backend::Postgres).await;
    let a = Store::open(&db.url).await.unwrap();
    let b = Store::connect(&db.url).await.unwrap();
    let lock = a.lock_chain("eth").await.unwrap();
    let waiter = tokio::spawn(async move { b.lock_chain("eth").await.map(|_| ()) });
    // Wait for the state (the standby's lock request queued in PostgreSQL), not
    // for time.
    wait_for_waiting_lock(&db.url).await;
    assert!(
        !waiter.is_finished(),
        "standby waits while the owner holds the chain"
    );
    let other = a.lock_chain("tron").await.unwrap();
    drop(lock);
    tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    drop(other);
}

/// Waits until some session of this database waits for an advisory lock (the
/// standby's request for a chain's ownership, queued behind the owner).
async fn wait_for_waiting_lock(url: &str) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    crate::common::wait_for(30, "a standby waiting for the chain's lock", || {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
                 WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
                >= 1
        }
    })
    .await;
    pool.close().await;
}

/// Starts `run` as a child; returns it and the API base URL it printed.
async fn spawn_run(config: &std::path::Path) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(config)
        .arg("run")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let base = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("api: ") {
                return url.to_owned();
            }
        }
        panic!("`run` exited without printing its API address");
    })
    .await
    .expect("`run` prints its API address once it listens");
    // Keep reading so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

/// Hot standby on PostgreSQL: two `run` processes on one database; the second waits
/// for the chain's lock while the first indexes; the first is killed (SIGKILL, no
/// clean shutdown), the standby takes the chain over and indexes what comes next,
/// with every transfer exactly once. Every wait is for a state, none for time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_standby_takes_over_when_the_owner_dies() {
    let chain = crate::common::Chain::start().await;
    chain.emit(10, 1).await;
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("indexer.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\napi_listen = \"127.0.0.1:0\"\n[chains.anvil]\nkind = \"evm\"\nrpc_urls = [\"{}\"]\nusdt = \"{:#x}\"\nhead_lag = 0\npoll_interval_ms = 50\n",
            db.url, chain.url, chain.emitter
        ),
    )
    .unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let transfers = || {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM transfers")
                .fetch_one(&pool)
                .await
                .unwrap_or(0)
        }
    };
    let cursor = || {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT block_number FROM cursors WHERE chain = 'anvil'")
                .fetch_optional(&pool)
                .await
                .ok()
                .flatten()
                .unwrap_or(0)
        }
    };

    let (mut owner, _) = spawn_run(&config).await;
    crate::common::wait_for(60, "the owner indexes the first transfers", || async {
        transfers().await == 10
    })
    .await;
    let (mut standby, standby_api) = spawn_run(&config).await;
    wait_for_waiting_lock(&db.url).await;

    // The owner keeps indexing while the standby waits.
    chain.emit(5, 2).await;
    let head = chain.head().await;
    crate::common::wait_for(60, "the owner indexes the next block", || async {
        cursor().await >= head as i64 && transfers().await == 15
    })
    .await;
    assert!(owner.try_wait().unwrap().is_none(), "the owner still runs");

    // The owner dies without a word; its session ends and its lock with it.
    owner.kill().await.unwrap();
    chain.emit(7, 3).await;
    chain.emit(3, 4).await;
    let head = chain.head().await;
    crate::common::wait_for(
        60,
        "the standby takes over and indexes to the head",
        || async { cursor().await >= head as i64 && transfers().await == 25 },
    )
    .await;
    assert!(standby.try_wait().unwrap().is_none(), "the standby runs on");
    // It serves what it indexed, each transfer once.
    let health: serde_json::Value = reqwest::get(format!("{standby_api}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        health["chains"][0]["cursor"].as_u64().unwrap() >= head,
        "{health}"
    );
    let distinct = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM (SELECT DISTINCT tx_hash, log_index FROM transfers) t",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(distinct, 25, "no transfer indexed twice");
    standby.kill().await.unwrap();
    pool.close().await;
}

/// `run` as a child process: indexes the chain, serves the API, stops on SIGTERM.
async fn run_serves_and_stops(backend: Backend) {
    let chain = crate::common::Chain::start().await;
    for s in 0..5 {
        chain.emit(10, 40 + s).await;
    }
    let head = chain.head().await;
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("indexer.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\napi_listen = \"127.0.0.1:0\"\n[chains.anvil]\nkind = \"evm\"\nrpc_urls = [\"{}\"]\nusdt = \"{:#x}\"\nhead_lag = 0\npoll_interval_ms = 50\n",
            db.url, chain.url, chain.emitter
        ),
    )
    .unwrap();
    let out = run(&config, &["api-key", "create", "--name", "t"]).await;
    let key = text(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("key: ").map(str::to_owned))
        .unwrap();
    // The child binds port 0 itself and says which port it got: no window in which
    // another process could take a port chosen here.
    let (mut child, base) = spawn_run(&config).await;
    let client = reqwest::Client::new();
    crate::common::wait_for(30, "run indexes to the head", || {
        let client = client.clone();
        let base = base.clone();
        async move {
            let Ok(r) = client.get(format!("{base}/health")).send().await else {
                return false;
            };
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            v["chains"][0]["cursor"].as_u64().is_some_and(|c| c >= head)
        }
    })
    .await;
    let page: serde_json::Value = client
        .get(format!("{base}/v1/transfers?chain=anvil&limit=1000"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "graceful shutdown on SIGTERM: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_sqlite() {
    run_serves_and_stops(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_postgres() {
    run_serves_and_stops(BACKENDS[1]).await;
}
