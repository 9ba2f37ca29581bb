//! A Solana JSON-RPC test server fed with a recorded [`Ledger`]: no validator
//! can run here, so the indexer's Solana source is tested against REAL
//! transactions (recorded from the test bank by `common/solana_ledger.rs`)
//! served in the documented shapes of `getSlot`, `getBlocks`, `getBlock`,
//! `getSignaturesForAddress` and `getTransaction`, over JSON-RPC 2.0 on
//! `POST /` (single requests and batches).
//!
//! [`Knobs`] (behind a mutex the test holds through [`RpcHandle::knobs`]) make
//! the node lag (visible head), set the finality depth, switch to a fork, and
//! inject failures (HTTP 503, or JSON-RPC `-32005 Node is behind`). Skipped
//! slots come from the recording itself ([`super::solana::Bank::skip_next_slot`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::{Context as _, ensure};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::solana_ledger::{Ledger, RecordedBlock, UiTransactionWithMeta};

/// JSON-RPC: the request is not JSON.
const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: not a request object.
const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC: unknown method.
const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC: bad parameters.
const INVALID_PARAMS: i64 = -32602;
/// Solana: the block was cleaned up (below the first available block).
const BLOCK_CLEANED_UP: i64 = -32001;
/// Solana: the slot has no block yet at this commitment.
const BLOCK_NOT_AVAILABLE: i64 = -32004;
/// Solana: the node is behind.
const NODE_UNHEALTHY: i64 = -32005;
/// Solana: the slot was skipped.
const SLOT_SKIPPED: i64 = -32007;

/// What the node serves and how it misbehaves; the test changes these while
/// the server runs.
#[derive(Debug)]
pub(crate) struct Knobs {
    ledger: Ledger,
    /// The highest slot the node shows (a lagging node); `None`: the ledger's
    /// last block.
    pub(crate) head: Option<u64>,
    /// Slots between the head and the finalized slot (`finalized` = the
    /// highest block at or below head − depth).
    pub(crate) finality_depth: u64,
    /// The next this many HTTP calls answer 503 Service Unavailable.
    pub(crate) fail_http: u32,
    /// The next this many HTTP calls answer every request with JSON-RPC
    /// `{"code":-32005,"message":"Node is behind"}`.
    pub(crate) fail_behind: u32,
    /// HTTP calls served so far (failed ones included).
    pub(crate) calls: u64,
    /// JSON-RPC requests answered so far (each batch entry counts).
    pub(crate) requests: u64,
}

impl Knobs {
    fn new(ledger: Ledger) -> Self {
        Self {
            ledger,
            head: None,
            finality_depth: 0,
            fail_http: 0,
            fail_behind: 0,
            calls: 0,
            requests: 0,
        }
    }

    /// The ledger served.
    pub(crate) fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The processed/confirmed slot: the highest block at or below the head.
    pub(crate) fn head_slot(&self) -> u64 {
        let limit = self.head.unwrap_or(u64::MAX);
        self.block_at_or_below(limit)
    }

    /// The finalized slot: the highest block at or below head − depth.
    pub(crate) fn finalized_slot(&self) -> u64 {
        self.block_at_or_below(self.head_slot().saturating_sub(self.finality_depth))
    }

    /// The highest slot with a block at or below `limit`; the first block's
    /// parent when there is none.
    fn block_at_or_below(&self, limit: u64) -> u64 {
        let blocks = &self.ledger.blocks;
        let n = blocks.partition_point(|b| b.slot <= limit);
        match n.checked_sub(1).and_then(|i| blocks.get(i)) {
            Some(b) => b.slot,
            None => blocks.first().map_or(0, |b| b.block.parent_slot.min(limit)),
        }
    }

    /// The node switches to a fork: every block above `above` is replaced by
    /// `other`'s blocks above it. The first of them is linked to the kept
    /// block at or below `above` (its `parentSlot`, `previousBlockhash` and the
    /// block heights after it): two test banks never share block hashes, so
    /// this link is the one field not recorded as is. Refused below the
    /// finalized slot (a finalized block never changes).
    pub(crate) fn fork(&mut self, above: u64, other: &Ledger) -> anyhow::Result<()> {
        let finalized = self.finalized_slot();
        ensure!(
            above >= finalized,
            "fork above {above} would change finalized slot {finalized}"
        );
        let keep = self.ledger.blocks.partition_point(|b| b.slot <= above);
        let mut blocks: Vec<RecordedBlock> = self.ledger.blocks[..keep].to_vec();
        let parent = blocks
            .last()
            .map(|b| (b.slot, b.block.blockhash.clone(), b.block.block_height))
            .context("fork: no block at or below the fork point")?;
        let replacement: Vec<RecordedBlock> = other
            .blocks
            .iter()
            .filter(|b| b.slot > above)
            .cloned()
            .collect();
        ensure!(
            !replacement.is_empty(),
            "fork: the other ledger has no block above {above}"
        );
        let (mut parent_slot, mut parent_hash, mut height) = parent;
        for (i, mut b) in replacement.into_iter().enumerate() {
            if i == 0 {
                b.block.parent_slot = parent_slot;
                b.block.previous_blockhash = parent_hash.clone();
            }
            height = height.map(|h| h + 1);
            b.block.block_height = height;
            parent_slot = b.slot;
            parent_hash = b.block.blockhash.clone();
            blocks.push(b);
        }
        let forked = Ledger { blocks };
        forked.check_links()?;
        self.ledger = forked;
        Ok(())
    }
}

