//! An async client for the TRON full-node HTTP API: reference blocks, energy
//! estimates, fee limits, broadcast and receipts.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tracing::{debug, warn};

use super::error::{TronBroadcastCode, TronClientError};
use crate::tron::address::Address;
use crate::tron::transaction::{
    MAX_FEE_LIMIT_SUN, RefBlock, Transaction, TransactionBuilder, TriggerSmartContract,
};

/// How much of a non-JSON or error body an error keeps.
const BODY_SNIPPET: usize = 200;

/// A block's number and 32-byte id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockId {
    /// Block height.
    pub number: u64,
    /// Block id (its first 8 bytes are the height).
    pub hash: [u8; 32],
}

impl BlockId {
    /// The reference-block fields a transaction built on this block carries.
    pub fn ref_block(&self) -> RefBlock {
        RefBlock::from_block(self.number, &self.hash)
    }
}

/// A block header as `getnowblock` returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// Number and id.
    pub id: BlockId,
    /// Block time, ms since the epoch.
    pub timestamp: i64,
}

/// The head and solid (final) blocks from `getnodeinfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node's head block.
    pub head: BlockId,
    /// The latest solidified block.
    pub solid: BlockId,
}

/// A transaction's receipt from `gettransactioninfobyid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The txID (hex).
    pub id: String,
    /// The block that holds it.
    pub block_number: u64,
    /// That block's time, ms since the epoch.
    pub block_timestamp: i64,
    /// TRX burned in total, in sun.
    pub fee_sun: i64,
    /// Energy used in total.
    pub energy_usage_total: u64,
    /// The VM result (`SUCCESS`, `REVERT`, `OUT_OF_ENERGY`...), if the node reports one.
    pub contract_result: Option<String>,
    /// The top-level failure message (decoded from hex), if the transaction failed.
    pub failure: Option<String>,
}

impl Receipt {
    /// Whether the transaction succeeded (no top-level `FAILED`, VM result `SUCCESS` or absent).
    pub fn succeeded(&self) -> bool {
        self.failure.is_none()
            && self
                .contract_result
                .as_deref()
                .is_none_or(|r| r == "SUCCESS")
    }
}

/// How to turn an energy estimate into a fee limit: `energy × price × margin`, capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeLimitPolicy {
    margin_bps: u32,
    max_sun: i64,
}

impl Default for FeeLimitPolicy {
    /// 20 % margin, capped at 100 TRX.
    fn default() -> Self {
        Self {
            margin_bps: 12_000,
            max_sun: 100_000_000,
        }
    }
}

impl FeeLimitPolicy {
    /// A margin (10000 = none, 12000 = +20 %) and a cap in sun (at most 15,000 TRX).
    pub fn new(margin_bps: u32, max_sun: i64) -> Result<Self, TronClientError> {
        if !(1..=MAX_FEE_LIMIT_SUN).contains(&max_sun) {
            return Err(TronClientError::FeeLimitCap { max_sun });
        }
        Ok(Self {
            margin_bps,
            max_sun,
        })
    }

    /// The cap, in sun.
    pub fn max_sun(&self) -> i64 {
        self.max_sun
    }

    /// `ceil(energy × price_sun × margin / 10000)`, at most the cap.
    pub fn fee_limit(&self, energy: u64, price_sun: u64) -> i64 {
        let raw = (u128::from(energy) * u128::from(price_sun))
            .saturating_mul(u128::from(self.margin_bps));
        let sun = raw.div_ceil(10_000);
        let capped = sun.min(self.max_sun as u128);
        if capped < sun {
            warn!(estimate_sun = %sun, cap_sun = self.max_sun, "fee limit capped");
        }
        // capped <= max_sun <= i64::MAX.
        capped as i64
    }
}

/// A client of one TRON full node's HTTP API (port 8090 by default).
#[derive(Debug, Clone)]
pub struct TronClient {
    base: String,
    http: reqwest::Client,
}

