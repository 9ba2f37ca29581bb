//! Solana source: JSON-RPC over HTTP. `getSlot` at the `confirmed` commitment is the
//! head and at `finalized` the finality line; `getBlocks` lists the produced slots of a
//! range and `getBlock` (JSON encoding, full transactions, v0 allowed) fetches each.
//! Decoding happens in [`crate::decode::solana`].
//!
//! Skipped slots. Slots are the block numbers here, and a leader may produce no block
//! for its slot. A skipped slot gets the header of the state it leaves unchanged: its
//! hash and parent hash are both the hash of the last produced block before it. The
//! headers of a range then still link one to the next (the next produced block names
//! that hash as its `previousBlockhash`), and a slot produced on a fork that the cluster
//! later skipped changes its header, which the pipeline takes as the reorg it is.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use futures::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use super::{
    Fetched, Heads, check_links,
    retry::{Backoff, TIMEOUT_MARK, retry},
};
use crate::{
    config::ChainConfig,
    decode::{
        Rows,
        solana::{SolanaDecoder, block::SolanaBlock},
    },
    error::{Error, Result},
    store::BlockRow,
};

/// JSON-RPC error codes meaning "no block was produced in this slot".
const SLOT_SKIPPED: [i64; 2] = [-32007, -32009];
/// JSON-RPC error code meaning "this node does not have the block (yet)".
const BLOCK_NOT_AVAILABLE: i64 = -32004;
/// How far below a slot to look for the last produced block.
const LOOKBACK_SLOTS: u64 = 1_000;

/// A Solana cluster reached over JSON-RPC.
#[derive(Debug)]
pub struct SolanaSource {
    client: reqwest::Client,
    urls: Vec<String>,
    decoder: SolanaDecoder,
    backoff: Backoff,
    concurrency: usize,
    slots_per_fetch: u64,
    /// Index of the endpoint that answered last; requests start there.
    preferred: AtomicUsize,
}

#[derive(Debug, Deserialize)]
struct RpcResponse {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<RpcError>,
}

#[derive(Debug, Deserialize)]
struct RpcError {
    code: i64,
    message: String,
}

/// What a call returned: a result, or a JSON-RPC error the caller may handle.
enum Answer<T> {
    Ok(T),
    NodeError(RpcError),
}

