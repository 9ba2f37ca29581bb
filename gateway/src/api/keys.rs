//! Admin: list and revoke the API keys of a merchant or an acceptor
//! (`/admin/{merchants|acceptors}/{id}/api-keys[/{key_id}]`). Keys are created by
//! the routes beside their owner (`merchants.rs`, `dispatch.rs`); a revoked key is
//! refused from its next request on.

use axum::{
    Json,
    extract::{Path, State},
};
use serde_json::{Value, json};

use crate::{
    auth::revoke::{self, KeyOwner},
    merchants,
    orders::acceptors,
    problem::Problem,
    state::AppState,
};

/// 404 unless the owner exists (so an unknown owner is not an empty list).
async fn known(app: &AppState, owner: KeyOwner<'_>) -> Result<(), Problem> {
    let found = match owner {
        KeyOwner::Merchant(id) => merchants::get(&app.db, id).await?.is_some(),
        KeyOwner::Acceptor(id) => acceptors::get(&app.db, id).await?.is_some(),
    };
    if found {
        Ok(())
    } else {
        Err(Problem::not_found(match owner {
            KeyOwner::Merchant(_) => "merchant",
            KeyOwner::Acceptor(_) => "acceptor",
        }))
    }
}

async fn list(app: &AppState, owner: KeyOwner<'_>) -> Result<Json<Value>, Problem> {
    known(app, owner).await?;
    let keys = revoke::list_keys(&app.db, owner).await?;
    Ok(Json(json!({ "data": keys })))
}

async fn revoke(app: &AppState, owner: KeyOwner<'_>, key_id: &str) -> Result<Json<Value>, Problem> {
    known(app, owner).await?;
    match revoke::revoke_key(&app.db, owner, key_id).await? {
        Some(key) => {
            tracing::info!(key = %key.id, "API key revoked");
            Ok(Json(json!(key)))
        }
        None => Err(Problem::not_found("api key")),
    }
}

/// `GET /admin/merchants/{id}/api-keys`: the merchant's keys (never the keys
/// themselves), newest first.
#[utoipa::path(get, path = "/admin/merchants/{id}/api-keys", params(("id" = String, Path, description = "merchant id")), responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "no such merchant", body = Object)), security(("admin_token" = [])))]
pub(super) async fn list_merchant_keys(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    list(&app, KeyOwner::Merchant(&id)).await
}

/// `DELETE /admin/merchants/{id}/api-keys/{key_id}`: revokes the key (again: the
/// same answer, revoked at the first time).
#[utoipa::path(delete, path = "/admin/merchants/{id}/api-keys/{key_id}", params(("id" = String, Path, description = "merchant id"), ("key_id" = String, Path, description = "key id")), responses((status = 200, description = "revoked", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "no such merchant, or not a key of it", body = Object)), security(("admin_token" = [])))]
pub(super) async fn revoke_merchant_key(
    State(app): State<AppState>,
    Path((id, key_id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    revoke(&app, KeyOwner::Merchant(&id), &key_id).await
}

/// `GET /admin/acceptors/{id}/api-keys`: the acceptor's keys (never the keys
/// themselves), newest first.
#[utoipa::path(get, path = "/admin/acceptors/{id}/api-keys", params(("id" = String, Path, description = "acceptor id")), responses((status = 200, description = "ok", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "no such acceptor", body = Object)), security(("admin_token" = [])))]
pub(super) async fn list_acceptor_keys(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    list(&app, KeyOwner::Acceptor(&id)).await
}

/// `DELETE /admin/acceptors/{id}/api-keys/{key_id}`: revokes the key (again: the
/// same answer, revoked at the first time).
#[utoipa::path(delete, path = "/admin/acceptors/{id}/api-keys/{key_id}", params(("id" = String, Path, description = "acceptor id"), ("key_id" = String, Path, description = "key id")), responses((status = 200, description = "revoked", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "no such acceptor, or not a key of it", body = Object)), security(("admin_token" = [])))]
pub(super) async fn revoke_acceptor_key(
    State(app): State<AppState>,
    Path((id, key_id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    revoke(&app, KeyOwner::Acceptor(&id), &key_id).await
}