impl TronClient {
    /// A client of the node at `url` (`http://` or `https://`), with a 30 s request timeout.
    pub fn new(url: &str) -> Result<Self, TronClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|source| TronClientError::Transport {
                endpoint: String::new(),
                source,
            })?;
        Self::with_http_client(url, http)
    }

    /// A client using a preconfigured `reqwest` client (headers such as an API key, proxies).
    pub fn with_http_client(url: &str, http: reqwest::Client) -> Result<Self, TronClientError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| TronClientError::Url {
            url: url.to_owned(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(TronClientError::Url {
                url: url.to_owned(),
            });
        }
        Ok(Self {
            base: url.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// POSTs `body` to `path` and returns the JSON answer; `{"Error": ...}`, a non-success
    /// status and a non-JSON body are errors.
    async fn post(&self, path: &str, body: &Value) -> Result<Value, TronClientError> {
        debug!(path, "tron node request");
        let transport = |source| TronClientError::Transport {
            endpoint: path.to_owned(),
            source,
        };
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        let text = resp.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(TronClientError::Status {
                endpoint: path.to_owned(),
                status: status.as_u16(),
                body: snippet(&text),
            });
        }
        let value: Value = serde_json::from_str(&text).map_err(|_| TronClientError::NotJson {
            endpoint: path.to_owned(),
            body: snippet(&text),
        })?;
        if let Some(err) = value.get("Error") {
            return Err(TronClientError::Node {
                endpoint: path.to_owned(),
                message: err
                    .as_str()
                    .map_or_else(|| err.to_string(), ToOwned::to_owned),
            });
        }
        Ok(value)
    }

    /// The head block (`/wallet/getnowblock`).
    pub async fn now_block(&self) -> Result<Block, TronClientError> {
        let v = self.post("/wallet/getnowblock", &json!({})).await?;
        parse_block("/wallet/getnowblock", &v)
    }

    /// The latest solid block (`/walletsolidity/getnowblock`; the node must serve the
    /// solidity API on this URL).
    pub async fn solid_now_block(&self) -> Result<Block, TronClientError> {
        let v = self.post("/walletsolidity/getnowblock", &json!({})).await?;
        parse_block("/walletsolidity/getnowblock", &v)
    }

    /// Head and solid block ids (`/wallet/getnodeinfo`).
    pub async fn node_info(&self) -> Result<NodeInfo, TronClientError> {
        const EP: &str = "/wallet/getnodeinfo";
        let v = self.post(EP, &json!({})).await?;
        let field = |name: &'static str| {
            v.get(name)
                .and_then(Value::as_str)
                .and_then(parse_num_id)
                .ok_or(TronClientError::Shape {
                    endpoint: EP.to_owned(),
                    field: name,
                })
        };
        Ok(NodeInfo {
            head: field("block")?,
            solid: field("solidityBlock")?,
        })
    }

    /// A builder referencing the solid block (as nodes do), timestamped at the head
    /// block's time, expiring 60 s later.
    pub async fn builder(&self) -> Result<TransactionBuilder, TronClientError> {
        let info = self.node_info().await?;
        let head = self.now_block().await?;
        Ok(TransactionBuilder::new(
            info.solid.ref_block(),
            head.timestamp,
        ))
    }

    /// The energy price in sun (`getchainparameters` → `getEnergyFee`).
    pub async fn energy_price(&self) -> Result<u64, TronClientError> {
        let v = self.post("/wallet/getchainparameters", &json!({})).await?;
        v.get("chainParameter")
            .and_then(Value::as_array)
            .and_then(|params| {
                params
                    .iter()
                    .find(|p| p.get("key").and_then(Value::as_str) == Some("getEnergyFee"))
            })
            .and_then(|p| p.get("value").and_then(Value::as_u64))
            .ok_or(TronClientError::NoEnergyPrice)
    }

    /// Energy a call needs: `/wallet/estimateenergy` where the node enables it, else
    /// `energy_used` of `/wallet/triggerconstantcontract`.
    pub async fn estimate_energy(
        &self,
        call: &TriggerSmartContract,
    ) -> Result<u64, TronClientError> {
        let body = json!({
            "owner_address": call.owner.to_hex(),
            "contract_address": call.contract.to_hex(),
            "data": hex::encode(&call.data),
            "call_value": call.call_value,
            "visible": false,
        });
        const ESTIMATE: &str = "/wallet/estimateenergy";
        match self.post(ESTIMATE, &body).await {
            Ok(v) => match (
                simulation_failure(&v),
                v.get("energy_required").and_then(Value::as_u64),
            ) {
                (None, Some(energy)) => return Ok(energy),
                (Some(err), _) => debug!(%err, "estimateenergy unavailable; falling back"),
                (None, None) => debug!("estimateenergy without energy_required; falling back"),
            },
            Err(err) => debug!(%err, "estimateenergy failed; falling back"),
        }
        const TRIGGER: &str = "/wallet/triggerconstantcontract";
        let v = self.post(TRIGGER, &body).await?;
        if let Some(err) = simulation_failure(&v) {
            return Err(err);
        }
        v.get("energy_used")
            .and_then(Value::as_u64)
            .ok_or(TronClientError::Shape {
                endpoint: TRIGGER.to_owned(),
                field: "energy_used",
            })
    }

    /// Runs `call` as a constant (read-only) call (`/wallet/triggerconstantcontract`)
    /// and returns its result bytes; a revert is [`TronClientError::Simulation`].
    pub async fn constant_call(
        &self,
        call: &TriggerSmartContract,
    ) -> Result<Vec<u8>, TronClientError> {
        const EP: &str = "/wallet/triggerconstantcontract";
        let body = json!({
            "owner_address": call.owner.to_hex(),
            "contract_address": call.contract.to_hex(),
            "data": hex::encode(&call.data),
            "visible": false,
        });
        let v = self.post(EP, &body).await?;
        if let Some(err) = simulation_failure(&v) {
            return Err(err);
        }
        v.pointer("/constant_result/0")
            .and_then(Value::as_str)
            .and_then(|h| hex::decode(h).ok())
            .ok_or(TronClientError::Shape {
                endpoint: EP.to_owned(),
                field: "constant_result",
            })
    }

    /// A read of a `sol!`-declared function on `contract`, as `caller`, decoded.
    pub async fn read<C: alloy::sol_types::SolCall>(
        &self,
        caller: Address,
        contract: Address,
        call: &C,
    ) -> Result<C::Return, TronClientError> {
        let bytes = self
            .constant_call(&TriggerSmartContract::call(caller, contract, call))
            .await?;
        C::abi_decode_returns(&bytes).map_err(|e| TronClientError::Abi {
            call: C::SIGNATURE,
            message: e.to_string(),
        })
    }

    /// A signed-ready transaction for `call`: reference block from the node, fee
    /// limit `fee_limit` if given, else the energy estimate through `policy`.
    pub async fn prepare(
        &self,
        call: TriggerSmartContract,
        fee_limit: Option<i64>,
        policy: &FeeLimitPolicy,
        expiration_ms: i64,
    ) -> Result<Transaction, crate::Error> {
        let builder = self.builder().await?;
        let fee_limit = match fee_limit {
            Some(f) => f,
            None => self.fee_limit(&call, policy).await?,
        };
        let timestamp = builder.timestamp();
        Ok(builder
            .with_fee_limit(fee_limit)
            .with_expiration(timestamp.saturating_add(expiration_ms))
            .build(call.into())?)
    }

    /// A fee limit for `call`: its energy estimate × the chain's energy price × the
    /// policy's margin, capped by the policy.
    pub async fn fee_limit(
        &self,
        call: &TriggerSmartContract,
        policy: &FeeLimitPolicy,
    ) -> Result<i64, TronClientError> {
        let energy = self.estimate_energy(call).await?;
        let price = self.energy_price().await?;
        let fee_limit = policy.fee_limit(energy, price);
        debug!(energy, price, fee_limit, "fee limit");
        Ok(fee_limit)
    }

    /// Broadcasts a signed transaction (`/wallet/broadcasthex`) and returns its txID.
    ///
    /// Acceptance only means the node took it into its pool; confirm with
    /// [`TronClient::wait_for_receipt`].
    pub async fn broadcast(&self, tx: &Transaction) -> Result<String, TronClientError> {
        const EP: &str = "/wallet/broadcasthex";
        let v = self
            .post(EP, &json!({ "transaction": tx.to_hex() }))
            .await?;
        let ours = tx.txid_hex();
        if v.get("result").and_then(Value::as_bool) == Some(true) {
            if let Some(theirs) = v.get("txid").and_then(Value::as_str)
                && theirs != ours
            {
                return Err(TronClientError::Shape {
                    endpoint: EP.to_owned(),
                    field: "txid",
                });
            }
            return Ok(ours);
        }
        let code = v
            .get("code")
            .and_then(Value::as_str)
            .ok_or(TronClientError::Shape {
                endpoint: EP.to_owned(),
                field: "code",
            })?;
        Err(TronClientError::Broadcast {
            code: TronBroadcastCode::from_code(code),
            message: decode_message(v.get("message")),
        })
    }

    /// The receipt of `txid`, or `None` while it is not in a block.
    pub async fn transaction_info(&self, txid: &str) -> Result<Option<Receipt>, TronClientError> {
        const EP: &str = "/wallet/gettransactioninfobyid";
        let v = self.post(EP, &json!({ "value": txid })).await?;
        if v.as_object().is_some_and(|o| o.is_empty()) {
            return Ok(None);
        }
        let shape = |field| TronClientError::Shape {
            endpoint: EP.to_owned(),
            field,
        };
        let id = v.get("id").and_then(Value::as_str).ok_or(shape("id"))?;
        let block_number = v
            .get("blockNumber")
            .and_then(Value::as_u64)
            .ok_or(shape("blockNumber"))?;
        let receipt = v.get("receipt");
        Ok(Some(Receipt {
            id: id.to_owned(),
            block_number,
            block_timestamp: v.get("blockTimeStamp").and_then(Value::as_i64).unwrap_or(0),
            fee_sun: v.get("fee").and_then(Value::as_i64).unwrap_or(0),
            energy_usage_total: receipt
                .and_then(|r| r.get("energy_usage_total"))
                .and_then(Value::as_u64)
                .unwrap_or(0),
            contract_result: receipt
                .and_then(|r| r.get("result"))
                .and_then(Value::as_str)
                .map(ToOwned::to_owned),
            failure: (v.get("result").and_then(Value::as_str) == Some("FAILED"))
                .then(|| decode_message(v.get("resMessage"))),
        }))
    }

    /// Polls [`TronClient::transaction_info`] every `interval` until the receipt
    /// appears or `timeout` passes.
    pub async fn wait_for_receipt(
        &self,
        txid: &str,
        timeout: Duration,
        interval: Duration,
    ) -> Result<Receipt, TronClientError> {
        let start = Instant::now();
        loop {
            if let Some(r) = self.transaction_info(txid).await? {
                return Ok(r);
            }
            if start.elapsed() + interval > timeout {
                return Err(TronClientError::ReceiptTimeout {
                    txid: txid.to_owned(),
                    waited_ms: start.elapsed().as_millis(),
                });
            }
            tokio::time::sleep(interval).await;
        }
    }
}

