//! A TRON full node's HTTP API whose state is anvil: the TVM runs the same bytecode
//! as the EVM, so the platform's contracts deployed on anvil answer exactly what
//! they would answer on TRON. No TRON node can run here; this serves java-tron's
//! documented JSON shapes from real contract execution instead of made-up answers:
//!
//! - `/wallet/getnowblock`, `/wallet/getblockbynum`: anvil's blocks, with TRON block
//!   ids (the height in the first 8 bytes, then the rest of anvil's hash);
//! - `/wallet/getnodeinfo`: `block` and `solidityBlock` as `Num:N,ID:…`, the solid
//!   block `solid_lag` below the head;
//! - `/wallet/gettransactioninfobyblocknum`: anvil's receipts, `SUCCESS` with the
//!   logs (20-byte hex addresses, as java-tron) or, for a transaction that reverted
//!   in its block, top-level `FAILED` with `resMessage`, the VM result `REVERT`, the
//!   revert data in `contractResult` and no logs;
//! - `/wallet/triggerconstantcontract` (`visible: false`, `41…` hex addresses,
//!   `data`): an `eth_call` at the head, `constant_result` or java-tron's
//!   `CONTRACT_EXE_ERROR` with the revert data;
//! - `/wallet/getchainparameters`: `getEnergyFee` (420 sun, mainnet's);
//! - `/wallet/broadcasthex`: a signed `TriggerSmartContract` whose one signature
//!   recovers to its owner (else `SIGERROR`) is run on anvil as that owner (anvil's
//!   impersonation: the TVM runs the same call from the same 20-byte address); blocks
//!   and infos then name it by its TRON txID. A call that reverts is not refused:
//!   java-tron puts it in a block as a failed transaction (it burns its energy), so it
//!   is mined with the gas its fee limit buys and its revert data kept for its info;
//! - `/wallet/gettransactioninfobyid`: its info (`{}` while unknown).
//!
//! Anything else is answered `{"Error": …}` as a node answers an unknown call, so a
//! client that needs more fails loudly instead of reading a made-up value.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use alloy::{
    eips::BlockNumberOrTag,
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{BlockTransactionsKind, TransactionRequest},
};
use axum::{Json, Router, extract::State, http::Uri};
use serde_json::{Value, json};
use stablerail_demo::LocalPlatform;
use stablerail_sdk::tron::{Address as TronAddress, Contract, Transaction};

/// The node; `url` is its base URL.
pub struct TronNode {
    pub url: String,
}

#[derive(Clone)]
struct Node {
    anvil: DynProvider,
    solid_lag: u64,
    /// TRON txIDs of the transactions broadcast here, by anvil hash.
    txids: Arc<Mutex<HashMap<B256, String>>>,
    /// The revert data of the broadcast transactions that reverted, by anvil hash.
    reverts: Arc<Mutex<HashMap<B256, Vec<u8>>>>,
}

/// Energy price in sun (`getEnergyFee`, as served).
const ENERGY_FEE_SUN: i64 = 420;

impl TronNode {
    /// Serves `anvil` on 127.0.0.1:0; the solid block trails the head by `solid_lag`.
    pub async fn start(anvil: DynProvider, solid_lag: u64) -> Self {
        let app = Router::new().fallback(handle).with_state(Node {
            anvil,
            solid_lag,
            txids: Arc::default(),
            reverts: Arc::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url: format!("http://{addr}"),
        }
    }
}

impl TronNode {
    /// A TRON node over `platform`'s anvil.
    pub async fn over(platform: &LocalPlatform, solid_lag: u64) -> Self {
        let anvil = ProviderBuilder::new()
            .connect_http(platform.devnet.rpc_url().parse().unwrap())
            .erased();
        Self::start(anvil, solid_lag).await
    }

