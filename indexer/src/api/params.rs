//! Query parameters, parsed by hand so that every bad value gets a 400 with the
//! parameter's name and the reason. Shared by every data route.

use std::collections::HashMap;

use super::ApiState;
use crate::{chain::ChainKind, error::Error};

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

/// `format`: how a list is returned. Declared in the OpenAPI document; parsed by
/// [`wants_csv`] so that a bad value gets a 400 naming it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
// Never built: only its schema is used, so the server keeps its own 400 messages.
#[allow(dead_code)]
pub(super) enum Format {
    /// JSON (the default).
    Json,
    /// CSV, the next page key in the `x-next-after` header.
    Csv,
}

/// `bucket`: the width of a volume bucket (OpenAPI declaration, parsed by hand).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
// Never built: only its schema is used, so the server keeps its own 400 messages.
#[allow(dead_code)]
pub(super) enum Bucket {
    /// One hour.
    Hour,
    /// One UTC day (the default).
    Day,
}

/// `state`: a deal state filter (OpenAPI declaration, parsed by hand).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
// Never built: only its schema is used, so the server keeps its own 400 messages.
#[allow(dead_code)]
pub(super) enum DealStateParam {
    /// A payout waiting for its acceptor.
    Unassigned,
    /// Open.
    Open,
    /// Marked paid.
    Paid,
    /// Disputed.
    Disputed,
    /// Released.
    Released,
    /// Cancelled.
    Cancelled,
    /// Resolved by the arbiter.
    Resolved,
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

/// An optional block number, deal id or log index: 0..=i64::MAX, what both stores
/// keep in a signed 64-bit column.
pub(super) fn index_param(params: &Params, name: &'static str) -> Result<Option<u64>, Error> {
    params.get(name).map(|v| index_value(name, v)).transpose()
}

/// Parses one block number, deal id or log index (0..=i64::MAX).
pub(super) fn index_value(name: &'static str, v: &str) -> Result<u64, Error> {
    v.parse::<i64>()
        .ok()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| Error::BadParam {
            param: name,
            reason: format!("`{v}` is not an integer in 0..={}", i64::MAX),
        })
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
            // Each part is any number of up to 19 digits, as the OpenAPI pattern says;
            // one above i64::MAX (no stored row goes that far) is a position after
            // every row, the same as i64::MAX for a page that starts after it.
            let part = |p: &str| -> Result<u64, Error> {
                if p.is_empty() || p.len() > 19 || !p.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(bad());
                }
                let n: u64 = p.parse().map_err(|_| bad())?;
                Ok(n.min(i64::MAX.unsigned_abs()))
            };
            let (b, l) = v.split_once(':').ok_or_else(bad)?;
            Ok((part(b)?, part(l)?))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn after(v: &str) -> Result<Option<(u64, u64)>, Error> {
        log_after_param(&Params::from([("after".to_owned(), v.to_owned())]))
    }

    /// Every value the OpenAPI pattern `^[0-9]{1,19}:[0-9]{1,19}$` admits is taken
    /// (the schema fuzzer found `8860884:9324252082912984156` refused); above i64::MAX
    /// is after every row.
    #[test]
    fn after_takes_what_its_pattern_admits() {
        let max = i64::MAX.unsigned_abs();
        assert_eq!(after("12:3").unwrap(), Some((12, 3)));
        assert_eq!(
            after("8860884:9324252082912984156").unwrap(),
            Some((8_860_884, max))
        );
        assert_eq!(after("9999999999999999999:0").unwrap(), Some((max, 0)));
        for bad in [
            "",
            "1",
            "1:",
            ":1",
            "-1:2",
            "1:+2",
            "1:2:3",
            "12345678901234567890:1",
            "a:1",
        ] {
            assert!(after(bad).is_err(), "{bad:?}");
        }
    }
}
