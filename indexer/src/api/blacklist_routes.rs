//! Tether's own blacklist as indexed from the token's events: every event in order,
//! and one address's current state. Same conventions as the transfer routes.

use axum::{
    Json,
    extract::{Path, Query, State},
    response::Response,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    ApiError, ApiState,
    list::{next_key, page_response},
    params::{
        ListRequest, Params, chain_param, check_known, limit_param, list_request, log_after_param,
    },
    routes::ErrorBody,
};
use crate::store::{BlacklistQuery, BlacklistRecord};

/// A page of blacklist events.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlacklistPage {
    /// Events in (block, log index) order.
    pub items: Vec<BlacklistRecord>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// Whether the token blacklists an address now (as far as indexed).
#[derive(Debug, Serialize, ToSchema)]
pub struct BlacklistStatus {
    /// The chain.
    pub chain: String,
    /// The address (the chain's text form).
    pub address: String,
    /// Blacklisted after the last indexed event about it (`false` if none).
    pub blacklisted: bool,
    /// That last event, if any.
    pub last_event: Option<BlacklistRecord>,
}

/// The USDT token's own blacklist events (`added`, `removed`, `funds_destroyed`), in
/// (block, log index) order, keyset-paginated.
#[utoipa::path(
    get,
    path = "/v1/blacklist",
    params(
        ("chain" = String, Query, description = "Configured chain name"),
        ("address" = Option<String>, Query, description = "Only events about this address"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1..=1000 (default 100)"),
        ("after" = Option<String>, Query, pattern = r"^[0-9]{1,19}:[0-9]{1,19}$", description = "`next` of the previous page (`block:log_index`)"),
        ("format" = Option<super::params::Format>, Query, description = "`json` (default) or `csv` (next page key in the `x-next-after` header)")
    ),
    responses(
        (status = 200, body = BlacklistPage, description = "JSON page, or CSV with `format=csv`"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)
    ),
    security(("api_key" = []))
)]
pub(super) async fn blacklist(
    State(state): State<ApiState>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let ListRequest { csv, chain, kind } = list_request(
        &state,
        &params,
        &["chain", "address", "limit", "after", "format"],
    )?;
    let limit = limit_param(&params)?;
    let q = BlacklistQuery {
        chain,
        address: params
            .get("address")
            .map(|a| kind.normalize_address(a))
            .transpose()?,
        after: log_after_param(&params)?,
        limit,
    };
    let items = state.store.blacklist(&q).await?;
    let next = next_key(&items, limit, |r| {
        format!("{}:{}", r.block_number, r.log_index)
    });
    Ok(page_response(csv, items, next, |items, next| {
        BlacklistPage { items, next }
    }))
}

/// Whether the USDT token blacklists an address, from its last indexed blacklist event.
#[utoipa::path(
    get,
    path = "/v1/blacklist/{address}",
    params(
        ("address" = String, Path, description = "EVM hex or TRON base58 address"),
        ("chain" = String, Query, description = "Configured chain name")
    ),
    responses((status = 200, body = BlacklistStatus), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn blacklist_status(
    State(state): State<ApiState>,
    Path(address): Path<String>,
    Query(params): Query<Params>,
) -> Result<Json<BlacklistStatus>, ApiError> {
    check_known(&params, &["chain"])?;
    let (chain, kind) = chain_param(&state, &params)?;
    let address = kind.normalize_address(&address)?;
    let last_event = state.store.blacklist_latest(&chain, &address).await?;
    Ok(Json(BlacklistStatus {
        blacklisted: last_event.as_ref().is_some_and(|e| e.blacklisted),
        chain,
        address,
        last_event,
    }))
}