/// The running server: its knobs, stopped when dropped.
pub(crate) struct RpcHandle {
    knobs: Arc<Mutex<Knobs>>,
    task: tokio::task::JoinHandle<()>,
}

impl RpcHandle {
    /// The knobs (hold the guard briefly: the server waits for it).
    pub(crate) fn knobs(&self) -> MutexGuard<'_, Knobs> {
        self.knobs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for RpcHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The JSON-RPC test server.
pub(crate) struct SolanaRpc;

impl SolanaRpc {
    /// Serves `ledger` on `127.0.0.1:0`; returns the URL (`http://127.0.0.1:port/`)
    /// and the handle.
    pub(crate) async fn start(ledger: Ledger) -> anyhow::Result<(String, RpcHandle)> {
        ledger.check_links()?;
        let knobs = Arc::new(Mutex::new(Knobs::new(ledger)));
        let app = Router::new()
            .route("/", post(serve))
            .with_state(knobs.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/", listener.local_addr()?);
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("solana rpc test server: {e}");
            }
        });
        Ok((url, RpcHandle { knobs, task }))
    }
}

async fn serve(State(knobs): State<Arc<Mutex<Knobs>>>, body: Bytes) -> Response {
    let mut k = knobs.lock().unwrap_or_else(PoisonError::into_inner);
    k.calls += 1;
    if k.fail_http > 0 {
        k.fail_http -= 1;
        return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
    }
    let behind = if k.fail_behind > 0 {
        k.fail_behind -= 1;
        true
    } else {
        false
    };
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return json_response(&error_response(Value::Null, PARSE_ERROR, "Parse error")),
    };
    let answer = match parsed {
        Value::Array(batch) if batch.is_empty() => {
            error_response(Value::Null, INVALID_REQUEST, "Invalid request")
        }
        Value::Array(batch) => {
            Value::Array(batch.into_iter().map(|r| one(&mut k, r, behind)).collect())
        }
        single => one(&mut k, single, behind),
    };
    json_response(&answer)
}

fn json_response(v: &Value) -> Response {
    (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// A JSON-RPC error: code, message and optional data.
struct RpcError {
    code: i64,
    message: String,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn params(why: impl std::fmt::Display) -> Self {
        Self::new(INVALID_PARAMS, format!("Invalid params: {why}"))
    }
}

fn error_response(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id})
}

fn one(k: &mut Knobs, request: Value, behind: bool) -> Value {
    k.requests += 1;
    let Value::Object(req) = request else {
        return error_response(Value::Null, INVALID_REQUEST, "Invalid request");
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let (Some(Value::String(method)), true) = (
        req.get("method"),
        req.get("jsonrpc") == Some(&Value::String("2.0".into())),
    ) else {
        return error_response(id, INVALID_REQUEST, "Invalid request");
    };
    if behind {
        return error_response(id, NODE_UNHEALTHY, "Node is behind");
    }
    let params = match req.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(p)) => p.clone(),
        Some(_) => {
            return error_response(id, INVALID_PARAMS, "Invalid params: expected an array");
        }
    };
    let result = match method.as_str() {
        "getSlot" => get_slot(k, &params),
        "getBlocks" => get_blocks(k, &params),
        "getBlock" => get_block(k, &params),
        "getSignaturesForAddress" => get_signatures_for_address(k, &params),
        "getTransaction" => get_transaction(k, &params),
        "getFirstAvailableBlock" => Ok(json!(k.ledger.first_slot().unwrap_or(0))),
        "getHealth" => Ok(json!("ok")),
        _ => Err(RpcError::new(METHOD_NOT_FOUND, "Method not found")),
    };
    match result {
        Ok(v) => json!({"jsonrpc": "2.0", "result": v, "id": id}),
        Err(e) => error_response(id, e.code, &e.message),
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

fn slot_for(k: &Knobs, c: Commitment) -> u64 {
    match c {
        Commitment::Processed | Commitment::Confirmed => k.head_slot(),
        Commitment::Finalized => k.finalized_slot(),
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
fn get_slot(k: &Knobs, params: &[Value]) -> Result<Value, RpcError> {
    let c = commitment(&config(params, 0)?)?;
    Ok(json!(slot_for(k, c)))
}

/// `getBlocks [start, end?, {commitment}]`: slots with a block in the range,
/// at most the commitment's slot.
fn get_blocks(k: &Knobs, params: &[Value]) -> Result<Value, RpcError> {
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
fn get_block(k: &Knobs, params: &[Value]) -> Result<Value, RpcError> {
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
fn get_signatures_for_address(k: &Knobs, params: &[Value]) -> Result<Value, RpcError> {
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
    let finalized = k.finalized_slot();
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
fn get_transaction(k: &Knobs, params: &[Value]) -> Result<Value, RpcError> {
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
