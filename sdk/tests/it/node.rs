//! A small TRON full node over real HTTP (axum on 127.0.0.1:0) that answers with the
//! documented JSON shapes. It checks broadcast transactions like a node does
//! (signature, reference block, expiration, duplicates) and can be told to answer an
//! endpoint with a fixed status and body.
//!
//! The signature check does not trust the SDK: the txID is the sha256 of the
//! raw_data bytes cut from the protobuf here, and the signer is recovered with a third
//! secp256k1 implementation (Parity's `libsecp256k1`, neither of the two the SDK signs
//! with), so a signing or encoding bug in the SDK cannot pass on both sides. A
//! `triggerconstantcontract` the test did not declare in [`State::constant`] is
//! refused (and recorded in [`State::unexpected`]), never answered with a made-up result.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State as AxState;
use axum::http::{StatusCode, Uri};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sha3::Keccak256;
use stablerail_sdk::tron::{Contract, RefBlock, Transaction};

pub(crate) const HEAD_NUM: u64 = 70_000_120;
pub(crate) const SOLID_NUM: u64 = 70_000_101;
pub(crate) const HEAD_TS: i64 = 1_760_000_000_000;

/// A block id: the number in the first 8 bytes, then a hash of it.
pub(crate) fn block_id(number: u64) -> [u8; 32] {
    let mut id: [u8; 32] = Sha256::digest(number.to_be_bytes()).into();
    id[..8].copy_from_slice(&number.to_be_bytes());
    id
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) energy_fee: u64,
    pub(crate) estimate_enabled: bool,
    pub(crate) energy: u64,
    pub(crate) revert: bool,
    /// Polls of gettransactioninfobyid answered `{}` before the receipt appears.
    pub(crate) receipt_delay: u32,
    pub(crate) receipt_failed: bool,
    pub(crate) forced: HashMap<String, (u16, String)>,
    pub(crate) seen: HashSet<String>,
    pub(crate) polls: HashMap<String, u32>,
    pub(crate) requests: Vec<(String, Value)>,
    /// Answers of `triggerconstantcontract` (hex result) by the call's hex calldata,
    /// or by its 8-hex-digit selector when no exact calldata matches. Any other call
    /// is refused.
    pub(crate) constant: HashMap<String, String>,
    /// The calldata of each `triggerconstantcontract` refused as undeclared.
    pub(crate) unexpected: Vec<String>,
}

#[derive(Clone)]
pub(crate) struct Node {
    pub(crate) url: String,
    pub(crate) state: Arc<Mutex<State>>,
    _undeclared: Arc<UndeclaredCalls>,
}

/// Fails the test that started the node if, when its last handle is dropped, the node
/// refused a `triggerconstantcontract` the test did not declare (a client may have
/// swallowed the refusal); a test that provokes one on purpose takes it out of
/// [`State::unexpected`].
struct UndeclaredCalls(Arc<Mutex<State>>);

impl Drop for UndeclaredCalls {
    fn drop(&mut self) {
        let calls = std::mem::take(&mut self.0.lock().unwrap().unexpected);
        if !calls.is_empty() && !std::thread::panicking() {
            panic!(
                "the test TRON node was asked undeclared triggerconstantcontract calls: {calls:?}"
            );
        }
    }
}

impl Node {
    pub(crate) async fn start() -> Self {
        let state = Arc::new(Mutex::new(State {
            energy_fee: 100,
            estimate_enabled: true,
            energy: 64_285,
            ..Default::default()
        }));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url: format!("http://{addr}"),
            _undeclared: Arc::new(UndeclaredCalls(state.clone())),
            state,
        }
    }

    pub(crate) fn force(&self, path: &str, status: u16, body: &str) {
        self.state
            .lock()
            .unwrap()
            .forced
            .insert(path.to_owned(), (status, body.to_owned()));
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    pub(crate) fn paths(&self) -> Vec<String> {
        self.with(|s| s.requests.iter().map(|(p, _)| p.clone()).collect())
    }
}

fn block_json(number: u64, ts: i64) -> Value {
    json!({
        "blockID": hex::encode(block_id(number)),
        "block_header": {"raw_data": {"number": number, "txTrieRoot": "00", "parentHash": hex::encode(block_id(number - 1)), "timestamp": ts, "version": 31}},
    })
}

