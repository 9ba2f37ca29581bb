//! The risk monitor over the indexer's real write path (`Store::commit_batch` and
//! `Store::rollback`, the calls the indexer's pipeline makes) on SQLite and
//! PostgreSQL: an ordinary day of 10,800 transfers raises nothing; each planted
//! pattern raises its rule on its subject; a reorg withdraws the alerts whose
//! evidence it rolled back; the operator API and `risk.alert.*` webhooks to a real
//! HTTP receiver; the screening list reloads with malformed lines reported.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use stablerail_gateway::{
    GatewayOptions,
    risk::{alerts, monitor::Monitor},
};
use stablerail_indexer::{
    Store,
    decode::{BlacklistChange, BlacklistEvent, BlacklistEventRow, Transfer},
    store::{Batch, BlockRow},
};

use crate::common::*;

const SIM: &str = "sim";

/// The transfers of one block: (from, to, amount).
type Block = Vec<(String, String, u128)>;
const U: u128 = 1_000_000;
const T0: i64 = 1_700_000_000;

fn addr(kind: u64, i: u64) -> String {
    format!("0x{:08x}{:032x}", kind, i)
}

/// The escrow of the simulated chain.
fn escrow() -> String {
    addr(7, 1)
}

fn sim_config(db: &TestDb, screening: &std::path::Path) -> String {
    format!(
        r#"
database_url = "{db}"
listen = "127.0.0.1:0"
admin_token_env = "{ADMIN_ENV}"

[webhooks]
allow_private_targets = true
{FAST_WEBHOOKS}

[risk]
batch_blocks = 2000

[risk.screening]
file = "{screening}"

[risk.escrow_drain]
enabled = true
window_secs = 600
max_outflow = "50000"

[chains.{SIM}]
chain_id = 31337

[indexer.chains.{SIM}]
kind = "evm"
rpc_urls = ["http://127.0.0.1:9"]
usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
escrow = "{escrow}"
"#,
        escrow = escrow(),
        db = db.url,
        screening = screening.display(),
    )
}

/// A test database and the simulated chain's config with an empty screening list
/// (in the returned directory: keep it alive as long as the gateway runs).
async fn sim_setup(backend: Backend) -> (TestDb, tempfile::TempDir, String) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("screening.csv");
    std::fs::write(&list, "").unwrap();
    let config = sim_config(&db, &list);
    (db, dir, config)
}

/// A chain written through the indexer's store: blocks 12 s apart, one branch id
/// per reorg (it changes the hashes).
struct SimChain {
    store: Store,
    cursor: Option<u64>,
    hashes: BTreeMap<u64, String>,
    branch: u64,
    /// USDT blacklist events for blocks not committed yet: (block, address, change).
    listings: Vec<(u64, String, BlacklistChange)>,
}

impl SimChain {
    async fn open(url: &str) -> Self {
        Self {
            store: Store::open(url).await.unwrap(),
            cursor: None,
            hashes: BTreeMap::new(),
            branch: 0,
            listings: Vec::new(),
        }
    }

    fn row(&self, n: u64) -> BlockRow {
        BlockRow {
            number: n,
            hash: self.hashes[&n].clone(),
            parent_hash: n
                .checked_sub(1)
                .and_then(|p| self.hashes.get(&p).cloned())
                .unwrap_or_default(),
            time: T0 + n as i64 * 12,
        }
    }

    fn next(&self) -> u64 {
        self.cursor.map_or(1, |c| c + 1)
    }

