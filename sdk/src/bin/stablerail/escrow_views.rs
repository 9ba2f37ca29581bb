//! JSON views of escrow reads, shared by the EVM and TRON commands (each passes
//! how its chain prints addresses).

use alloy::primitives::{Address, U256};
use serde_json::{Value, json};
use stablerail_sdk::evm::{AccountView, DealView};

use crate::output::Output;

/// JSON of an account, shared with the TRON commands (`render` prints addresses).
pub(crate) fn account_json(
    owner: String,
    a: &AccountView,
    token_balance: U256,
    render: impl Fn(Address) -> String,
) -> Value {
    json!({
        "owner": owner,
        "available": a.available.to_string(),
        "locked": a.locked.to_string(),
        "wallet_token_units": token_balance.to_string(),
        "roles": {
            "merchant": a.roles.0 & 1 != 0,
            "acceptor": a.roles.0 & 2 != 0,
            "agent": a.roles.0 & 4 != 0,
        },
        "agent": (!a.agent.is_zero()).then(|| render(a.agent)),
        "kyc_level": a.kyc_level,
        "region": a.region,
        "merchant_volume": a.merchant_volume.to_string(),
        "agent_volume": a.agent_volume.to_string(),
        "withdrawal_address": (!a.withdrawal_address.is_zero()).then(|| render(a.withdrawal_address)),
        "pending_withdrawal": a.pending_withdrawal.map(|(to, at)| json!({"to": render(to), "effective_at": at})),
    })
}

/// JSON of a deal, shared with the TRON commands.
pub(crate) fn deal_json(d: &DealView, render: impl Fn(Address) -> String) -> Value {
    json!({
        "deal_id": d.id.to_string(),
        "kind": format!("{:?}", d.kind).to_lowercase(),
        "state": d.state.as_str(),
        "seller": render(d.seller),
        "buyer": (!d.buyer.is_zero()).then(|| render(d.buyer)),
        "amount": d.amount.to_string(),
        "deadline": d.deadline,
        "order_ref": d.order_ref.to_string(),
    })
}

/// Prints a JSON value; as text, one `key  value` line per field.
pub(crate) fn emit_value(out: &Output, v: &Value) -> anyhow::Result<()> {
    out.emit(v, |v| match v.as_object() {
        Some(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k:<20} {s}"),
                other => format!("{k:<20} {other}"),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        None => v.to_string(),
    })
}
