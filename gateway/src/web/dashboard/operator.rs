//! The operator's page (wallets listed in `dashboard.operators`): per chain the
//! escrow's conservation (liabilities against the sum of every account's available
//! and locked balances, docs/rules.md "Liabilities") and pause state, the platform's
//! fees to the treasury, pending multisig proposals, platform volume
//! and fees per day (the indexer's `daily_volume`), invoices and orders by status,
//! disputed deals with how long they wait for the arbiter, failed webhook deliveries,
//! every acceptor's standing with the dispatcher and its latest decisions,
//! the risk alerts with their state: open ones can be acknowledged or closed
//! with a note (CSRF and a fresh TOTP code, like every sensitive action here), and
//! the treasury watch's latest share of platform funds outside the vault.

use std::collections::{BTreeMap, HashMap};

use axum::{
    Form,
    extract::Path,
    response::{IntoResponse, Redirect},
};
use sqlx::Row;

use super::{Ctx, PageError, PageResult, dispatch_view, fresh_code, html, html::escape, proposals};
use crate::{
    risk::alerts::{self, Filter, Move},
    store::{
        counts::{self, Counted},
        now_ms,
    },
};

/// Delta rows of the status counts above which the page folds them.
const FOLD_AT: i64 = 1_000;

// Amounts are TEXT on SQLite and NUMERIC(78,0) on PostgreSQL: read as text.

fn units(s: &str) -> u128 {
    s.parse().unwrap_or(0)
}

