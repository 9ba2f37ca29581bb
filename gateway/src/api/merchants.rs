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
pub(super) async fn me(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
) -> Result<Json<Value>, Problem> {
    let merchant = merchants::get(&app.db, &m)
        .await?
        .ok_or_else(|| Problem::not_found("merchant"))?;
    Ok(Json(json!(merchant)))
}