    /// The gateway's `[indexer.chains.tron]` section for this node: the platform's
    /// USDT, and its escrow when `with_escrow`.
    pub fn chain_section(&self, platform: &LocalPlatform, with_escrow: bool) -> String {
        let d = &platform.deployment;
        let escrow = if with_escrow {
            format!("escrow = \"{}\"\n", tron_of(d.escrow))
        } else {
            String::new()
        };
        format!(
            "\n[indexer.chains.tron]\nkind = \"tron\"\nrpc_urls = [\"{}\"]\nhead_lag = 0\npoll_interval_ms = 50\nusdt = \"{}\"\n{escrow}",
            self.url,
            tron_of(d.token)
        )
    }
}

/// The TRON form (base58) of an EVM address on the shared anvil.
pub fn tron_of(a: Address) -> String {
    TronAddress::from_evm_bytes(a.into_array()).to_base58()
}

fn block_id(number: u64, hash: &[u8]) -> String {
    let mut id = [0u8; 32];
    id.copy_from_slice(hash);
    id[..8].copy_from_slice(&number.to_be_bytes());
    hex::encode(id)
}

fn node_error(message: String) -> Json<Value> {
    Json(json!({ "Error": message }))
}

async fn handle(State(node): State<Node>, uri: Uri, body: Option<Json<Value>>) -> Json<Value> {
    let body = body.map(|Json(v)| v).unwrap_or(Value::Null);
    let answer = match uri.path() {
        "/wallet/getnowblock" => node.block(BlockNumberOrTag::Latest).await,
        "/wallet/getblockbynum" => match body.get("num").and_then(Value::as_u64) {
            Some(n) => node.block(BlockNumberOrTag::Number(n)).await,
            None => Err("num is required".into()),
        },
        "/wallet/getnodeinfo" => node.node_info().await,
        "/wallet/gettransactioninfobyblocknum" => match body.get("num").and_then(Value::as_u64) {
            Some(n) => node.infos(n).await,
            None => Err("num is required".into()),
        },
        "/wallet/triggerconstantcontract" => node.constant_call(&body).await,
        "/wallet/getchainparameters" => Ok(json!({
            "chainParameter": [{ "key": "getEnergyFee", "value": ENERGY_FEE_SUN }]
        })),
        "/wallet/broadcasthex" => node.broadcast(&body).await,
        "/wallet/gettransactioninfobyid" => node.info_by_id(&body).await,
        other => Err(format!("this node does not serve {other}")),
    };
    answer.map_or_else(node_error, Json)
}

impl Node {
    /// The id a transaction goes by: its TRON txID if it was broadcast here.
    fn txid(&self, h: B256) -> String {
        self.txids
            .lock()
            .unwrap()
            .get(&h)
            .cloned()
            .unwrap_or_else(|| hex::encode(h))
    }

    async fn broadcast(&self, body: &Value) -> Result<Value, String> {
        let refuse = |code: &str, message: &str| {
            Ok(json!({ "result": false, "code": code, "message": hex::encode(message) }))
        };
        let text = body
            .get("transaction")
            .and_then(Value::as_str)
            .ok_or("transaction is required")?;
        let Ok(tx) = Transaction::from_hex(text) else {
            return refuse("OTHER_ERROR", "cannot decode the transaction");
        };
        let Contract::TriggerSmartContract(call) = &tx.raw_data().contract else {
            return refuse(
                "CONTRACT_VALIDATE_ERROR",
                "only TriggerSmartContract is served",
            );
        };
        let signers = tx.signers();
        if signers.len() != 1 || signers[0].as_ref().ok() != Some(&call.owner) {
            return refuse("SIGERROR", "validate signature error");
        }
        let from = Address::from(call.owner.evm_bytes());
        let to = Address::from(call.contract.evm_bytes());
        let impersonate = |on: bool| {
            let method = if on {
                "anvil_impersonateAccount"
            } else {
                "anvil_stopImpersonatingAccount"
            };
            self.anvil.raw_request::<_, Value>(method.into(), (from,))
        };
        let request = TransactionRequest::default()
            .with_from(from)
            .with_to(to)
            .with_input(Bytes::from(call.data.clone()));
        // Run against the head first: a call that reverts keeps its revert data and
        // is sent with an explicit gas limit (the energy its fee limit buys), which
        // anvil mines as a failed transaction instead of refusing it.
        let revert = match self.anvil.call(request.clone()).await {
            Ok(_) => None,
            Err(e) => Some(
                e.as_error_resp()
                    .and_then(|r| r.as_revert_data())
                    .map(|d| d.to_vec())
                    .unwrap_or_default(),
            ),
        };
        let request = match revert {
            Some(_) => {
                let energy = (tx.raw_data().fee_limit / ENERGY_FEE_SUN).clamp(21_000, 30_000_000);
                request.with_gas_limit(u64::try_from(energy).unwrap_or(30_000_000))
            }
            None => request,
        };
        impersonate(true).await.map_err(|e| e.to_string())?;
        let sent = self.anvil.send_transaction(request).await;
        impersonate(false).await.map_err(|e| e.to_string())?;
        let pending = match sent {
            Ok(p) => p,
            Err(e) => return refuse("OTHER_ERROR", &e.to_string()),
        };
        let hash = *pending.tx_hash();
        let txid = tx.txid_hex();
        self.txids.lock().unwrap().insert(hash, txid.clone());
        if let Some(data) = revert {
            self.reverts.lock().unwrap().insert(hash, data);
        }
        pending.get_receipt().await.map_err(|e| e.to_string())?;
        Ok(json!({ "result": true, "txid": txid }))
    }

    async fn info_by_id(&self, body: &Value) -> Result<Value, String> {
        let id = body
            .get("value")
            .and_then(Value::as_str)
            .ok_or("value is required")?;
        let hash = self
            .txids
            .lock()
            .unwrap()
            .iter()
            .find(|(_, t)| t.as_str() == id)
            .map(|(h, _)| *h);
        let Some(hash) = hash else {
            return Ok(json!({}));
        };
        let Some(r) = self
            .anvil
            .get_transaction_receipt(hash)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(json!({}));
        };
        let number = r.block_number.unwrap_or_default();
        let infos = self.infos(number).await?;
        Ok(infos
            .as_array()
            .and_then(|a| a.iter().find(|i| i["id"] == id).cloned())
            .unwrap_or_else(|| json!({})))
    }

