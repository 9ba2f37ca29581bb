//! `Idempotency-Key` on every POST: the first answer is stored with a hash of the
//! request and replayed byte for byte; the same key with another request is a 422;
//! a key whose first request is still running is a 409. Keys are scoped to the
//! merchant (or the admin). A request that failed validation (4xx) is stored too, as
//! Stripe does; a 5xx is not, so a retry runs again.
//!
//! Invoice creation (the hot path) records its answer in the invoice's own
//! transaction (`store::idempotency::record`): one commit per request, and a concurrent request with
//! the same key rolls back on the key's unique index and replays the winner's answer.
//! Other routes hold the key with a row written before the handler runs.

use axum::{
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{
    api::auth::MerchantId,
    invoices,
    problem::Problem,
    state::AppState,
    store::{idempotency::Slot, is_unique_violation, now_ms},
};

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;
/// How long a running first request holds its key.
const LOCK_MS: i64 = 30_000;

/// Set by a handler that recorded its answer with `store::idempotency::record`.
pub const RECORDED: &str = "x-stablerail-idempotency-recorded";
/// Set by a handler whose `store::idempotency::record` lost to a concurrent request (rolled back).
pub const TAKEN: &str = "x-stablerail-idempotency-taken";

/// Routes whose handler records the key itself.
fn in_transaction(path: &str) -> bool {
    path == "/v1/invoices"
}

/// The stored answer for an invoice create's key: 422 for another request, the
/// replay (a 201's record leaves out the QR code: [`invoices::replayed_answer`]), or
/// 409 while the first request still runs.
async fn stored(
    app: &AppState,
    scope: &str,
    key: &str,
    hash: &str,
) -> Result<Option<Response>, Response> {
    let internal = |e: sqlx::Error| Problem::from(e).into_response();
    let Some(row) = sqlx::query(
        "SELECT request_hash, status, body FROM gw_idempotency WHERE merchant_id = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(&app.db.pool)
    .await
    .map_err(internal)?
    else {
        return Ok(None);
    };
    let stored_hash: String = row.try_get(0).map_err(internal)?;
    if stored_hash != hash {
        return Ok(Some(
            Problem::unprocessable(
                "Idempotency-Key",
                "idempotency_key_reused",
                "this key was used with another request",
            )
            .into_response(),
        ));
    }
    match (
        row.try_get::<Option<i64>, _>(1).map_err(internal)?,
        row.try_get::<Option<String>, _>(2).map_err(internal)?,
    ) {
        (Some(201), Some(body)) => Ok(Some(replay(201, invoices::replayed_answer(body)))),
        (Some(status), Some(body)) => Ok(Some(replay(status, body))),
        _ => Ok(Some(
            Problem::conflict(
                "idempotency_key_in_use",
                "a request with this key is still running",
            )
            .into_response(),
        )),
    }
}

async fn run_in_transaction(app: &AppState, slot: Slot, mut req: Request, next: Next) -> Response {
    // No read before the handler: the create's own transaction finds a key already
    // used (the batch's insert of the record conflicts: `TAKEN`), and a refusal looks
    // for an earlier answer before storing its own. A first request, the common case,
    // saves a read; a replay costs the handler's read-only preparation.
    req.extensions_mut().insert(slot.clone());
    let mut resp = next.run(req).await;
    if resp.headers_mut().remove(RECORDED).is_some() {
        return resp;
    }
    let replayed = || async {
        match stored(app, slot.scope(), slot.key(), slot.hash()).await {
            Ok(Some(r)) | Err(r) => r,
            Ok(None) => Problem::internal().into_response(),
        }
    };
    if resp.headers().contains_key(TAKEN) {
        return replayed().await;
    }
    if !resp.status().is_client_error() {
        return resp;
    }
    // A refusal before any write: store it too, so a replay answers the same — unless
    // the key already holds an answer, which is the one to give.
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Problem::internal().into_response();
    };
    let inserted = sqlx::query(
        "INSERT INTO gw_idempotency (merchant_id, key, request_hash, status, body, locked_until, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT DO NOTHING",
    )
    .bind(slot.scope())
    .bind(slot.key())
    .bind(slot.hash())
    .bind(i64::from(parts.status.as_u16()))
    .bind(String::from_utf8_lossy(&bytes).into_owned())
    .bind(now_ms())
    .execute(&app.db.pool)
    .await;
    match inserted {
        Ok(r) if r.rows_affected() == 0 => replayed().await,
        Ok(_) => Response::from_parts(parts, Body::from(bytes)),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// The middleware (after authentication).
pub async fn layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get("idempotency-key")
        .map(|v| v.to_str().map(|s| s.trim().trim_matches('"').to_owned()))
    else {
        return next.run(req).await;
    };
    let key = match key {
        Ok(k) if !k.is_empty() && k.len() <= 255 => k,
        _ => {
            return Problem::field("Idempotency-Key", "1 to 255 visible ASCII characters")
                .into_response();
        }
    };
    let scope = req
        .extensions()
        .get::<MerchantId>()
        .map(|m| m.0.clone())
        .unwrap_or_default();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return Problem::field("body", format!("at most {MAX_BODY} bytes")).into_response();
    };
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update(b" ");
    h.update(parts.uri.path());
    h.update(b"\n");
    h.update(&bytes);
    let hash = hex::encode(h.finalize());
    if in_transaction(parts.uri.path()) {
        let slot = Slot::new(scope, key, hash);
        return run_in_transaction(
            &app,
            slot,
            Request::from_parts(parts, Body::from(bytes)),
            next,
        )
        .await;
    }
    match run(
        &app,
        &scope,
        &key,
        &hash,
        Request::from_parts(parts, Body::from(bytes)),
        next,
    )
    .await
    {
        Ok(r) | Err(r) => r,
    }
}

fn replay(status: i64, body: String) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}

