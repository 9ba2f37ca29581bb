//! Escrow handlers: deals, settlements, agent commissions, escrow accounts and settled
//! volume, read from the derived tables. Same conventions as the transfer routes:
//! `chain` required, keyset pagination with `after`, `format=csv`, 400 on bad input.

use axum::{
    Json,
    extract::{Path, Query, State},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    ApiError, ApiState,
    list::{csv_response, list_response, next_key, page_response},
    params::{
        ListRequest, Params, chain_param, check_known, index_param, limit_param, list_request,
        log_after_param, time_param,
    },
    routes::ErrorBody,
};
use crate::{
    amount::Amount,
    error::Error,
    store::{
        AgentCommission, Deal, DealQuery, EscrowAccount, EscrowEventRecord, MerchantDay,
        VolumeBucket,
    },
};

/// Deal states accepted by `state=`.
const STATES: [&str; 7] = [
    "unassigned",
    "open",
    "paid",
    "disputed",
    "released",
    "cancelled",
    "resolved",
];

/// A page of deals.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealPage {
    /// Deals in id order.
    pub items: Vec<Deal>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// One deal with every event about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealDetail {
    /// The deal.
    pub deal: Deal,
    /// Its events in order (opened, assigned, paid, disputed, final).
    pub events: Vec<EscrowEventRecord>,
}

/// A page of an agent's commissions with its totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommissionPage {
    /// Commissions in (block, log index) order.
    pub items: Vec<AgentCommission>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
    /// Settlements the agent earned on (all pages).
    pub count: u64,
    /// Total earned, exact decimal (all pages).
    pub total: Amount,
}

async fn deal_page(state: &ApiState, q: DealQuery, csv: bool) -> Result<Response, ApiError> {
    let limit = q.limit;
    let items = state.store.deals(&q).await?;
    let next = next_key(&items, limit, |d| d.deal_id.to_string());
    Ok(page_response(csv, items, next, |items, next| DealPage {
        items,
        next,
    }))
}

