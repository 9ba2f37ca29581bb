//! Handlers of transfers, address summaries, daily volume, health and metrics.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    ApiError, ApiState,
    list::{list_response, next_key, page_response},
    params::{
        ListRequest, Params, chain_param, check_known, index_param, limit_param, list_request,
        log_after_param, time_param,
    },
};
use crate::store::{AddressSummary, DailyVolume, TransferQuery, TransferRecord};

/// A page of transfers.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferPage {
    /// Transfers in (block, log index) order.
    pub items: Vec<TransferRecord>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// Error body of every 4xx/5xx.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What was wrong.
    pub error: String,
}

/// `/health` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    /// `ok`.
    pub status: String,
    /// One entry per configured chain.
    pub chains: Vec<HealthChain>,
}

/// Progress of one chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthChain {
    /// The chain's name.
    pub chain: String,
    /// Last indexed block (absent before the first batch).
    pub cursor: Option<u64>,
    /// Node head at the last poll.
    pub head: Option<u64>,
    /// Finality line at the last poll.
    pub finalized: Option<u64>,
    /// Head minus cursor.
    pub lag_blocks: Option<u64>,
    /// Seconds since the cursor row was last written.
    pub seconds_since_update: Option<i64>,
}

/// Transfers of a chain, filtered, in (block, log index) order, keyset-paginated.
#[utoipa::path(
    get,
    path = "/v1/transfers",
    params(
        ("chain" = String, Query, description = "Configured chain name"),
        ("address" = Option<String>, Query, description = "Sender or recipient"),
        ("tx" = Option<String>, Query, description = "Transaction hash"),
        ("from_block" = Option<u64>, Query, minimum = 0, maximum = 9223372036854775807_i64, description = "Lowest block (inclusive)"),
        ("to_block" = Option<u64>, Query, minimum = 0, maximum = 9223372036854775807_i64, description = "Highest block (inclusive)"),
        ("from_time" = Option<i64>, Query, minimum = 0, description = "Earliest block time, Unix seconds (inclusive)"),
        ("to_time" = Option<i64>, Query, minimum = 0, description = "Latest block time, Unix seconds (inclusive)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1..=1000 (default 100)"),
        ("after" = Option<String>, Query, pattern = r"^[0-9]{1,19}:[0-9]{1,19}$", description = "`next` of the previous page (`block:log_index`)"),
        ("format" = Option<super::params::Format>, Query, description = "`json` (default) or `csv` (next page key in the `x-next-after` header)")
    ),
    responses(
        (status = 200, body = TransferPage, description = "JSON page, or CSV with `format=csv`"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)
    ),
    security(("api_key" = []))
)]
pub(super) async fn transfers(
    State(state): State<ApiState>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let ListRequest { csv, chain, kind } = list_request(
        &state,
        &params,
        &[
            "chain",
            "address",
            "tx",
            "from_block",
            "to_block",
            "from_time",
            "to_time",
            "limit",
            "after",
            "format",
        ],
    )?;
    let limit = limit_param(&params)?;
    let after = log_after_param(&params)?;
    let q = TransferQuery {
        chain,
        address: params
            .get("address")
            .map(|a| kind.normalize_address(a))
            .transpose()?,
        tx_hash: params
            .get("tx")
            .map(|t| kind.normalize_hash(t, "tx"))
            .transpose()?,
        from_block: index_param(&params, "from_block")?,
        to_block: index_param(&params, "to_block")?,
        from_time: time_param(&params, "from_time")?,
        to_time: time_param(&params, "to_time")?,
        after,
        limit,
    };
    // An inverted block or time range is valid and selects nothing.
    let items = state.store.transfers(&q).await?;
    let next = next_key(&items, limit, |t| {
        format!("{}:{}", t.block_number, t.log_index)
    });
    Ok(page_response(csv, items, next, |items, next| {
        TransferPage { items, next }
    }))
}

/// Received and sent totals, counterparties, first and last seen of one address.
#[utoipa::path(
    get,
    path = "/v1/addresses/{address}/summary",
    params(
        ("address" = String, Path, description = "EVM hex or TRON base58 address"),
        ("chain" = String, Query, description = "Configured chain name")
    ),
    responses((status = 200, body = AddressSummary), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn address_summary(
    State(state): State<ApiState>,
    Path(address): Path<String>,
    Query(params): Query<Params>,
) -> Result<Json<AddressSummary>, ApiError> {
    check_known(&params, &["chain"])?;
    let (chain, kind) = chain_param(&state, &params)?;
    let address = kind.normalize_address(&address)?;
    Ok(Json(state.store.address_summary(&chain, &address).await?))
}

/// Transfer count and amount per UTC day, for a chain or one address.
#[utoipa::path(
    get,
    path = "/v1/volume/daily",
    params(
        ("chain" = String, Query, description = "Configured chain name"),
        ("address" = Option<String>, Query, description = "Only transfers from or to this address"),
        ("from_time" = Option<i64>, Query, minimum = 0, description = "Earliest block time, Unix seconds"),
        ("to_time" = Option<i64>, Query, minimum = 0, description = "Latest block time, Unix seconds"),
        ("format" = Option<super::params::Format>, Query, description = "`json` (default) or `csv`")
    ),
    responses((status = 200, body = Vec<DailyVolume>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn daily_volume(
    State(state): State<ApiState>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let ListRequest { csv, chain, kind } = list_request(
        &state,
        &params,
        &["chain", "address", "from_time", "to_time", "format"],
    )?;
    let address = params
        .get("address")
        .map(|a| kind.normalize_address(a))
        .transpose()?;
    let from_time = time_param(&params, "from_time")?;
    let to_time = time_param(&params, "to_time")?;
    let days = state
        .store
        .daily_volume(&chain, address.as_deref(), from_time, to_time)
        .await?;
    Ok(list_response(csv, days))
}

/// Progress and lag of every configured chain. No API key needed.
#[utoipa::path(get, path = "/health", responses((status = 200, body = HealthBody)))]
pub(super) async fn health(State(state): State<ApiState>) -> Result<Json<HealthBody>, ApiError> {
    let cursors = state.store.cursors().await?;
    let now = crate::store::now_unix();
    let chains = state
        .chains
        .keys()
        .map(|name| {
            let c = cursors.iter().find(|c| &c.chain == name);
            HealthChain {
                chain: name.clone(),
                cursor: c.map(|c| c.block_number),
                head: c.map(|c| c.head_number),
                finalized: c.map(|c| c.finalized_number),
                lag_blocks: c.map(|c| c.head_number.saturating_sub(c.block_number)),
                seconds_since_update: c.map(|c| now - c.updated_at),
            }
        })
        .collect();
    Ok(Json(HealthBody {
        status: "ok".into(),
        chains,
    }))
}

/// Prometheus text metrics. No API key needed.
#[utoipa::path(get, path = "/metrics", responses((status = 200, body = String, content_type = "text/plain")))]
pub(super) async fn metrics(State(state): State<ApiState>) -> Result<impl IntoResponse, ApiError> {
    let cursors = state.store.cursors().await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(&cursors),
    ))
}
