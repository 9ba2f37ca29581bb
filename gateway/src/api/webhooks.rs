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
pub(super) async fn list(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(json!({ "data": endpoints::list(&app.db, &m).await? })))
}

/// `GET /v1/webhooks/{id}`.
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
pub(super) async fn rotate(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(endpoints::rotate(&app, &m, &id).await?))
}

/// `POST /v1/webhooks/{id}/test`: queues a `webhook.test` event to this endpoint's
/// merchant (every endpoint that wants it).
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