    async fn head(&self) -> Result<u64, String> {
        self.anvil
            .get_block_number()
            .await
            .map_err(|e| e.to_string())
    }

    async fn block(&self, at: BlockNumberOrTag) -> Result<Value, String> {
        let Some(b) = self
            .anvil
            .get_block_by_number(at)
            .kind(BlockTransactionsKind::Hashes)
            .await
            .map_err(|e| e.to_string())?
        else {
            // java-tron answers a block it does not have with an empty object.
            return Ok(json!({}));
        };
        let n = b.header.number;
        let parent = if n == 0 {
            hex::encode([0u8; 32])
        } else {
            block_id(n - 1, b.header.parent_hash.as_slice())
        };
        let txs: Vec<Value> = b
            .transactions
            .hashes()
            .map(|h| json!({ "txID": self.txid(h) }))
            .collect();
        Ok(json!({
            "blockID": block_id(n, b.header.hash.as_slice()),
            "block_header": { "raw_data": {
                "number": n,
                "parentHash": parent,
                "timestamp": b.header.timestamp * 1000,
            }},
            "transactions": txs,
        }))
    }

    async fn node_info(&self) -> Result<Value, String> {
        let head = self.head().await?;
        let solid = head.saturating_sub(self.solid_lag);
        let id = |n: u64| async move {
            let b = self.block(BlockNumberOrTag::Number(n)).await?;
            Ok::<_, String>(format!(
                "Num:{n},ID:{}",
                b.get("blockID").and_then(Value::as_str).unwrap_or_default()
            ))
        };
        Ok(json!({ "block": id(head).await?, "solidityBlock": id(solid).await? }))
    }

    async fn infos(&self, number: u64) -> Result<Value, String> {
        let Some(b) = self
            .anvil
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(json!([]));
        };
        let mut out = Vec::new();
        for h in b.transactions.hashes() {
            let r = self
                .anvil
                .get_transaction_receipt(h)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no receipt for {h}"))?;
            let ok = r.status();
            let logs: Vec<Value> = if ok {
                r.inner
                    .logs()
                    .iter()
                    .map(|l| {
                        json!({
                            "address": hex::encode(l.address()),
                            "topics": l.topics().iter().map(hex::encode).collect::<Vec<_>>(),
                            "data": hex::encode(&l.data().data),
                        })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let mut info = json!({
                "id": self.txid(h),
                "blockNumber": number,
                "blockTimeStamp": b.header.timestamp * 1000,
                "receipt": { "result": if ok { "SUCCESS" } else { "REVERT" } },
                "log": logs,
            });
            if !ok {
                let data = self.reverts.lock().unwrap().get(&h).cloned();
                info["result"] = json!("FAILED");
                info["resMessage"] = json!(hex::encode("REVERT opcode executed"));
                info["contractResult"] = json!([hex::encode(data.unwrap_or_default())]);
            }
            out.push(info);
        }
        Ok(Value::Array(out))
    }

    async fn constant_call(&self, body: &Value) -> Result<Value, String> {
        if body.get("visible").and_then(Value::as_bool) == Some(true) {
            return Err("this node serves visible=false (41… hex addresses) only".into());
        }
        let address = |field: &str| -> Result<Address, String> {
            let text = body
                .get(field)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{field} is required"))?;
            let a: TronAddress = text.parse().map_err(|e| format!("{field}: {e}"))?;
            Ok(Address::from(a.evm_bytes()))
        };
        let data = body
            .get("data")
            .and_then(Value::as_str)
            .ok_or("data is required")?;
        let data = hex::decode(data).map_err(|e| format!("data: {e}"))?;
        let call = TransactionRequest::default()
            .with_from(address("owner_address")?)
            .with_to(address("contract_address")?)
            .with_input(Bytes::from(data));
        match self.anvil.call(call.clone()).await {
            Ok(out) => {
                let energy = self.anvil.estimate_gas(call).await.unwrap_or(0);
                Ok(json!({
                    "result": { "result": true },
                    "energy_used": energy,
                    "constant_result": [hex::encode(&out)],
                    "transaction": { "ret": [{}] },
                }))
            }
            Err(e) => {
                let revert = e
                    .as_error_resp()
                    .and_then(|r| r.as_revert_data())
                    .map(|d| hex::encode(&d))
                    .unwrap_or_default();
                Ok(json!({
                    "result": {
                        "code": "CONTRACT_EXE_ERROR",
                        "message": hex::encode("REVERT opcode executed"),
                    },
                    "energy_used": 0,
                    "constant_result": [revert],
                    "transaction": { "ret": [{ "ret": "FAILED" }] },
                }))
            }
        }
    }
}
