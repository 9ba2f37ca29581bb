//! Acceptors known to the gateway: one escrow address on one chain each, with their
//! own API keys (`ak_...`, apart from merchant keys; only the sha256 is stored), what
//! they serve, and their presence (online flag and last heartbeat). The chain's own
//! facts (role, KYC, collateral, on-chain online flag and limits) come from the
//! indexer's `escrow_accounts` when deciding.

use serde::Serialize;
use serde_json::Value;
use sqlx::{Row, any::AnyRow};
use stablerail_sdk::Amount;

use crate::{
    auth::hash_key,
    config::Config,
    error::{Error, Result},
    input::Fields,
    merchants::normalize_address,
    problem::Problem,
    store::{Db, is_unique_violation, new_id, now_ms},
};

const COLUMNS: &str = "id, chain, address, name, currencies, min_amount, max_amount, priority, target_share_bps, target_volume, online, last_heartbeat, created_at";

/// An acceptor as the gateway knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcceptorRecord {
    /// Id (`acc_...`).
    pub id: String,
    /// Chain name.
    pub chain: String,
    /// Its escrow address (the chain's normal form).
    pub address: String,
    /// Display name.
    pub name: String,
    /// Fiat currencies it serves (ISO 4217); empty: every currency.
    pub currencies: Vec<String>,
    /// Smallest order it takes (smallest units).
    pub min_amount: u64,
    /// Largest order it takes (smallest units; 0: no limit besides its own on-chain maximum).
    pub max_amount: u64,
    /// Static priority (strategy `priority`: lower first).
    pub priority: u32,
    /// Target share of volume in bps (strategy `volume_split`).
    pub target_share_bps: u32,
    /// Target volume for the period (strategy `contract`, smallest units).
    pub target_volume: u64,
    /// It said it is online (and has not said offline since).
    pub online: bool,
    /// Unix ms of its last heartbeat (0: never).
    pub last_heartbeat: i64,
    /// Unix ms.
    pub created_at: i64,
}

impl AcceptorRecord {
    pub(crate) fn from_row(r: &AnyRow) -> Result<Self> {
        let u = |v: i64| u64::try_from(v).map_err(|_| Error::corrupt("gw_acceptors", "negative"));
        let currencies: String = r.try_get(4)?;
        Ok(Self {
            id: r.try_get(0)?,
            chain: r.try_get(1)?,
            address: r.try_get(2)?,
            name: r.try_get(3)?,
            currencies: currencies
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            min_amount: u(r.try_get(5)?)?,
            max_amount: u(r.try_get(6)?)?,
            priority: u32::try_from(r.try_get::<i64, _>(7)?)
                .map_err(|_| Error::corrupt("gw_acceptors", "priority"))?,
            target_share_bps: u32::try_from(r.try_get::<i64, _>(8)?)
                .map_err(|_| Error::corrupt("gw_acceptors", "target_share_bps"))?,
            target_volume: u(r.try_get(9)?)?,
            online: r.try_get::<i64, _>(10)? != 0,
            last_heartbeat: r.try_get(11)?,
            created_at: r.try_get(12)?,
        })
    }
}

/// Validated input of a new acceptor.
#[derive(Debug, Clone)]
pub struct NewAcceptor {
    chain: String,
    address: String,
    name: String,
    currencies: Vec<String>,
    min_amount: u64,
    max_amount: u64,
    priority: u32,
    target_share_bps: u32,
    target_volume: u64,
}

fn small(f: &Fields<'_>, name: &str, max: u64) -> Result<u64, Problem> {
    match f.opt_u64(name)? {
        Some(v) if v > max => Err(Problem::field(name, format!("at most {max}"))),
        v => Ok(v.unwrap_or(0)),
    }
}

impl NewAcceptor {
    /// Reads `{chain, address, name?, currencies?, min_amount?, max_amount?,
    /// priority?, target_share_bps?, target_volume?}` (amounts as decimal strings).
    pub fn from_json(config: &Config, v: &Value) -> Result<Self, Problem> {
        let f = Fields::of(
            v,
            "",
            &[
                "chain",
                "address",
                "name",
                "currencies",
                "min_amount",
                "max_amount",
                "priority",
                "target_share_bps",
                "target_volume",
            ],
        )?;
        let chain = f.str("chain", 64)?;
        let kind = config
            .chain_kind(chain)
            .ok_or_else(|| Problem::field("chain", "not a configured chain"))?;
        let address = normalize_address(kind, f.str("address", 100)?)
            .ok_or_else(|| Problem::field("address", "not an address of this chain"))?;
        let name = f.opt_str("name")?.unwrap_or("acceptor").to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Problem::field("name", "1 to 200 characters"));
        }
        let mut currencies = Vec::new();
        for (i, c) in f.opt_array("currencies")?.into_iter().flatten().enumerate() {
            let code = c
                .as_str()
                .filter(|s| s.len() == 3 && s.chars().all(|ch| ch.is_ascii_uppercase()))
                .ok_or_else(|| {
                    Problem::field(format!("currencies[{i}]"), "an ISO 4217 code such as EUR")
                })?;
            if !currencies.iter().any(|x| x == code) {
                currencies.push(code.to_owned());
            }
        }
        let amount = |name: &str| -> Result<u64, Problem> {
            Ok(match f.opt_str(name)? {
                None => 0,
                Some(_) => f.amount(name)?.units(),
            })
        };
        let (min_amount, max_amount) = (amount("min_amount")?, amount("max_amount")?);
        if max_amount != 0 && max_amount < min_amount {
            return Err(Problem::field("max_amount", "below min_amount"));
        }
        Ok(Self {
            chain: chain.to_owned(),
            address,
            name,
            currencies,
            min_amount,
            max_amount,
            priority: u32::try_from(small(&f, "priority", u64::from(u32::MAX))?).unwrap_or(0),
            target_share_bps: u32::try_from(small(&f, "target_share_bps", 10_000)?).unwrap_or(0),
            target_volume: amount("target_volume")?,
        })
    }
}

