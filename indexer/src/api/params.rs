//! Query parameters, parsed by hand so that every bad value gets a 400 with the
//! parameter's name and the reason. Shared by every data route.

use std::collections::HashMap;

use super::ApiState;
use crate::{config::ChainKind, error::Error};

/// Default page size.
const DEFAULT_LIMIT: u32 = 100;
/// Largest page size.
const MAX_LIMIT: u32 = 1000;

/// The raw query string of a request.
pub(super) type Params = HashMap<String, String>;

/// Rejects any parameter not in `allowed`.
pub(super) fn check_known(params: &Params, allowed: &[&'static str]) -> Result<(), Error> {
    for k in params.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::BadParam {
                param: "query",
                reason: format!("unknown parameter `{k}` (allowed: {})", allowed.join(", ")),
            });
        }
    }
    Ok(())
}

/// `format=json` (default) or `format=csv`.
fn wants_csv(params: &Params) -> Result<bool, Error> {
    match params.get("format").map(String::as_str) {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(Error::BadParam {
            param: "format",
            reason: format!("`{other}` is not json or csv"),
        }),
    }
}

/// The required `chain`, with its kind.
pub(super) fn chain_param(state: &ApiState, params: &Params) -> Result<(String, ChainKind), Error> {
    let chain = params.get("chain").ok_or(Error::BadParam {
        param: "chain",
        reason: "required".into(),
    })?;
    let kind = state
        .chains
        .get(chain)
        .copied()
        .ok_or_else(|| Error::UnknownChain {
            chain: chain.clone(),
        })?;
    Ok((chain.clone(), kind))
}

/// An optional number.
pub(super) fn num_param<T: std::str::FromStr>(
    params: &Params,
    name: &'static str,
) -> Result<Option<T>, Error> {
    params
        .get(name)
        .map(|v| {
            v.parse::<T>().map_err(|_| Error::BadParam {
                param: name,
                reason: format!("`{v}` is not a valid non-negative integer"),
            })
        })
        .transpose()
}

/// An optional time, Unix seconds.
pub(super) fn time_param(params: &Params, name: &'static str) -> Result<Option<i64>, Error> {
    let v: Option<i64> = num_param(params, name)?;
    if v.is_some_and(|t| t < 0) {
        return Err(Error::BadParam {
            param: name,
            reason: "must be Unix seconds >= 0".into(),
        });
    }
    Ok(v)
}

/// `limit`: the page size, 1..=[`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
pub(super) fn limit_param(params: &Params) -> Result<u32, Error> {
    let limit = num_param::<u32>(params, "limit")?.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(Error::BadParam {
            param: "limit",
            reason: format!("must be in 1..={MAX_LIMIT}"),
        });
    }
    Ok(limit)
}

/// `after` as `block:log_index`: the key of pages in log order.
pub(super) fn log_after_param(params: &Params) -> Result<Option<(u64, u64)>, Error> {
    params
        .get("after")
        .map(|v| {
            let bad = || Error::BadParam {
                param: "after",
                reason: format!("`{v}` is not `block:log_index`"),
            };
            let (b, l) = v.split_once(':').ok_or_else(bad)?;
            Ok((
                b.parse::<u64>().map_err(|_| bad())?,
                l.parse::<u64>().map_err(|_| bad())?,
            ))
        })
        .transpose()
}

/// What every list route reads first, in this order: only `allowed` parameters, the
/// `format`, the `chain`.
pub(super) struct ListRequest {
    /// `format=csv`.
    pub csv: bool,
    /// The chain's name.
    pub chain: String,
    /// Its kind (address and hash forms).
    pub kind: ChainKind,
}

/// Checks the parameters every list route shares; see [`ListRequest`].
pub(super) fn list_request(
    state: &ApiState,
    params: &Params,
    allowed: &[&'static str],
) -> Result<ListRequest, Error> {
    check_known(params, allowed)?;
    let csv = wants_csv(params)?;
    let (chain, kind) = chain_param(state, params)?;
    Ok(ListRequest { csv, chain, kind })
}
