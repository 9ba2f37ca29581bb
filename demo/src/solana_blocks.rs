//! Serving a recorded [`Ledger`] as a Solana node does: the documented shapes of
//! `getSlot`, `getBlocks`, `getBlock`, `getSignaturesForAddress` and
//! `getTransaction`, for a node that shows the ledger up to a head and a finalized
//! slot. The tests crate's JSON-RPC test server (which adds lag, forks and
//! failures) and [`crate::solana_node`] (the runtime node the gateway's indexer
//! follows) both answer these methods here.

use serde_json::{Value, json};

use crate::solana_ledger::{Ledger, RecordedBlock, UiTransactionWithMeta};

/// JSON-RPC: bad parameters.
pub const INVALID_PARAMS: i64 = -32602;
/// JSON-RPC: unknown method.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Solana: the block was cleaned up (below the first available block).
pub const BLOCK_CLEANED_UP: i64 = -32001;
/// Solana: the slot has no block yet at this commitment.
pub const BLOCK_NOT_AVAILABLE: i64 = -32004;
/// Solana: the slot was skipped.
pub const SLOT_SKIPPED: i64 = -32007;

/// What a node shows of a ledger: its blocks up to `head` (processed and
/// confirmed), `finalized` at or below it.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The recorded blocks.
    pub ledger: &'a Ledger,
    /// The highest slot shown.
    pub head: u64,
    /// The finalized slot.
    pub finalized: u64,
}

/// The answer to `method` with `params` if it is one of the ledger's methods
/// (`None` otherwise: the caller answers it or says "Method not found").
pub fn answer(view: &View<'_>, method: &str, params: &[Value]) -> Option<Result<Value, RpcError>> {
    Some(match method {
        "getSlot" => get_slot(view, params),
        "getBlocks" => get_blocks(view, params),
        "getBlock" => get_block(view, params),
        "getSignaturesForAddress" => get_signatures_for_address(view, params),
        "getTransaction" => get_transaction(view, params),
        "getFirstAvailableBlock" => Ok(json!(view.ledger.first_slot().unwrap_or(0))),
        _ => return None,
    })
}

/// The slot a commitment names (`processed`/`confirmed`: the head; `finalized`).
pub fn commitment_slot(view: &View<'_>, params: &[Value], index: usize) -> Result<u64, RpcError> {
    let c = commitment(&config(params, index)?)?;
    Ok(slot_for(view, c))
}

/// A JSON-RPC error: code, message and optional data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    /// The JSON-RPC error code.
    pub code: i64,
    /// Its message.
    pub message: String,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `-32602 Invalid params: <why>`.
    pub fn params(why: impl std::fmt::Display) -> Self {
        Self::new(INVALID_PARAMS, format!("Invalid params: {why}"))
    }
}

/// A commitment level.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Commitment {
    Processed,
    Confirmed,
    Finalized,
}

/// The config object at `params[index]`, if any.
fn config(params: &[Value], index: usize) -> Result<serde_json::Map<String, Value>, RpcError> {
    match params.get(index) {
        None | Some(Value::Null) => Ok(serde_json::Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(other) => Err(RpcError::params(format!(
            "expected a config object, got {other}"
        ))),
    }
}

/// The commitment of a config (Solana's default: finalized).
fn commitment(cfg: &serde_json::Map<String, Value>) -> Result<Commitment, RpcError> {
    match cfg.get("commitment") {
        None | Some(Value::Null) => Ok(Commitment::Finalized),
        Some(Value::String(s)) => match s.as_str() {
            "processed" => Ok(Commitment::Processed),
            "confirmed" => Ok(Commitment::Confirmed),
            "finalized" => Ok(Commitment::Finalized),
            other => Err(RpcError::params(format!("unknown commitment {other}"))),
        },
        Some(other) => Err(RpcError::params(format!("commitment {other}"))),
    }
}

/// Methods that read blocks do not take `processed`.
fn at_least_confirmed(c: Commitment) -> Result<Commitment, RpcError> {
    if c == Commitment::Processed {
        return Err(RpcError::params(
            "Method does not support commitment below `confirmed`",
        ));
    }
    Ok(c)
}

fn slot_for(k: &View<'_>, c: Commitment) -> u64 {
    match c {
        Commitment::Processed | Commitment::Confirmed => k.head,
        Commitment::Finalized => k.finalized,
    }
}

fn u64_param(params: &[Value], index: usize, name: &str) -> Result<u64, RpcError> {
    params
        .get(index)
        .and_then(Value::as_u64)
        .ok_or_else(|| RpcError::params(format!("{name}: expected an unsigned integer")))
}

fn string_param<'a>(params: &'a [Value], index: usize, name: &str) -> Result<&'a str, RpcError> {
    params
        .get(index)
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::params(format!("{name}: expected a string")))
}

