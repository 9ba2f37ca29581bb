//! TRON transactions built and signed by tronpy, an independent TRON library
//! (`fixtures/tronpy/`, made offline by `make_fixtures.py` beside them): the SDK must
//! decode each to tronpy's fields and txID, recover tronpy's signer, build the same
//! raw_data bytes from the same fields and sign them to the same bytes with both of
//! its secp256k1 implementations (RFC 6979 everywhere). The test node's independent
//! signature check (Parity's `libsecp256k1`) must agree, accept the transactions on
//! broadcast and refuse them once tampered with.

use serde_json::Value;
use stablerail_sdk::tron::{
    Address, Contract, PrivateKey, RefBlock, SigningBackend, Transaction, TransactionBuilder,
    Transfer, TriggerSmartContract,
};

use crate::node::{self, Node};

const FIXTURES: &str = include_str!("fixtures/tronpy/transactions.json");

struct Fixture {
    name: String,
    key: PrivateKey,
    signer: Address,
    txid: String,
    raw_data_hex: String,
    signed_hex: String,
    signature: String,
    raw_data: Value,
}

fn fixtures() -> Vec<Fixture> {
    let file: Value = serde_json::from_str(FIXTURES).unwrap();
    let keys: Vec<PrivateKey> = file["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| PrivateKey::from_hex(k.as_str().unwrap()).unwrap())
        .collect();
    let text = |t: &Value, k: &str| t[k].as_str().unwrap().to_owned();
    let all: Vec<Fixture> = file["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let signer: Address = text(t, "signer").parse().unwrap();
            let key = keys.iter().find(|k| k.address() == signer).unwrap().clone();
            Fixture {
                name: text(t, "name"),
                key,
                signer,
                txid: text(t, "txid"),
                raw_data_hex: text(t, "raw_data_hex"),
                signed_hex: text(t, "signed_hex"),
                signature: text(t, "signature"),
                raw_data: t["raw_data"].clone(),
            }
        })
        .collect();
    assert_eq!(all.len(), 4, "every fixture is read");
    all
}