async fn run(
    app: &AppState,
    scope: &str,
    key: &str,
    hash: &str,
    req: Request,
    next: Next,
) -> Result<Response, Response> {
    let db = &app.db;
    let internal = |e: sqlx::Error| Problem::from(e).into_response();
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO gw_idempotency (merchant_id, key, request_hash, status, body, locked_until, created_at) VALUES ($1, $2, $3, NULL, NULL, $4, $5)",
    )
    .bind(scope)
    .bind(key)
    .bind(hash)
    .bind(now + LOCK_MS)
    .bind(now)
    .execute(&db.pool)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            let row = sqlx::query(
                "SELECT request_hash, status, body, locked_until FROM gw_idempotency WHERE merchant_id = $1 AND key = $2",
            )
            .bind(scope)
            .bind(key)
            .fetch_one(&db.pool)
            .await
            .map_err(internal)?;
            let stored_hash: String = row.try_get(0).map_err(internal)?;
            if stored_hash != hash {
                return Err(Problem::unprocessable(
                    "Idempotency-Key",
                    "idempotency_key_reused",
                    "this key was used with another request",
                )
                .into_response());
            }
            if let (Some(status), Some(body)) = (
                row.try_get::<Option<i64>, _>(1).map_err(internal)?,
                row.try_get::<Option<String>, _>(2).map_err(internal)?,
            ) {
                return Ok(replay(status, body));
            }
            // Still running, or its process died: take it over once the lock expired.
            let taken = sqlx::query(
                "UPDATE gw_idempotency SET locked_until = $1 WHERE merchant_id = $2 AND key = $3 AND status IS NULL AND locked_until < $4",
            )
            .bind(now + LOCK_MS)
            .bind(scope)
            .bind(key)
            .bind(now)
            .execute(&db.pool)
            .await
            .map_err(internal)?;
            if taken.rows_affected() != 1 {
                return Err(Problem::conflict(
                    "idempotency_key_in_use",
                    "a request with this key is still running",
                )
                .into_response());
            }
        }
        Err(e) => return Err(internal(e)),
    }
    let resp = next.run(req).await;
    let status = resp.status();
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Err(Problem::internal().into_response());
    };
    if status.is_server_error() {
        let _ = sqlx::query(
            "DELETE FROM gw_idempotency WHERE merchant_id = $1 AND key = $2 AND status IS NULL",
        )
        .bind(scope)
        .bind(key)
        .execute(&db.pool)
        .await;
    } else {
        sqlx::query(
            "UPDATE gw_idempotency SET status = $1, body = $2 WHERE merchant_id = $3 AND key = $4",
        )
        .bind(i64::from(status.as_u16()))
        .bind(String::from_utf8_lossy(&bytes).into_owned())
        .bind(scope)
        .bind(key)
        .execute(&db.pool)
        .await
        .map_err(internal)?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}