    /// Commits one block per entry (its transfers: from, to, amount), 200 blocks
    /// per indexer batch. Returns the last block.
    async fn commit(&mut self, blocks: Vec<Block>) -> u64 {
        let first = self.next();
        let all: Vec<(u64, Block)> = blocks
            .into_iter()
            .enumerate()
            .map(|(i, t)| (first + i as u64, t))
            .collect();
        for chunk in all.chunks(200) {
            let mut rows = Vec::new();
            let mut transfers = Vec::new();
            for (n, ts) in chunk {
                self.hashes
                    .insert(*n, format!("0x{:048x}{:016x}", self.branch, n));
                rows.push(self.row(*n));
                for (i, (from, to, amount)) in ts.iter().enumerate() {
                    transfers.push(Transfer {
                        block_number: *n,
                        log_index: i as u64,
                        block_hash: self.hashes[n].clone(),
                        block_time: T0 + *n as i64 * 12,
                        tx_hash: format!("0x{:032x}{:016x}{:016x}", self.branch, n, i),
                        token: "0xdac17f958d2ee523a2206206994597c13d831ec7".into(),
                        from: from.clone(),
                        to: to.clone(),
                        amount: amount.to_string(),
                    });
                }
            }
            // Listings go after the block's transfers (log indexes from 1000).
            let mut blacklist = Vec::new();
            for (i, (n, address, change)) in self.listings.iter().enumerate() {
                if !chunk.iter().any(|(b, _)| b == n) {
                    continue;
                }
                blacklist.push(BlacklistEventRow {
                    block_number: *n,
                    log_index: 1_000 + i as u64,
                    block_hash: self.hashes[n].clone(),
                    block_time: T0 + *n as i64 * 12,
                    tx_hash: format!("0x{:032x}{:016x}{:016x}", self.branch, n, 1_000 + i),
                    contract: "0xdac17f958d2ee523a2206206994597c13d831ec7".into(),
                    event: BlacklistEvent {
                        address: address.clone(),
                        change: *change,
                        amount: None,
                    },
                });
            }
            let last = rows.last().cloned().unwrap();
            self.store
                .commit_batch(&Batch {
                    chain: SIM.into(),
                    expected_cursor: self.cursor,
                    blocks: rows,
                    transfers,
                    escrow_events: Vec::new(),
                    multisig_events: Vec::new(),
                    blacklist,
                    head: last.number,
                    finalized: 0,
                    last: last.clone(),
                })
                .await
                .unwrap();
            self.cursor = Some(last.number);
        }
        let cursor = self.cursor.unwrap_or(0);
        self.listings.retain(|(n, _, _)| *n > cursor);
        self.cursor.unwrap()
    }

    /// A reorg: everything above `ancestor` is rolled back; later blocks get new
    /// hashes.
    async fn reorg(&mut self, ancestor: u64) {
        self.store.rollback(SIM, &self.row(ancestor)).await.unwrap();
        self.hashes.retain(|n, _| *n <= ancestor);
        self.cursor = Some(ancestor);
        self.branch += 1;
    }
}

/// An ordinary day: 2,000 customers, 10 merchants, 10,800 transfers over 7,200
/// blocks (12 s apart); 70 % pay a merchant (up to 3,000 USDT), 30 % pay another
/// customer (up to 500 USDT).
fn ordinary_day() -> Vec<Block> {
    let mut blocks: Vec<Block> = vec![Vec::new(); 7_200];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for k in 0..10_800u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let customer = (k * 7_919) % 2_000;
        let block = (k * 7_200 / 10_800) as usize;
        let (to, amount) = if x % 10 < 7 {
            (
                addr(2, x % 10),
                U + u128::from(x % 3_000) * U + u128::from(x % 997),
            )
        } else {
            let other = (customer + 1 + (x >> 8) % 1_999) % 2_000;
            (addr(1, other), U + u128::from((x >> 16) % 500) * U)
        };
        blocks[block].push((addr(1, customer), to, amount));
    }
    blocks
}

async fn register_merchants(gw: &stablerail_gateway::Gateway) {
    for j in 0..10 {
        let input = json!({
            "name": format!("Merchant {j}"),
            "chains": [{ "chain": SIM, "receiving": addr(2, j) }],
        });
        let m = stablerail_gateway::merchants::NewMerchant::from_json(&gw.app().config, &input)
            .unwrap();
        stablerail_gateway::merchants::create(&gw.app().db, &m)
            .await
            .unwrap();
    }
}

async fn all_alerts(gw: &stablerail_gateway::Gateway) -> Vec<Value> {
    alerts::list(&gw.app().db, &alerts::Filter::default(), 100, None)
        .await
        .unwrap()
}

