//! Query API (axum): transfers with keyset pagination, address summaries, daily volume,
//! escrow deals, accounts, settlements, agent commissions and settled volume, the
//! token's own blacklist,
//! `/health`, `/metrics`, `/openapi.json`. Data routes (`/v1/...`) need an API key in
//! `x-api-key` (or `Authorization: Bearer <key>`); only its sha256 is stored.

mod blacklist_routes;
mod escrow_routes;
mod list;
mod params;
mod routes;

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    Json, Router,
    extract::{Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use sha2::{Digest, Sha256};
use utoipa::OpenApi;

use crate::{chain::ChainKind, error::Error, metrics::Metrics, store::Store};

pub use blacklist_routes::{BlacklistPage, BlacklistStatus};
pub use escrow_routes::{CommissionPage, DealDetail, DealPage};
pub use routes::{ErrorBody, HealthBody, HealthChain, TransferPage};

/// Shared state of the API.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// The database.
    pub store: Store,
    /// Counters of this process.
    pub metrics: Arc<Metrics>,
    /// Configured chains and their kinds (address and hash forms).
    pub chains: Arc<BTreeMap<String, ChainKind>>,
}

/// sha256 of an API key, lowercase hex: what the store keeps.
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A fresh random API key (`sr_` + 64 hex digits).
pub fn generate_api_key() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("sr_{}", hex::encode(bytes))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "stablerail-indexer", description = "USDT transfers, escrow deals, accounts, commissions and volumes indexed from EVM chains and TRON."),
    paths(
        routes::transfers,
        routes::address_summary,
        routes::daily_volume,
        escrow_routes::deals,
        escrow_routes::deal,
        escrow_routes::settlements,
        escrow_routes::commissions,
        escrow_routes::account,
        escrow_routes::volume,
        escrow_routes::merchant_volume,
        blacklist_routes::blacklist,
        blacklist_routes::blacklist_status,
        routes::health,
        routes::metrics
    ),
    components(schemas(
        routes::TransferPage,
        routes::ErrorBody,
        routes::HealthBody,
        routes::HealthChain,
        crate::store::TransferRecord,
        crate::store::AddressSummary,
        crate::store::DailyVolume,
        escrow_routes::DealPage,
        escrow_routes::DealDetail,
        escrow_routes::CommissionPage,
        crate::store::Deal,
        crate::store::EscrowAccount,
        crate::store::AgentCommission,
        crate::store::MerchantDay,
        crate::store::VolumeBucket,
        crate::store::EscrowEventRecord,
        blacklist_routes::BlacklistPage,
        blacklist_routes::BlacklistStatus,
        crate::store::BlacklistRecord,
        params::Format,
        params::Bucket,
        params::DealStateParam
    )),
    modifiers(&ApiKeyScheme)
)]
struct ApiDoc;

struct ApiKeyScheme;

impl utoipa::Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
    }
}

