//! Invoices: a crypto checkout for one amount on one chain, paid by a plain USDT
//! transfer to the merchant's receiving address and recognised by its unique amount.

pub mod matching;
pub mod state;
pub mod uri;
pub mod watcher;

use serde_json::{Value, json};
use sqlx::{Row, any::AnyRow};
use stablerail_sdk::Amount;

use crate::{
    error::{Error, Result},
    input::Fields,
    merchants,
    problem::Problem,
    state::AppState,
    store::{
        Db, Tx,
        idempotency::{self, Slot},
        is_unique_violation, new_id, now_ms,
    },
    webhooks::outbox,
};
use state::{Additional, Payment, Status};

/// Columns of [`Invoice`], in [`Invoice::from_row`] order.
pub(crate) const COLUMNS: &str = "seq, id, merchant_id, chain, address, amount, unique_amount, status, additional, paid, confirmed_paid, cancelled, active, created_block, created_at, expires_at, monitoring_until, updated_at, description, metadata, redirect_url";

/// A stored invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoice {
    /// Creation order.
    pub seq: i64,
    /// Id (`inv_...`).
    pub id: String,
    /// Owner.
    pub merchant_id: String,
    /// Chain name.
    pub chain: String,
    /// Receiving address.
    pub address: String,
    /// The amount the merchant asked for.
    pub amount: u64,
    /// What the customer pays: `amount` plus a few smallest units.
    pub unique_amount: u64,
    /// Status.
    pub status: Status,
    /// Reason.
    pub additional: Additional,
    /// Sum of matched payments.
    pub paid: u64,
    /// Sum of confirmed matched payments.
    pub confirmed_paid: u64,
    /// Cancelled by the merchant.
    pub cancelled: bool,
    /// Still watched.
    pub active: bool,
    /// Indexer cursor at creation.
    pub created_block: u64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub expires_at: i64,
    /// Unix ms.
    pub monitoring_until: i64,
    /// Unix ms (also the optimistic-concurrency version).
    pub updated_at: i64,
    /// Free text.
    pub description: Option<String>,
    /// The merchant's JSON object.
    pub metadata: Value,
    /// Where the checkout page sends the customer once paid.
    pub redirect_url: Option<String>,
}

fn u(v: i64, what: &'static str) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::corrupt("gw_invoices", format!("{what} is negative")))
}

impl Invoice {
    pub(crate) fn from_row(r: &AnyRow) -> Result<Self> {
        let status: String = r.try_get(7)?;
        let additional: String = r.try_get(8)?;
        let metadata: String = r.try_get(19)?;
        Ok(Self {
            seq: r.try_get(0)?,
            id: r.try_get(1)?,
            merchant_id: r.try_get(2)?,
            chain: r.try_get(3)?,
            address: r.try_get(4)?,
            amount: u(r.try_get(5)?, "amount")?,
            unique_amount: u(r.try_get(6)?, "unique_amount")?,
            status: Status::parse(&status)
                .ok_or_else(|| Error::corrupt("gw_invoices", format!("status {status}")))?,
            additional: Additional::parse(&additional)
                .ok_or_else(|| Error::corrupt("gw_invoices", format!("additional {additional}")))?,
            paid: u(r.try_get(9)?, "paid")?,
            confirmed_paid: u(r.try_get(10)?, "confirmed_paid")?,
            cancelled: r.try_get::<i64, _>(11)? == 1,
            active: r.try_get::<i64, _>(12)? == 1,
            created_block: u(r.try_get(13)?, "created_block")?,
            created_at: r.try_get(14)?,
            expires_at: r.try_get(15)?,
            monitoring_until: r.try_get(16)?,
            updated_at: r.try_get(17)?,
            description: r.try_get(18)?,
            metadata: serde_json::from_str(&metadata).unwrap_or(Value::Null),
            redirect_url: r.try_get(20)?,
        })
    }

