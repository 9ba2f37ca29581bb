//! The dispatcher's routes besides the acceptor's own: the decision log of an order
//! (merchant: `/v1/{collections|payouts}/{id}/decisions`, its own orders only;
//! admin: `/admin/orders/{id}/decisions`), and the admin's acceptor registry
//! (`/admin/acceptors`, keys).

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use serde_json::{Value, json};

use crate::{
    api::auth::MerchantId,
    input::Fields,
    orders::{
        self,
        acceptors::{self, NewAcceptor},
        decisions,
    },
    problem::Problem,
    state::AppState,
};

fn listing(rows: &[decisions::StoredDecision]) -> Json<Value> {
    Json(json!({ "data": rows.iter().map(decisions::StoredDecision::view).collect::<Vec<_>>() }))
}

async fn of_merchant(
    app: AppState,
    m: String,
    kind: &str,
    id: String,
) -> Result<Json<Value>, Problem> {
    let rows = orders::decisions_of(&app, &m, kind, &id)
        .await?
        .ok_or_else(|| Problem::not_found(kind))?;
    Ok(listing(&rows))
}

/// `GET /v1/collections/{id}/decisions`: every dispatch decision of the collection.
#[utoipa::path(get, path = "/v1/collections/{id}/decisions", params(("id" = String, Path, description = "object id")), responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object)), security(("api_key" = [])))]
pub(super) async fn collection_decisions(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    of_merchant(app, m, "collection", id).await
}

/// `GET /v1/payouts/{id}/decisions`: every dispatch decision of the payout.
#[utoipa::path(get, path = "/v1/payouts/{id}/decisions", params(("id" = String, Path, description = "object id")), responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object)), security(("api_key" = [])))]
pub(super) async fn payout_decisions(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    of_merchant(app, m, "payout", id).await
}

/// `GET /admin/orders/{id}/decisions`: every dispatch decision of any order.
#[utoipa::path(get, path = "/admin/orders/{id}/decisions", params(("id" = String, Path, description = "order id")), responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object)), security(("admin_token" = [])))]
pub(super) async fn admin_decisions(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let rows = decisions::of_order(&app.db, &id).await?;
    if rows.is_empty() {
        let exists: Option<i64> = sqlx::query_scalar("SELECT seq FROM gw_orders WHERE id = $1")
            .bind(&id)
            .fetch_optional(&app.db.pool)
            .await?;
        if exists.is_none() {
            return Err(Problem::not_found("order"));
        }
    }
    Ok(listing(&rows))
}

/// `POST /admin/acceptors`: registers an acceptor and answers its first API key
/// (shown once).
#[utoipa::path(post, path = "/admin/acceptors", request_body = crate::api::schemas::AcceptorCreate, params(("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 409, description = "already an acceptor", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("admin_token" = [])))]
pub(super) async fn create_acceptor(
    State(app): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let v = Fields::parse(&body)?;
    let a = NewAcceptor::from_json(&app.config, &v)?;
    let acceptor = acceptors::create(&app.db, &a).await?;
    let (key_id, key) = acceptors::create_key(&app.db, &acceptor.id, "default").await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "acceptor": acceptor, "api_key": { "id": key_id, "key": key } })),
    ))
}

/// `POST /admin/acceptors/{id}/api-keys` with `{name?}`: another acceptor key
/// (shown once).
#[utoipa::path(post, path = "/admin/acceptors/{id}/api-keys", request_body = crate::api::schemas::KeyCreate, params(("id" = String, Path, description = "acceptor id"), ("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("admin_token" = [])))]
pub(super) async fn create_acceptor_key(
    State(app): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let name = if body.is_empty() {
        "key".to_owned()
    } else {
        let v = Fields::parse(&body)?;
        let f = Fields::of(&v, "", &["name"])?;
        f.opt_str("name")?.unwrap_or("key").to_owned()
    };
    if acceptors::get(&app.db, &id).await?.is_none() {
        return Err(Problem::not_found("acceptor"));
    }
    let (key_id, key) = acceptors::create_key(&app.db, &id, &name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": key_id, "key": key })),
    ))
}
