//! The operator's risk routes (`/admin/risk/...`, admin token only): alerts with
//! filters and pagination, one alert with its evidence, acknowledge, close with a
//! note, the screening list's reload; and the operator's own webhook endpoints
//! (`/admin/webhooks`), which receive the `risk.alert.*` events. A merchant key is
//! refused with 403 and changes nothing.

use std::collections::HashMap;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::{
    api::{only, page},
    input::Fields,
    problem::Problem,
    risk::{
        OPERATOR, Severity,
        alerts::{self, Filter, Move, STATES},
        reports::{self, Report},
    },
    state::AppState,
    webhooks::endpoints,
};

/// Requires the admin token; a valid merchant key gets 403 (it is known, and it is
/// not the operator), anything else 401.
pub(super) async fn operator_only(
    State(app): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let expected = std::env::var(&app.config.admin_token_env).unwrap_or_default();
    let presented = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| req.headers().get("x-api-key").and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .map(str::to_owned);
    match presented {
        Some(t) if !expected.is_empty() && crate::auth::constant_time_eq(&t, &expected) => {
            next.run(req).await
        }
        Some(t) => match crate::auth::merchant_of_key(&app.db, &t).await {
            Ok(Some(_)) => Problem {
                status: StatusCode::FORBIDDEN,
                code: "forbidden",
                message: "operator routes need the admin token".into(),
                field: None,
            }
            .into_response(),
            Ok(None) => Problem::unauthorized("the admin token is required").into_response(),
            Err(e) => Problem::from(e).into_response(),
        },
        None => Problem::unauthorized("the admin token is required").into_response(),
    }
}

fn one_of(
    q: &HashMap<String, String>,
    k: &str,
    allowed: &[&str],
) -> Result<Option<String>, Problem> {
    match q.get(k) {
        None => Ok(None),
        Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v.clone())),
        Some(_) => Err(Problem::field(k, format!("one of {}", allowed.join(", ")))),
    }
}

/// `GET /admin/risk/alerts?state=&rule=&severity=&chain=&subject=&limit=&after=`:
/// newest first.
#[utoipa::path(get, path = "/admin/risk/alerts", params(("state" = Option<String>, Query, description = "open, acknowledged, closed, withdrawn"), ("rule" = Option<String>, Query, description = "rule name"), ("severity" = Option<String>, Query, description = "low, medium, high, critical"), ("chain" = Option<String>, Query, description = "chain"), ("subject" = Option<String>, Query, description = "address, deal id, chain"), ("limit" = Option<u32>, Query, description = "1..=100"), ("after" = Option<String>, Query, description = "alert id of the previous page's last row")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object)), security(("admin_token" = [])))]
pub(super) async fn list(
    State(app): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    only(
        &q,
        &[
            "state", "rule", "severity", "chain", "subject", "limit", "after",
        ],
    )?;
    let (limit, after) = page(&q)?;
    let severities = [
        Severity::Low.as_str(),
        Severity::Medium.as_str(),
        Severity::High.as_str(),
        Severity::Critical.as_str(),
    ];
    let filter = Filter {
        state: one_of(&q, "state", &STATES)?,
        severity: one_of(&q, "severity", &severities)?,
        rule: q.get("rule").cloned(),
        chain: q.get("chain").cloned(),
        subject: q.get("subject").cloned(),
    };
    let rows = alerts::list(&app.db, &filter, limit, after.as_deref()).await?;
    let next = (rows.len() == limit as usize)
        .then(|| {
            rows.last()
                .and_then(|r| r["id"].as_str())
                .map(str::to_owned)
        })
        .flatten();
    Ok(Json(json!({ "data": rows, "next_after": next })))
}

/// `GET /admin/risk/alerts/{id}`: the alert and its evidence rows.
#[utoipa::path(get, path = "/admin/risk/alerts/{id}", params(("id" = String, Path, description = "alert id")), responses((status = 200, description = "ok", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object), (status = 404, description = "not found", body = Object)), security(("admin_token" = [])))]
pub(super) async fn get(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    alerts::get(&app.db, &id)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::not_found("alert"))
}

/// `by` (who acts, required) and `note` (required to close).
fn actor(body: &Bytes, need_note: bool) -> Result<(String, Option<String>), Problem> {
    let v = Fields::parse(body)?;
    let f = Fields::of(&v, "", &["by", "note"])?;
    let by = f.str("by", 200)?.to_owned();
    let note = if need_note {
        Some(f.str("note", 2000)?.to_owned())
    } else {
        match f.opt_str("note")? {
            Some(n) if n.chars().count() > 2000 => {
                return Err(Problem::field("note", "at most 2000 characters"));
            }
            n => n.map(str::to_owned),
        }
    };
    Ok((by, note))
}

/// `POST /admin/risk/alerts/{id}/acknowledge` with `{by}`.
#[utoipa::path(post, path = "/admin/risk/alerts/{id}/acknowledge", params(("id" = String, Path, description = "alert id")), request_body = crate::api::schemas::AlertAcknowledge, responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "the state does not allow it", body = Object)), security(("admin_token" = [])))]
pub(super) async fn acknowledge(
    State(app): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let (by, note) = actor(&body, false)?;
    Ok(Json(
        alerts::transition(&app.db, &id, Move::Acknowledge, &by, note.as_deref()).await?,
    ))
    .inspect(|_| app.outbox.notify_one())
}

/// `POST /admin/risk/alerts/{id}/close` with `{by, note}`.
#[utoipa::path(post, path = "/admin/risk/alerts/{id}/close", params(("id" = String, Path, description = "alert id")), request_body = crate::api::schemas::AlertClose, responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "the state does not allow it", body = Object)), security(("admin_token" = [])))]
pub(super) async fn close(
    State(app): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let (by, note) = actor(&body, true)?;
    Ok(Json(
        alerts::transition(&app.db, &id, Move::Close, &by, note.as_deref()).await?,
    ))
    .inspect(|_| app.outbox.notify_one())
}