/// `GET /dashboard` as the operator.
pub(super) async fn operator(ctx: Ctx) -> PageResult {
    let db = &ctx.app.db;
    // Conservation per chain.
    let mut sums: BTreeMap<String, (u128, u128, i64)> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT chain, CAST(available AS TEXT), CAST(locked AS TEXT) FROM escrow_accounts",
    )
    .fetch_all(&db.pool)
    .await?
    {
        let e = sums.entry(r.try_get(0)?).or_default();
        e.0 += units(&r.try_get::<String, _>(1)?);
        e.1 += units(&r.try_get::<String, _>(2)?);
        e.2 += 1;
    }
    // The platform's part of every settlement per chain (the deals' `platform`
    // column: what the escrow credited the treasury), summed exactly: integers on
    // both backends, an overflow is an error rather than a rounded figure.
    let mut fees_by_chain: BTreeMap<String, u128> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT chain, CAST(SUM(CAST(platform AS BIGINT)) AS TEXT) FROM deals WHERE platform IS NOT NULL GROUP BY chain",
    )
    .fetch_all(&db.pool)
    .await?
    {
        fees_by_chain.insert(r.try_get(0)?, units(&r.try_get::<String, _>(1)?));
    }
    let mut escrow_rows = String::new();
    let mut treasury_rows = String::new();
    for r in sqlx::query(
        "SELECT s.chain, CAST(s.liabilities AS TEXT), CAST(CASE WHEN s.paused THEN 1 ELSE 0 END AS BIGINT), s.treasury, CAST(t.available AS TEXT), CAST(s.swept AS TEXT) FROM escrow_settings s LEFT JOIN escrow_accounts t ON t.chain = s.chain AND t.address = s.treasury ORDER BY s.chain",
    )
    .fetch_all(&db.pool)
    .await?
    {
        let chain: String = r.try_get(0)?;
        let treasury: Option<String> = r.try_get(3)?;
        let available: Option<String> = r.try_get(4)?;
        treasury_rows.push_str(&format!(
            r#"<tr data-chain="{c}"><th scope="row">{c}</th><td class="num fees">{fees}</td><td><code>{t}</code></td><td class="num">{avail}</td><td class="num">{swept}</td></tr>"#,
            c = escape(&chain),
            fees = html::usdt(fees_by_chain.get(&chain).copied().unwrap_or(0)),
            t = escape(&treasury.unwrap_or_else(|| "–".into())),
            avail = html::usdt(available.as_deref().map_or(0, units)),
            swept = html::usdt(units(&r.try_get::<String, _>(5)?)),
        ));
        let liabilities = units(&r.try_get::<String, _>(1)?);
        let (avail, locked, accounts) = sums.get(&chain).copied().unwrap_or_default();
        let holds = liabilities == avail + locked;
        escrow_rows.push_str(&format!(
            r#"<tr><th scope="row">{chain}</th><td class="num">{accounts}</td><td class="num">{a}</td><td class="num">{l}</td><td class="num">{li}</td><td class="{cls}">{state}</td><td>{paused}</td></tr>"#,
            chain = escape(&chain),
            a = html::usdt(avail),
            l = html::usdt(locked),
            li = html::usdt(liabilities),
            cls = if holds { "ok" } else { "error" },
            state = if holds { "holds" } else { "BROKEN" },
            paused = if r.try_get::<i64, _>(2)? == 1 { "paused" } else { "running" },
        ));
    }
    // Platform volume and fees per day, the last 14 days.
    let days = html::last_days(14);
    let first = days.first().map(|d| d.0).unwrap_or(0);
    let mut volume: BTreeMap<i64, (u128, u128)> = days.iter().map(|d| (d.0, (0, 0))).collect();
    // `daily_volume.day` is the Unix time (seconds) of the UTC midnight.
    for r in sqlx::query(
        "SELECT day, CAST(amount AS TEXT), CAST(fees AS TEXT) FROM daily_volume WHERE day >= $1",
    )
    .bind(first * 86_400)
    .fetch_all(&db.pool)
    .await?
    {
        if let Some(v) = volume.get_mut(&r.try_get::<i64, _>(0)?.div_euclid(86_400)) {
            v.0 += units(&r.try_get::<String, _>(1)?);
            v.1 += units(&r.try_get::<String, _>(2)?);
        }
    }
    let label = |d: i64| {
        days.iter()
            .find(|x| x.0 == d)
            .map(|x| x.1.clone())
            .unwrap_or_default()
    };
    let vol: Vec<(String, u128)> = volume.iter().map(|(d, v)| (label(*d), v.0)).collect();
    let fees: Vec<(String, u128)> = volume.iter().map(|(d, v)| (label(*d), v.1)).collect();
    // Invoices, orders and deliveries by status: the counts kept as the rows change
    // (`store::counts`), never a count of every row (issue #15: counting 100k
    // invoices was most of this page's time on PostgreSQL).
    let kept = counts::read(db).await?;
    if kept.deltas > FOLD_AT {
        // Fold the deltas while here, as the invoice watcher does once a minute.
        if let Err(e) = counts::fold(db).await {
            tracing::warn!(error = %e, "folding the status counts failed");
        }
    }
    let mut count_rows = String::new();
    for (what, table) in [
        ("invoices", Counted::Invoices),
        ("orders", Counted::Orders),
        ("webhook deliveries", Counted::Deliveries),
    ] {
        for (status, n) in kept.of(table) {
            count_rows.push_str(&format!(
                r#"<tr><td>{what}</td><td>{}</td><td class="num">{n}</td></tr>"#,
                escape(status),
            ));
        }
    }
    // Disputed deals waiting for the arbiter.
    let now = now_ms() / 1000;
    let mut disputes = String::new();
    for r in sqlx::query(
        "SELECT chain, deal_id, kind, CAST(amount AS TEXT), disputed_at FROM deals WHERE state = 'disputed' ORDER BY disputed_at, chain, deal_id",
    )
    .fetch_all(&db.pool)
    .await?
    {
        let since: Option<i64> = r.try_get(4)?;
        disputes.push_str(&format!(
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td>{}</td></tr>"#,
            escape(&r.try_get::<String, _>(0)?),
            r.try_get::<i64, _>(1)?,
            escape(&r.try_get::<String, _>(2)?),
            html::usdt(units(&r.try_get::<String, _>(3)?)),
            since
                .map(|t| format!("{} h", (now - t).max(0) / 3600))
                .unwrap_or_else(|| "–".into()),
        ));
    }
    // The dispatcher: every registered acceptor's standing per chain, and the log.
    let names = dispatch_view::names(&ctx.app).await?;
    let mut standing = String::new();
    for chain in ctx.app.config.indexer.chains.keys() {
        let probe = dispatch_view::probe(&ctx.app, chain).await?;
        standing.push_str(&dispatch_view::standing_rows(chain, &probe, &names, None));
    }
    let standing = dispatch_view::standing_table("acceptors", &standing);
    let decisions = dispatch_view::recent_decisions(&ctx.app, &names, 20).await?;
    let mut alert_rows = alert_rows(&ctx).await?;
    if alert_rows.is_empty() {
        alert_rows = r#"<tr><td colspan="8">No alert.</td></tr>"#.into();
    }
    if disputes.is_empty() {
        disputes = r#"<tr><td colspan="5">No dispute is waiting.</td></tr>"#.into();
    }
    let proposals = proposals::table(&ctx.app, &proposals::pending(&ctx.app).await?, now);
    let treasury = treasury_table(&ctx);
    let body = format!(
        r#"<h1>Operator</h1>
<h2>Risk alerts</h2>
<div class="scroll"><table id="alerts"><thead><tr><th scope="col">Raised</th><th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Chain</th><th scope="col">Subject</th><th scope="col">Summary</th><th scope="col">State</th><th scope="col">Action</th></tr></thead><tbody>{alert_rows}</tbody></table></div>
{treasury}
<h2>Escrow per chain</h2>
<div class="scroll"><table id="conservation"><thead><tr><th scope="col">Chain</th><th scope="col">Accounts</th><th scope="col">Σ available</th><th scope="col">Σ locked</th><th scope="col">Liabilities</th><th scope="col">Conservation</th><th scope="col">State</th></tr></thead><tbody>{escrow_rows}</tbody></table></div>
<h2>Fees to the treasury</h2>
<div class="scroll"><table id="treasury"><thead><tr><th scope="col">Chain</th><th scope="col">Platform fees credited</th><th scope="col">Treasury</th><th scope="col">Treasury available</th><th scope="col">Swept surplus</th></tr></thead><tbody>{treasury_rows}</tbody></table></div>
<h2>Pending multisig proposals</h2>
{proposals}
<h2>Platform volume</h2>
{vol_chart}
{fee_chart}
<h2>Invoices, orders, deliveries</h2>
<div class="scroll"><table id="counts"><thead><tr><th scope="col">What</th><th scope="col">Status</th><th scope="col">Count</th></tr></thead><tbody>{count_rows}</tbody></table></div>
<h2>Disputes waiting for the arbiter</h2>
<div class="scroll"><table id="disputes"><thead><tr><th scope="col">Chain</th><th scope="col">Deal</th><th scope="col">Kind</th><th scope="col">Amount</th><th scope="col">Waiting</th></tr></thead><tbody>{disputes}</tbody></table></div>
<h2>Acceptors as the dispatcher sees them now</h2>
<p>Standing for a 1 USDT collection; completed and failed deals over the dispatcher's sliding window.</p>
{standing}
<h2>Latest dispatcher decisions</h2>
{decisions}"#,
        vol_chart = html::bar_chart(
            "platform-volume",
            "Settled deal volume per day (USDT), last 14 days",
            &vol
        ),
        fee_chart = html::bar_chart("platform-fees", "Fees per day (USDT), last 14 days", &fees),
    );
    Ok(html::layout("Operator", Some(&ctx), &body).into_response())
}