fn failure(code: &str, message: &str) -> Value {
    json!({"result": false, "code": code, "message": hex::encode(message)})
}

async fn handle(
    AxState(state): AxState<Arc<Mutex<State>>>,
    uri: Uri,
    body: String,
) -> (StatusCode, String) {
    let path = uri.path().to_owned();
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mut st = state.lock().unwrap();
    st.requests.push((path.clone(), body.clone()));
    if let Some((status, text)) = st.forced.get(&path) {
        return (StatusCode::from_u16(*status).unwrap(), text.clone());
    }
    let answer = match path.as_str() {
        "/wallet/getnowblock" => block_json(HEAD_NUM, HEAD_TS),
        "/walletsolidity/getnowblock" => block_json(SOLID_NUM, HEAD_TS - 57_000),
        "/wallet/getnodeinfo" => json!({
            "beginSyncNum": 0,
            "block": format!("Num:{HEAD_NUM},ID:{}", hex::encode(block_id(HEAD_NUM))),
            "solidityBlock": format!("Num:{SOLID_NUM},ID:{}", hex::encode(block_id(SOLID_NUM))),
            "currentConnectCount": 30,
        }),
        "/wallet/getchainparameters" => json!({"chainParameter": [
            {"key": "getMaintenanceTimeInterval", "value": 21600000},
            {"key": "getEnergyFee", "value": st.energy_fee},
            {"key": "getTransactionFee", "value": 1000},
        ]}),
        "/wallet/estimateenergy" => {
            if !st.estimate_enabled {
                json!({"result": {"code": "OTHER_ERROR", "message": hex::encode("this node does not support estimate energy")}})
            } else if st.revert {
                json!({"result": {"code": "CONTRACT_EXE_ERROR", "message": hex::encode("REVERT opcode executed")}})
            } else {
                json!({"result": {"result": true}, "energy_required": st.energy})
            }
        }
        "/wallet/triggerconstantcontract" => {
            let data = body.get("data").and_then(Value::as_str).unwrap_or_default();
            let known = st
                .constant
                .get(data)
                .or_else(|| data.get(..8).and_then(|sel| st.constant.get(sel)))
                .cloned();
            if st.revert {
                json!({"result": {"result": true}, "energy_used": 1200, "constant_result": [""],
                       "transaction": {"ret": [{"ret": "FAILED"}]}})
            } else if let Some(result) = known {
                json!({"result": {"result": true}, "energy_used": st.energy - 1000,
                       "constant_result": [result], "transaction": {"ret": [{}]}})
            } else {
                // Not declared by the test: refuse as java-tron refuses a call it
                // cannot run, so a test never passes on an invented answer.
                st.unexpected.push(data.to_owned());
                json!({"result": {"code": "CONTRACT_VALIDATE_ERROR",
                       "message": hex::encode(format!("test node: undeclared call {data}"))}})
            }
        }
        "/wallet/broadcasthex" => broadcast(&mut st, &body),
        "/wallet/gettransactioninfobyid" => {
            let id = body
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if !st.seen.contains(&id) {
                json!({})
            } else {
                let delay = st.receipt_delay;
                let polls = st.polls.entry(id.clone()).or_insert(0);
                *polls += 1;
                if *polls <= delay {
                    json!({})
                } else if st.receipt_failed {
                    json!({"id": id, "fee": 6_428_500, "blockNumber": HEAD_NUM + 1, "blockTimeStamp": HEAD_TS + 3000,
                           "receipt": {"energy_usage_total": 64_285, "energy_fee": 6_428_500, "result": "REVERT"},
                           "result": "FAILED", "resMessage": hex::encode("REVERT opcode executed")})
                } else {
                    json!({"id": id, "fee": 6_428_500, "blockNumber": HEAD_NUM + 1, "blockTimeStamp": HEAD_TS + 3000,
                           "contractResult": [""], "receipt": {"energy_usage_total": 64_285, "energy_fee": 6_428_500, "result": "SUCCESS"},
                           "log": []})
                }
            }
        }
        _ => return (StatusCode::NOT_FOUND, "404 page not found".to_owned()),
    };
    (StatusCode::OK, answer.to_string())
}

