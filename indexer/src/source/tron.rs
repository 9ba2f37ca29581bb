//! TRON source: the full-node HTTP API. Per block `getblockbynum` (hash, parent,
//! time, transaction ids) and `gettransactioninfobyblocknum` (receipts and logs);
//! `getnowblock` for the head and `getnodeinfo`'s solid block as the finality line.
//! Logs of failed transactions are ignored.

use std::{
    collections::HashSet,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use alloy::primitives::{Address, B256, Bytes, Log as PrimLog, LogData};
use futures::{StreamExt, TryStreamExt, stream};
use serde::Deserialize;
use serde_json::json;

use super::{
    Fetched, Heads, check_links,
    retry::{Backoff, TIMEOUT_MARK, retry},
};
use crate::{
    config::ChainConfig,
    decode::{LogDecoder, LogPosition, Rows},
    error::{Error, Result},
    store::BlockRow,
};

/// A TRON chain reached over a full node's HTTP API.
#[derive(Debug)]
pub struct TronSource {
    client: reqwest::Client,
    urls: Vec<String>,
    decoder: LogDecoder,
    backoff: Backoff,
    concurrency: usize,
    blocks_per_fetch: u64,
    /// Index of the endpoint that answered last; requests start there.
    preferred: AtomicUsize,
}

#[derive(Debug, Deserialize)]
struct BlockJson {
    #[serde(rename = "blockID")]
    block_id: Option<String>,
    block_header: Option<BlockHeaderJson>,
    #[serde(default)]
    transactions: Vec<TxJson>,
}

#[derive(Debug, Deserialize)]
struct BlockHeaderJson {
    raw_data: RawHeaderJson,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHeaderJson {
    #[serde(default)]
    number: u64,
    parent_hash: String,
    timestamp: i64,
}

#[derive(Debug, Deserialize)]
struct TxJson {
    #[serde(rename = "txID")]
    tx_id: String,
}

#[derive(Debug, Deserialize)]
struct TxInfoJson {
    id: String,
    #[serde(rename = "blockNumber", default)]
    block_number: Option<u64>,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    receipt: Option<ReceiptJson>,
    #[serde(default)]
    log: Vec<LogJson>,
}

#[derive(Debug, Deserialize)]
struct ReceiptJson {
    #[serde(default)]
    result: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LogJson {
    address: String,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    data: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NodeInfoJson {
    solidity_block: String,
}

impl TxInfoJson {
    /// A transaction failed if the node says so at the top level or in its receipt.
    fn failed(&self) -> bool {
        self.result.as_deref() == Some("FAILED")
            || self
                .receipt
                .as_ref()
                .and_then(|r| r.result.as_deref())
                .is_some_and(|r| r != "SUCCESS")
    }
}

fn strip_0x(s: &str) -> &str {
    s.strip_prefix("0x").unwrap_or(s)
}

impl TronSource {
    /// Builds the source from a validated chain section.
    pub fn new(cfg: &ChainConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(cfg.request_timeout_ms))
            .build()
            .map_err(|e| Error::Tron {
                endpoint: "client",
                message: e.to_string(),
            })?;
        Ok(Self {
            client,
            urls: cfg
                .rpc_urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_owned())
                .collect(),
            decoder: LogDecoder::new(cfg)?,
            backoff: Backoff {
                attempts: cfg.max_attempts,
                ..Backoff::default()
            },
            concurrency: cfg.concurrency,
            blocks_per_fetch: cfg.initial_range,
            preferred: AtomicUsize::new(0),
        })
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &'static str,
        body: serde_json::Value,
    ) -> Result<T> {
        let body = &body;
        retry(self.backoff, endpoint, false, |attempt| {
            let index =
                (self.preferred.load(Ordering::Relaxed) + attempt as usize) % self.urls.len();
            let url = format!("{}{endpoint}", self.urls[index]);
            async move {
                let resp = self
                    .client
                    .post(&url)
                    .json(body)
                    .send()
                    .await
                    .map_err(|e| Error::Tron {
                        endpoint,
                        message: if e.is_timeout() {
                            format!("{TIMEOUT_MARK}: {e}")
                        } else {
                            e.to_string()
                        },
                    })?;
                let status = resp.status();
                let text = resp.text().await.map_err(|e| Error::Tron {
                    endpoint,
                    message: e.to_string(),
                })?;
                if !status.is_success() {
                    return Err(Error::Tron {
                        endpoint,
                        message: format!(
                            "HTTP {status}: {}",
                            text.chars().take(200).collect::<String>()
                        ),
                    });
                }
                let value: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| Error::Tron {
                        endpoint,
                        message: format!(
                            "not JSON ({e}): {}",
                            text.chars().take(200).collect::<String>()
                        ),
                    })?;
                // The node answered in JSON: stick to it.
                self.preferred.store(index, Ordering::Relaxed);
                if let Some(err) = value.get("Error") {
                    return Err(Error::Tron {
                        endpoint,
                        message: err.to_string(),
                    });
                }
                serde_json::from_value(value).map_err(|e| Error::Tron {
                    endpoint,
                    message: format!("unexpected shape: {e}"),
                })
            }
        })
        .await
    }

    /// Head from `getnowblock`, finality line from `getnodeinfo`'s `solidityBlock`.
    pub async fn heads(&self) -> Result<Heads> {
        let now: BlockJson = self.post("/wallet/getnowblock", json!({})).await?;
        let head = now
            .block_header
            .map(|h| h.raw_data.number)
            .ok_or_else(|| Error::Tron {
                endpoint: "/wallet/getnowblock",
                message: "no block_header".into(),
            })?;
        let info: NodeInfoJson = self.post("/wallet/getnodeinfo", json!({})).await?;
        let finalized = parse_node_info_num(&info.solidity_block).ok_or_else(|| Error::Tron {
            endpoint: "/wallet/getnodeinfo",
            message: format!("cannot parse solidityBlock `{}`", info.solidity_block),
        })?;
        Ok(Heads {
            head,
            finalized: finalized.min(head),
        })
    }

    async fn block(&self, number: u64) -> Result<Option<(BlockRow, Vec<String>)>> {
        let b: BlockJson = self
            .post("/wallet/getblockbynum", json!({ "num": number }))
            .await?;
        let (Some(id), Some(h)) = (b.block_id, b.block_header) else {
            return Ok(None);
        };
        if h.raw_data.number != number {
            return Err(Error::Tron {
                endpoint: "/wallet/getblockbynum",
                message: format!("asked for block {number}, got {}", h.raw_data.number),
            });
        }
        let row = BlockRow {
            number,
            hash: strip_0x(&id).to_ascii_lowercase(),
            parent_hash: strip_0x(&h.raw_data.parent_hash).to_ascii_lowercase(),
            time: h.raw_data.timestamp.div_euclid(1000),
        };
        let ids = b
            .transactions
            .into_iter()
            .map(|t| t.tx_id.to_ascii_lowercase())
            .collect();
        Ok(Some((row, ids)))
    }

    /// Header at a height; `None` if the node does not have the block.
    pub async fn header(&self, number: u64) -> Result<Option<BlockRow>> {
        Ok(self.block(number).await?.map(|(row, _)| row))
    }

    async fn block_rows(&self, number: u64) -> Result<(BlockRow, Rows)> {
        let (row, tx_ids) = self
            .block(number)
            .await?
            .ok_or_else(|| Error::Inconsistent {
                block: number,
                reason: "node has no such block below its head".into(),
            })?;
        let infos: Vec<TxInfoJson> = self
            .post(
                "/wallet/gettransactioninfobyblocknum",
                json!({ "num": number }),
            )
            .await?;
        let info_ids: Vec<String> = infos.iter().map(|i| i.id.to_ascii_lowercase()).collect();
        if info_ids.iter().collect::<HashSet<_>>() != tx_ids.iter().collect::<HashSet<_>>() {
            return Err(Error::Inconsistent {
                block: number,
                reason: "transaction infos do not match the block's transactions (chain moved?)"
                    .into(),
            });
        }
        let mut out = Rows::default();
        let mut log_index = 0u64;
        for info in &infos {
            if info.block_number.is_some_and(|n| n != number) {
                return Err(Error::Inconsistent {
                    block: number,
                    reason: format!("info {} is for another block", info.id),
                });
            }
            // java-tron drops a reverted transaction's logs; should a node send some
            // anyway, they did not happen and take no log index.
            if info.failed() {
                continue;
            }
            for l in &info.log {
                let li = log_index;
                log_index += 1;
                let prim = parse_log(l).map_err(|reason| Error::Decode {
                    block: number,
                    log_index: li,
                    reason,
                })?;
                let at = LogPosition {
                    block_number: number,
                    log_index: li,
                    block_hash: row.hash.clone(),
                    block_time: row.time,
                    tx_hash: info.id.to_ascii_lowercase(),
                };
                self.decoder.decode(&prim, at, &mut out)?;
            }
        }
        Ok((row, out))
    }

    /// Fetches up to `initial_range` blocks from `from`, every header and every log.
    pub async fn fetch(&self, from: u64, target: u64, _finalized: u64) -> Result<Fetched> {
        let to = target.min(from.saturating_add(self.blocks_per_fetch - 1));
        let per_block: Vec<(BlockRow, Rows)> = stream::iter(from..=to)
            .map(|n| self.block_rows(n))
            .buffered(self.concurrency)
            .try_collect()
            .await?;
        let mut blocks = Vec::with_capacity(per_block.len());
        let mut rows = Rows::default();
        for (b, block_rows) in per_block {
            blocks.push(b);
            rows.extend(block_rows);
        }
        check_links(&blocks)?;
        Ok(Fetched {
            from,
            to,
            blocks,
            rows,
        })
    }
}

/// `"Num:123,ID:0000..."` → 123.
fn parse_node_info_num(s: &str) -> Option<u64> {
    s.split(',')
        .find_map(|p| p.trim().strip_prefix("Num:"))
        .and_then(|n| n.trim().parse().ok())
}

fn parse_log(l: &LogJson) -> std::result::Result<PrimLog, String> {
    let addr_hex = strip_0x(&l.address);
    let addr_hex = if addr_hex.len() == 42 && addr_hex.starts_with("41") {
        &addr_hex[2..]
    } else {
        addr_hex
    };
    let addr = hex::decode(addr_hex).map_err(|e| format!("log address: {e}"))?;
    if addr.len() != 20 {
        return Err(format!("log address has {} bytes", addr.len()));
    }
    let mut topics = Vec::with_capacity(l.topics.len());
    for t in &l.topics {
        let b = hex::decode(strip_0x(t)).map_err(|e| format!("topic: {e}"))?;
        if b.len() != 32 {
            return Err(format!("topic has {} bytes", b.len()));
        }
        topics.push(B256::from_slice(&b));
    }
    let data = hex::decode(strip_0x(&l.data)).map_err(|e| format!("data: {e}"))?;
    Ok(PrimLog {
        address: Address::from_slice(&addr),
        data: LogData::new_unchecked(topics, Bytes::from(data)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_info_num() {
        assert_eq!(parse_node_info_num("Num:43210,ID:0000abcd"), Some(43210));
        assert_eq!(parse_node_info_num("ID:00,Num:7"), Some(7));
        assert_eq!(parse_node_info_num("garbage"), None);
    }
}
