//! An async client for the TRON full-node HTTP API: reference blocks, energy
//! estimates, fee limits, broadcast and receipts (with their event logs).

use std::time::{Duration, Instant};

use alloy::{
    primitives::B256,
    sol_types::{SolEvent, SolInterface},
};
use serde_json::{Value, json};
use tracing::{debug, warn};

use super::error::{TronBroadcastCode, TronClientError};
use crate::tron::address::Address;
use crate::tron::signer::PrivateKey;
use crate::tron::transaction::{
    DEFAULT_EXPIRATION_MS, MAX_FEE_LIMIT_SUN, RefBlock, Transaction, TransactionBuilder,
    TriggerSmartContract,
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

/// One event log of a transaction, as java-tron's `log` field of
/// `gettransactioninfobyid` carries it (hex without `0x`; the address as 20 bytes,
/// without the `41` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLog {
    /// The contract that emitted it.
    pub address: Address,
    /// Its topics (a non-anonymous event's signature hash first).
    pub topics: Vec<B256>,
    /// Its non-indexed data, ABI-encoded.
    pub data: Vec<u8>,
}

impl ReceiptLog {
    /// The log as event `E` (a `sol!` binding, the same the EVM client decodes), if
    /// it is one: the signature hash and the encoding must match.
    pub fn decode<E: SolEvent>(&self) -> Option<E> {
        E::decode_raw_log(self.topics.iter().copied(), &self.data).ok()
    }
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
    /// The call's output (`contractResult`): its return data, or its revert data
    /// when it reverted; empty when the node gives none.
    pub output: Vec<u8>,
    /// The event logs, in order (a failed transaction has none).
    pub logs: Vec<ReceiptLog>,
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

    /// `Ok` if the transaction succeeded, else [`TronClientError::Failed`] with the
    /// VM result, the node's message and the revert reason (one of the escrow's or
    /// the multisig's custom errors by name, or a reason string).
    pub fn ensure_succeeded(&self) -> Result<(), TronClientError> {
        if self.succeeded() {
            return Ok(());
        }
        let mut message = self.failure.clone().unwrap_or_default();
        if let Some(reason) = revert_reason(&self.output) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&reason);
        }
        if message.is_empty() {
            message.push_str("the node gives no message");
        }
        Err(TronClientError::Failed {
            txid: self.id.clone(),
            result: self
                .contract_result
                .clone()
                .unwrap_or_else(|| "FAILED".to_owned()),
            message,
        })
    }

    /// The first log of event `E` that `emitter` emitted; a failed transaction is
    /// refused first ([`Self::ensure_succeeded`]), a missing event is
    /// [`TronClientError::MissingEvent`].
    pub fn event<E: SolEvent>(&self, emitter: Address) -> Result<E, TronClientError> {
        self.ensure_succeeded()?;
        self.logs
            .iter()
            .filter(|l| l.address == emitter)
            .find_map(ReceiptLog::decode::<E>)
            .ok_or_else(|| TronClientError::MissingEvent {
                txid: self.id.clone(),
                event: E::SIGNATURE,
                emitter: emitter.to_base58(),
            })
    }
}

/// A revert's reason: the escrow's or the multisig's custom error by name (as the
/// EVM client shows them), else a Solidity reason string or panic.
fn revert_reason(output: &[u8]) -> Option<String> {
    use crate::evm::{Escrow::EscrowErrors, MultiSig::MultiSigErrors};
    if output.is_empty() {
        return None;
    }
    if let Ok(e) = EscrowErrors::abi_decode(output) {
        return Some(format!("{e:?}"));
    }
    if let Ok(e) = MultiSigErrors::abi_decode(output) {
        return Some(format!("{e:?}"));
    }
    alloy::sol_types::decode_revert_reason(output)
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
        let v = self.post(INFO_BY_ID, &json!({ "value": txid })).await?;
        parse_receipt(&v)
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

    /// Prepares `call` (reference block from the node; fee limit from its energy
    /// estimate through `policy`), signs it with `key`, broadcasts it and waits up to
    /// `wait` for its receipt, which must show success: a transaction that failed in
    /// its block is [`TronClientError::Failed`] with its message.
    ///
    /// A key that is not the call's owner is refused before anything is signed.
    pub async fn send(
        &self,
        call: TriggerSmartContract,
        key: &PrivateKey,
        policy: &FeeLimitPolicy,
        wait: Duration,
    ) -> Result<Receipt, crate::Error> {
        if key.address() != call.owner {
            return Err(TronClientError::NotOwner {
                owner: call.owner.to_base58(),
                signer: key.address().to_base58(),
            }
            .into());
        }
        let mut tx = self
            .prepare(call, None, policy, DEFAULT_EXPIRATION_MS)
            .await?;
        tx.sign(key)?;
        let txid = self.broadcast(&tx).await?;
        debug!(%txid, "broadcast accepted");
        let receipt = self
            .wait_for_receipt(&txid, wait, RECEIPT_POLL.min(wait))
            .await?;
        receipt.ensure_succeeded()?;
        Ok(receipt)
    }
}

