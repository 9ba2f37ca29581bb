//! Who is calling: a merchant API key (`Authorization: Bearer sk_...` or
//! `x-api-key`) or the admin token.

use axum::{
    extract::{Request, State},
    http::HeaderMap,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{auth, problem::Problem, state::AppState};

/// The merchant a request acts for (set by [`merchant_key`]).
#[derive(Debug, Clone)]
pub struct MerchantId(pub String);

fn presented(headers: &HeaderMap) -> Option<&str> {
    if let Some(k) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(k.trim());
    }
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Requires a valid merchant key; stores the merchant in the request extensions.
pub async fn merchant_key(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(key) = presented(req.headers()) else {
        return Problem::unauthorized("an API key is required (Authorization: Bearer <key>)")
            .into_response();
    };
    match auth::merchant_of_key(&app.db, key).await {
        Ok(Some(m)) => {
            req.extensions_mut().insert(MerchantId(m));
            next.run(req).await
        }
        Ok(None) => Problem::unauthorized("unknown or revoked API key").into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// Requires the admin token (from the environment variable the config names).
pub async fn admin_token(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let Ok(expected) = std::env::var(&app.config.admin_token_env) else {
        return Problem::unauthorized("admin routes are disabled (no admin token configured)")
            .into_response();
    };
    match presented(req.headers()) {
        Some(t) if !expected.is_empty() && auth::constant_time_eq(t, &expected) => {
            req.extensions_mut().insert(MerchantId("admin".into()));
            next.run(req).await
        }
        _ => Problem::unauthorized("the admin token is required").into_response(),
    }
}
