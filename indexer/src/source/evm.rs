//! EVM source: `eth_getLogs` for the USDT `Transfer` topic and the escrow and multisig
//! events (one request for all three addresses) over adaptive ranges, fetched
//! `concurrency` ranges at a time, plus the block headers the pipeline needs.

use std::{
    collections::{BTreeSet, HashSet},
    future::Future,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use alloy::{
    eips::BlockNumberOrTag,
    primitives::Address,
    providers::{Provider, RootProvider},
    rpc::types::{Filter, Log},
};
use futures::{StreamExt, TryStreamExt, stream};

use super::{
    Fetched, Heads, check_links,
    range::RangeSizer,
    retry::{Backoff, TIMEOUT_MARK, retry, wants_smaller_range},
};
use crate::{
    chain::ChainKind,
    config::ChainConfig,
    decode::{LogDecoder, LogPosition, Rows},
    error::{Error, Result},
    store::BlockRow,
};

/// An EVM chain reached over JSON-RPC (HTTP or HTTPS), with fallback endpoints.
#[derive(Debug)]
pub struct EvmSource {
    providers: Vec<RootProvider>,
    decoder: LogDecoder,
    /// The contracts asked for: the token, the escrow and the multisig.
    addresses: Vec<Address>,
    /// Topic-0 values asked for (see [`LogDecoder::topics`]).
    topics: Vec<alloy::primitives::B256>,
    finality_depth: u64,
    timeout: Duration,
    backoff: Backoff,
    concurrency: usize,
    sizer: Mutex<RangeSizer>,
    /// Index of the endpoint that answered last; requests start there.
    preferred: AtomicUsize,
}

impl EvmSource {
    /// Builds the source from a validated chain section.
    pub fn new(cfg: &ChainConfig) -> Result<Self> {
        let mut providers = Vec::new();
        for url in &cfg.rpc_urls {
            let parsed = url.parse().map_err(|e| Error::ConfigInvalid {
                chain: url.clone(),
                field: "rpc_urls",
                reason: format!("{e}"),
            })?;
            providers.push(RootProvider::new_http(parsed));
        }
        let decoder = LogDecoder::new(cfg)?;
        Ok(Self {
            providers,
            addresses: decoder.addresses(),
            topics: decoder.topics(),
            decoder,
            finality_depth: cfg.finality_depth,
            timeout: Duration::from_millis(cfg.request_timeout_ms),
            backoff: Backoff {
                attempts: cfg.max_attempts,
                ..Backoff::default()
            },
            concurrency: cfg.concurrency,
            sizer: Mutex::new(RangeSizer::new(cfg.initial_range, cfg.max_range)),
            preferred: AtomicUsize::new(0),
        })
    }

    /// Current `eth_getLogs` range size (for logs and tests).
    pub fn range_size(&self) -> u64 {
        self.sizer.lock().map(|s| s.size()).unwrap_or(1)
    }

    async fn call<T, F, Fut>(&self, method: &'static str, shrinkable: bool, f: F) -> Result<T>
    where
        F: Fn(RootProvider) -> Fut,
        Fut: Future<Output = alloy::transports::TransportResult<T>>,
    {
        retry(self.backoff, method, shrinkable, |attempt| {
            let n = self.providers.len();
            let index = (self.preferred.load(Ordering::Relaxed) + attempt as usize) % n;
            let fut = f(self.providers[index].clone());
            async move {
                match tokio::time::timeout(self.timeout, fut).await {
                    Ok(Ok(v)) => {
                        // Stick to the endpoint that answered.
                        self.preferred.store(index, Ordering::Relaxed);
                        Ok(v)
                    }
                    Ok(Err(e)) => Err(Error::Rpc {
                        method: method.to_owned(),
                        message: e.to_string(),
                    }),
                    Err(_) => Err(Error::Rpc {
                        method: method.to_owned(),
                        message: format!("{TIMEOUT_MARK} after {:?}", self.timeout),
                    }),
                }
            }
        })
        .await
    }

    /// Head from `eth_blockNumber`; finality line = head − finality depth.
    pub async fn heads(&self) -> Result<Heads> {
        let head = self
            .call("eth_blockNumber", false, |p| async move {
                p.get_block_number().await
            })
            .await?;
        Ok(Heads {
            head,
            finalized: head.saturating_sub(self.finality_depth),
        })
    }

    /// Header at a height via `eth_getBlockByNumber` (without transactions).
    pub async fn header(&self, number: u64) -> Result<Option<BlockRow>> {
        let block = self
            .call("eth_getBlockByNumber", false, |p| async move {
                p.get_block_by_number(BlockNumberOrTag::Number(number))
                    .await
            })
            .await?;
        Ok(block.map(|b| BlockRow {
            number: b.header.number,
            hash: ChainKind::Evm.format_hash(&b.header.hash),
            parent_hash: ChainKind::Evm.format_hash(&b.header.parent_hash),
            time: i64::try_from(b.header.timestamp).unwrap_or(i64::MAX),
        }))
    }

    /// A header the node must have (it served logs or a head above it). A load-balanced
    /// endpoint may route to a lagging node that lacks it: asked again with backoff.
    async fn required_header(&self, n: u64) -> Result<BlockRow> {
        for attempt in 1..=self.backoff.attempts {
            if let Some(h) = self.header(n).await? {
                return Ok(h);
            }
            tracing::debug!(block = n, attempt, "node has no header yet (lagging?)");
            tokio::time::sleep(self.backoff.delay(attempt)).await;
        }
        Err(Error::Inconsistent {
            block: n,
            reason: "node keeps answering that this block does not exist".into(),
        })
    }

    async fn logs(&self, from: u64, to: u64) -> Result<Vec<Log>> {
        // One request for the token and both contracts: their logs share the range.
        let filter = Filter::new()
            .address(self.addresses.clone())
            .event_signature(self.topics.clone())
            .from_block(from)
            .to_block(to);
        let filter = &filter;
        self.call(
            "eth_getLogs",
            true,
            |p| async move { p.get_logs(filter).await },
        )
        .await
    }

    /// Logs of up to `concurrency` consecutive ranges of the current size, returning the
    /// contiguous prefix that succeeded. A range error on the first range shrinks the
    /// size and retries at once (down to one block).
    async fn logs_prefix(&self, from: u64, target: u64) -> Result<(u64, Vec<Log>)> {
        loop {
            let size = self.range_size();
            let mut ranges = Vec::new();
            let mut a = from;
            while ranges.len() < self.concurrency && a <= target {
                let b = a.saturating_add(size - 1).min(target);
                ranges.push((a, b));
                a = b + 1;
            }
            let results =
                futures::future::join_all(ranges.iter().map(|(a, b)| self.logs(*a, *b))).await;
            let mut out = Vec::new();
            let mut reached = None;
            let mut first_err = None;
            for ((_, b), r) in ranges.iter().zip(results) {
                match r {
                    Ok(logs) => {
                        if let Ok(mut s) = self.sizer.lock() {
                            s.on_success(logs.len());
                        }
                        out.extend(logs);
                        reached = Some(*b);
                    }
                    Err(e) => {
                        if let Some(hint) = wants_smaller_range(&e)
                            && let Ok(mut s) = self.sizer.lock()
                        {
                            s.on_too_large(hint);
                        }
                        first_err = Some(e);
                        break;
                    }
                }
            }
            match (reached, first_err) {
                (Some(to), _) => return Ok((to, out)),
                (None, Some(e)) => {
                    if size > 1 && wants_smaller_range(&e).is_some() {
                        tracing::info!(
                            from,
                            size,
                            new_size = self.range_size(),
                            "eth_getLogs range too large, shrinking"
                        );
                        continue;
                    }
                    return Err(e);
                }
                (None, None) => {
                    return Err(Error::Inconsistent {
                        block: from,
                        reason: format!("empty range {from}..={target}"),
                    });
                }
            }
        }
    }

    /// Fetches `[from, ..=target]` (see [`super::Source::fetch`]).
    pub async fn fetch(&self, from: u64, target: u64, finalized: u64) -> Result<Fetched> {
        let (to, mut logs) = self.logs_prefix(from, target).await?;
        let mut wanted: BTreeSet<u64> = BTreeSet::from([from, to]);
        for l in &logs {
            let n = l.block_number.ok_or_else(|| Error::Inconsistent {
                block: from,
                reason: "log without block number (pending?)".into(),
            })?;
            if n < from || n > to {
                return Err(Error::Inconsistent {
                    block: n,
                    reason: format!("log outside the requested range {from}..={to}"),
                });
            }
            wanted.insert(n);
        }
        wanted.extend(finalized.saturating_add(1).max(from)..=to);
        let blocks: Vec<BlockRow> = stream::iter(wanted)
            .map(|n| self.required_header(n))
            .buffered(self.concurrency)
            .try_collect()
            .await?;
        check_links(&blocks)?;
        logs.sort_by_key(|l| (l.block_number, l.log_index));
        let mut rows = Rows::default();
        let mut seen = HashSet::new();
        for l in &logs {
            let (Some(n), Some(bh), Some(tx), Some(li)) = (
                l.block_number,
                l.block_hash,
                l.transaction_hash,
                l.log_index,
            ) else {
                return Err(Error::Inconsistent {
                    block: l.block_number.unwrap_or(from),
                    reason: "log without block hash, tx hash or log index".into(),
                });
            };
            if l.removed {
                return Err(Error::Inconsistent {
                    block: n,
                    reason: "log marked removed".into(),
                });
            }
            if !seen.insert((n, li)) {
                return Err(Error::Inconsistent {
                    block: n,
                    reason: format!("duplicate log index {li}"),
                });
            }
            let header = blocks
                .binary_search_by_key(&n, |b| b.number)
                .map(|i| &blocks[i])
                .map_err(|_| Error::Inconsistent {
                    block: n,
                    reason: "missing header".into(),
                })?;
            let bh = ChainKind::Evm.format_hash(&bh);
            if header.hash != bh {
                return Err(Error::Inconsistent {
                    block: n,
                    reason: format!("log block hash {bh} is not the header's {}", header.hash),
                });
            }
            let at = LogPosition {
                block_number: n,
                log_index: li,
                block_hash: bh,
                block_time: header.time,
                tx_hash: ChainKind::Evm.format_hash(&tx),
            };
            self.decoder.decode(&l.inner, at, &mut rows)?;
        }
        Ok(Fetched {
            from,
            to,
            blocks,
            rows,
        })
    }
}