    /// The JSON the API, the checkout page and webhooks show. `qr` adds the QR code
    /// (SVG text).
    pub fn view(&self, app: &AppState, payments: &[Payment], qr: bool) -> Value {
        let unique = Amount::from_units(self.unique_amount);
        let uri = uri::payment_uri(&app.config, &self.chain, &self.address, unique);
        let mut v = json!({
            "id": self.id,
            "status": self.status,
            "additional_status": self.additional,
            "chain": self.chain,
            "amount": Amount::from_units(self.amount).to_string(),
            "unique_amount": unique.to_string(),
            "address": self.address,
            "payment_uri": uri,
            "paid": Amount::from_units(self.paid).to_string(),
            "confirmed_paid": Amount::from_units(self.confirmed_paid).to_string(),
            "payments": payments.iter().map(|p| json!({
                "tx_hash": p.tx_hash,
                "block_number": p.block_number,
                "log_index": p.log_index,
                "amount": Amount::from_units(p.amount).to_string(),
                "block_time": p.block_time,
                "confirmed": p.confirmed,
                "late": p.block_time.saturating_mul(1000) > self.expires_at,
            })).collect::<Vec<_>>(),
            "created_at": self.created_at / 1000,
            "expires_at": self.expires_at / 1000,
            "monitoring_until": self.monitoring_until / 1000,
            "description": self.description,
            "metadata": self.metadata,
            "redirect_url": self.redirect_url,
            "checkout_url": format!("{}/pay/{}", app.public_url, self.id),
        });
        if qr {
            v["qr_svg"] = json!(uri.as_deref().and_then(uri::qr_svg));
        }
        v
    }
}

/// Validated input of a new invoice.
#[derive(Debug)]
pub struct NewInvoice {
    chain: String,
    amount: Amount,
    expiry_secs: u64,
    description: Option<String>,
    metadata: Value,
    redirect_url: Option<String>,
}

impl NewInvoice {
    /// Reads `{chain, amount, expiry_secs?, description?, metadata?, redirect_url?}`.
    pub fn from_json(app: &AppState, v: &Value) -> Result<Self, Problem> {
        let f = Fields::of(
            v,
            "",
            &[
                "chain",
                "amount",
                "expiry_secs",
                "description",
                "metadata",
                "redirect_url",
            ],
        )?;
        let chain = f.str("chain", 64)?;
        if app.config.chain_kind(chain).is_none() {
            return Err(Problem::field("chain", "not a configured chain"));
        }
        let amount = f.amount("amount")?;
        if amount.units() > i64::MAX as u64 / 2 {
            return Err(Problem::field("amount", "too large"));
        }
        let expiry_secs = f
            .opt_u64("expiry_secs")?
            .unwrap_or(app.config.invoices.expiry_secs);
        if !(1..=30 * 86_400).contains(&expiry_secs) {
            return Err(Problem::field("expiry_secs", "between 1 and 2592000"));
        }
        let description = f.opt_str("description")?.map(str::to_owned);
        if description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 500)
        {
            return Err(Problem::field("description", "at most 500 characters"));
        }
        let metadata = f.opt_object("metadata")?.cloned().unwrap_or(json!({}));
        if metadata.to_string().len() > 4096 {
            return Err(Problem::field("metadata", "at most 4096 bytes of JSON"));
        }
        let redirect_url = match f.opt_str("redirect_url")? {
            Some(u)
                if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 2000 =>
            {
                return Err(Problem::field("redirect_url", "an http(s) URL"));
            }
            other => other.map(str::to_owned),
        };
        Ok(Self {
            chain: chain.to_owned(),
            amount,
            expiry_secs,
            description,
            metadata,
            redirect_url,
        })
    }
}

