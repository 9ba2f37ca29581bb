//! Admin: register merchants and issue their API keys; merchants read their profile.

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use serde_json::{Value, json};

use crate::{
    api::auth::MerchantId,
    auth,
    input::Fields,
    merchants::{self, NewMerchant},
    problem::Problem,
    state::AppState,
};

/// `POST /admin/merchants`: the merchant and its first API key (shown once).
#[utoipa::path(post, path = "/admin/merchants", request_body = crate::api::schemas::MerchantCreate, params(("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 202, description = "accepted", body = Object), (status = 204, description = "done"), (status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("admin_token" = [])))]
pub(super) async fn create(
    State(app): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let v = Fields::parse(&body)?;
    let m = NewMerchant::from_json(&app.config, &v)?;
    let merchant = merchants::create(&app.db, &m).await?;
    let (key_id, key) = auth::create_key(&app.db, &merchant.id, "default").await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "merchant": merchant, "api_key": { "id": key_id, "key": key } })),
    ))
}

/// `POST /admin/merchants/{id}/api-keys` with `{name?}`: another key (shown once).
#[utoipa::path(post, path = "/admin/merchants/{id}/api-keys", request_body = crate::api::schemas::KeyCreate, params(("id" = String, Path, description = "object id"), ("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 202, description = "accepted", body = Object), (status = 204, description = "done"), (status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("admin_token" = [])))]
pub(super) async fn create_key(
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
    if merchants::get(&app.db, &id).await?.is_none() {
        return Err(Problem::not_found("merchant"));
    }
    let (key_id, key) = auth::create_key(&app.db, &id, &name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": key_id, "key": key })),
    ))
}

/// `GET /v1/merchant`: the caller's merchant.
#[utoipa::path(get, path = "/v1/merchant", responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn me(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
) -> Result<Json<Value>, Problem> {
    let merchant = merchants::get(&app.db, &m)
        .await?
        .ok_or_else(|| Problem::not_found("merchant"))?;
    Ok(Json(json!(merchant)))
}