fn pairs(alerts: &[Value]) -> BTreeSet<(String, String)> {
    alerts
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_owned(),
                a["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn options_without_tasks(sender: bool) -> GatewayOptions {
    GatewayOptions {
        indexer: false,
        watcher: false,
        sender,
    }
}

async fn baseline_then_planted(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("screening.csv");
    let listed = addr(9, 1);
    std::fs::write(
        &list,
        format!("# chain,address,list,reason\n{SIM},{listed},OFAC,test entry\n"),
    )
    .unwrap();
    let gw = start_gateway(&sim_config(&db, &list), options_without_tasks(false)).await;
    register_merchants(&gw).await;
    let mut chain = SimChain::open(&db.url).await;
    let mut monitor = Monitor::new(gw.app().clone());

    // A normal day: nothing fires.
    let day = ordinary_day();
    let n: usize = day.iter().map(Vec::len).sum();
    assert!(n >= 10_000);
    let last = chain.commit(day).await;
    let stats = monitor.catch_up(SIM, last).await.unwrap();
    assert_eq!(stats.transfers, n as u64);
    let quiet = all_alerts(&gw).await;
    assert!(quiet.is_empty(), "alerts on an ordinary day: {quiet:#?}");

    // Planted patterns, an hour later, one block each unless said otherwise.
    let mut planted: Vec<Block> = vec![Vec::new(); 300];
    let (large, velo, structurer, passer, fresh) =
        (addr(5, 1), addr(5, 2), addr(5, 3), addr(5, 4), addr(5, 5));
    planted[0].push((large.clone(), addr(1, 1), 25_000 * U));
    // Velocity: 60 small transfers within 5 minutes (one per 12 s block… 2 a block).
    for i in 0..60u64 {
        planted[10 + (i / 2) as usize].push((velo.clone(), addr(1, 100 + i), 10 * U));
    }
    // Structuring: three amounts just under 10,000 within 2 hours.
    for (i, b) in [60usize, 150, 250].into_iter().enumerate() {
        planted[b].push((
            structurer.clone(),
            addr(1, 300 + i as u64),
            9_500 * U + i as u128,
        ));
    }
    // Pass-through: 5,000 in, 4,900 out 2 minutes later.
    planted[70].push((addr(1, 7), passer.clone(), 5_000 * U));
    planted[80].push((passer.clone(), addr(6, 1), 4_900 * U));
    // A new address receiving 56,000 from 7 customers.
    for i in 0..7u64 {
        planted[100 + i as usize].push((addr(1, 400 + i), fresh.clone(), 8_000 * U));
    }
    // A payment to a listed address.
    planted[120].push((addr(1, 9), listed.clone(), 100 * U));
    // The escrow: 108,000 deposited by 12 wallets, then, 24 minutes later, 8 × 9,000
    // out within 96 s: 54,000 lost within 10 minutes by the sixth (limit 50,000).
    for i in 0..12u64 {
        planted[130 + i as usize].push((addr(8, i), escrow(), 9_000 * U));
    }
    for i in 0..8u64 {
        planted[260 + i as usize].push((escrow(), addr(6, 100 + i), 9_000 * U));
    }
    let gap: Vec<Block> = vec![Vec::new(); 300];
    chain.commit(gap).await;
    let last = chain.commit(planted).await;
    monitor.catch_up(SIM, last).await.unwrap();
    let got = pairs(&all_alerts(&gw).await);
    let want: BTreeSet<(String, String)> = [
        ("large_transfer", &large),
        ("velocity", &velo),
        ("structuring", &structurer),
        ("pass_through", &passer),
        ("new_address", &fresh),
        ("screening", &listed),
        ("escrow_drain", &escrow()),
    ]
    .into_iter()
    .map(|(r, s)| (r.to_owned(), s.clone()))
    .collect();
    assert_eq!(got, want);
    // Each alert carries its evidence.
    for a in all_alerts(&gw).await {
        let full = alerts::get(&gw.app().db, a["id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap();
        let evidence = full["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty());
        assert!(
            evidence
                .iter()
                .all(|e| e["kind"] == "transfer" && e["block_hash"].is_string())
        );
        if a["rule"] == "structuring" {
            assert_eq!(evidence.len(), 3);
        }
        if a["rule"] == "escrow_drain" {
            // The six transfers out that made it; to the breaker, which has no key.
            assert_eq!(evidence.len(), 6, "{full}");
            assert_eq!(a["severity"], "critical");
            assert_eq!(a["details"]["lost"], "54000000000");
            assert_eq!(a["details"]["breaker"]["paused"], false, "{a}");
        }
    }
    // Re-running over nothing new adds nothing (live alerts absorb repeats).
    monitor.pass().await.unwrap();
    assert_eq!(all_alerts(&gw).await.len(), want.len());
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_baseline_and_planted_sqlite() {
    baseline_then_planted(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_baseline_and_planted_postgres() {
    baseline_then_planted(Backend::Postgres).await;
}

async fn reorg_withdraws(backend: Backend) {
    let (db, _dir, config) = sim_setup(backend).await;
    let gw = start_gateway(&config, options_without_tasks(false)).await;
    let mut chain = SimChain::open(&db.url).await;
    let mut monitor = Monitor::new(gw.app().clone());
    let quiet: Vec<Block> = (0..20)
        .map(|i| vec![(addr(1, i), addr(1, i + 1), 10 * U)])
        .collect();
    chain.commit(quiet).await;
    // Block 21 carries a large transfer; 22 and 23 a small one.
    let whale = addr(5, 1);
    let last = chain
        .commit(vec![
            vec![(whale.clone(), addr(1, 1), 20_000 * U)],
            vec![(addr(1, 2), addr(1, 3), U)],
            vec![],
        ])
        .await;
    monitor.catch_up(SIM, last).await.unwrap();
    let first = all_alerts(&gw).await;
    assert_eq!(
        pairs(&first),
        BTreeSet::from([("large_transfer".into(), whale.clone())])
    );
    let first_id = first[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(first[0]["block_number"], 21);

    // The indexer rolls back to 20; the new branch has the same transfer one block
    // later (re-included) and is longer.
    chain.reorg(20).await;
    let last = chain
        .commit(vec![
            vec![(addr(1, 4), addr(1, 5), U)],
            vec![(whale.clone(), addr(1, 1), 20_000 * U)],
            vec![],
            vec![],
        ])
        .await;
    let stats = monitor.catch_up(SIM, last).await.unwrap();
    assert_eq!(stats.withdrawn, 1);
    let old = alerts::get(&gw.app().db, &first_id).await.unwrap().unwrap();
    assert_eq!(old["state"], "withdrawn");
    assert!(old["withdrawn_reason"].as_str().unwrap().contains("reorg"));
    let now = all_alerts(&gw).await;
    let open: Vec<&Value> = now.iter().filter(|a| a["state"] == "open").collect();
    assert_eq!(open.len(), 1, "{now:#?}");
    assert_eq!(open[0]["block_number"], 22);
    let evidence = alerts::get(&gw.app().db, open[0]["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap()["evidence"][0]
        .clone();
    assert_eq!(evidence["block_hash"], chain.hashes[&22]);
    // The withdrawal is an operator event in the outbox.
    use sqlx::Row;
    let kinds: Vec<String> = sqlx::query(
        "SELECT type FROM gw_events WHERE merchant_id = 'operator' AND subject = $1 ORDER BY seq",
    )
    .bind(&first_id)
    .fetch_all(&gw.app().db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert_eq!(kinds, vec!["risk.alert.opened", "risk.alert.withdrawn"]);

    // A rollback with nothing re-included: the new alert goes too.
    chain.reorg(21).await;
    let last = chain.commit(vec![vec![], vec![], vec![], vec![]]).await;
    monitor.catch_up(SIM, last).await.unwrap();
    assert!(
        all_alerts(&gw)
            .await
            .iter()
            .all(|a| a["state"] == "withdrawn")
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_reorg_withdraws_sqlite() {
    reorg_withdraws(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_reorg_withdraws_postgres() {
    reorg_withdraws(Backend::Postgres).await;
}

/// Two gateways on one PostgreSQL database run one monitor between them (the holder
/// of its leader lock): the other stands by without error and without evaluating;
/// a process that starts leading (its rival's session ended, or its own lock was
/// lost and taken back) resumes from the committed cursor with its windows seeded
/// from the indexer, so no range is evaluated twice and a pattern that straddles a
/// handover still fires, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_one_monitor_per_postgres_database() {
    let (db, _dir, config) = sim_setup(Backend::Postgres).await;
    let gw1 = start_gateway(&config, options_without_tasks(false)).await;
    let gw2 = start_gateway(&config, options_without_tasks(false)).await;
    let mut chain = SimChain::open(&db.url).await;
    let quiet = |n: u64, from: u64| -> Vec<Block> {
        (from..from + n)
            .map(|i| vec![(addr(1, i), addr(1, i + 1), 10 * U)])
            .collect()
    };

    // Blocks 1..=10; both monitors pass, from a cursor neither has loaded yet.
    chain.commit(quiet(10, 0)).await;
    let mut first = Monitor::new(gw1.app().clone());
    let mut second = Monitor::new(gw2.app().clone());
    let s = first.pass().await.unwrap();
    assert!(!s.standby);
    assert_eq!(s.transfers, 10);
    for _ in 0..3 {
        let s = second.pass().await.unwrap();
        assert!(s.standby, "two monitors evaluating one database");
        assert_eq!(s.transfers, 0);
    }
    assert_eq!(second.cursor(SIM), None);

    // The first's lock session ends (as when its connection breaks). Blocks
    // 11..=25: a whale at 21, and 5,000 into a wallet that sends it on after the
    // next handover.
    use sqlx::Row;
    let ended: i64 = sqlx::query(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_one(&gw2.app().db.pool)
    .await
    .unwrap()
    .get(0);
    assert_eq!(ended, 1);
    let (whale, mule) = (addr(5, 1), addr(5, 4));
    let mut blocks = quiet(15, 10);
    blocks[10].push((whale.clone(), addr(1, 1), 20_000 * U));
    blocks[10].push((addr(1, 7), mule.clone(), 5_000 * U));
    let last = chain.commit(blocks).await;
    let mut s = second.pass().await.unwrap();
    for _ in 0..50 {
        if !s.standby {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        s = second.pass().await.unwrap();
    }
    assert!(!s.standby, "the second never took over");
    let s = second.catch_up(SIM, last).await.unwrap();
    assert!(!s.standby);
    assert_eq!(second.cursor(SIM), Some(25));
    // The first finds its lock gone and stands by; it evaluates nothing.
    let s = first.pass().await.unwrap();
    assert!(s.standby, "a monitor that lost its lock went on evaluating");
    assert_eq!(
        pairs(&all_alerts(&gw1).await),
        BTreeSet::from([("large_transfer".into(), whale.clone())])
    );

    // The second stops; the first takes the lead back and resumes at 25 (not at its
    // own 10): blocks 26..=31, the mule forwarding 4,900 at 31.
    drop(second);
    let mut blocks = quiet(6, 25);
    blocks[5].push((mule.clone(), addr(6, 1), 4_900 * U));
    let last = chain.commit(blocks).await;
    let mut evaluated = 0;
    for _ in 0..50 {
        let s = first.catch_up(SIM, last).await.unwrap();
        evaluated += s.transfers;
        if !s.standby {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(first.cursor(SIM), Some(31));
    assert_eq!(evaluated, 7, "blocks 26..=31 only");
    let alerts = all_alerts(&gw1).await;
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    assert_eq!(
        pairs(&alerts),
        BTreeSet::from([
            ("large_transfer".into(), whale.clone()),
            ("pass_through".into(), mule.clone()),
        ])
    );
    gw2.stop().await;
    gw1.stop().await;
}

/// The USDT contract's own blacklist over the indexer's write path: a payment to
/// an address after Tether listed it raises `usdt_blacklist` with the transfer and
/// the listing as evidence; one before the listing, or after its removal, does not;
/// a reorg that rolls back the payment withdraws the alert, and one that rolls back
/// the listing makes the same payment on the new branch clean.
async fn usdt_blacklist(backend: Backend) {
    let (db, _dir, config) = sim_setup(backend).await;
    let gw = start_gateway(&config, options_without_tasks(false)).await;
    let mut chain = SimChain::open(&db.url).await;
    let mut monitor = Monitor::new(gw.app().clone());
    let (frozen, cleared) = (addr(7, 1), addr(7, 2));
    // Block 5: paid before its listing (clean). Block 10: both listed. Block 12:
    // `cleared` removed. Block 15: both paid.
    chain.listings = vec![
        (10, frozen.clone(), BlacklistChange::Added),
        (10, cleared.clone(), BlacklistChange::Added),
        (12, cleared.clone(), BlacklistChange::Removed),
    ];
    let mut blocks: Vec<Block> = vec![Vec::new(); 20];
    blocks[4].push((addr(1, 1), frozen.clone(), 40 * U));
    blocks[14].push((addr(1, 2), frozen.clone(), 75 * U));
    blocks[14].push((addr(1, 3), cleared.clone(), 75 * U));
    let last = chain.commit(blocks).await;
    monitor.catch_up(SIM, last).await.unwrap();
    let got = all_alerts(&gw).await;
    assert_eq!(
        pairs(&got),
        BTreeSet::from([("usdt_blacklist".into(), frozen.clone())]),
        "{got:#?}"
    );
    let alert = &got[0];
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["block_number"], 15);
    assert_eq!(alert["details"]["role"], "recipient");
    assert_eq!(alert["details"]["counterparty"], addr(1, 2));
    assert_eq!(alert["details"]["listed_block"], 10);
    let id = alert["id"].as_str().unwrap().to_owned();
    let full = alerts::get(&gw.app().db, &id).await.unwrap().unwrap();
    let evidence = full["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2, "{full:#}");
    assert_eq!(evidence[0]["kind"], "transfer");
    assert_eq!(evidence[0]["block_number"], 15);
    assert_eq!(evidence[0]["data"]["amount"], "75000000");
    assert_eq!(evidence[1]["kind"], "blacklist");
    assert_eq!(evidence[1]["block_number"], 10);
    assert_eq!(evidence[1]["block_hash"], chain.hashes[&10]);
    assert_eq!(evidence[1]["data"]["address"], frozen);
    assert_eq!(evidence[1]["data"]["event"], "added");

    // The payment's block is rolled back: the alert is withdrawn; the new branch
    // pays `frozen` again (still listed): a new alert.
    chain.reorg(14).await;
    let mut branch: Vec<Block> = vec![Vec::new(); 4];
    branch[2].push((addr(1, 4), frozen.clone(), 5 * U));
    let last = chain.commit(branch).await;
    let stats = monitor.catch_up(SIM, last).await.unwrap();
    assert_eq!(stats.withdrawn, 1);
    let old = alerts::get(&gw.app().db, &id).await.unwrap().unwrap();
    assert_eq!(old["state"], "withdrawn");
    let open: Vec<Value> = all_alerts(&gw)
        .await
        .into_iter()
        .filter(|a| a["state"] == "open")
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["block_number"], 17);

    // Rolled back below the listing: the same payment on the new branch is clean.
    chain.reorg(9).await;
    let mut branch: Vec<Block> = vec![Vec::new(); 10];
    branch[5].push((addr(1, 2), frozen.clone(), 75 * U));
    let last = chain.commit(branch).await;
    monitor.catch_up(SIM, last).await.unwrap();
    let now = all_alerts(&gw).await;
    assert!(now.iter().all(|a| a["state"] == "withdrawn"), "{now:#?}");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_usdt_blacklist_sqlite() {
    usdt_blacklist(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_usdt_blacklist_postgres() {
    usdt_blacklist(Backend::Postgres).await;
}

/// The operator API (filters, pagination, evidence, acknowledge, close, 403 for a
/// merchant key), operator webhooks to a real receiver, and the screening reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_operator_api_and_webhooks() {
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("screening.csv");
    std::fs::write(&list, "").unwrap();
    let gw = start_gateway(&sim_config(&db, &list), options_without_tasks(true)).await;
    let (_, merchant_key) = merchant_on(&gw, "Shop", &addr(2, 0)).await;
    let admin = Client {
        base: format!("http://{}", gw.addr()),
        key: admin_token(),
        http: reqwest::Client::new(),
    };
    let shop = Client::new(&gw, &merchant_key);
    let rx = Receiver::start(Mode::Ok).await;
    let (s, v) = admin
        .post(
            "/admin/webhooks",
            json!({ "url": rx.url(), "events": ["risk.alert.*"] }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    rx.add_secret(v["secret"].as_str().unwrap());
    let endpoint = v["id"].as_str().unwrap().to_owned();
    // A merchant cannot subscribe to risk events, nor see the operator's endpoints.
    let (s, _) = shop
        .post(
            "/v1/webhooks",
            json!({ "url": rx.url(), "events": ["risk.alert.opened"] }),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = shop.get("/admin/webhooks").await;
    assert_eq!(s, 403);

    // Three large transfers by three senders.
    let mut chain = SimChain::open(&db.url).await;
    let mut monitor = Monitor::new(gw.app().clone());
    let last = chain
        .commit(
            (0..3)
                .map(|i| vec![(addr(5, i), addr(1, i), (20_000 + i as u128) * U)])
                .collect(),
        )
        .await;
    monitor.catch_up(SIM, last).await.unwrap();
    let (s, page1) = admin.get("/admin/risk/alerts?limit=2&state=open").await;
    assert_eq!(s, 200, "{page1}");
    assert_eq!(page1["data"].as_array().unwrap().len(), 2);
    let after = page1["next_after"].as_str().unwrap();
    let (_, page2) = admin
        .get(&format!(
            "/admin/risk/alerts?limit=2&state=open&after={after}"
        ))
        .await;
    assert_eq!(page2["data"].as_array().unwrap().len(), 1);
    assert!(page2["next_after"].is_null());
    let id = page1["data"][0]["id"].as_str().unwrap().to_owned();
    let (s, one) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(one["evidence"][0]["kind"], "transfer");
    // Filters and bad input.
    let (_, none) = admin.get("/admin/risk/alerts?rule=velocity").await;
    assert!(none["data"].as_array().unwrap().is_empty());
    let (s, _) = admin.get("/admin/risk/alerts?state=nope").await;
    assert_eq!(s, 400);

    // A merchant key: 403 and nothing changes.
    let (s, _) = shop.get("/admin/risk/alerts").await;
    assert_eq!(s, 403);
    let (s, _) = shop
        .post(
            &format!("/admin/risk/alerts/{id}/acknowledge"),
            json!({ "by": "x" }),
        )
        .await;
    assert_eq!(s, 403);
    let (_, still) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    assert_eq!(still["state"], "open");
    let (s, _) = Client::new(&gw, "sk_nope").get("/admin/risk/alerts").await;
    assert_eq!(s, 401);

    // The workflow: close needs a note; acknowledge, then close.
    let (s, _) = admin
        .post(
            &format!("/admin/risk/alerts/{id}/close"),
            json!({ "by": "ops" }),
        )
        .await;
    assert_eq!(s, 400);
    let (s, v) = admin
        .post(
            &format!("/admin/risk/alerts/{id}/acknowledge"),
            json!({ "by": "ops@platform" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "acknowledged");
    assert_eq!(v["acknowledged_by"], "ops@platform");
    let (s, _) = admin
        .post(
            &format!("/admin/risk/alerts/{id}/acknowledge"),
            json!({ "by": "ops" }),
        )
        .await;
    assert_eq!(s, 409);
    let (s, v) = admin
        .post(
            &format!("/admin/risk/alerts/{id}/close"),
            json!({ "by": "ops@platform", "note": "known OTC desk settlement" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "closed");
    assert_eq!(v["close_note"], "known OTC desk settlement");
    assert!(v["closed_at"].as_i64().unwrap() >= v["acknowledged_at"].as_i64().unwrap());
    let (s, _) = admin
        .post(
            &format!("/admin/risk/alerts/{id}/close"),
            json!({ "by": "ops", "note": "again" }),
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = admin
        .post(
            "/admin/risk/alerts/alr_nope/acknowledge",
            json!({ "by": "ops" }),
        )
        .await;
    assert_eq!(s, 404);

    // Every event reached the receiver, signed (Standard Webhooks, verified).
    wait_for(15, "alert webhooks", || async {
        rx.kinds(&id)
            == vec![
                "risk.alert.opened".to_owned(),
                "risk.alert.acknowledged".to_owned(),
                "risk.alert.closed".to_owned(),
            ]
    })
    .await;
    wait_for(15, "all three opened", || async {
        rx.seen()
            .iter()
            .filter(|s| s.kind == "risk.alert.opened")
            .count()
            >= 3
    })
    .await;
    assert_eq!(rx.bad(), 0);
    let (s, log) = admin
        .get(&format!("/admin/webhooks/{endpoint}/deliveries"))
        .await;
    assert_eq!(s, 200);
    assert!(log["data"].as_array().unwrap().len() >= 5);

    // Screening: reload without restart; a malformed line is reported by number and
    // the rest loads; the next transfer to a listed address alerts.
    std::fs::write(
        &list,
        format!(
            "{SIM},{},internal,fraud ring\nnot,a,line\n{SIM},{},OFAC,mixer\n",
            addr(9, 1),
            addr(9, 2)
        ),
    )
    .unwrap();
    let (s, r) = admin.post("/admin/risk/screening/reload", json!({})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["loaded"], 2);
    assert_eq!(r["errors"][0]["line"], 2);
    let last = chain
        .commit(vec![vec![(addr(1, 1), addr(9, 2), 5 * U)]])
        .await;
    monitor.catch_up(SIM, last).await.unwrap();
    let (_, hits) = admin.get("/admin/risk/alerts?rule=screening").await;
    assert_eq!(hits["data"][0]["subject"], addr(9, 2));
    assert_eq!(hits["data"][0]["details"]["list"], "OFAC");
    gw.stop().await;
}

/// A merchant receiving at `receiving` (an address text) on the sim chain.
async fn merchant_on(
    gw: &stablerail_gateway::Gateway,
    name: &str,
    receiving: &str,
) -> (String, String) {
    let input = json!({ "name": name, "chains": [{ "chain": SIM, "receiving": receiving }] });
    let m =
        stablerail_gateway::merchants::NewMerchant::from_json(&gw.app().config, &input).unwrap();
    let created = stablerail_gateway::merchants::create(&gw.app().db, &m)
        .await
        .unwrap();
    let (_, key) = stablerail_gateway::auth::create_key(&gw.app().db, &created.id, "t")
        .await
        .unwrap();
    (created.id, key)
}

/// The operator's dashboard lists alerts with their state; acknowledge and close
/// need the operator role, the CSRF token and a fresh TOTP code (close also a note).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_operator_page_acknowledge_and_close() {
    use crate::dashboard::{Web, code, enrol, plain_gateway, steady_totp_window};
    use alloy::signers::local::PrivateKeySigner;
    use stablerail_gateway::risk::{Evidence, Finding, Severity, SubjectKind};

    let db = TestDb::new(Backend::Sqlite).await;
    let key = PrivateKeySigner::random();
    let gw = plain_gateway(&db, &format!(r#"operators = ["{}"]"#, key.address())).await;
    let finding = Finding {
        rule: "large_transfer",
        severity: Severity::High,
        chain: "anvil".into(),
        subject_kind: SubjectKind::Address,
        subject: addr(5, 1),
        summary: "25000 USDT sent to <b>x</b>".into(),
        details: json!({}),
        evidence: vec![Evidence::Metric {
            block_number: Some(3),
            block_hash: None,
            data: json!({}),
        }],
    };
    let mut tx = gw.app().db.begin().await.unwrap();
    let id = alerts::record(&mut tx, &finding).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    // The treasury watch's latest measurement, as the monitor leaves it.
    let measured = stablerail_gateway::risk::rules::treasury::Measurement {
        block_number: 77,
        block_hash: "0x77".into(),
        block_time: 0,
        vault: addr(8, 1),
        vault_balance: 800 * U,
        allowances: Vec::new(),
        hot: vec![(addr(8, 2), 400 * U)],
    };
    gw.app()
        .risk
        .treasury
        .lock()
        .unwrap()
        .insert("anvil".into(), measured.view(1_500));

    steady_totp_window().await;
    let mut web = Web::new(&gw);
    web.sign_in_evm(&key).await;
    let (secret, _) = enrol(&mut web).await;
    let page = web.get("/dashboard").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!(r#"id="alert-{id}""#)),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("&lt;b&gt;x&lt;/b&gt;"),
        "summary escaped"
    );
    // 400 of 1,200 outside the vault: 33.33 %, over the 15 % line by 220 USDT.
    let treasury = page.body.split(r#"id="treasury-watch""#).nth(1).unwrap();
    for cell in ["800", "33.33 %", "15.00 %", "over: 220 USDT to move back"] {
        assert!(treasury.contains(cell), "{cell} in {treasury}");
    }
    let csrf = web.session_csrf().await;
    let ack = format!("/dashboard/alerts/{id}/acknowledge");
    // No code, a wrong code, no CSRF: refused, nothing changes.
    for form in [
        vec![("csrf", csrf.as_str())],
        vec![("csrf", csrf.as_str()), ("code", "000000")],
        vec![("code", "123456")],
    ] {
        let p = web.post(&ack, &form).await;
        assert_eq!(p.status, 403, "{}", p.body);
    }
    let state = |gw: &stablerail_gateway::Gateway, id: String| {
        let db = gw.app().db.clone();
        async move { alerts::get(&db, &id).await.unwrap().unwrap() }
    };
    assert_eq!(state(&gw, id.clone()).await["state"], "open");
    let c = code(&secret, 0);
    let p = web.post(&ack, &[("csrf", &csrf), ("code", &c)]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let a = state(&gw, id.clone()).await;
    assert_eq!(a["state"], "acknowledged");
    assert_eq!(
        a["acknowledged_by"].as_str().unwrap().to_lowercase(),
        format!("{:#x}", key.address())
    );
    let close = format!("/dashboard/alerts/{id}/close");
    let c = code(&secret, 1);
    let p = web.post(&close, &[("csrf", &csrf), ("code", &c)]).await;
    assert_eq!(p.status, 400, "a note is required");
    let p = web
        .post(
            &close,
            &[("csrf", &csrf), ("code", &c), ("note", "checked: exchange")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let a = state(&gw, id.clone()).await;
    assert_eq!(a["state"], "closed");
    assert_eq!(a["close_note"], "checked: exchange");
    let page = web.get("/dashboard").await;
    assert!(page.body.contains("checked: exchange"));

    // A wallet without the operator role cannot act.
    let other = PrivateKeySigner::random();
    let mut web2 = Web::new(&gw);
    web2.sign_in_evm(&other).await;
    let csrf2 = web2.session_csrf().await;
    let p = web2
        .post(&ack, &[("csrf", &csrf2), ("code", "123456")])
        .await;
    assert_eq!(p.status, 403);
    gw.stop().await;
}
