//! The status counts kept as rows change (`store::counts`, issue #15): after inserts
//! (plain and `ON CONFLICT DO NOTHING`), status changes, updates that keep the status,
//! deletes, a rolled-back transaction and folds — also concurrent ones on
//! PostgreSQL — they equal a `COUNT(*)` of every table, on both backends.

use std::collections::BTreeMap;

use sqlx::Row;
use stablerail_gateway::store::{
    Db,
    counts::{self, Counted},
};

use crate::common::{Backend, TestDb};

async fn exec(db: &Db, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&db.pool)
        .await
        .unwrap();
}

/// `COUNT(*)` per status of each counted table.
async fn counted(db: &Db) -> BTreeMap<(Counted, String), i64> {
    let mut out = BTreeMap::new();
    for (what, table) in [
        (Counted::Invoices, "gw_invoices"),
        (Counted::Orders, "gw_orders"),
        (Counted::Deliveries, "gw_deliveries"),
    ] {
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT status, CAST(COUNT(*) AS BIGINT) FROM {table} GROUP BY status"
        )))
        .fetch_all(&db.pool)
        .await
        .unwrap()
        {
            out.insert((what, r.get::<String, _>(0)), r.get::<i64, _>(1));
        }
    }
    out
}

async fn check(db: &Db, when: &str) -> i64 {
    let kept = counts::read(db).await.unwrap();
    assert_eq!(kept.counts, counted(db).await, "{when}");
    kept.deltas
}

fn invoice(i: u32, status: &str) -> String {
    format!(
        "('inv_{i}', 'm_1', 'anvil', '0xabc', {a}, {a}, '{status}', 'none', 0, 0, 0, {active}, 0, 0, 0, 0, 0, NULL, '{{}}', NULL)",
        a = 1_000_000 + i,
        active = u8::from(status == "new"),
    )
}

const INVOICE_COLUMNS: &str = "INSERT INTO gw_invoices (id, merchant_id, chain, address, amount, unique_amount, status, additional, paid, confirmed_paid, cancelled, active, created_block, created_at, expires_at, monitoring_until, updated_at, description, metadata, redirect_url) VALUES ";

