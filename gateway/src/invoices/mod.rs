//! Invoices: a crypto checkout for one amount on one chain, paid by a plain USDT
//! transfer to the merchant's receiving address and recognised by its unique amount.

pub mod batch;
pub mod matching;
pub mod queue;
pub mod state;
pub mod uri;
pub mod watcher;

use serde_json::{Value, json};
use sqlx::{Row, any::AnyRow};
use stablerail_sdk::Amount;

use crate::{
    error::{Error, Result},
    input::Fields,
    problem::Problem,
    state::AppState,
    store::{Db, Tx, idempotency::Slot, new_id, now_ms},
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

/// One read for a create: the receiving address and the indexer's cursor (kind 0),
/// then the unique amounts already reserved on that address in `$3..=$4` (kind 1,
/// through the partial unique index `gw_invoices_reserved`).
const CREATE_READ: &str = "SELECT 0, mc.receiving, COALESCE((SELECT c.block_number FROM cursors c WHERE c.chain = $2), 0) FROM gw_merchant_chains mc WHERE mc.merchant_id = $1 AND mc.chain = $2 \
UNION ALL SELECT 1, NULL, i.unique_amount FROM gw_invoices i WHERE i.chain = $2 AND i.address = (SELECT receiving FROM gw_merchant_chains WHERE merchant_id = $1 AND chain = $2) AND i.active = 1 AND i.unique_amount >= $3 AND i.unique_amount <= $4";

/// Creates an invoice with an amount unique among the watched invoices of the
/// receiving address, and its `invoice.created` event, in one transaction, which also
/// records the answer (the returned JSON text) under `slot`'s Idempotency-Key.
/// A slot taken meanwhile by a concurrent request is a 409 `idempotency_slot_taken`
/// (nothing written).
///
/// Whatever does not need the write transaction happens before it: one read
/// (address, cursor, reserved amounts) and the answer with its payment URI and QR
/// code. The write itself is grouped with concurrent creates ([`batch`]); the unique
/// index on reserved amounts decides between creates of several processes, and a
/// create whose amount was taken meanwhile tries the next free one.
pub async fn create(
    app: &AppState,
    merchant_id: &str,
    n: &NewInvoice,
    slot: Option<&Slot>,
) -> Result<(Invoice, String), Problem> {
    let base = n.amount.units();
    let max = app.config.invoices.max_unique_offset;
    let mut address = None;
    let mut created_block = 0;
    let mut tried = std::collections::BTreeSet::new();
    let mut hint = None;
    for _ in 0..16 {
        // What is reserved now (again after a collision: others committed meanwhile).
        let rows = sqlx::query(CREATE_READ)
            .bind(merchant_id)
            .bind(&n.chain)
            .bind(base as i64)
            .bind((base + max) as i64)
            .fetch_all(&app.db.pool)
            .await?;
        let mut taken = tried.clone();
        for r in &rows {
            let kind: i64 = r.try_get(0)?;
            let value: i64 = r.try_get(2)?;
            if kind == 0 {
                address = Some(r.try_get::<String, _>(1)?);
                created_block = u(value, "cursor")?;
            } else {
                taken.insert(u(value, "unique_amount")?);
            }
        }
        let Some(address) = address.clone() else {
            return Err(Problem::field(
                "chain",
                "the merchant has no receiving address on this chain",
            ));
        };
        let free = |a: &u64| (base..=base + max).contains(a) && !taken.contains(a);
        let Some(unique) = hint
            .filter(|a| free(a))
            .or_else(|| (base..=base + max).find(|a| free(a)))
        else {
            return Err(Problem::conflict(
                "amounts_exhausted",
                "every unique amount near this one is taken by an open invoice; try again later or change the amount slightly",
            ));
        };
        tried.insert(unique);
        let now = now_ms();
        let expires_at = now + (n.expiry_secs as i64) * 1000;
        let mut invoice = Invoice {
            seq: 0,
            id: new_id("inv"),
            merchant_id: merchant_id.to_owned(),
            chain: n.chain.clone(),
            address: address.clone(),
            amount: base,
            unique_amount: unique,
            status: Status::New,
            additional: Additional::None,
            paid: 0,
            confirmed_paid: 0,
            cancelled: false,
            active: true,
            created_block,
            created_at: now,
            expires_at,
            monitoring_until: expires_at + (app.config.invoices.monitoring_secs as i64) * 1000,
            updated_at: now,
            description: n.description.clone(),
            metadata: n.metadata.clone(),
            redirect_url: n.redirect_url.clone(),
        };
        // The event carries the invoice; the answer adds its QR code; the
        // Idempotency-Key's record leaves it out (a replay draws it again).
        let data = invoice.view(app, &[], false);
        let record = data.to_string();
        let body = answer(data.clone());
        let job = batch::Prepared {
            invoice: invoice.clone(),
            data,
            body,
            record,
            slot: slot.cloned(),
        };
        let body = job.body.clone();
        match batch::commit(app, job).await? {
            batch::Outcome::Created(seq) => {
                invoice.seq = seq;
                app.outbox.notify_one();
                return Ok((invoice, body));
            }
            batch::Outcome::AmountTaken(next) => hint = next,
            batch::Outcome::Again => {
                tried.remove(&unique);
                hint = Some(unique);
            }
            batch::Outcome::SlotTaken => {
                return Err(Problem::conflict(
                    "idempotency_slot_taken",
                    "a concurrent request with this Idempotency-Key won",
                ));
            }
        }
    }
    Err(Problem::conflict(
        "busy",
        "could not reserve a unique amount; retry",
    ))
}

/// The create's answer: the invoice's view with the QR code of its payment URI.
fn answer(mut view: Value) -> String {
    let qr = view["payment_uri"].as_str().and_then(uri::qr_svg);
    view["qr_svg"] = json!(qr);
    view.to_string()
}

/// A create's answer from its Idempotency-Key record (status 201), byte for byte
/// as it was sent: the record leaves the QR code out (most of the answer's bytes,
/// and of the bytes a create writes), so it is drawn again here the same way.
/// Anything else is returned as stored.
pub fn replayed_answer(record: String) -> String {
    match serde_json::from_str::<Value>(&record) {
        Ok(view) if view.get("payment_uri").is_some() => answer(view),
        _ => record,
    }
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