/// `POST /admin/risk/screening/reload`: reads the screening file again; answers
/// how many addresses loaded and the refused lines with their numbers.
#[utoipa::path(post, path = "/admin/risk/screening/reload", responses((status = 200, description = "ok", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object)), security(("admin_token" = [])))]
pub(super) async fn reload_screening(State(app): State<AppState>) -> Json<Value> {
    let report = app.risk.screening.reload();
    Json(serde_json::to_value(report).unwrap_or_default())
}

/// `GET /admin/risk/treasury`: the latest treasury measurement of each watched
/// chain (vault, allowance, hot wallets, outside share against the line).
#[utoipa::path(get, path = "/admin/risk/treasury", responses((status = 200, description = "ok", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object)), security(("admin_token" = [])))]
pub(super) async fn treasury(State(app): State<AppState>) -> Json<Value> {
    Json(json!({ "data": app.risk.treasury_views() }))
}

/// `POST /admin/webhooks` with `{url, events?}`: an operator endpoint (receives
/// `risk.alert.*`); the answer carries the `whsec_` secret (only here).
#[utoipa::path(post, path = "/admin/webhooks", request_body = crate::api::schemas::WebhookCreate, responses((status = 201, description = "created", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object)), security(("admin_token" = [])))]
pub(super) async fn create_webhook(
    State(app): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let v = Fields::parse(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(endpoints::create(&app, OPERATOR, &v).await?),
    ))
}

/// `GET /admin/webhooks`: the operator's endpoints.
#[utoipa::path(get, path = "/admin/webhooks", responses((status = 200, description = "ok", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object)), security(("admin_token" = [])))]
pub(super) async fn list_webhooks(State(app): State<AppState>) -> Result<Json<Value>, Problem> {
    Ok(Json(
        json!({ "data": endpoints::list(&app.db, OPERATOR).await? }),
    ))
}

/// `GET /admin/webhooks/{id}/deliveries?limit=`: the delivery log, newest first.
#[utoipa::path(get, path = "/admin/webhooks/{id}/deliveries", params(("id" = String, Path, description = "endpoint id"), ("limit" = Option<u32>, Query, description = "1..=100")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object), (status = 404, description = "not found", body = Object)), security(("admin_token" = [])))]
pub(super) async fn webhook_deliveries(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    only(&q, &["limit"])?;
    let (limit, _) = page(&q)?;
    if endpoints::get(&app.db, OPERATOR, &id).await?.is_none() {
        return Err(Problem::not_found("webhook endpoint"));
    }
    Ok(Json(
        json!({ "data": endpoints::deliveries(&app.db, OPERATOR, &id, limit).await? }),
    ))
}

/// A report as `format=json` (default) or `format=csv`.
fn render(report: &Report, q: &HashMap<String, String>) -> Result<Response, Problem> {
    let (body, kind) = match q.get("format").map(String::as_str) {
        None | Some("json") => (report.json(), "application/json"),
        Some("csv") => (report.csv(), "text/csv; charset=utf-8"),
        Some(_) => return Err(Problem::field("format", "json or csv")),
    };
    Ok(([(axum::http::header::CONTENT_TYPE, kind)], body).into_response())
}

fn seconds(q: &HashMap<String, String>, k: &str) -> Result<i64, Problem> {
    q.get(k)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| (0..=253_402_300_799).contains(v))
        .ok_or_else(|| Problem::field(k, "Unix seconds (required)"))
}

/// `GET /admin/reports/merchants/{id}?from=&to=&format=json|csv`: volume, fees,
/// settlements, counterparties and alerts of one merchant for chain times
/// `[from, to)` (Unix seconds), with a checksum. The same period gives the same bytes.
#[utoipa::path(get, path = "/admin/reports/merchants/{id}", params(("id" = String, Path, description = "merchant id"), ("from" = i64, Query, description = "Unix seconds, inclusive"), ("to" = i64, Query, description = "Unix seconds, exclusive"), ("format" = Option<String>, Query, description = "json (default) or csv")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object), (status = 404, description = "not found", body = Object)), security(("admin_token" = [])))]
pub(super) async fn merchant_report(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Problem> {
    only(&q, &["from", "to", "format"])?;
    let (from, to) = (seconds(&q, "from")?, seconds(&q, "to")?);
    if to <= from {
        return Err(Problem::field("to", "must be after from"));
    }
    let report = reports::merchant(&app.db, &id, from, to)
        .await?
        .ok_or_else(|| Problem::not_found("merchant"))?;
    render(&report, &q)
}

/// `GET /admin/reports/platform?day=YYYY-MM-DD&format=json|csv`: the platform's day
/// (UTC) per chain: transfers, settled deals, fees, invoices, alerts.
#[utoipa::path(get, path = "/admin/reports/platform", params(("day" = String, Query, description = "YYYY-MM-DD (UTC)"), ("format" = Option<String>, Query, description = "json (default) or csv")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no admin token", body = Object), (status = 403, description = "a merchant key", body = Object)), security(("admin_token" = [])))]
pub(super) async fn platform_report(
    State(app): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Problem> {
    only(&q, &["day", "format"])?;
    let day = q
        .get("day")
        .and_then(|d| reports::parse_day(d))
        .ok_or_else(|| Problem::field("day", "a date YYYY-MM-DD"))?;
    let report = reports::platform_day(&app.db, day).await?;
    render(&report, &q)
}