/// `getSlot [{commitment}]`.
fn get_slot(k: &View<'_>, params: &[Value]) -> Result<Value, RpcError> {
    let c = commitment(&config(params, 0)?)?;
    Ok(json!(slot_for(k, c)))
}

/// `getBlocks [start, end?, {commitment}]`: slots with a block in the range,
/// at most the commitment's slot.
fn get_blocks(k: &View<'_>, params: &[Value]) -> Result<Value, RpcError> {
    let start = u64_param(params, 0, "start slot")?;
    let (end, cfg_index) = match params.get(1) {
        Some(Value::Number(_)) => (Some(u64_param(params, 1, "end slot")?), 2),
        _ => (None, 1),
    };
    let c = at_least_confirmed(commitment(&config(params, cfg_index)?)?)?;
    let top = slot_for(k, c);
    let end = end.map_or(top, |e| e.min(top));
    if end.saturating_sub(start) > 500_000 {
        return Err(RpcError::params("Slot range too large; max 500000"));
    }
    let slots: Vec<u64> = k
        .ledger
        .blocks
        .iter()
        .map(|b| b.slot)
        .filter(|s| (start..=end).contains(s))
        .collect();
    Ok(json!(slots))
}

/// Checks `encoding` (json only) and returns whether `version` is shown
/// (`maxSupportedTransactionVersion` given).
fn transaction_encoding(cfg: &serde_json::Map<String, Value>) -> Result<bool, RpcError> {
    match cfg.get("encoding") {
        None | Some(Value::Null) => {}
        Some(Value::String(e)) if e == "json" => {}
        Some(other) => {
            return Err(RpcError::params(format!(
                "unsupported encoding {other}: this node serves \"json\" only"
            )));
        }
    }
    match cfg.get("maxSupportedTransactionVersion") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(true),
        Some(other) => Err(RpcError::params(format!(
            "maxSupportedTransactionVersion {other}: only 0 is supported"
        ))),
    }
}

fn transaction_json(tx: &UiTransactionWithMeta, with_version: bool) -> Result<Value, RpcError> {
    let mut v = serde_json::to_value(tx)
        .map_err(|e| RpcError::new(-32603, format!("Internal error: {e}")))?;
    if !with_version && let Value::Object(m) = &mut v {
        m.remove("version");
    }
    Ok(v)
}

/// `getBlock [slot, {encoding, transactionDetails, rewards,
/// maxSupportedTransactionVersion, commitment}]`.
fn get_block(k: &View<'_>, params: &[Value]) -> Result<Value, RpcError> {
    let slot = u64_param(params, 0, "slot")?;
    let cfg = config(params, 1)?;
    let with_version = transaction_encoding(&cfg)?;
    let c = at_least_confirmed(commitment(&cfg)?)?;
    let details = match cfg.get("transactionDetails") {
        None | Some(Value::Null) => "full",
        Some(Value::String(d)) if ["full", "signatures", "none"].contains(&d.as_str()) => d,
        Some(other) => return Err(RpcError::params(format!("transactionDetails {other}"))),
    };
    let rewards = match cfg.get("rewards") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(RpcError::params(format!("rewards {other}"))),
    };
    if slot > slot_for(k, c) {
        return Err(RpcError::new(
            BLOCK_NOT_AVAILABLE,
            format!("Block not available for slot {slot}"),
        ));
    }
    let first = k.ledger.first_slot().unwrap_or(0);
    if slot < first {
        return Err(RpcError::new(
            BLOCK_CLEANED_UP,
            format!(
                "Block {slot} cleaned up, does not exist on node. First available block: {first}"
            ),
        ));
    }
    let Some(b) = k.ledger.block(slot) else {
        return Err(RpcError::new(
            SLOT_SKIPPED,
            format!("Slot {slot} was skipped, or missing due to ledger jump to recent snapshot"),
        ));
    };
    let mut out = json!({
        "blockHeight": b.block.block_height,
        "blockTime": b.block.block_time,
        "blockhash": b.block.blockhash,
        "parentSlot": b.block.parent_slot,
        "previousBlockhash": b.block.previous_blockhash,
    });
    if let Value::Object(m) = &mut out {
        match details {
            "full" => {
                let txs = b
                    .block
                    .transactions
                    .iter()
                    .map(|t| transaction_json(t, with_version))
                    .collect::<Result<Vec<_>, _>>()?;
                m.insert("transactions".into(), Value::Array(txs));
            }
            "signatures" => {
                let sigs: Vec<Value> = b
                    .block
                    .transactions
                    .iter()
                    .map(|t| json!(t.signature()))
                    .collect();
                m.insert("signatures".into(), Value::Array(sigs));
            }
            _ => {}
        }
        if rewards {
            // The test bank pays no block rewards.
            m.insert("rewards".into(), json!([]));
        }
    }
    Ok(out)
}

