//! Pending multisig proposals for the operator: every proposal the indexer saw the
//! platform multisig schedule (`ProposalScheduled`: a quorum of owners signed and
//! the time lock started; the contract has no other on-chain approval) and not yet
//! execute or cancel (`ProposalExecuted`, `ProposalCancelled`), read from the
//! indexer's `multisig_events`. A proposal scheduled under an older configuration
//! version can never run (the contract refuses it as stale); it is shown so, as is
//! one past its deadline, so that the operator cancels or re-proposes it.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{PageError, html, html::escape};
use crate::state::AppState;

/// One pending proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pending {
    /// Chain name.
    pub(super) chain: String,
    /// The proposal's EIP-712 digest.
    pub(super) hash: String,
    /// Multisig nonce it consumed.
    pub(super) nonce: String,
    /// Call target.
    pub(super) to: String,
    /// Calldata (hex).
    pub(super) data: String,
    /// Unix seconds of the block that scheduled it.
    pub(super) scheduled_at: i64,
    /// Unix seconds from which it may run.
    pub(super) eta: u64,
    /// Unix seconds after which it may no longer run.
    pub(super) deadline: u64,
    /// The multisig configuration changed since: it can never run.
    pub(super) stale: bool,
}

fn field(v: &serde_json::Value, k: &str) -> String {
    match &v[k] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Every pending proposal of every chain, oldest first.
pub(super) async fn pending(app: &AppState) -> Result<Vec<Pending>, PageError> {
    let rows = sqlx::query(
        "SELECT chain, block_time, kind, fields FROM multisig_events WHERE kind IN ('ProposalScheduled', 'ProposalExecuted', 'ProposalCancelled', 'ConfigVersionChanged') ORDER BY chain, block_number, log_index",
    )
    .fetch_all(&app.db.pool)
    .await?;
    // Per chain: the current configuration version and the open proposals by hash.
    let mut version: BTreeMap<String, u64> = BTreeMap::new();
    let mut open: BTreeMap<(String, String), (Pending, u64)> = BTreeMap::new();
    for r in rows {
        let chain: String = r.try_get(0)?;
        let kind: String = r.try_get(2)?;
        let fields: String = r.try_get(3)?;
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&fields) else {
            tracing::warn!(%chain, %kind, "multisig event with unreadable fields");
            continue;
        };
        match kind.as_str() {
            "ConfigVersionChanged" => {
                version.insert(chain, v["config_version"].as_u64().unwrap_or(0));
            }
            "ProposalScheduled" => {
                let hash = field(&v, "proposal_hash");
                let p = Pending {
                    chain: chain.clone(),
                    hash: hash.clone(),
                    nonce: field(&v, "nonce"),
                    to: field(&v, "to"),
                    data: field(&v, "data"),
                    scheduled_at: r.try_get(1)?,
                    eta: v["eta"].as_u64().unwrap_or(0),
                    deadline: field(&v, "deadline").parse().unwrap_or(u64::MAX),
                    stale: false,
                };
                open.insert(
                    (chain, hash),
                    (p, v["config_version"].as_u64().unwrap_or(0)),
                );
            }
            _ => {
                open.remove(&(chain, field(&v, "proposal_hash")));
            }
        }
    }
    let mut out: Vec<Pending> = open
        .into_values()
        .map(|(mut p, v)| {
            p.stale = version.get(&p.chain).is_some_and(|&now| now != v);
            p
        })
        .collect();
    out.sort_by(|a, b| {
        (a.scheduled_at, &a.chain, &a.nonce).cmp(&(b.scheduled_at, &b.chain, &b.nonce))
    });
    Ok(out)
}

/// What a target address is on `chain` (escrow, multisig, USDT), if known.
fn target_name(app: &AppState, chain: &str, to: &str) -> Option<&'static str> {
    let c = app.config.indexer.chains.get(chain)?;
    let same = |a: &Option<String>| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(to));
    if same(&c.escrow) {
        Some("escrow")
    } else if same(&c.multisig) {
        Some("the multisig itself")
    } else if c.usdt.eq_ignore_ascii_case(to) {
        Some("USDT")
    } else {
        None
    }
}

/// The table of pending proposals at `now` (Unix seconds).
pub(super) fn table(app: &AppState, list: &[Pending], now: i64) -> String {
    let now_u = u64::try_from(now).unwrap_or(0);
    let rows: String = list
        .iter()
        .map(|p| {
            let age = (now - p.scheduled_at).max(0);
            let state = if p.stale {
                ("error", "stale: the multisig's configuration changed since".to_owned())
            } else if p.deadline < now_u {
                ("error", "expired".to_owned())
            } else if p.eta > now_u {
                (
                    "",
                    format!(
                        "time lock until {}",
                        html::time_ms(i64::try_from(p.eta).unwrap_or(i64::MAX / 1000) * 1000)
                    ),
                )
            } else {
                ("ok", "ready to execute".to_owned())
            };
            let target = match target_name(app, &p.chain, &p.to) {
                Some(n) => format!("{n} <code>{}</code>", escape(&html::short(&p.to))),
                None => format!("<code>{}</code>", escape(&p.to)),
            };
            let selector: String = p.data.chars().take(10).collect();
            format!(
                r#"<tr data-proposal="{hash}"><td>{chain}</td><td class="num">{nonce}</td><td>{target}</td><td><code>{selector}</code></td><td><code title="{hash}">{short}</code></td><td>{age}</td><td class="{cls}">{st}</td></tr>"#,
                hash = escape(&p.hash),
                chain = escape(&p.chain),
                nonce = escape(&p.nonce),
                selector = escape(&selector),
                short = escape(&html::short(&p.hash)),
                age = age_text(age),
                cls = state.0,
                st = escape(&state.1),
            )
        })
        .collect();
    let empty = if list.is_empty() {
        r#"<p id="no-proposals">No proposal is waiting.</p>"#
    } else {
        ""
    };
    format!(
        r#"<div class="scroll"><table id="proposals"><thead><tr><th scope="col">Chain</th><th scope="col">Nonce</th><th scope="col">Target</th><th scope="col">Call</th><th scope="col">Proposal</th><th scope="col">Age</th><th scope="col">State</th></tr></thead><tbody>{rows}</tbody></table></div>{empty}"#
    )
}

/// `3 d 4 h`, `2 h 5 min`, `7 min`, `12 s`.
fn age_text(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min")
    } else {
        format!("{secs} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(age_text(12), "12 s");
        assert_eq!(age_text(7 * 60 + 5), "7 min");
        assert_eq!(age_text(2 * 3600 + 5 * 60), "2 h 5 min");
        assert_eq!(age_text(3 * 86_400 + 4 * 3600 + 1), "3 d 4 h");
    }
}
