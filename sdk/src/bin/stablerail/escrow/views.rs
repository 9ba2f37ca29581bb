//! JSON views of escrow reads, shared by the EVM and TRON commands (each passes
//! how its chain prints addresses).

use alloy::primitives::{Address, Signature, U256};
use serde_json::{Value, json};
use stablerail_sdk::evm::{AccountView, BuyOrderView, CoSignAction, DealView};

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
        "co_signer": (!a.co_signer.is_zero()).then(|| render(a.co_signer)),
        "daily_allowance": a.daily_allowance.to_string(),
        "outflow_today": a.outflow_today.to_string(),
        "outflow_day": a.outflow_day,
        "co_sign_nonce": a.co_sign_nonce,
        "pending_co_signer": a.pending_co_signer.map(|(c, allowance, at)| json!({
            "co_signer": (!c.is_zero()).then(|| render(c)),
            "daily_allowance": allowance.to_string(),
            "effective_at": at,
        })),
        "acceptor": {
            "online": a.online,
            "max_per_deal": a.max_per_deal.to_string(),
            "max_locked": a.max_locked.to_string(),
        },
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
        "fee_bps": d.rates.fee_bps,
        "agent": (!d.rates.agent.is_zero()).then(|| render(d.rates.agent)),
        "agent_share_bps": d.rates.agent_share_bps,
        "reward_bps": d.rates.reward_bps,
        "disputed_at": (d.disputed_at != 0).then_some(d.disputed_at),
    })
}

/// JSON of an open buy order.
pub(crate) fn order_json(o: &BuyOrderView, render: impl Fn(Address) -> String) -> Value {
    json!({
        "order_id": o.id.to_string(),
        "merchant": render(o.merchant),
        "price": o.price,
        "currency": o.currency,
        "remaining": o.remaining.to_string(),
        "min_fill": o.min_fill.to_string(),
        "max_fill": o.max_fill.to_string(),
        "expiry": o.expiry,
        "payment_window": o.payment_window,
    })
}

/// JSON of a co-signer's approval: what the account passes as `--co-signature`
/// and `--co-deadline`.
pub(crate) fn co_sign_json(
    owner: String,
    co_signer: String,
    action: CoSignAction,
    subject: U256,
    deadline: u64,
    signature: &Signature,
) -> Value {
    json!({
        "owner": owner,
        "co_signer": co_signer,
        "action": action.as_str(),
        "subject": subject.to_string(),
        "deadline": deadline,
        "signature": format!("0x{}", alloy::hex::encode(signature.as_bytes())),
    })
}

/// JSON of where an account's withdrawals go now, and any pending change.
pub(crate) fn withdrawal_json(
    owner: String,
    goes_to: String,
    a: &AccountView,
    render: impl Fn(Address) -> String,
) -> Value {
    json!({
        "owner": owner,
        "withdrawals_go_to": goes_to,
        "pending": a.pending_withdrawal.map(|(to, at)| json!({"to": render(to), "effective_at": at})),
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
