//! `/v1/acceptor/...`: the acceptor's own API, with its own keys (`ak_...`, scoped to
//! one acceptor address; a merchant key is refused here and an acceptor key on the
//! merchant routes). Presence (online, offline, heartbeat; a missed heartbeat makes
//! it ineligible), its orders, accepting or declining an offer. Every action is
//! idempotent by nature (saying online twice, accepting an accepted order).

use axum::{
    Extension, Json,
    extract::{Path, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use sqlx::Row;

use crate::{
    orders::{
        acceptors::{self, AcceptorRecord, Presence, show},
        offers,
    },
    problem::Problem,
    state::AppState,
};

/// The acceptor a request acts for (set by [`acceptor_key`]).
#[derive(Debug, Clone)]
pub struct AcceptorId(pub String);

/// Requires a valid acceptor key; stores the acceptor in the request extensions.
pub async fn acceptor_key(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            req.headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
        })
        .map(str::trim);
    let Some(key) = key else {
        return Problem::unauthorized(
            "an acceptor API key is required (Authorization: Bearer <key>)",
        )
        .into_response();
    };
    match acceptors::acceptor_of_key(&app.db, key).await {
        Ok(Some(a)) => {
            req.extensions_mut().insert(AcceptorId(a));
            next.run(req).await
        }
        Ok(None) => Problem::unauthorized("unknown or revoked acceptor key").into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

async fn me(app: &AppState, id: &str) -> Result<AcceptorRecord, Problem> {
    acceptors::get(&app.db, id)
        .await?
        .ok_or_else(|| Problem::unauthorized("unknown acceptor"))
}

/// The acceptor with its presence and what the chain says of it.
async fn profile(app: &AppState, a: &AcceptorRecord) -> Result<Value, Problem> {
    let row = sqlx::query(
        "SELECT CAST(available AS TEXT), CAST(locked AS TEXT), CAST(roles AS BIGINT), CAST(kyc_level AS BIGINT), CASE WHEN online THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END, CAST(max_per_deal AS TEXT), CAST(max_locked AS TEXT) FROM escrow_accounts WHERE chain = $1 AND address = $2",
    )
    .bind(&a.chain)
    .bind(&a.address)
    .fetch_optional(&app.db.pool)
    .await?;
    let chain = match row {
        None => Value::Null,
        Some(r) => {
            let amount = |i: usize| -> Result<String, sqlx::Error> {
                let s: String = r.try_get(i)?;
                Ok(s.parse::<u64>().map(show).unwrap_or(s))
            };
            json!({
                "available": amount(0)?,
                "locked": amount(1)?,
                "roles": r.try_get::<i64, _>(2)?,
                "kyc_level": r.try_get::<i64, _>(3)?,
                "online": r.try_get::<i64, _>(4)? != 0,
                "max_per_deal": amount(5)?,
                "max_locked": amount(6)?,
            })
        }
    };
    let timeout = i64::try_from(app.config.dispatch.heartbeat_timeout_secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    let fresh = crate::store::now_ms().saturating_sub(a.last_heartbeat) <= timeout;
    Ok(json!({
        "id": a.id,
        "chain": a.chain,
        "address": a.address,
        "name": a.name,
        "currencies": a.currencies,
        "min_amount": show(a.min_amount),
        "max_amount": (a.max_amount != 0).then(|| show(a.max_amount)),
        "online": a.online,
        "last_heartbeat": a.last_heartbeat / 1000,
        "heartbeat_timeout_secs": app.config.dispatch.heartbeat_timeout_secs,
        "present": a.online && fresh,
        "on_chain": chain,
    }))
}

/// `GET /v1/acceptor`: the caller, its presence and its account on chain.
#[utoipa::path(get, path = "/v1/acceptor", responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid acceptor key", body = Object)), security(("acceptor_key" = [])))]
pub(super) async fn get_me(
    State(app): State<AppState>,
    Extension(AcceptorId(id)): Extension<AcceptorId>,
) -> Result<Json<Value>, Problem> {
    let a = me(&app, &id).await?;
    Ok(Json(profile(&app, &a).await?))
}

async fn presence(app: AppState, id: String, p: Presence) -> Result<Json<Value>, Problem> {
    me(&app, &id).await?;
    let a = acceptors::set_presence(&app.db, &id, p).await?;
    Ok(Json(profile(&app, &a).await?))
}

/// `POST /v1/acceptor/online`: ready for orders (also a heartbeat).
#[utoipa::path(post, path = "/v1/acceptor/online", responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid acceptor key", body = Object)), security(("acceptor_key" = [])))]
pub(super) async fn online(
    State(app): State<AppState>,
    Extension(AcceptorId(id)): Extension<AcceptorId>,
) -> Result<Json<Value>, Problem> {
    presence(app, id, Presence::Online).await
}

/// `POST /v1/acceptor/offline`: no new orders.
#[utoipa::path(post, path = "/v1/acceptor/offline", responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid acceptor key", body = Object)), security(("acceptor_key" = [])))]
pub(super) async fn offline(
    State(app): State<AppState>,
    Extension(AcceptorId(id)): Extension<AcceptorId>,
) -> Result<Json<Value>, Problem> {
    presence(app, id, Presence::Offline).await
}

/// `POST /v1/acceptor/heartbeat`: still there; without one within
/// `dispatch.heartbeat_timeout_secs` the acceptor gets no orders.
#[utoipa::path(post, path = "/v1/acceptor/heartbeat", responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid acceptor key", body = Object)), security(("acceptor_key" = [])))]
pub(super) async fn heartbeat(
    State(app): State<AppState>,
    Extension(AcceptorId(id)): Extension<AcceptorId>,
) -> Result<Json<Value>, Problem> {
    presence(app, id, Presence::Heartbeat).await
}

/// `GET /v1/acceptor/orders`: the orders it holds (offers with `offer_expires_at`;
/// payouts with the merchant's bank account).
#[utoipa::path(get, path = "/v1/acceptor/orders", responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid acceptor key", body = Object)), security(("acceptor_key" = [])))]
pub(super) async fn orders(
    State(app): State<AppState>,
    Extension(AcceptorId(id)): Extension<AcceptorId>,
) -> Result<Json<Value>, Problem> {
    let a = me(&app, &id).await?;
    Ok(Json(json!({ "data": offers::list(&app, &a).await? })))
}

/// `POST /v1/acceptor/orders/{id}/accept`: accepts an offer before it expires.
#[utoipa::path(post, path = "/v1/acceptor/orders/{id}/accept", params(("id" = String, Path, description = "order id")), responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid acceptor key", body = Object), (status = 404, description = "not an order of this acceptor", body = Object), (status = 409, description = "the offer expired or changed", body = Object)), security(("acceptor_key" = [])))]
pub(super) async fn accept(
    State(app): State<AppState>,
    Extension(AcceptorId(id)): Extension<AcceptorId>,
    Path(order): Path<String>,
) -> Result<Json<Value>, Problem> {
    let a = me(&app, &id).await?;
    Ok(Json(offers::accept(&app, &a, &order).await?))
}

/// `POST /v1/acceptor/orders/{id}/decline`: the order goes to another acceptor.
#[utoipa::path(post, path = "/v1/acceptor/orders/{id}/decline", params(("id" = String, Path, description = "order id")), responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid acceptor key", body = Object), (status = 404, description = "not an order of this acceptor", body = Object), (status = 409, description = "not an offer any more", body = Object)), security(("acceptor_key" = [])))]
pub(super) async fn decline(
    State(app): State<AppState>,
    Extension(AcceptorId(id)): Extension<AcceptorId>,
    Path(order): Path<String>,
) -> Result<Json<Value>, Problem> {
    let a = me(&app, &id).await?;
    Ok(Json(offers::decline(&app, &a, &order).await?))
}