async fn counts_follow_every_change(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let url = match backend {
        Backend::Sqlite => format!("{}?mode=rwc", test_db.url),
        Backend::Postgres => test_db.url.clone(),
    };
    let db = Db::open(&url).await.unwrap();
    assert_eq!(check(&db, "empty").await, 0);
    exec(
        &db,
        "INSERT INTO gw_merchants (id, name, created_at) VALUES ('m_1', 'Shop', 0)",
    )
    .await;
    let rows: Vec<String> = (0..40)
        .map(|i| invoice(i, ["new", "processing", "settled"][i as usize % 3]))
        .collect();
    exec(&db, &format!("{INVOICE_COLUMNS}{}", rows.join(", "))).await;
    // A conflicting multi-row insert adds only the rows it inserts.
    exec(
        &db,
        &format!(
            "{INVOICE_COLUMNS}{}, {} ON CONFLICT DO NOTHING",
            invoice(0, "settled"),
            invoice(40, "expired")
        ),
    )
    .await;
    for i in 0..5 {
        exec(&db, &format!(
            "INSERT INTO gw_orders (id, merchant_id, kind, chain, amount, payment_window, order_ref, status, deal_id, acceptor, bank_account_id, dispatch_after, error, created_at, updated_at) VALUES ('ord_{i}', 'm_1', 'collection', 'anvil', 5, 60, 'ref_{i}', 'pending', NULL, NULL, NULL, 0, NULL, 0, 0)"
        )).await;
        exec(&db, &format!(
            "INSERT INTO gw_deliveries (id, event_id, endpoint_id, merchant_id, status, attempts, next_attempt_at, lease_until, lease_owner, delivered_at, created_at) VALUES ('dlv_{i}', 'evt_{i}', 'ep_1', 'm_1', 'pending', 0, 0, 0, NULL, NULL, 0)"
        )).await;
    }
    // SQLite appends a delta per inserted row, PostgreSQL one per status and statement.
    let deltas = check(&db, "after inserts").await;
    assert!(deltas >= 7, "{deltas}");

    // Status changes, an update that keeps the status, deletes.
    exec(
        &db,
        "UPDATE gw_invoices SET status = 'settled', updated_at = 1 WHERE status = 'processing'",
    )
    .await;
    exec(
        &db,
        "UPDATE gw_invoices SET updated_at = 2 WHERE status = 'new'",
    )
    .await;
    exec(
        &db,
        "UPDATE gw_orders SET status = 'assigned' WHERE id IN ('ord_1', 'ord_2')",
    )
    .await;
    exec(
        &db,
        "UPDATE gw_orders SET status = 'settled' WHERE id = 'ord_2'",
    )
    .await;
    exec(
        &db,
        "UPDATE gw_deliveries SET status = 'delivered' WHERE id <> 'dlv_0'",
    )
    .await;
    exec(
        &db,
        "DELETE FROM gw_invoices WHERE id IN ('inv_0', 'inv_40')",
    )
    .await;
    exec(&db, "DELETE FROM gw_orders WHERE id = 'ord_4'").await;
    check(&db, "after updates and deletes").await;

    // A rolled-back transaction leaves the counts as they were.
    let before = counts::read(&db).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    sqlx::query("UPDATE gw_invoices SET status = 'invalid'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(counts::read(&db).await.unwrap(), before, "rollback");

    // Folding keeps the sums and leaves one row per (table, status); a status with
    // no row left ('processing', 'expired') is gone.
    counts::fold(&db).await.unwrap();
    let folded = check(&db, "after a fold").await;
    let kept = counts::read(&db).await.unwrap();
    assert_eq!(folded, kept.counts.len() as i64, "{kept:?}");
    assert_eq!(
        kept.of(Counted::Invoices).collect::<Vec<_>>(),
        vec![("new", 13), ("settled", 26)]
    );
    assert_eq!(
        kept.of(Counted::Orders).collect::<Vec<_>>(),
        vec![("assigned", 1), ("pending", 2), ("settled", 1)]
    );
    assert_eq!(
        kept.of(Counted::Deliveries).collect::<Vec<_>>(),
        vec![("delivered", 4), ("pending", 1)]
    );
    counts::fold(&db).await.unwrap();
    assert_eq!(check(&db, "after a second fold").await, folded);

    // Writers and folds at the same time (several connections; on SQLite they queue
    // for the one writer).
    let mut tasks = Vec::new();
    for w in 0..4u32 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25u32 {
                let n = 1_000 + w * 100 + i;
                let status = ["new", "processing"][(i % 2) as usize];
                let mut tx = db.begin().await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{INVOICE_COLUMNS}{}",
                    invoice(n, status)
                )))
                .execute(&mut *tx)
                .await
                .unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE gw_invoices SET status = 'settled' WHERE id = 'inv_{}'",
                    n - 1
                )))
                .execute(&mut *tx)
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for _ in 0..2 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..20 {
                counts::fold(&db).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    check(&db, "after concurrent writes and folds").await;
    // A large fold (PostgreSQL then vacuums the table): 1,200 status changes are
    // 2,400 deltas.
    let rows: Vec<String> = (2_000..3_200).map(|i| invoice(i, "expired")).collect();
    exec(&db, &format!("{INVOICE_COLUMNS}{}", rows.join(", "))).await;
    exec(
        &db,
        "UPDATE gw_invoices SET status = 'invalid' WHERE status = 'expired'",
    )
    .await;
    assert!(check(&db, "after 1,200 status changes").await > 2_400);
    counts::fold(&db).await.unwrap();
    let left = check(&db, "after the last fold").await;
    assert_eq!(
        left,
        counts::read(&db).await.unwrap().counts.len() as i64,
        "one row per (table, status)"
    );
}

#[tokio::test]
async fn counts_follow_every_change_sqlite() {
    counts_follow_every_change(Backend::Sqlite).await;
}

#[tokio::test]
async fn counts_follow_every_change_postgres() {
    counts_follow_every_change(Backend::Postgres).await;
}