/// The treasury watch's latest measurement per chain (empty when none is watched).
fn treasury_table(ctx: &Ctx) -> String {
    let views = ctx.app.risk.treasury_views();
    if views.is_empty() {
        return String::new();
    }
    let mut rows = String::new();
    for v in views {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let amount = |k: &str| crate::risk::usdt(units(&s(k)));
        let hot = v["hot_wallets"]
            .as_array()
            .map(|hs| {
                hs.iter()
                    .map(|h| units(h["balance"].as_str().unwrap_or_default()))
                    .fold(0u128, u128::saturating_add)
            })
            .unwrap_or(0);
        let bps = |k: &str| {
            let b = v[k].as_u64().unwrap_or(0);
            format!("{}.{:02} %", b / 100, b % 100)
        };
        let over = v["over"].as_bool().unwrap_or(false);
        rows.push_str(&format!(
            r#"<tr><th scope="row">{chain}</th><td class="num">{block}</td><td><code>{vault}</code></td><td class="num">{vault_balance}</td><td class="num">{allowance}</td><td class="num">{hot}</td><td class="num">{share}</td><td class="num">{line}</td><td class="{cls}">{state}</td></tr>"#,
            chain = escape(&s("chain")),
            block = v["block_number"].as_u64().unwrap_or(0),
            vault = escape(&s("vault")),
            vault_balance = amount("vault_balance"),
            allowance = amount("allowance"),
            hot = crate::risk::usdt(hot),
            share = bps("share_bps"),
            line = bps("max_share_bps"),
            cls = if over { "error" } else { "ok" },
            state = if over {
                format!("over: {} USDT to move back", amount("excess"))
            } else {
                "within the line".to_owned()
            },
        ));
    }
    format!(
        r#"<h2>Treasury watch</h2>
<p>Platform funds outside the time-locked vault: what its spending limits can still send plus the hot wallets, against vault plus hot wallets.</p>
<div class="scroll"><table id="treasury-watch"><thead><tr><th scope="col">Chain</th><th scope="col">Block</th><th scope="col">Vault</th><th scope="col">Vault balance</th><th scope="col">Hot allowance</th><th scope="col">Hot wallets</th><th scope="col">Outside share</th><th scope="col">Line</th><th scope="col">State</th></tr></thead><tbody>{rows}</tbody></table></div>"#
    )
}

