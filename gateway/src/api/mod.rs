//! The HTTP API: merchant routes under `/v1` (API key), admin routes under `/admin`
//! (admin token), the hosted checkout under `/pay`, `/health` and `/openapi.json`
//! (the embedded indexer's query API is nested under `/indexer` by the service).

pub mod acceptor;
pub mod auth;
mod dispatch;
pub mod idempotency;
mod invoices;
mod keys;
mod merchants;
pub mod openapi;
mod orders;
mod risk;
pub mod schemas;
mod webhooks;

use std::collections::HashMap;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    middleware::from_fn_with_state,
    routing::{delete, get, post},
};

use crate::{problem::Problem, state::AppState, web};

/// Builds the router.
pub fn router(app: AppState) -> Router {
    let v1 = Router::new()
        .route("/v1/merchant", get(merchants::me))
        .route("/v1/invoices", post(invoices::create).get(invoices::list))
        .route("/v1/invoices/{id}", get(invoices::get))
        .route("/v1/invoices/{id}/cancel", post(invoices::cancel))
        .route(
            "/v1/collections",
            post(orders::create_collection).get(orders::list_collections),
        )
        .route("/v1/collections/{id}", get(orders::get_collection))
        .route(
            "/v1/collections/{id}/cancel",
            post(orders::cancel_collection),
        )
        .route(
            "/v1/payouts",
            post(orders::create_payout).get(orders::list_payouts),
        )
        .route("/v1/payouts/{id}", get(orders::get_payout))
        .route("/v1/payouts/{id}/cancel", post(orders::cancel_payout))
        .route(
            "/v1/collections/{id}/decisions",
            get(dispatch::collection_decisions),
        )
        .route(
            "/v1/payouts/{id}/decisions",
            get(dispatch::payout_decisions),
        )
        .route("/v1/webhooks", post(webhooks::create).get(webhooks::list))
        .route(
            "/v1/webhooks/{id}",
            get(webhooks::get).delete(webhooks::disable),
        )
        .route("/v1/webhooks/{id}/rotate-secret", post(webhooks::rotate))
        .route("/v1/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/v1/webhooks/{id}/test", post(webhooks::test))
        .route("/v1/deliveries/{id}", get(webhooks::delivery))
        .route("/v1/deliveries/{id}/redeliver", post(webhooks::redeliver))
        .layer(from_fn_with_state(app.clone(), idempotency::layer))
        .layer(from_fn_with_state(app.clone(), auth::merchant_key));
    let admin = Router::new()
        .route("/admin/merchants", post(merchants::create))
        .route(
            "/admin/merchants/{id}/api-keys",
            post(merchants::create_key).get(keys::list_merchant_keys),
        )
        .route(
            "/admin/merchants/{id}/api-keys/{key_id}",
            delete(keys::revoke_merchant_key),
        )
        .route("/admin/acceptors", post(dispatch::create_acceptor))
        .route(
            "/admin/acceptors/{id}/api-keys",
            post(dispatch::create_acceptor_key).get(keys::list_acceptor_keys),
        )
        .route(
            "/admin/acceptors/{id}/api-keys/{key_id}",
            delete(keys::revoke_acceptor_key),
        )
        .route(
            "/admin/orders/{id}/decisions",
            get(dispatch::admin_decisions),
        )
        .layer(from_fn_with_state(app.clone(), idempotency::layer))
        .layer(from_fn_with_state(app.clone(), auth::admin_token));
    // The operator's risk routes and webhook endpoints (admin token; 403 to a
    // merchant key).
    let operator = Router::new()
        .route("/admin/risk/alerts", get(risk::list))
        .route("/admin/risk/alerts/{id}", get(risk::get))
        .route(
            "/admin/risk/alerts/{id}/acknowledge",
            post(risk::acknowledge),
        )
        .route("/admin/risk/alerts/{id}/close", post(risk::close))
        .route("/admin/risk/screening/reload", post(risk::reload_screening))
        .route("/admin/risk/treasury", get(risk::treasury))
        .route("/admin/reports/merchants/{id}", get(risk::merchant_report))
        .route("/admin/reports/platform", get(risk::platform_report))
        .route(
            "/admin/webhooks",
            post(risk::create_webhook).get(risk::list_webhooks),
        )
        .route(
            "/admin/webhooks/{id}/deliveries",
            get(risk::webhook_deliveries),
        )
        .layer(from_fn_with_state(app.clone(), risk::operator_only));
    // The acceptor's own API: its own keys, never a merchant's.
    let acceptor_routes = Router::new()
        .route("/v1/acceptor", get(acceptor::get_me))
        .route("/v1/acceptor/online", post(acceptor::online))
        .route("/v1/acceptor/offline", post(acceptor::offline))
        .route("/v1/acceptor/heartbeat", post(acceptor::heartbeat))
        .route("/v1/acceptor/orders", get(acceptor::orders))
        .route("/v1/acceptor/orders/{id}/accept", post(acceptor::accept))
        .route("/v1/acceptor/orders/{id}/decline", post(acceptor::decline))
        .layer(from_fn_with_state(app.clone(), acceptor::acceptor_key));
    Router::new()
        .merge(v1)
        .merge(admin)
        .merge(operator)
        .merge(acceptor_routes)
        .merge(web::router())
        .merge(web::dashboard::router())
        .route("/health", get(|| async { "ok" }))
        .route(
            "/openapi.json",
            get(|| async { axum::Json(openapi::document()) }),
        )
        .layer(DefaultBodyLimit::max(idempotency::MAX_BODY))
        .with_state(app)
}

/// `limit` (1..=100, default 20) and `after` of a list route.
pub(crate) fn page(q: &HashMap<String, String>) -> Result<(u32, Option<String>), Problem> {
    let limit = match q.get("limit") {
        None => 20,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| Problem::field("limit", "an integer from 1 to 100"))?,
    };
    Ok((limit, q.get("after").cloned()))
}

/// Refuses query parameters outside `allowed`.
pub(crate) fn only(q: &HashMap<String, String>, allowed: &[&str]) -> Result<(), Problem> {
    match q.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(Problem::field(k.clone(), "unknown parameter")),
        None => Ok(()),
    }
}