/// `getSignaturesForAddress [address, {limit, before, until, commitment}]`:
/// newest first.
fn get_signatures_for_address(k: &View<'_>, params: &[Value]) -> Result<Value, RpcError> {
    let address = string_param(params, 0, "address")?;
    let parsed = address
        .parse::<solana_sdk::pubkey::Pubkey>()
        .map_err(|_| RpcError::params("Invalid param: Invalid"))?;
    let address = parsed.to_string();
    let cfg = config(params, 1)?;
    let c = at_least_confirmed(commitment(&cfg)?)?;
    let limit = match cfg.get("limit") {
        None | Some(Value::Null) => 1000,
        Some(v) => v
            .as_u64()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| RpcError::params("Invalid limit; max 1000"))?,
    };
    let sig_of = |name: &str| -> Result<Option<String>, RpcError> {
        match cfg.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(RpcError::params(format!("{name} {other}"))),
        }
    };
    let (before, until) = (sig_of("before")?, sig_of("until")?);
    let top = slot_for(k, c);
    let finalized = k.finalized;
    // Newest first, only what the commitment shows.
    let mut visible: Vec<(&RecordedBlock, &UiTransactionWithMeta)> = k
        .ledger
        .transactions()
        .filter(|(b, _)| b.slot <= top)
        .collect();
    visible.reverse();
    let mut start = 0;
    if let Some(before) = &before {
        match visible.iter().position(|(_, t)| t.signature() == before) {
            Some(i) => start = i + 1,
            // An unknown `before` finds nothing (as a node answers).
            None => return Ok(json!([])),
        }
    }
    let mut out = Vec::new();
    for (b, t) in visible.into_iter().skip(start) {
        if until.as_deref() == Some(t.signature()) {
            break;
        }
        if !t.transaction.message.account_keys.contains(&address) {
            continue;
        }
        out.push(json!({
            "signature": t.signature(),
            "slot": b.slot,
            "err": t.meta.err,
            "memo": null,
            "blockTime": b.block.block_time,
            "confirmationStatus": if b.slot <= finalized { "finalized" } else { "confirmed" },
        }));
        if out.len() as u64 >= limit {
            break;
        }
    }
    Ok(Value::Array(out))
}

/// `getTransaction [signature, {encoding, maxSupportedTransactionVersion,
/// commitment}]`: the transaction with its slot and block time, or null.
fn get_transaction(k: &View<'_>, params: &[Value]) -> Result<Value, RpcError> {
    let signature = string_param(params, 0, "signature")?;
    let cfg = config(params, 1)?;
    let with_version = transaction_encoding(&cfg)?;
    let c = at_least_confirmed(commitment(&cfg)?)?;
    let top = slot_for(k, c);
    let Some((b, t)) = k
        .ledger
        .transaction(signature)
        .filter(|(b, _)| b.slot <= top)
    else {
        return Ok(Value::Null);
    };
    let mut v = transaction_json(t, with_version)?;
    if let Value::Object(m) = &mut v {
        m.insert("slot".into(), json!(b.slot));
        m.insert("blockTime".into(), json!(b.block.block_time));
    }
    Ok(v)
}