fn hex_address(v: &Value) -> Address {
    Address::from_hex(v.as_str().unwrap()).unwrap()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// The contract tronpy's raw_data JSON describes, in the SDK's types.
fn contract_of(raw: &Value) -> Contract {
    let c = &raw["contract"][0];
    let v = &c["parameter"]["value"];
    match c["type"].as_str().unwrap() {
        "TransferContract" => Contract::Transfer(Transfer {
            owner: hex_address(&v["owner_address"]),
            to: hex_address(&v["to_address"]),
            amount_sun: int(&v["amount"]),
        }),
        "TriggerSmartContract" => Contract::TriggerSmartContract(TriggerSmartContract {
            owner: hex_address(&v["owner_address"]),
            contract: hex_address(&v["contract_address"]),
            call_value: int(&v["call_value"]),
            data: hex::decode(v["data"].as_str().unwrap()).unwrap(),
            call_token_value: int(&v["call_token_value"]),
            token_id: int(&v["token_id"]),
        }),
        other => panic!("fixture contract type {other}"),
    }
}

fn ref_block_of(raw: &Value) -> RefBlock {
    let mut r = RefBlock {
        bytes: [0; 2],
        hash: [0; 8],
    };
    hex::decode_to_slice(raw["ref_block_bytes"].as_str().unwrap(), &mut r.bytes).unwrap();
    hex::decode_to_slice(raw["ref_block_hash"].as_str().unwrap(), &mut r.hash).unwrap();
    r
}

#[test]
fn the_sdk_decodes_tronpy_transactions_to_tronpys_fields_txid_and_signer() {
    for f in fixtures() {
        let tx = Transaction::from_hex(&f.signed_hex).unwrap();
        let raw = tx.raw_data();
        assert_eq!(tx.txid_hex(), f.txid, "{}", f.name);
        assert_eq!(
            hex::encode(tx.raw_data_bytes()),
            f.raw_data_hex,
            "{}",
            f.name
        );
        assert_eq!(raw.contract, contract_of(&f.raw_data), "{}", f.name);
        assert_eq!(raw.ref_block, ref_block_of(&f.raw_data), "{}", f.name);
        assert_eq!(raw.timestamp, int(&f.raw_data["timestamp"]), "{}", f.name);
        assert_eq!(raw.expiration, int(&f.raw_data["expiration"]), "{}", f.name);
        assert_eq!(raw.fee_limit, int(&f.raw_data["fee_limit"]), "{}", f.name);
        let signatures: Vec<String> = tx.signatures().iter().map(|s| s.to_hex()).collect();
        assert_eq!(signatures, [f.signature.as_str()], "{}", f.name);
        assert_eq!(tx.signers(), [Ok(f.signer)], "{}", f.name);
        // The bare raw_data decodes to the same transaction, unsigned.
        let bare = Transaction::from_hex(&f.raw_data_hex).unwrap();
        assert_eq!(bare.txid_hex(), f.txid, "{}", f.name);
        assert!(bare.signatures().is_empty());
    }
}

#[test]
fn the_sdk_builds_and_signs_the_same_bytes_as_tronpy() {
    for f in fixtures() {
        let raw = &f.raw_data;
        let mut builder = TransactionBuilder::new(ref_block_of(raw), int(&raw["timestamp"]))
            .with_expiration(int(&raw["expiration"]));
        if raw.get("fee_limit").is_some() {
            builder = builder.with_fee_limit(int(&raw["fee_limit"]));
        }
        let mut tx = builder.build(contract_of(raw)).unwrap();
        assert_eq!(
            hex::encode(tx.raw_data_bytes()),
            f.raw_data_hex,
            "{}",
            f.name
        );
        assert_eq!(tx.txid_hex(), f.txid, "{}", f.name);
        for backend in [SigningBackend::Libsecp256k1, SigningBackend::K256] {
            let signature = f.key.sign_digest_with(backend, &tx.txid()).unwrap();
            assert_eq!(signature.to_hex(), f.signature, "{} {backend:?}", f.name);
        }
        tx.sign(&f.key).unwrap();
        assert_eq!(tx.to_hex(), f.signed_hex, "{}", f.name);
    }
}

#[test]
fn the_nodes_independent_recovery_agrees_and_catches_tampering() {
    for f in fixtures() {
        let signed = hex::decode(&f.signed_hex).unwrap();
        let (txid, signer) = node::recover_signer(&signed).unwrap();
        assert_eq!(hex::encode(txid), f.txid, "{}", f.name);
        assert_eq!(&signer, f.signer.as_bytes(), "{}", f.name);
        // One byte of the amount or calldata changed after signing: the signature
        // now recovers to some other key, on the node and in the SDK alike.
        // (The signature field is the last 67 bytes: tag, length, 65 bytes; 20 bytes
        // before it lie in the contract's address, amount or calldata.)
        let mut tampered = signed.clone();
        let at = signed.len() - 67 - 20;
        tampered[at] ^= 1;
        let (_, other) = node::recover_signer(&tampered).unwrap();
        assert_ne!(&other, f.signer.as_bytes(), "{}", f.name);
        let sdk = Transaction::decode(&tampered).unwrap();
        assert_ne!(sdk.signers(), [Ok(f.signer)], "{}", f.name);
    }
}

#[tokio::test]
async fn the_test_node_accepts_tronpy_transactions_and_refuses_a_foreign_signature() {
    let node = Node::start().await;
    let http = reqwest::Client::new();
    let broadcast = |hex: String| {
        let http = http.clone();
        let url = format!("{}/wallet/broadcasthex", node.url);
        async move {
            let answer: Value = http
                .post(url)
                .json(&serde_json::json!({ "transaction": hex }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer
        }
    };
    let all = fixtures();
    for f in &all {
        let answer = broadcast(f.signed_hex.clone()).await;
        assert_eq!(answer["result"], true, "{}: {answer}", f.name);
        assert_eq!(answer["txid"], f.txid.as_str(), "{}", f.name);
    }
    // The first transaction carrying the signature of another: refused.
    let (a, b) = (&all[0], &all[1]);
    assert_ne!(a.signer, b.signer);
    let foreign = a.signed_hex.replace(&a.signature, &b.signature);
    let answer = broadcast(foreign).await;
    assert_eq!(answer["code"], "SIGERROR", "{answer}");
}