/// Deals of a chain in id order, optionally of one party (seller, buyer or merchant)
/// and in one state.
#[utoipa::path(
    get,
    path = "/v1/deals",
    params(
        ("chain" = String, Query, description = "Configured chain name"),
        ("party" = Option<String>, Query, description = "Seller, buyer or merchant"),
        ("state" = Option<super::params::DealStateParam>, Query, description = "unassigned, open, paid, disputed, released, cancelled or resolved"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1..=1000 (default 100)"),
        ("after" = Option<u64>, Query, minimum = 0, maximum = 9223372036854775807_i64, description = "`next` of the previous page (a deal id)"),
        ("format" = Option<super::params::Format>, Query, description = "`json` (default) or `csv` (next page key in `x-next-after`)")
    ),
    responses((status = 200, body = DealPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn deals(
    State(state): State<ApiState>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let ListRequest { csv, chain, kind } = list_request(
        &state,
        &params,
        &["chain", "party", "state", "limit", "after", "format"],
    )?;
    let deal_state = params
        .get("state")
        .map(|s| {
            if STATES.contains(&s.as_str()) {
                Ok(s.clone())
            } else {
                Err(Error::BadParam {
                    param: "state",
                    reason: format!("`{s}` is not one of {}", STATES.join(", ")),
                })
            }
        })
        .transpose()?;
    let q = DealQuery {
        chain,
        party: params
            .get("party")
            .map(|a| kind.normalize_address(a))
            .transpose()?,
        state: deal_state,
        after: index_param(&params, "after")?,
        limit: limit_param(&params)?,
        ..Default::default()
    };
    deal_page(&state, q, csv).await
}

/// One deal and its events.
#[utoipa::path(
    get,
    path = "/v1/deals/{id}",
    params(
        ("id" = u64, Path, minimum = 0, maximum = 9223372036854775807_i64, description = "The escrow's deal id"),
        ("chain" = String, Query, description = "Configured chain name")
    ),
    responses(
        (status = 200, body = DealDetail),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)
    ),
    security(("api_key" = []))
)]
pub(super) async fn deal(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Json<DealDetail>, ApiError> {
    check_known(&params, &["chain"])?;
    let (chain, _) = chain_param(&state, &params)?;
    let id = super::params::index_value("id", &id)?;
    let deal = state
        .store
        .deal(&chain, id)
        .await?
        .ok_or_else(|| Error::NotFound {
            what: format!("deal {id} on `{chain}`"),
        })?;
    let events = state.store.deal_events(&chain, id).await?;
    Ok(Json(DealDetail { deal, events }))
}

/// A merchant's settled deals (released, or resolved with a buyer share), with every
/// fee part, in deal id order.
#[utoipa::path(
    get,
    path = "/v1/merchants/{address}/settlements",
    params(
        ("address" = String, Path, description = "The merchant"),
        ("chain" = String, Query, description = "Configured chain name"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1..=1000 (default 100)"),
        ("after" = Option<u64>, Query, minimum = 0, maximum = 9223372036854775807_i64, description = "`next` of the previous page (a deal id)"),
        ("format" = Option<super::params::Format>, Query, description = "`json` (default) or `csv`")
    ),
    responses((status = 200, body = DealPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn settlements(
    State(state): State<ApiState>,
    Path(address): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let ListRequest { csv, chain, kind } =
        list_request(&state, &params, &["chain", "limit", "after", "format"])?;
    let q = DealQuery {
        chain,
        merchant: Some(kind.normalize_address(&address)?),
        settled: true,
        after: index_param(&params, "after")?,
        limit: limit_param(&params)?,
        ..Default::default()
    };
    deal_page(&state, q, csv).await
}

/// An agent's cut of every settlement of the merchants it referred, with the totals.
#[utoipa::path(
    get,
    path = "/v1/agents/{address}/commissions",
    params(
        ("address" = String, Path, description = "The agent"),
        ("chain" = String, Query, description = "Configured chain name"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1..=1000 (default 100)"),
        ("after" = Option<String>, Query, pattern = r"^[0-9]{1,19}:[0-9]{1,19}$", description = "`next` of the previous page (`block:log_index`)"),
        ("format" = Option<super::params::Format>, Query, description = "`json` (default) or `csv`")
    ),
    responses((status = 200, body = CommissionPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn commissions(
    State(state): State<ApiState>,
    Path(address): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let ListRequest { csv, chain, kind } =
        list_request(&state, &params, &["chain", "limit", "after", "format"])?;
    let agent = kind.normalize_address(&address)?;
    let limit = limit_param(&params)?;
    let after = log_after_param(&params)?;
    let items = state
        .store
        .agent_commissions(&chain, &agent, after, limit)
        .await?;
    let next = next_key(&items, limit, |c| {
        format!("{}:{}", c.block_number, c.log_index)
    });
    if csv {
        return Ok(csv_response(&items, next.as_deref()));
    }
    let (count, total) = state.store.agent_commission_total(&chain, &agent).await?;
    Ok(Json(CommissionPage {
        items,
        next,
        count,
        total,
    })
    .into_response())
}

/// A wallet's escrow account as derived from events (all zero if no event touched it,
/// as the contract's `account(addr)` returns it).
#[utoipa::path(
    get,
    path = "/v1/escrow/accounts/{address}",
    params(
        ("address" = String, Path, description = "The wallet"),
        ("chain" = String, Query, description = "Configured chain name")
    ),
    responses((status = 200, body = EscrowAccount), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn account(
    State(state): State<ApiState>,
    Path(address): Path<String>,
    Query(params): Query<Params>,
) -> Result<Json<EscrowAccount>, ApiError> {
    check_known(&params, &["chain"])?;
    let (chain, kind) = chain_param(&state, &params)?;
    let address = kind.normalize_address(&address)?;
    let account = state
        .store
        .escrow_account(&chain, &address)
        .await?
        .unwrap_or_else(|| EscrowAccount::new(&chain, &address));
    Ok(Json(account))
}

fn time_range(params: &Params) -> Result<(Option<i64>, Option<i64>), Error> {
    let from = time_param(params, "from_time")?;
    let to = time_param(params, "to_time")?;
    // An inverted range is valid and selects nothing (as the schema allows it).
    Ok((from, to))
}

/// The escrow's settled gross volume and fees per hour or UTC day.
#[utoipa::path(
    get,
    path = "/v1/volume",
    params(
        ("chain" = String, Query, description = "Configured chain name"),
        ("bucket" = Option<super::params::Bucket>, Query, description = "`hour` or `day` (default)"),
        ("from_time" = Option<i64>, Query, minimum = 0, description = "Earliest settlement time, Unix seconds"),
        ("to_time" = Option<i64>, Query, minimum = 0, description = "Latest settlement time, Unix seconds"),
        ("format" = Option<super::params::Format>, Query, description = "`json` (default) or `csv`")
    ),
    responses((status = 200, body = Vec<VolumeBucket>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn volume(
    State(state): State<ApiState>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let ListRequest { csv, chain, .. } = list_request(
        &state,
        &params,
        &["chain", "bucket", "from_time", "to_time", "format"],
    )?;
    let bucket = match params.get("bucket").map(String::as_str) {
        None | Some("day") => 86_400,
        Some("hour") => 3_600,
        Some(other) => {
            return Err(Error::BadParam {
                param: "bucket",
                reason: format!("`{other}` is not hour or day"),
            }
            .into());
        }
    };
    let (from, to) = time_range(&params)?;
    let buckets = state.store.settled_volume(&chain, bucket, from, to).await?;
    Ok(list_response(csv, buckets))
}

/// A merchant's settled gross volume, settlements and fees per UTC day.
#[utoipa::path(
    get,
    path = "/v1/merchants/{address}/volume",
    params(
        ("address" = String, Path, description = "The merchant"),
        ("chain" = String, Query, description = "Configured chain name"),
        ("from_time" = Option<i64>, Query, minimum = 0, description = "Earliest day, Unix seconds"),
        ("to_time" = Option<i64>, Query, minimum = 0, description = "Latest day, Unix seconds"),
        ("format" = Option<super::params::Format>, Query, description = "`json` (default) or `csv`")
    ),
    responses((status = 200, body = Vec<MerchantDay>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn merchant_volume(
    State(state): State<ApiState>,
    Path(address): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let ListRequest { csv, chain, kind } = list_request(
        &state,
        &params,
        &["chain", "from_time", "to_time", "format"],
    )?;
    let merchant = kind.normalize_address(&address)?;
    let (from, to) = time_range(&params)?;
    let days = state
        .store
        .merchant_volume(&chain, &merchant, from, to)
        .await?;
    Ok(list_response(csv, days))
}
