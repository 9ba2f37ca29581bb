//! A Solana JSON-RPC test server fed with a recorded [`Ledger`]: no validator
//! can run here, so the indexer's Solana source is tested against REAL
//! transactions (recorded from the test bank by the demo crate's
//! `solana_ledger`) served in the documented shapes of `getSlot`, `getBlocks`,
//! `getBlock`, `getSignaturesForAddress` and `getTransaction` (answered by the
//! demo crate's `solana_blocks`, which its runtime node shares), over JSON-RPC
//! 2.0 on `POST /` (single requests and batches).
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

use stablerail_demo::solana_blocks::{self, INVALID_PARAMS, METHOD_NOT_FOUND, View};

use super::solana_ledger::{Ledger, RecordedBlock};

/// JSON-RPC: the request is not JSON.
const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: not a request object.
const INVALID_REQUEST: i64 = -32600;
/// Solana: the node is behind.
const NODE_UNHEALTHY: i64 = -32005;

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
    let view = View {
        ledger: &k.ledger,
        head: k.head_slot(),
        finalized: k.finalized_slot(),
    };
    let result = match (
        method.as_str(),
        solana_blocks::answer(&view, method, &params),
    ) {
        (_, Some(answer)) => answer,
        ("getHealth", None) => Ok(json!("ok")),
        (_, None) => Err(solana_blocks::RpcError::new(
            METHOD_NOT_FOUND,
            "Method not found",
        )),
    };
    match result {
        Ok(v) => json!({"jsonrpc": "2.0", "result": v, "id": id}),
        Err(e) => error_response(id, e.code, &e.message),
    }
}