/// The endpoint of a transaction's info (receipt and logs).
const INFO_BY_ID: &str = "/wallet/gettransactioninfobyid";

/// How often [`TronClient::send`] asks for the receipt (a TRON block is 3 s).
const RECEIPT_POLL: Duration = Duration::from_secs(1);

/// A `gettransactioninfobyid` answer: `None` for `{}` (not in a block yet).
pub(crate) fn parse_receipt(v: &Value) -> Result<Option<Receipt>, TronClientError> {
    if v.as_object().is_some_and(|o| o.is_empty()) {
        return Ok(None);
    }
    let shape = |field| TronClientError::Shape {
        endpoint: INFO_BY_ID.to_owned(),
        field,
    };
    let id = v.get("id").and_then(Value::as_str).ok_or(shape("id"))?;
    let block_number = v
        .get("blockNumber")
        .and_then(Value::as_u64)
        .ok_or(shape("blockNumber"))?;
    let receipt = v.get("receipt");
    // `contractResult` is a list of one hex string (protobuf repeated bytes); an
    // empty output may be `[""]` or absent.
    let output = match v.get("contractResult") {
        None => Vec::new(),
        Some(r) => {
            let first = r.as_array().ok_or(shape("contractResult"))?.first();
            match first {
                None => Vec::new(),
                Some(h) => h
                    .as_str()
                    .and_then(|h| hex::decode(h).ok())
                    .ok_or(shape("contractResult"))?,
            }
        }
    };
    let logs = match v.get("log") {
        None => Vec::new(),
        Some(l) => l
            .as_array()
            .ok_or(shape("log"))?
            .iter()
            .enumerate()
            .map(|(i, l)| parse_log(i, l))
            .collect::<Result<_, _>>()?,
    };
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
        output,
        logs,
    }))
}

