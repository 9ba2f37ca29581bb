//! `/v1/collections` and `/v1/payouts`.

use std::collections::HashMap;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde_json::{Value, json};

use crate::{
    api::{auth::MerchantId, only, page},
    input::Fields,
    orders,
    problem::Problem,
    state::AppState,
};

async fn create(
    app: AppState,
    m: String,
    kind: &str,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let v = Fields::parse(&body)?;
    let o = orders::create(&app, &m, kind, &v).await?;
    Ok((StatusCode::CREATED, Json(o.view())))
}

async fn get(app: AppState, m: String, kind: &str, id: String) -> Result<Json<Value>, Problem> {
    orders::get(&app, &m, kind, &id)
        .await?
        .map(|o| Json(o.view()))
        .ok_or_else(|| Problem::not_found(kind))
}

async fn list(
    app: AppState,
    m: String,
    kind: &str,
    q: HashMap<String, String>,
) -> Result<Json<Value>, Problem> {
    only(&q, &["limit", "after"])?;
    let (limit, after) = page(&q)?;
    let rows = orders::list(&app, &m, kind, after.as_deref(), limit).await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|o| o.id.clone()))
        .flatten();
    Ok(Json(
        json!({ "data": rows.iter().map(orders::Order::view).collect::<Vec<_>>(), "next": next }),
    ))
}

async fn cancel(app: AppState, m: String, kind: &str, id: String) -> Result<Json<Value>, Problem> {
    Ok(Json(orders::cancel(&app, &m, kind, &id).await?.view()))
}

macro_rules! routes {
    ($kind:literal, $base:tt, $one:tt, $cancel_path:tt, $body:ty, $create:ident, $get:ident, $list:ident, $cancel:ident) => {
        /// `POST` (create).
        #[utoipa::path(post, path = $base, request_body = $body, params(("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
        pub(super) async fn $create(
            State(app): State<AppState>,
            Extension(MerchantId(m)): Extension<MerchantId>,
            body: Bytes,
        ) -> Result<(StatusCode, Json<Value>), Problem> {
            create(app, m, $kind, body).await
        }
        /// `GET /{id}`.
        #[utoipa::path(get, path = $one, params(("id" = String, Path, description = "object id")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
        pub(super) async fn $get(
            State(app): State<AppState>,
            Extension(MerchantId(m)): Extension<MerchantId>,
            Path(id): Path<String>,
        ) -> Result<Json<Value>, Problem> {
            get(app, m, $kind, id).await
        }
        /// `GET` (list, newest first).
        #[utoipa::path(get, path = $base, params(("limit" = Option<u32>, Query, description = "1..=100"), ("after" = Option<String>, Query, description = "the previous page's next")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
        pub(super) async fn $list(
            State(app): State<AppState>,
            Extension(MerchantId(m)): Extension<MerchantId>,
            Query(q): Query<HashMap<String, String>>,
        ) -> Result<Json<Value>, Problem> {
            list(app, m, $kind, q).await
        }
        /// `POST /{id}/cancel`.
        #[utoipa::path(post, path = $cancel_path, params(("id" = String, Path, description = "object id"), ("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
        pub(super) async fn $cancel(
            State(app): State<AppState>,
            Extension(MerchantId(m)): Extension<MerchantId>,
            Path(id): Path<String>,
        ) -> Result<Json<Value>, Problem> {
            cancel(app, m, $kind, id).await
        }
    };
}

routes!(
    "collection",
    "/v1/collections",
    "/v1/collections/{id}",
    "/v1/collections/{id}/cancel",
    crate::api::schemas::CollectionCreate,
    create_collection,
    get_collection,
    list_collections,
    cancel_collection
);
routes!(
    "payout",
    "/v1/payouts",
    "/v1/payouts/{id}",
    "/v1/payouts/{id}/cancel",
    crate::api::schemas::PayoutCreate,
    create_payout,
    get_payout,
    list_payouts,
    cancel_payout
);