fn parse_block(endpoint: &str, v: &Value) -> Result<Block, TronClientError> {
    let shape = |field| TronClientError::Shape {
        endpoint: endpoint.to_owned(),
        field,
    };
    let hash = v
        .get("blockID")
        .and_then(Value::as_str)
        .and_then(parse_hash)
        .ok_or(shape("blockID"))?;
    let raw = v
        .pointer("/block_header/raw_data")
        .ok_or(shape("block_header.raw_data"))?;
    // The genesis block has no number field (protobuf default 0).
    let number = raw
        .get("number")
        .map_or(Some(0), Value::as_u64)
        .ok_or(shape("number"))?;
    let timestamp = raw
        .get("timestamp")
        .and_then(Value::as_i64)
        .ok_or(shape("timestamp"))?;
    Ok(Block {
        id: BlockId { number, hash },
        timestamp,
    })
}

fn parse_hash(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// Parses `"Num:123,ID:<64 hex>"`.
fn parse_num_id(s: &str) -> Option<BlockId> {
    let (num, id) = s.split_once(',')?;
    let number = num.strip_prefix("Num:")?.parse().ok()?;
    let hash = parse_hash(id.strip_prefix("ID:")?)?;
    Some(BlockId { number, hash })
}

/// The failure a simulation answer (`estimateenergy`, `triggerconstantcontract`) reports.
fn simulation_failure(v: &Value) -> Option<TronClientError> {
    let result = v.get("result");
    let ok = result
        .and_then(|r| r.get("result"))
        .and_then(Value::as_bool)
        == Some(true);
    let reverted = v.pointer("/transaction/ret/0/ret").and_then(Value::as_str) == Some("FAILED");
    if ok && !reverted {
        return None;
    }
    Some(TronClientError::Simulation {
        code: result
            .and_then(|r| r.get("code"))
            .and_then(Value::as_str)
            .unwrap_or(if reverted { "REVERT" } else { "UNKNOWN" })
            .to_owned(),
        message: decode_message(result.and_then(|r| r.get("message"))),
    })
}

/// A node message: hex of UTF-8 text as nodes send it, or plain text as it is.
fn decode_message(v: Option<&Value>) -> String {
    let Some(s) = v.and_then(Value::as_str) else {
        return String::new();
    };
    hex::decode(s)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| s.to_owned())
}