/// One entry of `log`: `address` (20 bytes; a `41`-prefixed 21-byte form is also
/// taken), `topics` (32 bytes each; absent when none), `data` (absent when empty).
fn parse_log(index: usize, l: &Value) -> Result<ReceiptLog, TronClientError> {
    let bad = |field: &'static str, reason: String| TronClientError::Log {
        endpoint: INFO_BY_ID.to_owned(),
        index,
        field,
        reason,
    };
    let hex_field = |field: &'static str, v: Option<&Value>| -> Result<Vec<u8>, TronClientError> {
        let Some(v) = v else {
            return Ok(Vec::new());
        };
        let text = v
            .as_str()
            .ok_or_else(|| bad(field, format!("is not a string: {v}")))?;
        hex::decode(text).map_err(|e| bad(field, format!("is not hex ({e}): {:?}", snippet(text))))
    };
    let address = match l.get("address") {
        None => return Err(bad("address", "is missing".into())),
        some => hex_field("address", some)?,
    };
    let address = match address.as_slice() {
        [0x41, rest @ ..] if rest.len() == 20 => Address::from_bytes(&address),
        bytes if bytes.len() == 20 => {
            let mut a = [0u8; 20];
            a.copy_from_slice(bytes);
            Ok(Address::from_evm_bytes(a))
        }
        bytes => {
            return Err(bad(
                "address",
                format!("has {} bytes; expected 20", bytes.len()),
            ));
        }
    }
    .map_err(|e| bad("address", e.to_string()))?;
    let topics = match l.get("topics") {
        None => Vec::new(),
        Some(t) => t
            .as_array()
            .ok_or_else(|| bad("topics", "is not a list".into()))?
            .iter()
            .map(|t| {
                let b = hex_field("topics", Some(t))?;
                B256::try_from(b.as_slice()).map_err(|_| {
                    bad(
                        "topics",
                        format!("has a topic of {} bytes; expected 32", b.len()),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(ReceiptLog {
        address,
        topics,
        data: hex_field("data", l.get("data"))?,
    })
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

    /// A TRC20 transfer's info as java-tron's `gettransactioninfobyid` answers it
    /// (USDT on mainnet; `log` addresses are 20 bytes without `41`, hex without `0x`).
    const USDT_TRANSFER_INFO: &str = r#"{
        "id": "7c2d4206c03a883dd9066d620335dc1be272a8dc733cfa3f6d10308faa37facc",
        "fee": 13844850,
        "blockNumber": 48563214,
        "blockTimeStamp": 1677563121000,
        "contractResult": [""],
        "contract_address": "41a614f803b6fd780986a42c78ec9c7f77e6ded13c",
        "receipt": {
            "energy_fee": 13499850,
            "energy_usage_total": 32139,
            "net_fee": 345000,
            "result": "SUCCESS"
        },
        "log": [{
            "address": "a614f803b6fd780986a42c78ec9c7f77e6ded13c",
            "topics": [
                "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
                "0000000000000000000000007e5f4552091a69125d5dfcb7b8c2659029395bdf",
                "00000000000000000000000094a15629b2b2bbd3a5453e6d6696b2875278633b"
            ],
            "data": "0000000000000000000000000000000000000000000000000000000000989680"
        }]
    }"#;

    alloy::sol! {
        event Transfer(address indexed from, address indexed to, uint256 value);
    }

    fn info(text: &str) -> Result<Option<Receipt>, TronClientError> {
        parse_receipt(&serde_json::from_str(text).unwrap())
    }

    fn usdt() -> Address {
        Address::from_base58("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap()
    }

    #[test]
    fn receipt_logs_from_java_tron_info() {
        let r = info(USDT_TRANSFER_INFO).unwrap().unwrap();
        assert!(r.succeeded());
        r.ensure_succeeded().unwrap();
        assert_eq!(
            (r.block_number, r.fee_sun, r.energy_usage_total),
            (48_563_214, 13_844_850, 32_139)
        );
        assert_eq!(r.output, Vec::<u8>::new());
        assert_eq!(r.logs.len(), 1);
        let log = &r.logs[0];
        assert_eq!(log.address, usdt());
        assert_eq!(log.topics.len(), 3);
        assert_eq!(log.data.len(), 32);
        let t = r.event::<Transfer>(usdt()).unwrap();
        assert_eq!(
            Address::from_evm_bytes(t.from.into_array()).to_base58(),
            "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC"
        );
        assert_eq!(
            Address::from_evm_bytes(t.to.into_array()).to_base58(),
            "TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1"
        );
        assert_eq!(t.value, alloy::primitives::U256::from(10_000_000u64));
        // Another emitter's event, or another event, is not there.
        let other = Address::from_base58("TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC").unwrap();
        assert!(matches!(
            r.event::<Transfer>(other),
            Err(TronClientError::MissingEvent {
                event: "Transfer(address,address,uint256)",
                ..
            })
        ));
        assert!(matches!(
            r.event::<crate::evm::Escrow::DealOpened>(usdt()),
            Err(TronClientError::MissingEvent { .. })
        ));
        // `{}`: not in a block yet. No `log` and no `topics`/`data` (protobuf
        // omits empty fields): none.
        assert_eq!(info("{}").unwrap(), None);
        let bare = info(r#"{"id": "00", "blockNumber": 1, "log": [{"address": "a614f803b6fd780986a42c78ec9c7f77e6ded13c"}]}"#)
            .unwrap()
            .unwrap();
        assert_eq!((bare.logs[0].topics.len(), bare.logs[0].data.len()), (0, 0));
        // The 41-prefixed form names the same contract.
        let prefixed = USDT_TRANSFER_INFO.replace(r#""address": "a614"#, r#""address": "41a614"#);
        assert_eq!(info(&prefixed).unwrap().unwrap().logs[0].address, usdt());
    }

    #[test]
    fn malformed_logs_are_named() {
        let with = |from: &str, to: &str| {
            let text = USDT_TRANSFER_INFO.replacen(from, to, 1);
            assert_ne!(text, USDT_TRANSFER_INFO, "{from}");
            info(&text).unwrap_err().to_string()
        };
        let e = with(
            r#""address": "a614f803b6fd780986a42c78ec9c7f77e6ded13c""#,
            r#""address": "a614f803b6fd780986a42c78ec9c7f77e6ded1""#,
        );
        assert_eq!(
            e,
            "/wallet/gettransactioninfobyid log 0: address has 19 bytes; expected 20"
        );
        let e = with(
            r#""address": "a614f803b6fd780986a42c78ec9c7f77e6ded13c""#,
            r#""addr": "a614f803b6fd780986a42c78ec9c7f77e6ded13c""#,
        );
        assert_eq!(
            e,
            "/wallet/gettransactioninfobyid log 0: address is missing"
        );
        let e = with(
            r#""address": "a614f803b6fd780986a42c78ec9c7f77e6ded13c""#,
            r#""address": "42a614f803b6fd780986a42c78ec9c7f77e6ded13c""#,
        );
        assert!(e.contains("log 0: address has 21 bytes"), "{e}");
        let e = with("\"ddf252ad", "\"zzf252ad");
        assert!(e.contains("log 0: topics is not hex"), "{e}");
        let e = with(
            "0000000000000000000000007e5f4552091a69125d5dfcb7b8c2659029395bdf",
            "7e5f4552091a69125d5dfcb7b8c2659029395bdf",
        );
        assert!(
            e.contains("log 0: topics has a topic of 20 bytes; expected 32"),
            "{e}"
        );
        let e = with(r#""data": "0000"#, r#""data": "x000"#);
        assert!(e.contains("log 0: data is not hex"), "{e}");
        let e = with(r#""data": "0000"#, r#""data": 7, "x": "0000"#);
        assert!(e.contains("log 0: data is not a string"), "{e}");
        let e = with(r#""log": ["#, r#""log": "x", "y": ["#);
        assert!(e.contains("lacks or mangles log"), "{e}");
        let e = with(r#""contractResult": [""]"#, r#""contractResult": ["0g"]"#);
        assert!(e.contains("contractResult"), "{e}");
    }

    #[test]
    fn a_failed_receipt_is_refused_with_its_message() {
        use alloy::sol_types::SolError;
        // java-tron's info of a reverted escrow call: top-level FAILED with
        // `resMessage` in hex, VM result REVERT, the revert data in
        // `contractResult`, no logs.
        let acceptor = alloy::primitives::Address::repeat_byte(0x11);
        let revert = crate::evm::Escrow::AcceptorOffline { acceptor }.abi_encode();
        let text = format!(
            r#"{{"id": "ab12", "fee": 2840, "blockNumber": 7, "blockTimeStamp": 1,
                "contractResult": ["{}"],
                "receipt": {{"energy_fee": 2840, "energy_usage_total": 284, "result": "REVERT"}},
                "result": "FAILED",
                "resMessage": "{}"}}"#,
            hex::encode(&revert),
            hex::encode("REVERT opcode executed"),
        );
        let r = info(&text).unwrap().unwrap();
        assert!(!r.succeeded());
        assert_eq!(r.output, revert);
        let e = r.ensure_succeeded().unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "transaction ab12 failed (REVERT): REVERT opcode executed: AcceptorOffline(AcceptorOffline {{ acceptor: {acceptor} }})"
            )
        );
        // Reading its events refuses it the same way.
        assert!(matches!(
            r.event::<crate::evm::Escrow::DealOpened>(usdt()),
            Err(TronClientError::Failed { .. })
        ));
        // A plain reason string, and a failure without revert data.
        let with_reason = text.replace(
            &hex::encode(&revert),
            &hex::encode(alloy::sol_types::Revert::from("no").abi_encode()),
        );
        let e = info(&with_reason)
            .unwrap()
            .unwrap()
            .ensure_succeeded()
            .unwrap_err();
        assert!(
            e.to_string()
                .ends_with("REVERT opcode executed: revert: no"),
            "{e}"
        );
        let out_of_energy =
            r#"{"id": "cd", "blockNumber": 7, "receipt": {"result": "OUT_OF_ENERGY"}}"#;
        let e = info(out_of_energy)
            .unwrap()
            .unwrap()
            .ensure_succeeded()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "transaction cd failed (OUT_OF_ENERGY): the node gives no message"
        );
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