/// The indexer's cursor on `chain` (0 before the first batch).
async fn cursor_block(db: &Db, chain: &str) -> Result<u64> {
    let row = sqlx::query("SELECT block_number FROM cursors WHERE chain = $1")
        .bind(chain)
        .fetch_optional(&db.pool)
        .await?;
    Ok(match row {
        Some(r) => u(r.try_get(0)?, "cursor")?,
        None => 0,
    })
}

/// Creates an invoice with an amount unique among the watched invoices of the
/// receiving address, and its `invoice.created` event, in one transaction, which also
/// records the answer (the returned JSON text) under `slot`'s Idempotency-Key.
/// A slot taken meanwhile by a concurrent request is a 409 `idempotency_slot_taken`
/// (nothing written).
pub async fn create(
    app: &AppState,
    merchant_id: &str,
    n: &NewInvoice,
    slot: Option<&Slot>,
) -> Result<(Invoice, String), Problem> {
    let db = &app.db;
    let address = merchants::receiving(db, merchant_id, &n.chain)
        .await?
        .ok_or_else(|| {
            Problem::field(
                "chain",
                "the merchant has no receiving address on this chain",
            )
        })?;
    let created_block = cursor_block(db, &n.chain).await?;
    let base = n.amount.units();
    let max = app.config.invoices.max_unique_offset;
    for _ in 0..8 {
        let taken: Vec<i64> = sqlx::query(
            "SELECT unique_amount FROM gw_invoices WHERE chain = $1 AND address = $2 AND active = 1 AND unique_amount >= $3 AND unique_amount <= $4",
        )
        .bind(&n.chain)
        .bind(&address)
        .bind(base as i64)
        .bind((base + max) as i64)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
        let Some(unique) = (base..=base + max).find(|a| !taken.contains(&(*a as i64))) else {
            return Err(Problem::conflict(
                "amounts_exhausted",
                "every unique amount near this one is taken by an open invoice; try again later or change the amount slightly",
            ));
        };
        let now = now_ms();
        let expires_at = now + (n.expiry_secs as i64) * 1000;
        let monitoring_until = expires_at + (app.config.invoices.monitoring_secs as i64) * 1000;
        let id = new_id("inv");
        let mut tx = db.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO gw_invoices (id, merchant_id, chain, address, amount, unique_amount, status, additional, paid, confirmed_paid, cancelled, active, created_block, created_at, expires_at, monitoring_until, updated_at, description, metadata, redirect_url) VALUES ($1, $2, $3, $4, $5, $6, 'new', 'none', 0, 0, 0, 1, $7, $8, $9, $10, $8, $11, $12, $13)",
        )
        .bind(&id)
        .bind(merchant_id)
        .bind(&n.chain)
        .bind(&address)
        .bind(base as i64)
        .bind(unique as i64)
        .bind(created_block as i64)
        .bind(now)
        .bind(expires_at)
        .bind(monitoring_until)
        .bind(n.description.clone())
        .bind(n.metadata.to_string())
        .bind(n.redirect_url.clone())
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => continue,
            r => {
                r?;
            }
        }
        let invoice = fetch_in(&mut tx, &id)
            .await?
            .ok_or_else(|| Error::corrupt("gw_invoices", "inserted row vanished"))?;
        outbox::enqueue(
            &mut tx,
            merchant_id,
            "invoice.created",
            &id,
            &invoice.view(app, &[], false),
        )
        .await?;
        let body = invoice.view(app, &[], true).to_string();
        if let Some(slot) = slot
            && !idempotency::record(&mut tx, slot, 201, &body).await?
        {
            tx.rollback().await?;
            return Err(Problem::conflict(
                "idempotency_slot_taken",
                "a concurrent request with this Idempotency-Key won",
            ));
        }
        tx.commit().await.map_err(Error::from)?;
        app.outbox.notify_one();
        return Ok((invoice, body));
    }
    Err(Problem::conflict(
        "busy",
        "could not reserve a unique amount; retry",
    ))
}

