//! `/v1/webhooks` (endpoints) and `/v1/deliveries` (log, redelivery).

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
    error::Error,
    input::Fields,
    problem::Problem,
    state::AppState,
    webhooks::{endpoints, outbox},
};

/// `POST /v1/webhooks` with `{url, events?}`: the answer carries the `whsec_` secret
/// (only here).
#[utoipa::path(post, path = "/v1/webhooks", request_body = crate::api::schemas::WebhookCreate, params(("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 202, description = "accepted", body = Object), (status = 204, description = "done"), (status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn create(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let v = Fields::parse(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(endpoints::create(&app, &m, &v).await?),
    ))
}

/// `GET /v1/webhooks`.
#[utoipa::path(get, path = "/v1/webhooks", responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn list(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(json!({ "data": endpoints::list(&app.db, &m).await? })))
}

/// `GET /v1/webhooks/{id}`.
#[utoipa::path(get, path = "/v1/webhooks/{id}", params(("id" = String, Path, description = "object id")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn get(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    endpoints::get(&app.db, &m, &id)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::not_found("webhook endpoint"))
}

/// `DELETE /v1/webhooks/{id}`: disables it.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", params(("id" = String, Path, description = "object id")), responses((status = 201, description = "created", body = Object), (status = 202, description = "accepted", body = Object), (status = 204, description = "done"), (status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn disable(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    if endpoints::disable(&app.db, &m, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found("webhook endpoint"))
    }
}

/// `POST /v1/webhooks/{id}/rotate-secret`.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", params(("id" = String, Path, description = "object id"), ("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 202, description = "accepted", body = Object), (status = 204, description = "done"), (status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn rotate(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(endpoints::rotate(&app, &m, &id).await?))
}

/// `POST /v1/webhooks/{id}/test`: queues a `webhook.test` event to this endpoint's
/// merchant (every endpoint that wants it).
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", params(("id" = String, Path, description = "object id"), ("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 202, description = "accepted", body = Object), (status = 204, description = "done"), (status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn test(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    if endpoints::get(&app.db, &m, &id).await?.is_none() {
        return Err(Problem::not_found("webhook endpoint"));
    }
    let mut tx = app.db.begin().await?;
    let event = outbox::enqueue(
        &mut tx,
        &m,
        "webhook.test",
        &id,
        &json!({ "endpoint_id": id }),
    )
    .await?;
    tx.commit().await.map_err(Error::from)?;
    app.outbox.notify_one();
    Ok((StatusCode::ACCEPTED, Json(json!({ "event_id": event }))))
}

/// `GET /v1/webhooks/{id}/deliveries?limit=`: newest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", params(("id" = String, Path, description = "object id"), ("limit" = Option<u32>, Query, description = "1..=100")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn deliveries(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    only(&q, &["limit"])?;
    let (limit, _) = page(&q)?;
    if endpoints::get(&app.db, &m, &id).await?.is_none() {
        return Err(Problem::not_found("webhook endpoint"));
    }
    Ok(Json(
        json!({ "data": endpoints::deliveries(&app.db, &m, &id, limit).await? }),
    ))
}

/// `GET /v1/deliveries/{id}`: the delivery, its request body and every attempt.
#[utoipa::path(get, path = "/v1/deliveries/{id}", params(("id" = String, Path, description = "object id")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn delivery(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    endpoints::delivery(&app.db, &m, &id)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::not_found("delivery"))
}

/// `POST /v1/deliveries/{id}/redeliver`: sends it again now (same `webhook-id`).
#[utoipa::path(post, path = "/v1/deliveries/{id}/redeliver", params(("id" = String, Path, description = "object id"), ("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 202, description = "accepted", body = Object), (status = 204, description = "done"), (status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn redeliver(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    if endpoints::delivery(&app.db, &m, &id).await?.is_none() {
        return Err(Problem::not_found("delivery"));
    }
    endpoints::redeliver(&app, &m, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": "pending" })),
    ))
}
