//! The merchant's pages: overview (balances per chain, volume by day), invoices and
//! orders with filters and CSV export, settlements with their fee parts, API keys, webhook endpoints with their
//! delivery log, bank accounts. Every query is scoped to the session's merchant:
//! another merchant's id answers 404, exactly as an unknown one.

use std::collections::{BTreeMap, HashMap};

use axum::{
    Form,
    extract::{Path, Query},
    response::{IntoResponse, Redirect},
};
use sqlx::Row;
use time::{Date, OffsetDateTime, macros::format_description};

use super::{Ctx, PageError, PageResult, csv, fresh_code, html, html::escape};
use crate::{
    auth::{self, revoke},
    invoices::state::Status,
    merchants,
    store::now_ms,
    webhooks::endpoints,
};

/// Most rows a page or an export shows.
const PAGE_ROWS: i64 = 100;
const EXPORT_ROWS: i64 = 100_000;
const DAY_MS: i64 = 86_400_000;

fn units(v: i64) -> String {
    html::usdt(u128::try_from(v).unwrap_or(0))
}

fn text_units(s: &str) -> String {
    s.parse::<u128>()
        .map(html::usdt)
        .unwrap_or_else(|_| s.to_owned())
}

/// Invoice filters from the query: status, chain, from, to (dates, UTC).
struct InvoiceFilter {
    status: String,
    chain: String,
    from: Option<Date>,
    to: Option<Date>,
}

fn date(q: &HashMap<String, String>, key: &str) -> Result<Option<Date>, PageError> {
    match q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Date::parse(s, format_description!("[year]-[month]-[day]"))
            .map(Some)
            .map_err(|_| PageError::BadRequest(format!("'{key}' must be a date like 2026-01-31."))),
    }
}

fn day_start_ms(d: Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp() * 1000
}

impl InvoiceFilter {
    fn read(q: &HashMap<String, String>) -> Result<Self, PageError> {
        let status = q.get("status").cloned().unwrap_or_default();
        if !status.is_empty() && Status::parse(&status).is_none() {
            return Err(PageError::BadRequest("Unknown status.".into()));
        }
        Ok(Self {
            status,
            chain: q.get("chain").cloned().unwrap_or_default(),
            from: date(q, "from")?,
            to: date(q, "to")?,
        })
    }

    fn bounds(&self) -> (i64, i64) {
        (
            self.from.map(day_start_ms).unwrap_or(0),
            self.to
                .map(|d| day_start_ms(d) + DAY_MS)
                .unwrap_or(i64::MAX),
        )
    }

    fn query_string(&self) -> String {
        let f = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
        format!(
            "status={}&chain={}&from={}&to={}",
            escape(&self.status),
            escape(&self.chain),
            f(self.from),
            f(self.to)
        )
    }
}

struct InvoiceRow {
    id: String,
    chain: String,
    amount: i64,
    unique_amount: i64,
    status: String,
    additional: String,
    paid: i64,
    created_at: i64,
    description: Option<String>,
}