/// The newest 50 alerts, with acknowledge / close forms on the live ones.
async fn alert_rows(ctx: &Ctx) -> Result<String, PageError> {
    let rows = alerts::list(&ctx.app.db, &Filter::default(), 50, None).await?;
    let csrf = html::csrf_input(ctx);
    let mut out = String::new();
    for a in rows {
        let s = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
        let id = escape(&s("id"));
        let state = s("state");
        let who = match state.as_str() {
            "acknowledged" => format!(" by {}", escape(&s("acknowledged_by"))),
            "closed" => format!(
                " by {}: {}",
                escape(&s("closed_by")),
                escape(&s("close_note"))
            ),
            "withdrawn" => format!(": {}", escape(&s("withdrawn_reason"))),
            _ => String::new(),
        };
        let code_a = html::code_input(&format!("ack-code-{id}"));
        let code_c = html::code_input(&format!("close-code-{id}"));
        let actions = match state.as_str() {
            "open" | "acknowledged" => format!(
                r#"{ack}<form method="post" action="/dashboard/alerts/{id}/close" class="inline">{csrf}<input name="note" required maxlength="2000" placeholder="note" aria-label="closing note">{code_c}<button type="submit">Close</button></form>"#,
                ack = if state == "open" {
                    format!(
                        r#"<form method="post" action="/dashboard/alerts/{id}/acknowledge" class="inline">{csrf}{code_a}<button type="submit">Acknowledge</button></form>"#
                    )
                } else {
                    String::new()
                },
            ),
            _ => String::new(),
        };
        out.push_str(&format!(
            r#"<tr id="alert-{id}"><td>{raised}</td><td>{sev}</td><td>{rule}</td><td>{chain}</td><td><code>{subject}</code></td><td>{summary}</td><td><span class="status">{st}</span>{who}</td><td>{actions}</td></tr>"#,
            raised = html::time_ms(a["created_at"].as_i64().unwrap_or(0)),
            sev = escape(&s("severity")),
            rule = escape(&s("rule")),
            chain = escape(&s("chain")),
            subject = escape(&s("subject")),
            summary = escape(&s("summary")),
            st = escape(&state),
        ));
    }
    Ok(out)
}

async fn alert_move(ctx: Ctx, id: String, form: HashMap<String, String>, m: Move) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.operator()?;
    let note = form.get("note").map(|n| n.trim()).filter(|n| !n.is_empty());
    if m == Move::Close && note.is_none_or(|n| n.chars().count() > 2000) {
        return Err(PageError::BadRequest(
            "Closing an alert needs a note (at most 2000 characters).".into(),
        ));
    }
    fresh_code(&ctx, &form).await?;
    match alerts::transition(&ctx.app.db, &id, m, &ctx.session.address, note).await {
        Ok(_) => {
            ctx.app.outbox.notify_one();
            Ok(Redirect::to("/dashboard#alerts").into_response())
        }
        Err(p) if p.status == axum::http::StatusCode::NOT_FOUND => Err(PageError::NotFound),
        Err(p) => Err(PageError::BadRequest(p.message)),
    }
}

/// `POST /dashboard/alerts/{id}/acknowledge` (operator, CSRF, fresh TOTP code).
pub(super) async fn acknowledge_alert(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    alert_move(ctx, id, form, Move::Acknowledge).await
}

/// `POST /dashboard/alerts/{id}/close` with a note (operator, CSRF, fresh TOTP code).
pub(super) async fn close_alert(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    alert_move(ctx, id, form, Move::Close).await
}