impl SolanaSource {
    /// Builds the source from a validated chain section.
    pub fn new(cfg: &ChainConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(cfg.request_timeout_ms))
            .build()
            .map_err(|e| rpc_error("client", e.to_string()))?;
        Ok(Self {
            client,
            urls: cfg.rpc_urls.clone(),
            decoder: SolanaDecoder::new(cfg)?,
            backoff: Backoff {
                attempts: cfg.max_attempts,
                ..Backoff::default()
            },
            concurrency: cfg.concurrency,
            slots_per_fetch: cfg.initial_range,
            preferred: AtomicUsize::new(0),
        })
    }

    /// One JSON-RPC call, retried on transport errors, HTTP errors and node errors other
    /// than those in `handled` (returned to the caller as [`Answer::NodeError`]).
    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Value,
        handled: &[i64],
    ) -> Result<Answer<T>> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let body = &body;
        retry(self.backoff, method, false, |attempt| {
            let index =
                (self.preferred.load(Ordering::Relaxed) + attempt as usize) % self.urls.len();
            let url = &self.urls[index];
            async move {
                let resp = self.client.post(url).json(body).send().await.map_err(|e| {
                    rpc_error(
                        method,
                        if e.is_timeout() {
                            format!("{TIMEOUT_MARK}: {e}")
                        } else {
                            e.to_string()
                        },
                    )
                })?;
                let status = resp.status();
                let text = resp
                    .text()
                    .await
                    .map_err(|e| rpc_error(method, e.to_string()))?;
                let excerpt = || text.chars().take(200).collect::<String>();
                if !status.is_success() {
                    return Err(rpc_error(method, format!("HTTP {status}: {}", excerpt())));
                }
                let answer: RpcResponse = serde_json::from_str(&text)
                    .map_err(|e| rpc_error(method, format!("not JSON-RPC ({e}): {}", excerpt())))?;
                self.preferred.store(index, Ordering::Relaxed);
                if let Some(err) = answer.error {
                    if handled.contains(&err.code) {
                        return Ok(Answer::NodeError(err));
                    }
                    return Err(rpc_error(
                        method,
                        format!("error {}: {}", err.code, err.message),
                    ));
                }
                let result = answer.result.unwrap_or(Value::Null);
                serde_json::from_value(result)
                    .map(Answer::Ok)
                    .map_err(|e| rpc_error(method, format!("unexpected shape: {e}")))
            }
        })
        .await
    }

    async fn slot(&self, commitment: &str) -> Result<u64> {
        match self
            .call("getSlot", json!([{ "commitment": commitment }]), &[])
            .await?
        {
            Answer::Ok(slot) => Ok(slot),
            Answer::NodeError(e) => Err(rpc_error("getSlot", e.message)),
        }
    }

    /// Head at `confirmed`, finality line at `finalized`.
    pub async fn heads(&self) -> Result<Heads> {
        let head = self.slot("confirmed").await?;
        let finalized = self.slot("finalized").await?;
        Ok(Heads {
            head,
            finalized: finalized.min(head),
        })
    }

    /// Produced slots in `[from, to]`, ascending.
    async fn produced(&self, from: u64, to: u64) -> Result<Vec<u64>> {
        match self
            .call(
                "getBlocks",
                json!([from, to, { "commitment": "confirmed" }]),
                &[],
            )
            .await?
        {
            Answer::Ok(slots) => {
                let mut slots: Vec<u64> = slots;
                slots.sort_unstable();
                slots.dedup();
                Ok(slots)
            }
            Answer::NodeError(e) => Err(rpc_error("getBlocks", e.message)),
        }
    }

    /// What the node has at `slot`: a block (with its transactions if `full`), a
    /// skipped slot, or nothing yet.
    async fn block(&self, slot: u64, full: bool) -> Result<SlotBlock> {
        let params = json!([slot, {
            "encoding": "json",
            "transactionDetails": if full { "full" } else { "none" },
            "rewards": false,
            "maxSupportedTransactionVersion": 0,
            "commitment": "confirmed",
        }]);
        let mut handled = SLOT_SKIPPED.to_vec();
        handled.push(BLOCK_NOT_AVAILABLE);
        Ok(
            match self
                .call::<Option<SolanaBlock>>("getBlock", params, &handled)
                .await?
            {
                Answer::Ok(Some(b)) => SlotBlock::Produced(Box::new(b)),
                Answer::Ok(None) => SlotBlock::NotAvailable,
                Answer::NodeError(e) if SLOT_SKIPPED.contains(&e.code) => SlotBlock::Skipped,
                Answer::NodeError(_) => SlotBlock::NotAvailable,
            },
        )
    }

    /// The hash of the last produced block at or below `slot`.
    async fn last_produced_hash(&self, slot: u64) -> Result<Option<String>> {
        let slots = self
            .produced(slot.saturating_sub(LOOKBACK_SLOTS), slot)
            .await?;
        for s in slots.into_iter().rev() {
            if let SlotBlock::Produced(b) = self.block(s, false).await? {
                return Ok(Some(b.blockhash));
            }
        }
        Ok(None)
    }

    /// Header at a slot; `None` if the node does not have it (yet). A skipped slot's
    /// header carries the last produced block's hash (see the module documentation).
    pub async fn header(&self, slot: u64) -> Result<Option<BlockRow>> {
        match self.block(slot, false).await? {
            SlotBlock::Produced(b) => Ok(Some(header_of(slot, &b)?)),
            SlotBlock::NotAvailable => Ok(None),
            SlotBlock::Skipped => Ok(self
                .last_produced_hash(slot.saturating_sub(1))
                .await?
                .map(|hash| skipped_header(slot, hash, 0))),
        }
    }

    /// Fetches up to `initial_range` slots from `from`: every header (skipped slots as
    /// above) and every row.
    pub async fn fetch(&self, from: u64, target: u64, _finalized: u64) -> Result<Fetched> {
        let to = target.min(from.saturating_add(self.slots_per_fetch - 1));
        let produced = self.produced(from, to).await?;
        let blocks: Vec<(u64, SlotBlock)> = stream::iter(produced.iter().copied())
            .map(|s| async move { Ok::<_, Error>((s, self.block(s, true).await?)) })
            .buffered(self.concurrency)
            .try_collect()
            .await?;
        let mut rows = Rows::default();
        let mut headers = Vec::with_capacity(usize::try_from(to - from + 1).unwrap_or(0));
        // The hash a skipped slot carries: the last produced block's before it.
        let mut last: Option<(u64, String, i64)> = None;
        let mut next = from;
        for (slot, block) in blocks {
            let SlotBlock::Produced(block) = block else {
                return Err(Error::Inconsistent {
                    block: slot,
                    reason: "getBlocks listed the slot but getBlock has no block (chain moved?)"
                        .into(),
                });
            };
            if block.parent_slot >= from && block.parent_slot < slot {
                let listed = last.as_ref().map(|l| l.0);
                if listed != Some(block.parent_slot) {
                    return Err(Error::Inconsistent {
                        block: slot,
                        reason: format!(
                            "parent slot {} is not the previous produced slot {listed:?}",
                            block.parent_slot
                        ),
                    });
                }
            }
            let time = block.block_time.unwrap_or_default();
            let before = match &last {
                Some((_, hash, time)) => (hash.clone(), *time),
                None => (block.previous_blockhash.clone(), time),
            };
            for s in next..slot {
                headers.push(skipped_header(s, before.0.clone(), before.1));
            }
            self.decoder.decode_block(slot, &block, &mut rows)?;
            headers.push(header_of(slot, &block)?);
            last = Some((slot, block.blockhash.clone(), time));
            next = slot + 1;
        }
        if next <= to {
            let (hash, time) = match last {
                Some((_, hash, time)) => (hash, time),
                None => match self.last_produced_hash(from.saturating_sub(1)).await? {
                    Some(hash) => (hash, 0),
                    None => {
                        return Err(Error::Inconsistent {
                            block: from,
                            reason: format!(
                                "no produced block in the {LOOKBACK_SLOTS} slots below"
                            ),
                        });
                    }
                },
            };
            for s in next..=to {
                headers.push(skipped_header(s, hash.clone(), time));
            }
        }
        check_links(&headers)?;
        Ok(Fetched {
            from,
            to,
            blocks: headers,
            rows,
        })
    }
}

/// What `getBlock` said about a slot.
enum SlotBlock {
    Produced(Box<SolanaBlock>),
    Skipped,
    NotAvailable,
}

fn header_of(slot: u64, b: &SolanaBlock) -> Result<BlockRow> {
    Ok(BlockRow {
        number: slot,
        hash: b.blockhash.clone(),
        parent_hash: b.previous_blockhash.clone(),
        time: b.block_time.ok_or_else(|| Error::Inconsistent {
            block: slot,
            reason: "the node returned no blockTime".into(),
        })?,
    })
}

fn skipped_header(slot: u64, hash: String, time: i64) -> BlockRow {
    BlockRow {
        number: slot,
        parent_hash: hash.clone(),
        hash,
        time,
    }
}

fn rpc_error(method: &str, message: String) -> Error {
    Error::Rpc {
        method: method.to_owned(),
        message,
    }
}