fn snippet(text: &str) -> String {
    text.chars().take(BODY_SNIPPET).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_limit_policy() {
        let p = FeeLimitPolicy::default();
        // 64,285 energy × 100 sun × 1.2 = 7,714,200 sun.
        assert_eq!(p.fee_limit(64_285, 100), 7_714_200);
        // Rounds up.
        assert_eq!(
            FeeLimitPolicy::new(10_001, 1_000).unwrap().fee_limit(1, 1),
            2
        );
        // Capped.
        assert_eq!(p.fee_limit(u64::MAX, u64::MAX), 100_000_000);
        assert!(FeeLimitPolicy::new(12_000, MAX_FEE_LIMIT_SUN + 1).is_err());
        assert!(FeeLimitPolicy::new(12_000, 0).is_err());
    }

    #[test]
    fn parses_node_strings() {
        let id = format!("{:064x}", 0x1234);
        let b = parse_num_id(&format!("Num:4660,ID:{id}")).unwrap();
        assert_eq!(b.number, 4660);
        assert_eq!(parse_num_id("Num:x,ID:00"), None);
        assert_eq!(decode_message(Some(&json!("6e6f"))), "no");
        assert_eq!(decode_message(Some(&json!("plain text"))), "plain text");
        assert!(TronClient::new("ftp://x").is_err());
        assert!(TronClient::new("not a url").is_err());
        assert!(TronClient::new("http://127.0.0.1:8090/").is_ok());
    }
}
