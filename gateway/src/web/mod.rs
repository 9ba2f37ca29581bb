//! The hosted checkout page `/pay/{invoice}`: server-rendered HTML with the amount,
//! address, payment URI, QR code and a countdown; a small script (served here, no
//! CDN) polls `/pay/{invoice}/status` and follows the state without a reload.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::header,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use crate::{invoices, problem::Problem, state::AppState};

pub mod dashboard;

const SCRIPT: &str = include_str!("assets/checkout.js");
const STYLE: &str = include_str!("assets/checkout.css");

/// The checkout routes (public: an invoice id is unguessable).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pay/{id}", get(page))
        .route("/pay/{id}/status", get(status))
        .route("/pay/{id}/qr.svg", get(qr))
        .route(
            "/assets/checkout.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    SCRIPT,
                )
            }),
        )
        .route(
            "/assets/checkout.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }),
        )
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn public_view(app: &AppState, id: &str) -> Result<Value, Problem> {
    let inv = invoices::get(&app.db, None, id)
        .await?
        .ok_or_else(|| Problem::not_found("invoice"))?;
    let v = inv.view(app, &[], false);
    Ok(json!({
        "id": v["id"],
        "status": v["status"],
        "additional_status": v["additional_status"],
        "chain": v["chain"],
        "unique_amount": v["unique_amount"],
        "address": v["address"],
        "payment_uri": v["payment_uri"],
        "paid": v["paid"],
        "expires_at": v["expires_at"],
        "redirect_url": v["redirect_url"],
    }))
}

async fn status(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(public_view(&app, &id).await?))
}

async fn qr(State(app): State<AppState>, Path(id): Path<String>) -> Result<Response, Problem> {
    let v = public_view(&app, &id).await?;
    let svg = v["payment_uri"]
        .as_str()
        .and_then(invoices::uri::qr_svg)
        .ok_or_else(|| Problem::not_found("payment URI"))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn page(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, Problem> {
    let v = public_view(&app, &id).await?;
    let s = |k: &str| escape(v[k].as_str().unwrap_or(""));
    let amount = s("unique_amount");
    let uri = s("payment_uri");
    Ok(Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pay {amount} USDT</title>
<link rel="stylesheet" href="/assets/checkout.css">
</head>
<body>
<main id="checkout" data-invoice="{id}" data-expires="{expires}">
  <h1>Pay <span id="amount">{amount}</span> USDT</h1>
  <p class="hint">Send exactly this amount on <strong>{chain}</strong>: the last digits identify your payment.</p>
  <figure><img src="/pay/{id}/qr.svg" width="240" height="240" alt="QR code of the payment request for {amount} USDT to {address}"></figure>
  <dl>
    <dt>Address</dt><dd><code id="address">{address}</code></dd>
    <dt>Amount</dt><dd><code>{amount}</code> USDT</dd>
    <dt>Wallet link</dt><dd><a id="uri" href="{uri}">Open in wallet</a></dd>
    <dt>Time left</dt><dd><span id="countdown" aria-live="off">--:--</span></dd>
  </dl>
  <p id="status" role="status" aria-live="polite" data-status="{status}">Status: {status}</p>
  <noscript><p>Reload this page to see the payment status.</p></noscript>
</main>
<script src="/assets/checkout.js" defer></script>
</body>
</html>
"#,
        id = s("id"),
        expires = v["expires_at"].as_i64().unwrap_or(0),
        chain = s("chain"),
        address = s("address"),
        status = s("status"),
    )))
}