/// The OpenAPI document, as declared in code (any chain name, both address forms).
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The OpenAPI document this process serves: [`openapi`] with `chain` limited to
/// the configured chains and addresses and hashes to the forms those chains use,
/// so a client generated from it sends only what the server accepts. (A TRON
/// base58 address also carries a checksum, which no pattern can express.)
pub fn openapi_for(chains: &BTreeMap<String, ChainKind>) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ObjectBuilder, RefOr, Type, path::ParameterIn};
    let mut doc = openapi();
    // Every form the configured chains accept, and nothing else.
    let alternatives = |pattern: fn(ChainKind) -> &'static str| {
        let parts: Vec<&str> = ChainKind::ALL
            .into_iter()
            .filter(|k| chains.values().any(|c| c == k))
            .map(pattern)
            .collect();
        format!("^({})$", parts.join("|"))
    };
    let address = alternatives(ChainKind::address_pattern);
    let hash = alternatives(ChainKind::hash_pattern);
    let string = |pattern: Option<&str>, values: Option<Vec<String>>| {
        RefOr::T(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(pattern.map(str::to_owned))
                .enum_values(values)
                .into(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let Some(op) = item.get.as_mut() else {
            continue;
        };
        // A list route with `format=csv` answers 200 in CSV too.
        if op.parameters.iter().flatten().any(|p| p.name == "format")
            && let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200")
        {
            ok.content.insert(
                "text/csv".to_owned(),
                utoipa::openapi::Content::new(Some(string(None, None))),
            );
        }
        for param in op.parameters.iter_mut().flatten() {
            let schema = match (param.name.as_str(), &param.parameter_in) {
                ("chain", ParameterIn::Query) => {
                    string(None, Some(chains.keys().cloned().collect()))
                }
                ("address" | "party", _) => string(Some(&address), None),
                ("tx", ParameterIn::Query) => string(Some(&hash), None),
                _ => continue,
            };
            param.schema = Some(schema);
        }
    }
    doc
}

/// Builds the router.
pub fn router(state: ApiState) -> Router {
    let data = Router::new()
        .route("/v1/transfers", get(routes::transfers))
        .route(
            "/v1/addresses/{address}/summary",
            get(routes::address_summary),
        )
        .route("/v1/volume/daily", get(routes::daily_volume))
        .route("/v1/volume", get(escrow_routes::volume))
        .route("/v1/deals", get(escrow_routes::deals))
        .route("/v1/deals/{id}", get(escrow_routes::deal))
        .route(
            "/v1/merchants/{address}/settlements",
            get(escrow_routes::settlements),
        )
        .route(
            "/v1/merchants/{address}/volume",
            get(escrow_routes::merchant_volume),
        )
        .route(
            "/v1/agents/{address}/commissions",
            get(escrow_routes::commissions),
        )
        .route("/v1/escrow/accounts/{address}", get(escrow_routes::account))
        .route("/v1/blacklist", get(blacklist_routes::blacklist))
        .route(
            "/v1/blacklist/{address}",
            get(blacklist_routes::blacklist_status),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), require_key));
    Router::new()
        .merge(data)
        .route("/health", get(routes::health))
        .route("/metrics", get(routes::metrics))
        .route(
            "/openapi.json",
            get({
                let doc = Json(openapi_for(&state.chains));
                move || async move { doc }
            }),
        )
        .fallback(|| async { error_response(StatusCode::NOT_FOUND, "no such route".into()) })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state)
}

async fn count_requests(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let resp = next.run(req).await;
    state.metrics.record_request(&route, resp.status().as_u16());
    resp
}

async fn require_key(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
        })
        .map(str::trim);
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return ApiError(Error::Unauthorized).into_response();
    };
    match state.store.api_key_valid(&hash_api_key(key)).await {
        Ok(true) => next.run(req).await,
        Ok(false) => ApiError(Error::Unauthorized).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

fn error_response(status: StatusCode, message: String) -> Response {
    (status, Json(ErrorBody { error: message })).into_response()
}

/// An error as an HTTP response: 400 for bad input, 401 for auth, 500 otherwise
/// (details logged, not returned).
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            e @ (Error::BadParam { .. }
            | Error::InvalidAddress { .. }
            | Error::UnknownChain { .. }) => error_response(StatusCode::BAD_REQUEST, e.to_string()),
            e @ Error::NotFound { .. } => error_response(StatusCode::NOT_FOUND, e.to_string()),
            e @ Error::Unauthorized => error_response(StatusCode::UNAUTHORIZED, e.to_string()),
            e => {
                tracing::error!(error = %e, "api request failed");
                error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}

/// Serves the API on `listen` until `shutdown` resolves.
pub async fn serve(
    state: ApiState,
    listen: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(Error::Serve)?;
    serve_on(listener, state, shutdown).await
}

/// Serves the API on an already bound listener until `shutdown` resolves.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: ApiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::Result<()> {
    tracing::info!(addr = %listener.local_addr().map_err(Error::Serve)?, "query API listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(Error::Serve)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    /// Every amount the API answers with is declared an exact decimal string, in each
    /// place a row carries one (a field, an optional field, a page total).
    #[test]
    fn amounts_are_declared_decimal_strings() {
        let doc: Value = serde_json::to_value(super::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Amount"]["type"], "string");
        assert_eq!(schemas["Amount"]["pattern"], "^[0-9]+$");
        let amount = json!("#/components/schemas/Amount");
        for (schema, field) in [
            ("EscrowAccount", "available"),
            ("EscrowAccount", "max_locked"),
            ("Deal", "amount"),
            ("AgentCommission", "gross"),
            ("MerchantDay", "fees"),
            ("VolumeBucket", "amount"),
            ("CommissionPage", "total"),
        ] {
            assert_eq!(
                schemas[schema]["properties"][field]["$ref"], amount,
                "{schema}.{field}"
            );
        }
        let fee = &schemas["Deal"]["properties"]["fee"];
        assert!(
            fee.to_string().contains("#/components/schemas/Amount")
                && fee.to_string().contains("null"),
            "Deal.fee: {fee}"
        );
    }
}