async fn fetch_in(tx: &mut Tx, id: &str) -> Result<Option<Invoice>> {
    let q = format!("SELECT {COLUMNS} FROM gw_invoices WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(Invoice::from_row).transpose()
}

/// An invoice by id, if it belongs to `merchant_id` (`None` for another merchant's).
pub async fn get(db: &Db, merchant_id: Option<&str>, id: &str) -> Result<Option<Invoice>> {
    let q = format!("SELECT {COLUMNS} FROM gw_invoices WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    let inv = row.as_ref().map(Invoice::from_row).transpose()?;
    Ok(inv.filter(|i| merchant_id.is_none_or(|m| m == i.merchant_id)))
}

/// The payments matched to an invoice, in chain order.
pub async fn payments(db: &Db, invoice_id: &str) -> Result<Vec<Payment>> {
    let rows = sqlx::query(
        "SELECT block_number, log_index, tx_hash, amount, block_time, confirmed FROM gw_payments WHERE invoice_id = $1 ORDER BY block_number, log_index",
    )
    .bind(invoice_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(payment_from_row).collect()
}

pub(crate) fn payment_from_row(r: &AnyRow) -> Result<Payment> {
    Ok(Payment {
        block_number: u(r.try_get(0)?, "block_number")?,
        log_index: u(r.try_get(1)?, "log_index")?,
        tx_hash: r.try_get(2)?,
        amount: u(r.try_get(3)?, "amount")?,
        block_time: r.try_get(4)?,
        confirmed: r.try_get::<i64, _>(5)? == 1,
    })
}

/// A page of a merchant's invoices, newest first, after the invoice `after`.
pub async fn list(
    db: &Db,
    merchant_id: &str,
    status: Option<Status>,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<Invoice>, Problem> {
    let after_seq = match after {
        None => i64::MAX,
        Some(a) => {
            get(db, Some(merchant_id), a)
                .await?
                .ok_or_else(|| Problem::field("after", "not one of your invoices"))?
                .seq
        }
    };
    let q = format!(
        "SELECT {COLUMNS} FROM gw_invoices WHERE merchant_id = $1 AND seq < $2 AND ($3 = '' OR status = $3) ORDER BY seq DESC LIMIT $4"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(merchant_id)
        .bind(after_seq)
        .bind(status.map(Status::as_str).unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .iter()
        .map(Invoice::from_row)
        .collect::<Result<Vec<_>>>()?)
}

/// Cancels an unpaid `new` invoice (409 otherwise): it becomes `invalid`
/// (`cancelled`) and stops being watched; `invoice.invalid` is sent.
pub async fn cancel(app: &AppState, merchant_id: &str, id: &str) -> Result<Invoice, Problem> {
    let inv = get(&app.db, Some(merchant_id), id)
        .await?
        .ok_or_else(|| Problem::not_found("invoice"))?;
    if inv.status != Status::New || inv.paid > 0 {
        return Err(Problem::conflict(
            "not_cancellable",
            format!(
                "only an unpaid new invoice can be cancelled; this one is {}",
                inv.status.as_str()
            ),
        ));
    }
    let now = now_ms().max(inv.updated_at + 1);
    let mut tx = app.db.begin().await?;
    let done = sqlx::query(
        "UPDATE gw_invoices SET status = 'invalid', additional = 'cancelled', cancelled = 1, active = 0, updated_at = $1 WHERE id = $2 AND updated_at = $3",
    )
    .bind(now)
    .bind(id)
    .bind(inv.updated_at)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(Problem::conflict(
            "changed",
            "the invoice changed meanwhile; retry",
        ));
    }
    let inv = fetch_in(&mut tx, id)
        .await?
        .ok_or_else(|| Error::corrupt("gw_invoices", "updated row vanished"))?;
    outbox::enqueue(
        &mut tx,
        merchant_id,
        "invoice.invalid",
        id,
        &inv.view(app, &[], false),
    )
    .await?;
    tx.commit().await?;
    app.outbox.notify_one();
    Ok(inv)
}