async fn invoice_rows(
    ctx: &Ctx,
    merchant: &str,
    f: &InvoiceFilter,
    limit: i64,
) -> Result<Vec<InvoiceRow>, PageError> {
    let (from, to) = f.bounds();
    // Only the filters asked for are in the SQL: PostgreSQL plans a prepared
    // `($2 = '' OR status = $2)` once for every value and then scans every invoice
    // of the merchant (gateway/examples/dashboard_bench.rs measured it). The text
    // is built from fixed pieces and numbered placeholders only.
    let mut sql = String::from(
        "SELECT id, chain, amount, unique_amount, status, additional, paid, created_at, description FROM gw_invoices WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3",
    );
    let mut n = 3;
    for (value, column) in [(&f.status, "status"), (&f.chain, "chain")] {
        if !value.is_empty() {
            n += 1;
            sql.push_str(&format!(" AND {column} = ${n}"));
        }
    }
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", n + 1));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(merchant)
        .bind(from)
        .bind(to);
    for value in [&f.status, &f.chain] {
        if !value.is_empty() {
            q = q.bind(value.as_str());
        }
    }
    let rows = q.bind(limit).fetch_all(&ctx.app.db.pool).await?;
    rows.iter()
        .map(|r| {
            Ok(InvoiceRow {
                id: r.try_get(0)?,
                chain: r.try_get(1)?,
                amount: r.try_get(2)?,
                unique_amount: r.try_get(3)?,
                status: r.try_get(4)?,
                additional: r.try_get(5)?,
                paid: r.try_get(6)?,
                created_at: r.try_get(7)?,
                description: r.try_get(8)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(PageError::from)
}

fn select(name: &str, label: &str, current: &str, options: &[&str]) -> String {
    let opts: String = std::iter::once("")
        .chain(options.iter().copied())
        .map(|o| {
            format!(
                r#"<option value="{o}"{sel}>{text}</option>"#,
                o = escape(o),
                sel = if o == current { " selected" } else { "" },
                text = if o.is_empty() { "any" } else { o },
            )
        })
        .collect();
    format!(
        r#"<label for="f-{name}">{label}</label> <select id="f-{name}" name="{name}">{opts}</select>"#
    )
}

/// `GET /dashboard/invoices`.
pub(super) async fn invoices(ctx: Ctx, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let (merchant, _) = ctx.merchant()?;
    let f = InvoiceFilter::read(&q)?;
    let rows = invoice_rows(&ctx, merchant, &f, PAGE_ROWS).await?;
    let chains: Vec<&str> = ctx.app.config.chains.keys().map(String::as_str).collect();
    let body_rows: String = rows
        .iter()
        .map(|r| {
            format!(
                r#"<tr data-invoice="{id}"><td><a href="/pay/{id}">{id}</a></td><td>{created}</td><td>{chain}</td><td class="num">{amount}</td><td class="num">{unique}</td><td class="num">{paid}</td><td><span class="status s-{status}">{status}</span>{add}</td><td>{desc}</td></tr>"#,
                id = escape(&r.id),
                created = html::time_ms(r.created_at),
                chain = escape(&r.chain),
                amount = units(r.amount),
                unique = units(r.unique_amount),
                paid = units(r.paid),
                status = escape(&r.status),
                add = if r.additional == "none" { String::new() } else { format!(" ({})", escape(&r.additional)) },
                desc = escape(r.description.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Invoices</h1>
<form method="get" action="/dashboard/invoices" class="filters">
{status} {chain}
<label for="f-from">From</label> <input type="date" id="f-from" name="from" value="{from}">
<label for="f-to">To</label> <input type="date" id="f-to" name="to" value="{to}">
<button type="submit">Filter</button>
</form>
<p><a id="export-csv" href="/dashboard/invoices.csv?{qs}" download>Export CSV</a> (all matching invoices)</p>
<div class="scroll"><table id="invoices"><caption>Newest first, at most {PAGE_ROWS}</caption>
<thead><tr><th scope="col">Invoice</th><th scope="col">Created</th><th scope="col">Chain</th><th scope="col">Amount</th><th scope="col">To pay</th><th scope="col">Paid</th><th scope="col">Status</th><th scope="col">Description</th></tr></thead>
<tbody>{body_rows}</tbody></table></div>{empty}"#,
        status = select(
            "status",
            "Status",
            &f.status,
            &["new", "processing", "settled", "expired", "invalid"]
        ),
        chain = select("chain", "Chain", &f.chain, &chains),
        from = f.from.map(|d| d.to_string()).unwrap_or_default(),
        to = f.to.map(|d| d.to_string()).unwrap_or_default(),
        qs = f.query_string(),
        empty = if rows.is_empty() {
            r#"<p id="none">No invoices match.</p>"#
        } else {
            ""
        },
    );
    Ok(html::layout("Invoices", Some(&ctx), &body).into_response())
}

fn rfc3339_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ms / 1000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// `GET /dashboard/invoices.csv`: the same filters, every matching invoice.
pub(super) async fn invoices_csv(ctx: Ctx, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let (merchant, _) = ctx.merchant()?;
    let f = InvoiceFilter::read(&q)?;
    let rows = invoice_rows(&ctx, merchant, &f, EXPORT_ROWS).await?;
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            vec![
                r.id,
                rfc3339_ms(r.created_at),
                r.chain,
                r.status,
                r.additional,
                units(r.amount),
                units(r.unique_amount),
                units(r.paid),
                r.description.unwrap_or_default(),
            ]
        })
        .collect();
    let doc = csv::document(
        &[
            "id",
            "created_at",
            "chain",
            "status",
            "additional_status",
            "amount",
            "unique_amount",
            "paid",
            "description",
        ],
        &rows,
    );
    Ok(csv::response("invoices.csv", doc))
}

struct OrderRow {
    id: String,
    kind: String,
    chain: String,
    amount: i64,
    status: String,
    deal_id: Option<i64>,
    acceptor: Option<String>,
    created_at: i64,
}

async fn order_rows(
    ctx: &Ctx,
    merchant: &str,
    q: &HashMap<String, String>,
    limit: i64,
) -> Result<(String, String, Vec<OrderRow>), PageError> {
    let kind = q.get("kind").cloned().unwrap_or_default();
    if !matches!(kind.as_str(), "" | "collection" | "payout") {
        return Err(PageError::BadRequest("Unknown order kind.".into()));
    }
    let status = q.get("status").cloned().unwrap_or_default();
    let rows = sqlx::query(
        "SELECT id, kind, chain, amount, status, deal_id, acceptor, created_at FROM gw_orders WHERE merchant_id = $1 AND ($2 = '' OR kind = $2) AND ($3 = '' OR status = $3) ORDER BY seq DESC LIMIT $4",
    )
    .bind(merchant)
    .bind(&kind)
    .bind(&status)
    .bind(limit)
    .fetch_all(&ctx.app.db.pool)
    .await?;
    let rows = rows
        .iter()
        .map(|r| {
            Ok(OrderRow {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                chain: r.try_get(2)?,
                amount: r.try_get(3)?,
                status: r.try_get(4)?,
                deal_id: r.try_get(5)?,
                acceptor: r.try_get(6)?,
                created_at: r.try_get(7)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((kind, status, rows))
}

/// `GET /dashboard/orders`: collections and payouts.
pub(super) async fn orders(ctx: Ctx, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let (merchant, _) = ctx.merchant()?;
    let (kind, status, rows) = order_rows(&ctx, merchant, &q, PAGE_ROWS).await?;
    let body_rows: String = rows
        .iter()
        .map(|r| {
            format!(
                r#"<tr><td>{id}</td><td>{created}</td><td>{kind}</td><td>{chain}</td><td class="num">{amount}</td><td><span class="status">{status}</span></td><td>{deal}</td><td>{acc}</td></tr>"#,
                id = escape(&r.id),
                created = html::time_ms(r.created_at),
                kind = escape(&r.kind),
                chain = escape(&r.chain),
                amount = units(r.amount),
                status = escape(&r.status),
                deal = r.deal_id.map(|d| d.to_string()).unwrap_or_default(),
                acc = escape(&r.acceptor.as_deref().map(html::short).unwrap_or_default()),
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Orders</h1>
<form method="get" action="/dashboard/orders" class="filters">
{kind_sel} {status_sel}
<button type="submit">Filter</button></form>
<p><a id="export-orders-csv" href="/dashboard/orders.csv?kind={k}&status={s}" download>Export CSV</a></p>
<div class="scroll"><table id="orders"><caption>Collections (fiat in) and payouts (fiat out), newest first</caption>
<thead><tr><th scope="col">Order</th><th scope="col">Created</th><th scope="col">Kind</th><th scope="col">Chain</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Deal</th><th scope="col">Acceptor</th></tr></thead>
<tbody>{body_rows}</tbody></table></div>{empty}"#,
        kind_sel = select("kind", "Kind", &kind, &["collection", "payout"]),
        status_sel = select(
            "status",
            "Status",
            &status,
            &[
                "pending",
                "dispatching",
                "assigned",
                "paid",
                "settled",
                "disputed",
                "cancelled",
                "failed"
            ]
        ),
        k = escape(&kind),
        s = escape(&status),
        empty = if rows.is_empty() {
            r#"<p id="none">No orders match.</p>"#
        } else {
            ""
        },
    );
    Ok(html::layout("Orders", Some(&ctx), &body).into_response())
}

/// `GET /dashboard/orders.csv`.
pub(super) async fn orders_csv(ctx: Ctx, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let (merchant, _) = ctx.merchant()?;
    let (_, _, rows) = order_rows(&ctx, merchant, &q, EXPORT_ROWS).await?;
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            vec![
                r.id,
                rfc3339_ms(r.created_at),
                r.kind,
                r.chain,
                units(r.amount),
                r.status,
                r.deal_id.map(|d| d.to_string()).unwrap_or_default(),
                r.acceptor.unwrap_or_default(),
            ]
        })
        .collect();
    let doc = csv::document(
        &[
            "id",
            "created_at",
            "kind",
            "chain",
            "amount",
            "status",
            "deal_id",
            "acceptor",
        ],
        &rows,
    );
    Ok(csv::response("orders.csv", doc))
}

/// `GET /dashboard` as a merchant: balances per chain and volume by day.
pub(super) async fn overview(ctx: Ctx) -> PageResult {
    let (merchant, name) = ctx.merchant()?;
    let db = &ctx.app.db;
    let m = merchants::get(db, merchant)
        .await?
        .ok_or(PageError::NotFound)?;
    let received: HashMap<String, i64> = sqlx::query(
        "SELECT chain, CAST(SUM(paid) AS BIGINT) FROM gw_invoices WHERE merchant_id = $1 AND status = 'settled' GROUP BY chain",
    )
    .bind(merchant)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get::<Option<i64>, _>(1)?.unwrap_or(0))))
    .collect::<Result<_, sqlx::Error>>()?;
    let mut balance_rows = String::new();
    for c in &m.chains {
        let escrow = match &c.escrow_account {
            Some(a) => sqlx::query(
                "SELECT CAST(available AS TEXT), CAST(locked AS TEXT) FROM escrow_accounts WHERE chain = $1 AND address = $2",
            )
            .bind(&c.chain)
            .bind(a)
            .fetch_optional(&db.pool)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
            .transpose()?,
            None => None,
        };
        let (avail, locked) = escrow
            .map(|(a, l)| (text_units(&a), text_units(&l)))
            .unwrap_or_else(|| ("–".into(), "–".into()));
        balance_rows.push_str(&format!(
            r#"<tr><th scope="row">{chain}</th><td><code>{recv}</code></td><td class="num">{settled}</td><td class="num">{avail}</td><td class="num">{locked}</td></tr>"#,
            chain = escape(&c.chain),
            recv = escape(&html::short(&c.receiving)),
            settled = units(received.get(&c.chain).copied().unwrap_or(0)),
        ));
    }
    // Settled volume by day, the last 14 days (UTC), by the day the invoice settled.
    let today = now_ms() / DAY_MS;
    let since = (today - 13) * DAY_MS;
    let mut by_day: BTreeMap<i64, u128> = (today - 13..=today).map(|d| (d, 0)).collect();
    for r in sqlx::query(
        "SELECT CAST(updated_at / $3 AS BIGINT), CAST(SUM(paid) AS BIGINT) FROM gw_invoices WHERE merchant_id = $1 AND status = 'settled' AND updated_at >= $2 GROUP BY CAST(updated_at / $3 AS BIGINT)",
    )
    .bind(merchant)
    .bind(since)
    .bind(DAY_MS)
    .fetch_all(&db.pool)
    .await?
    {
        let day = r.try_get::<i64, _>(0)?;
        let paid = u128::try_from(r.try_get::<Option<i64>, _>(1)?.unwrap_or(0)).unwrap_or(0);
        if let Some(v) = by_day.get_mut(&day) {
            *v += paid;
        }
    }
    let days: Vec<(String, u128)> = by_day
        .into_iter()
        .map(|(d, v)| (html::time_ms(d * DAY_MS).chars().take(10).collect(), v))
        .collect();
    // Deal volume and fees of the merchant's escrow accounts per day (the indexer's
    // `daily_volume`), the same 14 days.
    let mut deal_days: Vec<(String, u128, u128)> =
        days.iter().map(|d| (d.0.clone(), 0, 0)).collect();
    for c in &m.chains {
        let Some(account) = &c.escrow_account else {
            continue;
        };
        for r in sqlx::query(
            "SELECT day, CAST(amount AS TEXT), CAST(fees AS TEXT) FROM daily_volume WHERE chain = $1 AND address = $2 AND day >= $3",
        )
        .bind(&c.chain)
        .bind(account)
        // `daily_volume.day` is the Unix time (seconds) of the UTC midnight.
        .bind((today - 13) * 86_400)
        .fetch_all(&db.pool)
        .await?
        {
            let i = r.try_get::<i64, _>(0)?.div_euclid(86_400) - (today - 13);
            if let Some(d) = usize::try_from(i).ok().and_then(|i| deal_days.get_mut(i)) {
                d.1 += r.try_get::<String, _>(1)?.parse::<u128>().unwrap_or(0);
                d.2 += r.try_get::<String, _>(2)?.parse::<u128>().unwrap_or(0);
            }
        }
    }
    let deal_volume: Vec<(String, u128)> = deal_days.iter().map(|d| (d.0.clone(), d.1)).collect();
    let deal_fees: Vec<(String, u128)> = deal_days.iter().map(|d| (d.0.clone(), d.2)).collect();
    let body = format!(
        r#"<h1>{name}</h1>
<h2>Balances per chain</h2>
<div class="scroll"><table id="balances"><thead><tr><th scope="col">Chain</th><th scope="col">Receiving address</th><th scope="col">Settled invoices (USDT)</th><th scope="col">Escrow available</th><th scope="col">Escrow locked</th></tr></thead><tbody>{balance_rows}</tbody></table></div>
<h2>Volume</h2>
{chart}
{deal_chart}
{fee_chart}"#,
        name = escape(name),
        deal_chart = html::bar_chart(
            "deal-volume-chart",
            "Settled escrow deal volume per day (USDT), last 14 days",
            &deal_volume
        ),
        fee_chart = html::bar_chart(
            "fee-chart",
            "Fees on escrow deals per day (USDT), last 14 days",
            &deal_fees
        ),
        chart = html::bar_chart(
            "volume-chart",
            "Settled invoice volume per day (USDT), last 14 days",
            &days
        ),
    );
    Ok(html::layout("Overview", Some(&ctx), &body).into_response())
}

/// `GET /dashboard/api-keys`.
pub(super) async fn api_keys(ctx: Ctx) -> PageResult {
    let (merchant, _) = ctx.merchant()?;
    Ok(api_keys_page(&ctx, merchant, None).await?.into_response())
}

async fn api_keys_page(
    ctx: &Ctx,
    merchant: &str,
    created: Option<(&str, &str)>,
) -> Result<axum::response::Html<String>, PageError> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, revoked_at FROM gw_api_keys WHERE merchant_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(merchant)
    .fetch_all(&ctx.app.db.pool)
    .await?;
    let csrf = html::csrf_input(ctx);
    let mut list = String::new();
    for r in rows {
        let id: String = r.try_get(0)?;
        let name: String = r.try_get(1)?;
        let revoked: Option<i64> = r.try_get(3)?;
        let action = match revoked {
            Some(t) => format!("revoked {}", html::time_ms(t)),
            None => format!(
                r#"<form method="post" action="/dashboard/api-keys/{id}/revoke" class="inline">{csrf}<button type="submit">Revoke</button></form>"#,
                id = escape(&id)
            ),
        };
        list.push_str(&format!(
            r#"<tr><td>{name}</td><td><code>{id}</code></td><td>{created}</td><td>{action}</td></tr>"#,
            name = escape(&name),
            id = escape(&id),
            created = html::time_ms(r.try_get(2)?),
        ));
    }
    let shown = created
        .map(|(name, key)| {
            format!(
                r#"<div class="notice" role="status"><p>New key <strong>{name}</strong>. Copy it now: it is shown only once.</p><p><code id="new-key">{key}</code></p></div>"#,
                name = escape(name),
                key = escape(key)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<h1>API keys</h1>{shown}
<div class="scroll"><table id="api-keys"><thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Created</th><th scope="col"></th></tr></thead><tbody>{list}</tbody></table></div>
<h2>Create a key</h2>
<form method="post" action="/dashboard/api-keys" id="create-key">{csrf}
<label for="key-name">Name</label> <input id="key-name" name="name" required maxlength="100">
{code}
<button type="submit" id="create-key-submit">Create</button></form>"#,
        code = html::code_input("key-code"),
    );
    Ok(html::layout("API keys", Some(ctx), &body))
}

/// `POST /dashboard/api-keys`: a fresh key (fresh TOTP code), shown once.
pub(super) async fn create_api_key(
    ctx: Ctx,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    ctx.check_csrf(&form)?;
    let (merchant, _) = ctx.merchant()?;
    let name = form.get("name").map(|s| s.trim()).unwrap_or("");
    if name.is_empty() || name.len() > 100 {
        return Err(PageError::BadRequest(
            "A key needs a name (at most 100 characters).".into(),
        ));
    }
    fresh_code(&ctx, &form).await?;
    let (id, key) = auth::create_key(&ctx.app.db, merchant, name).await?;
    tracing::info!(merchant, key_id = %id, by = %ctx.session.address, "API key created from the dashboard");
    Ok(api_keys_page(&ctx, merchant, Some((name, &key)))
        .await?
        .into_response())
}

/// `POST /dashboard/api-keys/{id}/revoke`.
pub(super) async fn revoke_api_key(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    ctx.check_csrf(&form)?;
    let (merchant, _) = ctx.merchant()?;
    if revoke::revoke_key(&ctx.app.db, revoke::KeyOwner::Merchant(merchant), &id)
        .await?
        .is_none()
    {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to("/dashboard/api-keys").into_response())
}

/// `GET /dashboard/webhooks`.
pub(super) async fn webhooks(ctx: Ctx) -> PageResult {
    let (merchant, _) = ctx.merchant()?;
    let list = endpoints::list(&ctx.app.db, merchant).await?;
    let rows: String = list
        .iter()
        .map(|e| {
            let id = e["id"].as_str().unwrap_or("");
            format!(
                r#"<tr><td><a href="/dashboard/webhooks/{id}">{url}</a></td><td>{events}</td><td>{enabled}</td></tr>"#,
                id = escape(id),
                url = escape(e["url"].as_str().unwrap_or("")),
                events = escape(&e["events"].as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default()),
                enabled = if e["enabled"].as_bool().unwrap_or(false) { "enabled" } else { "disabled" },
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Webhook endpoints</h1>
<p>Endpoints are created with the API (<code>POST /v1/webhooks</code>). Open one to see its deliveries.</p>
<div class="scroll"><table id="webhooks"><thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">State</th></tr></thead><tbody>{rows}</tbody></table></div>"#
    );
    Ok(html::layout("Webhooks", Some(&ctx), &body).into_response())
}

async fn webhook_page(
    ctx: &Ctx,
    merchant: &str,
    id: &str,
    secret: Option<(&str, &str)>,
) -> PageResult {
    let e = endpoints::get(&ctx.app.db, merchant, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let deliveries = endpoints::deliveries(&ctx.app.db, merchant, id, 50).await?;
    let csrf = html::csrf_input(ctx);
    let rows: String = deliveries
        .iter()
        .map(|d| {
            let did = d["id"].as_str().unwrap_or("");
            format!(
                r#"<tr><td><code>{did}</code></td><td>{ty}</td><td><span class="status">{status}</span></td><td class="num">{attempts}</td><td>{created}</td><td><form method="post" action="/dashboard/deliveries/{did}/redeliver" class="inline">{csrf}<button type="submit">Redeliver</button></form></td></tr>"#,
                did = escape(did),
                ty = escape(d["type"].as_str().unwrap_or("")),
                status = escape(d["status"].as_str().unwrap_or("")),
                attempts = d["attempts"].as_i64().unwrap_or(0),
                created = html::time_ms(d["created_at"].as_i64().unwrap_or(0) * 1000),
            )
        })
        .collect();
    let shown = secret
        .map(|(what, s)| {
            format!(
                r#"<div class="notice" role="status"><p>{what}</p><p><code id="webhook-secret">{s}</code></p></div>"#,
                s = escape(s)
            )
        })
        .unwrap_or_default();
    let id_e = escape(id);
    let body = format!(
        r#"<h1>Webhook endpoint</h1>
<p><code>{url}</code></p>{shown}
<h2>Signing secret</h2>
<form method="post" action="/dashboard/webhooks/{id_e}/secret" class="inline">{csrf}{code1}<button type="submit" id="reveal-secret">Reveal</button></form>
<form method="post" action="/dashboard/webhooks/{id_e}/rotate" class="inline">{csrf}{code2}<button type="submit" id="rotate-secret">Rotate</button></form>
<h2>Deliveries</h2>
<div class="scroll"><table id="deliveries"><thead><tr><th scope="col">Delivery</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Created</th><th scope="col"></th></tr></thead><tbody>{rows}</tbody></table></div>"#,
        url = escape(e["url"].as_str().unwrap_or("")),
        code1 = html::code_input("reveal-code"),
        code2 = html::code_input("rotate-code"),
    );
    Ok(html::layout("Webhook endpoint", Some(ctx), &body).into_response())
}

/// `GET /dashboard/webhooks/{id}`: the endpoint and its delivery log.
pub(super) async fn webhook(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let (merchant, _) = ctx.merchant()?;
    webhook_page(&ctx, merchant, &id, None).await
}

/// `POST /dashboard/webhooks/{id}/secret`: shows the secret (fresh TOTP code).
pub(super) async fn reveal_secret(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    ctx.check_csrf(&form)?;
    let (merchant, _) = ctx.merchant()?;
    let row =
        sqlx::query("SELECT secret FROM gw_webhook_endpoints WHERE id = $1 AND merchant_id = $2")
            .bind(&id)
            .bind(merchant)
            .fetch_optional(&ctx.app.db.pool)
            .await?
            .ok_or(PageError::NotFound)?;
    fresh_code(&ctx, &form).await?;
    let secret: String = row.try_get(0)?;
    webhook_page(
        &ctx,
        merchant,
        &id,
        Some(("The current signing secret:", &secret)),
    )
    .await
}

/// `POST /dashboard/webhooks/{id}/rotate`: a new secret (fresh TOTP code); the old
/// one keeps signing for the configured overlap.
pub(super) async fn rotate_secret(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    ctx.check_csrf(&form)?;
    let (merchant, _) = ctx.merchant()?;
    if endpoints::get(&ctx.app.db, merchant, &id).await?.is_none() {
        return Err(PageError::NotFound);
    }
    fresh_code(&ctx, &form).await?;
    let out = endpoints::rotate(&ctx.app, merchant, &id).await?;
    let secret = out["secret"].as_str().unwrap_or("").to_owned();
    webhook_page(
        &ctx,
        merchant,
        &id,
        Some((
            "The new signing secret (the previous one still signs during the overlap):",
            &secret,
        )),
    )
    .await
}

/// `POST /dashboard/deliveries/{id}/redeliver`.
pub(super) async fn redeliver(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    ctx.check_csrf(&form)?;
    let (merchant, _) = ctx.merchant()?;
    let d = endpoints::delivery(&ctx.app.db, merchant, &id)
        .await?
        .ok_or(PageError::NotFound)?;
    if !endpoints::redeliver(&ctx.app, merchant, &id).await? {
        return Err(PageError::BadRequest(
            "This delivery is being sent right now.".into(),
        ));
    }
    let endpoint = d["endpoint_id"].as_str().unwrap_or("");
    Ok(Redirect::to(&format!("/dashboard/webhooks/{endpoint}")).into_response())
}

fn masked(account: &str) -> String {
    let n = account.chars().count();
    let tail: String = account.chars().skip(n.saturating_sub(4)).collect();
    format!("•••• {tail}")
}

/// `GET /dashboard/bank-accounts`.
pub(super) async fn bank_accounts(ctx: Ctx) -> PageResult {
    let (merchant, _) = ctx.merchant()?;
    let m = merchants::get(&ctx.app.db, merchant)
        .await?
        .ok_or(PageError::NotFound)?;
    let rows: String = m
        .bank_accounts
        .iter()
        .map(|b| {
            format!(
                r#"<tr{cls}><td>{label}</td><td>{holder}</td><td><code>{acct}</code></td><td>{cur}</td><td>{payout}</td></tr>"#,
                cls = if b.payout { r#" class="designated""# } else { "" },
                label = escape(&b.label),
                holder = escape(&b.holder),
                acct = escape(&masked(&b.account)),
                cur = escape(&b.currency),
                payout = if b.payout { "designated for payouts" } else { "" },
            )
        })
        .collect();
    let options: String = m
        .bank_accounts
        .iter()
        .map(|b| {
            format!(
                r#"<option value="{id}"{sel}>{label} ({acct})</option>"#,
                id = escape(&b.id),
                sel = if b.payout { " selected" } else { "" },
                label = escape(&b.label),
                acct = escape(&masked(&b.account)),
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Bank accounts</h1>
<p>Payouts go to the designated account; only the acceptor assigned to a payout sees its details.</p>
<div class="scroll"><table id="bank-accounts"><thead><tr><th scope="col">Label</th><th scope="col">Holder</th><th scope="col">Account</th><th scope="col">Currency</th><th scope="col"></th></tr></thead><tbody>{rows}</tbody></table></div>
<h2>Designate for payouts</h2>
<form method="post" action="/dashboard/bank-accounts" id="designate">{csrf}
<label for="bank">Account</label> <select id="bank" name="account">{options}</select>
{code}
<button type="submit">Designate</button></form>"#,
        csrf = html::csrf_input(&ctx),
        code = html::code_input("bank-code"),
    );
    Ok(html::layout("Bank accounts", Some(&ctx), &body).into_response())
}

/// `POST /dashboard/bank-accounts`: designates one account (fresh TOTP code).
pub(super) async fn designate_bank(
    ctx: Ctx,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    ctx.check_csrf(&form)?;
    let (merchant, _) = ctx.merchant()?;
    let account = form.get("account").cloned().unwrap_or_default();
    let owned =
        sqlx::query("SELECT COUNT(*) FROM gw_bank_accounts WHERE id = $1 AND merchant_id = $2")
            .bind(&account)
            .bind(merchant)
            .fetch_one(&ctx.app.db.pool)
            .await?
            .try_get::<i64, _>(0)?;
    if owned != 1 {
        return Err(PageError::NotFound);
    }
    fresh_code(&ctx, &form).await?;
    let mut tx = ctx.app.db.begin().await?;
    sqlx::query("UPDATE gw_bank_accounts SET payout = 0 WHERE merchant_id = $1 AND payout = 1")
        .bind(merchant)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE gw_bank_accounts SET payout = 1 WHERE id = $1 AND merchant_id = $2")
        .bind(&account)
        .bind(merchant)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(merchant, account = %account, by = %ctx.session.address, "payout bank account designated");
    Ok(Redirect::to("/dashboard/bank-accounts").into_response())
}

/// `GET /dashboard/settlements`: the merchant's settled escrow deals with their fee
/// parts (the indexer's `deals` of its escrow accounts; amounts are NUMERIC on
/// PostgreSQL, read as text).
pub(super) async fn settlements(ctx: Ctx) -> PageResult {
    let (merchant, _) = ctx.merchant()?;
    let db = &ctx.app.db;
    let m = merchants::get(db, merchant)
        .await?
        .ok_or(PageError::NotFound)?;
    let opt = |v: Option<String>| v.map(|x| text_units(&x)).unwrap_or_else(|| "–".into());
    let mut rows = String::new();
    for c in &m.chains {
        let Some(account) = &c.escrow_account else {
            continue;
        };
        for r in sqlx::query(
            "SELECT deal_id, kind, state, CAST(settled_amount AS TEXT), CAST(fee AS TEXT), CAST(agent_cut AS TEXT), CAST(reward AS TEXT), CAST(platform AS TEXT), closed_time FROM deals WHERE chain = $1 AND merchant = $2 AND state IN ('released', 'resolved') ORDER BY closed_time DESC, deal_id DESC LIMIT $3",
        )
        .bind(&c.chain)
        .bind(account)
        .bind(PAGE_ROWS)
        .fetch_all(&db.pool)
        .await?
        {
            rows.push_str(&format!(
                r#"<tr><td>{chain}</td><td>{deal}</td><td>{kind}</td><td>{state}</td><td class="num">{settled}</td><td class="num">{fee}</td><td class="num">{agent}</td><td class="num">{reward}</td><td class="num">{platform}</td><td>{closed}</td></tr>"#,
                chain = escape(&c.chain),
                deal = r.try_get::<i64, _>(0)?,
                kind = escape(&r.try_get::<String, _>(1)?),
                state = escape(&r.try_get::<String, _>(2)?),
                settled = opt(r.try_get(3)?),
                fee = opt(r.try_get(4)?),
                agent = opt(r.try_get(5)?),
                reward = opt(r.try_get(6)?),
                platform = opt(r.try_get(7)?),
                closed = r
                    .try_get::<Option<i64>, _>(8)?
                    .map(|t| html::time_ms(t.saturating_mul(1000)))
                    .unwrap_or_default(),
            ));
        }
    }
    let body = format!(
        r#"<h1>Settlements</h1>
<p>Escrow deals of your escrow accounts that settled, newest first, with the fee and its parts (agent's cut, trader's reward, platform).</p>
<div class="scroll"><table id="settlements"><thead><tr><th scope="col">Chain</th><th scope="col">Deal</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Settled</th><th scope="col">Fee</th><th scope="col">Agent</th><th scope="col">Reward</th><th scope="col">Platform</th><th scope="col">Closed</th></tr></thead><tbody>{rows}</tbody></table></div>{empty}"#,
        empty = if rows.is_empty() {
            r#"<p id="none">No settled deals yet.</p>"#
        } else {
            ""
        },
    );
    Ok(html::layout("Settlements", Some(&ctx), &body).into_response())
}