/// Registers an acceptor (409 if its address on that chain is already one).
pub async fn create(db: &Db, a: &NewAcceptor) -> Result<AcceptorRecord, Problem> {
    let id = new_id("acc");
    let now = now_ms();
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO gw_acceptors (id, chain, address, name, currencies, min_amount, max_amount, priority, target_share_bps, target_volume, online, last_heartbeat, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, $11)",
    )
    .bind(&id)
    .bind(&a.chain)
    .bind(&a.address)
    .bind(&a.name)
    .bind(a.currencies.join(","))
    .bind(i64::try_from(a.min_amount).unwrap_or(i64::MAX))
    .bind(i64::try_from(a.max_amount).unwrap_or(i64::MAX))
    .bind(i64::from(a.priority))
    .bind(i64::from(a.target_share_bps))
    .bind(i64::try_from(a.target_volume).unwrap_or(i64::MAX))
    .bind(now)
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        if is_unique_violation(&e) {
            return Err(Problem::conflict(
                "acceptor_exists",
                "this address is already an acceptor on this chain",
            ));
        }
        return Err(e.into());
    }
    tx.commit().await?;
    get(db, &id)
        .await?
        .ok_or_else(|| Problem::from(Error::corrupt("gw_acceptors", "vanished")))
}

/// An acceptor by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<AcceptorRecord>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_acceptors WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(AcceptorRecord::from_row).transpose()
}

/// Every acceptor of `chain`.
pub async fn of_chain(db: &Db, chain: &str) -> Result<Vec<AcceptorRecord>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_acceptors WHERE chain = $1 ORDER BY id"
    )))
    .bind(chain)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(AcceptorRecord::from_row).collect()
}

/// A fresh random acceptor API key: `ak_` and 64 hex digits.
pub fn generate_key() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("ak_{}", hex::encode(bytes))
}

/// Creates a key for `acceptor_id`; returns its id and the key (shown once).
pub async fn create_key(db: &Db, acceptor_id: &str, name: &str) -> Result<(String, String)> {
    let key = generate_key();
    let id = new_id("akey");
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO gw_acceptor_keys (id, acceptor_id, name, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(acceptor_id)
    .bind(name)
    .bind(hash_key(&key))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((id, key))
}

/// The acceptor a key belongs to, if the key exists and is not revoked.
pub async fn acceptor_of_key(db: &Db, key: &str) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT acceptor_id FROM gw_acceptor_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash_key(key))
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get::<String, _>(0)?),
        None => None,
    })
}

/// What an acceptor says about its presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Ready for orders (also a heartbeat).
    Online,
    /// Takes no new orders.
    Offline,
    /// Still there (keeps its online flag).
    Heartbeat,
}

/// Records `presence` for `acceptor_id` now; returns the acceptor after it.
pub async fn set_presence(
    db: &Db,
    acceptor_id: &str,
    presence: Presence,
) -> Result<AcceptorRecord> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let q = match presence {
        Presence::Online => {
            sqlx::query("UPDATE gw_acceptors SET online = 1, last_heartbeat = $1 WHERE id = $2")
        }
        Presence::Offline => {
            sqlx::query("UPDATE gw_acceptors SET online = 0, last_heartbeat = $1 WHERE id = $2")
        }
        Presence::Heartbeat => {
            sqlx::query("UPDATE gw_acceptors SET last_heartbeat = $1 WHERE id = $2")
        }
    };
    q.bind(now).bind(acceptor_id).execute(&mut *tx).await?;
    tx.commit().await?;
    get(db, acceptor_id)
        .await?
        .ok_or_else(|| Error::corrupt("gw_acceptors", "vanished"))
}

/// `amount` as the API shows it.
pub(crate) fn show(amount: u64) -> String {
    Amount::from_units(amount).to_string()
}
