//! What the dispatcher sees (DESIGN §10: the operator's "dispatcher decisions", the
//! acceptor's "success rate"): for each chain a dry-run decision for a nominal
//! 1 USDT collection — the same [`EngineSelector`] the order loop uses, over the same
//! rows, stored nowhere — gives every registered acceptor's standing (eligible or
//! why not, free collateral, open orders, completed and failed deals over the
//! sliding window, success rate); and the decision log's latest rows show who got
//! which order and how the attempt ended.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use super::{html, html::escape};
use crate::{
    dispatch::{CandidateReport, Decision, Ineligible},
    error::Result,
    orders::{
        acceptor::{AcceptorSelector, OrderAsk},
        selector::EngineSelector,
    },
    state::AppState,
};

/// The probe's amount: 1 USDT, small enough that collateral rarely decides.
const PROBE_UNITS: u64 = 1_000_000;

/// Reasons that depend on the probe order itself, not on the acceptor's standing.
fn order_specific(reason: Ineligible) -> bool {
    matches!(
        reason,
        Ineligible::Currency | Ineligible::AmountOutOfRange | Ineligible::AlreadyFailedThisOrder
    )
}

/// The dispatcher's view of every acceptor registered on `chain`, now.
pub(super) async fn probe(app: &AppState, chain: &str) -> Result<Decision> {
    let selector = EngineSelector::new(app.config.dispatch.clone());
    let excluded = BTreeSet::new();
    let ask = OrderAsk {
        id: "probe",
        merchant_id: "",
        kind: "collection",
        chain,
        amount: PROBE_UNITS,
        currency: "USD",
        excluded: &excluded,
    };
    selector.decide(&app.db, &ask).await
}

/// Registered acceptors' names by (chain, address).
pub(super) async fn names(app: &AppState) -> Result<BTreeMap<(String, String), String>> {
    let mut out = BTreeMap::new();
    for r in sqlx::query("SELECT chain, address, name FROM gw_acceptors")
        .fetch_all(&app.db.pool)
        .await?
    {
        out.insert((r.try_get(0)?, r.try_get(1)?), r.try_get(2)?);
    }
    Ok(out)
}

/// Success rate over the window as a whole percent, `–` without history.
fn success_rate(c: &CandidateReport) -> String {
    let (done, failed) = (u64::from(c.inputs.completed), u64::from(c.inputs.failed));
    match done + failed {
        0 => "–".into(),
        total => format!("{} %", done * 100 / total),
    }
}

/// Eligible, or the reasons (snake_case names, as in the decision log).
fn standing(c: &CandidateReport) -> (bool, String) {
    let reasons: Vec<String> = c
        .inputs
        .ineligible
        .iter()
        .filter(|r| !order_specific(**r))
        .map(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("{r:?}"))
        })
        .collect();
    if reasons.is_empty() {
        (true, "eligible".into())
    } else {
        (false, reasons.join(", "))
    }
}

/// One table row per acceptor of `decision` (on `chain`); only `only` if given.
pub(super) fn standing_rows(
    chain: &str,
    decision: &Decision,
    names: &BTreeMap<(String, String), String>,
    only: Option<&str>,
) -> String {
    let mut rows = String::new();
    for c in &decision.candidates {
        if only.is_some_and(|a| a != &*c.inputs.id) {
            continue;
        }
        let name = names
            .get(&(chain.to_owned(), c.inputs.id.to_string()))
            .map_or("", String::as_str);
        let (eligible, why) = standing(c);
        rows.push_str(&format!(
            r#"<tr><td>{chain}</td><td>{name}</td><td><code>{addr}</code></td><td class="{cls}">{why}</td><td class="num">{free}</td><td class="num">{open}</td><td class="num">{done}</td><td class="num">{failed}</td><td class="num">{rate}</td></tr>"#,
            chain = escape(chain),
            name = escape(name),
            addr = escape(&html::short(&c.inputs.id)),
            cls = if eligible { "ok" } else { "error" },
            why = escape(&why),
            free = html::usdt(u128::from(c.inputs.free_collateral)),
            open = c.inputs.open,
            done = c.inputs.completed,
            failed = c.inputs.failed,
            rate = success_rate(c),
        ));
    }
    rows
}

/// The table around [`standing_rows`].
pub(super) fn standing_table(id: &str, rows: &str) -> String {
    let rows = if rows.is_empty() {
        r#"<tr><td colspan="9">No acceptor is registered with the dispatcher.</td></tr>"#
    } else {
        rows
    };
    format!(
        r#"<div class="scroll"><table id="{id}"><thead><tr><th scope="col">Chain</th><th scope="col">Name</th><th scope="col">Address</th><th scope="col">Standing</th><th scope="col">Free collateral</th><th scope="col">Open orders</th><th scope="col">Completed</th><th scope="col">Failed</th><th scope="col">Success rate</th></tr></thead><tbody>{rows}</tbody></table></div>"#
    )
}

/// The strategy's name from its stored JSON (`{"kind": "success_rate", ...}`).
fn strategy_kind(stored: &str) -> String {
    serde_json::from_str::<serde_json::Value>(stored)
        .ok()
        .and_then(|v| v["kind"].as_str().map(str::to_owned))
        .unwrap_or_else(|| stored.to_owned())
}

/// The latest `limit` decisions of the log, newest first.
pub(super) async fn recent_decisions(
    app: &AppState,
    names: &BTreeMap<(String, String), String>,
    limit: i64,
) -> Result<String> {
    let mut rows = String::new();
    for r in sqlx::query(
        "SELECT id, order_id, chain, chosen, strategy, outcome, created_at FROM gw_dispatch_decisions ORDER BY seq DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&app.db.pool)
    .await?
    {
        let chain: String = r.try_get(2)?;
        let chosen: Option<String> = r.try_get(3)?;
        let who = match &chosen {
            Some(a) => names
                .get(&(chain.clone(), a.clone()))
                .cloned()
                .unwrap_or_else(|| html::short(a)),
            None => "nobody".into(),
        };
        rows.push_str(&format!(
            r#"<tr><td>{at}</td><td><code>{id}</code></td><td><code>{order}</code></td><td>{chain}</td><td>{strategy}</td><td>{who}</td><td>{outcome}</td></tr>"#,
            at = html::time_ms(r.try_get(6)?),
            id = escape(&r.try_get::<String, _>(0)?),
            order = escape(&r.try_get::<String, _>(1)?),
            chain = escape(&chain),
            strategy = escape(&strategy_kind(&r.try_get::<String, _>(4)?)),
            who = escape(&who),
            outcome = escape(&r.try_get::<String, _>(5)?),
        ));
    }
    if rows.is_empty() {
        rows = r#"<tr><td colspan="7">No decision yet.</td></tr>"#.into();
    }
    Ok(format!(
        r#"<div class="scroll"><table id="decisions"><thead><tr><th scope="col">When</th><th scope="col">Decision</th><th scope="col">Order</th><th scope="col">Chain</th><th scope="col">Strategy</th><th scope="col">Chosen</th><th scope="col">Outcome</th></tr></thead><tbody>{rows}</tbody></table></div>"#
    ))
}