/// Checks a broadcast the way a node does.
fn broadcast(st: &mut State, body: &Value) -> Value {
    let Some(hex_tx) = body.get("transaction").and_then(Value::as_str) else {
        return json!({"Error": "class java.lang.NullPointerException : null"});
    };
    let tx = match Transaction::from_hex(hex_tx) {
        Ok(tx) => tx,
        Err(e) => return failure("OTHER_ERROR", &format!("parse: {e}")),
    };
    let raw = tx.raw_data();
    let owner = match &raw.contract {
        Contract::Transfer(t) => t.owner,
        Contract::TriggerSmartContract(t) => t.owner,
    };
    let Ok(bytes) = hex::decode(hex_tx) else {
        return failure("OTHER_ERROR", "parse: not hex");
    };
    let (txid, signer) = match recover_signer(&bytes) {
        Ok(found) => found,
        Err(e) => return failure("SIGERROR", &format!("Validate signature error: {e}")),
    };
    if &signer != owner.as_bytes() {
        return failure("SIGERROR", "Validate signature error: miss sig or contract");
    }
    let txid = hex::encode(txid);
    let known = [SOLID_NUM, HEAD_NUM].map(|n| RefBlock::from_block(n, &block_id(n)));
    if !known.contains(&raw.ref_block) {
        return failure("TAPOS_ERROR", "Tapos check error");
    }
    if raw.expiration <= HEAD_TS {
        return failure("TRANSACTION_EXPIRATION_ERROR", "Transaction expired");
    }
    if !st.seen.insert(txid.clone()) {
        return failure("DUP_TRANSACTION_ERROR", "Dup transaction");
    }
    json!({"result": true, "code": "SUCCESS", "txid": txid})
}

/// The txID and the first signature's signer (21 bytes, `0x41` + 20) of a signed
/// `Transaction` protobuf, found without the SDK: raw_data (field 1) and signatures
/// (field 2) are cut from the bytes here, and the key is recovered with Parity's
/// `libsecp256k1`.
pub(crate) fn recover_signer(signed: &[u8]) -> Result<([u8; 32], [u8; 21]), String> {
    let mut raw_data = None;
    let mut signature = None;
    let mut rest = signed;
    while !rest.is_empty() {
        let (key, after) = varint(rest)?;
        let (len, after) = varint(after)?;
        let len = usize::try_from(len).map_err(|_| "length overflows")?;
        if key & 7 != 2 || after.len() < len {
            return Err(format!("field {} is not length-delimited bytes", key >> 3));
        }
        let (value, after) = after.split_at(len);
        match key >> 3 {
            1 => raw_data = Some(value),
            2 if signature.is_none() => signature = Some(value),
            _ => {}
        }
        rest = after;
    }
    let raw_data = raw_data.ok_or("no raw_data")?;
    let signature = signature.ok_or("miss sig")?;
    if signature.len() != 65 {
        return Err(format!("signature of {} bytes", signature.len()));
    }
    let txid: [u8; 32] = Sha256::digest(raw_data).into();
    let v = match signature[64] {
        v @ (0 | 1) => v,
        v @ (27 | 28) => v - 27,
        v => return Err(format!("recovery id {v}")),
    };
    let sig = libsecp256k1::Signature::parse_standard_slice(&signature[..64])
        .map_err(|e| format!("signature: {e:?}"))?;
    let id = libsecp256k1::RecoveryId::parse(v).map_err(|e| format!("recovery id: {e:?}"))?;
    let key = libsecp256k1::recover(&libsecp256k1::Message::parse(&txid), &sig, &id)
        .map_err(|e| format!("recover: {e:?}"))?;
    let hash = Keccak256::digest(&key.serialize()[1..]);
    let mut address = [0x41; 21];
    address[1..].copy_from_slice(&hash[12..]);
    Ok((txid, address))
}

/// A protobuf varint and the bytes after it.
fn varint(bytes: &[u8]) -> Result<(u64, &[u8]), String> {
    let mut value = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value, &bytes[i + 1..]));
        }
    }
    Err("truncated varint".to_owned())
}
