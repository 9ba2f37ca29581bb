//! `/v1/invoices`.

use std::collections::HashMap;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::{
    api::{
        auth::MerchantId,
        idempotency::{RECORDED, TAKEN},
        only, page,
    },
    input::Fields,
    invoices::{self, NewInvoice, state::Status},
    problem::Problem,
    state::AppState,
    store::idempotency::Slot,
};

/// `POST /v1/invoices`.
#[utoipa::path(post, path = "/v1/invoices", request_body = crate::api::schemas::InvoiceCreate, params(("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 202, description = "accepted", body = Object), (status = 204, description = "done"), (status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn create(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    slot: Option<Extension<Slot>>,
    body: Bytes,
) -> Result<Response, Problem> {
    let v = Fields::parse(&body)?;
    let n = NewInvoice::from_json(&app, &v)?;
    let slot = slot.map(|Extension(s)| s);
    match invoices::create(&app, &m, &n, slot.as_ref()).await {
        Ok((_, body)) => {
            let mut r = (
                StatusCode::CREATED,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
            if slot.is_some() {
                r.headers_mut()
                    .insert(RECORDED, HeaderValue::from_static("true"));
            }
            Ok(r)
        }
        Err(p) if p.code == "idempotency_slot_taken" => {
            let mut r = p.into_response();
            r.headers_mut()
                .insert(TAKEN, HeaderValue::from_static("true"));
            Ok(r)
        }
        Err(p) => Err(p),
    }
}

/// `GET /v1/invoices/{id}`.
#[utoipa::path(get, path = "/v1/invoices/{id}", params(("id" = String, Path, description = "object id")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn get(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let inv = invoices::get(&app.db, Some(&m), &id)
        .await?
        .ok_or_else(|| Problem::not_found("invoice"))?;
    let payments = invoices::payments(&app.db, &id).await?;
    Ok(Json(inv.view(&app, &payments, true)))
}

/// `GET /v1/invoices?status=&limit=&after=`: newest first; `next` is the `after` of
/// the next page.
#[utoipa::path(get, path = "/v1/invoices", params(("status" = Option<String>, Query, description = "new, processing, settled, expired or invalid"), ("limit" = Option<u32>, Query, description = "1..=100"), ("after" = Option<String>, Query, description = "the previous page's next")), responses((status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn list(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    only(&q, &["status", "limit", "after"])?;
    let (limit, after) = page(&q)?;
    let status = match q.get("status") {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            Problem::field(
                "status",
                "one of new, processing, settled, expired, invalid",
            )
        })?),
    };
    let rows = invoices::list(&app.db, &m, status, after.as_deref(), limit).await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|i| i.id.clone()))
        .flatten();
    let data: Vec<Value> = rows.iter().map(|i| i.view(&app, &[], false)).collect();
    Ok(Json(json!({ "data": data, "next": next })))
}

/// `POST /v1/invoices/{id}/cancel`.
#[utoipa::path(post, path = "/v1/invoices/{id}/cancel", params(("id" = String, Path, description = "object id"), ("Idempotency-Key" = Option<String>, Header, description = "replays the first answer")), responses((status = 201, description = "created", body = Object), (status = 202, description = "accepted", body = Object), (status = 204, description = "done"), (status = 200, description = "ok", body = Object), (status = 400, description = "a field is invalid", body = Object), (status = 401, description = "no valid key", body = Object), (status = 404, description = "not found", body = Object), (status = 409, description = "state conflict", body = Object), (status = 422, description = "idempotency key reused", body = Object)), security(("api_key" = [])))]
pub(super) async fn cancel(
    State(app): State<AppState>,
    Extension(MerchantId(m)): Extension<MerchantId>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let inv = invoices::cancel(&app, &m, &id).await?;
    Ok(Json(inv.view(&app, &[], false)))
}
