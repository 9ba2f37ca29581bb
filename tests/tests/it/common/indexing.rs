//! The indexer run against a chain a test played: a fresh SQLite or PostgreSQL store,
//! a backfill to the head, and the derived tables read back in the shape of the SDK's
//! reference [`Expected`].

use std::sync::Arc;

use anyhow::Context;
use stablerail_indexer::{Amount, ChainIndexer, Config, Store, metrics::Metrics};
use stablerail_sdk::conformance::Expected;

/// The two stores every indexing test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh database; a PostgreSQL one is dropped with it.
pub(crate) struct TestDb {
    pub(crate) url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub(crate) async fn new(backend: Backend) -> anyhow::Result<Self> {
        Ok(match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite:{}", dir.path().join("idx.db").display());
                Self {
                    url,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let name = format!("sr_tests_{}_{}", std::process::id(), rand::random::<u64>());
                let admin = sqlx::PgPool::connect(PG_ADMIN)
                    .await
                    .context("postgres on 127.0.0.1:5432")?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                Self {
                    url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(admin) = sqlx::PgPool::connect(PG_ADMIN).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&admin)
                    .await;
                }
            });
        })
        .join();
    }
}

/// The indexer of `chain` (its section's TOML text) over `db`'s store.
pub(crate) async fn open_indexer(
    db: &TestDb,
    chain: &str,
    section: &str,
) -> anyhow::Result<(ChainIndexer, Store)> {
    let config = Config::parse(&format!(
        "database_url = \"{}\"\n[chains.{chain}]\n{section}",
        db.url
    ))?;
    let store = Store::open(&db.url).await?;
    let indexer = ChainIndexer::new(
        chain,
        config.chain(chain)?,
        store.clone(),
        Arc::new(Metrics::default()),
    )?;
    Ok((indexer, store))
}

/// Indexes `chain` from `from` to `to` and returns the store.
pub(crate) async fn backfill(
    db: &TestDb,
    chain: &str,
    section: &str,
    from: u64,
    to: u64,
) -> anyhow::Result<Store> {
    let (indexer, store) = open_indexer(db, chain, section).await?;
    indexer.backfill(from, to, |_| {}).await?;
    Ok(store)
}

/// The derived tables of `chain` in the reference's shape: every named party's
/// available balance (nothing may stay locked) and non-zero volumes.
pub(crate) async fn expected_from_store(
    store: &Store,
    chain: &str,
    parties: &[(String, String)],
) -> anyhow::Result<Expected> {
    let mut out = Expected::default();
    for (name, address) in parties {
        let a = store
            .escrow_account(chain, address)
            .await?
            .with_context(|| format!("{chain}: no derived account for {name} ({address})"))?;
        anyhow::ensure!(
            a.locked.is_zero(),
            "{chain}: {name} still has {} locked",
            a.locked
        );
        out.balances
            .insert(name.clone(), u64::try_from(a.available)?);
        let merchant = u64::try_from(a.merchant_volume)?;
        if merchant > 0 {
            out.merchant_volume.insert(name.clone(), merchant);
        }
        let agent = u64::try_from(a.agent_volume)?;
        if agent > 0 {
            out.agent_volume.insert(name.clone(), agent);
        }
    }
    Ok(out)
}

/// A chain's derived deals and commissions with every address replaced by the
/// party's name, so two chains' tables compare field by field.
pub(crate) async fn deals_and_commissions_by_name(
    store: &Store,
    chain: &str,
    parties: &[(String, String)],
) -> anyhow::Result<(Vec<String>, Vec<(String, u64, Amount)>)> {
    let name = |a: &str| -> String {
        parties
            .iter()
            .find(|(_, addr)| addr == a)
            .map_or_else(|| format!("<unnamed {a}>"), |(n, _)| n.clone())
    };
    let deals = store
        .deals(&stablerail_indexer::store::DealQuery {
            chain: chain.into(),
            limit: 1_000,
            ..Default::default()
        })
        .await?;
    let mut rows: Vec<String> = deals
        .iter()
        .map(|d| {
            format!(
                "{} {} seller={} buyer={} merchant={} amount={} share={:?} agent={:?} settled={:?} net={:?} fee={:?} cut={:?} reward={:?} platform={:?} refund={:?} rates={}/{}/{}",
                d.kind,
                d.state,
                name(&d.seller),
                d.buyer.as_deref().map(name).unwrap_or_default(),
                name(&d.merchant),
                d.amount,
                d.buyer_share_bps,
                d.agent.as_deref().map(name),
                d.settled_amount,
                d.buyer_net,
                d.fee,
                d.agent_cut,
                d.reward,
                d.platform,
                d.seller_refund,
                d.fee_bps,
                d.agent_share_bps,
                d.reward_bps,
            )
        })
        .collect();
    // Deal ids are per chain; the order they were opened in is what both share.
    rows.sort_by_key(|r| r.clone());
    let mut commissions = Vec::new();
    for (n, address) in parties {
        let (count, total) = store.agent_commission_total(chain, address).await?;
        if count > 0 {
            commissions.push((n.clone(), count, total));
        }
    }
    Ok((rows, commissions))
}
