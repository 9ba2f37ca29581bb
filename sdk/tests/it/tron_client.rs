//! `TronClient` against the local HTTP node.

use std::time::Duration;

use stablerail_sdk::Amount;
use stablerail_sdk::tron::{
    Address, FeeLimitPolicy, PrivateKey, RefBlock, Transaction, TransactionBuilder,
    TriggerSmartContract, TronClient, USDT_MAINNET,
};
use stablerail_sdk::tron::{TronBroadcastCode, TronClientError};

use crate::node::{HEAD_NUM, HEAD_TS, Node, SOLID_NUM, block_id};

fn key() -> PrivateKey {
    PrivateKey::from_hex("279ff36d9bf9f305af3280034bb4187c6dd299bac6b26a3c20b999c7c0d50e6e")
        .unwrap()
}

fn usdt_call(key: &PrivateKey) -> TriggerSmartContract {
    let to: Address = "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC".parse().unwrap();
    TriggerSmartContract::trc20_transfer(
        key.address(),
        USDT_MAINNET.parse().unwrap(),
        to,
        Amount::from_units(5_000_000),
    )
    .unwrap()
}

async fn signed_transfer(client: &TronClient, key: &PrivateKey, fee_limit: i64) -> Transaction {
    let mut tx = client
        .builder()
        .await
        .unwrap()
        .with_fee_limit(fee_limit)
        .build(usdt_call(key).into())
        .unwrap();
    tx.sign(key).unwrap();
    tx
}

#[tokio::test]
async fn blocks_and_reference() {
    let node = Node::start().await;
    let c = TronClient::new(&node.url).unwrap();
    let head = c.now_block().await.unwrap();
    assert_eq!(
        (head.id.number, head.id.hash, head.timestamp),
        (HEAD_NUM, block_id(HEAD_NUM), HEAD_TS)
    );
    let solid = c.solid_now_block().await.unwrap();
    assert_eq!(solid.id.number, SOLID_NUM);
    let info = c.node_info().await.unwrap();
    assert_eq!(info.solid.hash, block_id(SOLID_NUM));
    assert_eq!(info.head.number, HEAD_NUM);
    let tx = signed_transfer(&c, &key(), 10_000_000).await;
    let raw = tx.raw_data();
    // References the solid block, timestamped at the head, expiring 60 s later.
    assert_eq!(raw.ref_block.bytes, SOLID_NUM.to_be_bytes()[6..8]);
    assert_eq!(raw.ref_block.hash, block_id(SOLID_NUM)[8..16]);
    assert_eq!(raw.timestamp, HEAD_TS);
    assert_eq!(raw.expiration, HEAD_TS + 60_000);
}

#[tokio::test]
async fn energy_estimate_and_fee_limit() {
    let node = Node::start().await;
    let c = TronClient::new(&node.url).unwrap();
    let call = usdt_call(&key());
    assert_eq!(c.estimate_energy(&call).await.unwrap(), 64_285);
    assert_eq!(c.energy_price().await.unwrap(), 100);
    let policy = FeeLimitPolicy::default();
    assert_eq!(c.fee_limit(&call, &policy).await.unwrap(), 7_714_200);
    // The request carried the call in hex with 41-addresses.
    let body = node.with(|s| {
        s.requests
            .iter()
            .find(|(p, _)| p == "/wallet/estimateenergy")
            .unwrap()
            .1
            .clone()
    });
    assert_eq!(body["owner_address"], key().address().to_hex());
    assert_eq!(body["data"], hex::encode(&call.data));

    // Capped by the policy.
    node.with(|s| s.energy_fee = 420);
    let tight = FeeLimitPolicy::new(15_000, 20_000_000).unwrap();
    assert_eq!(c.fee_limit(&call, &tight).await.unwrap(), 20_000_000);

    // A node without estimateenergy: fall back to triggerconstantcontract, which
    // the node answers only for a call the test declares.
    node.with(|s| s.estimate_enabled = false);
    let err = c.estimate_energy(&call).await.unwrap_err();
    assert!(
        matches!(err, TronClientError::Simulation { ref code, .. } if code == "CONTRACT_VALIDATE_ERROR"),
        "{err}"
    );
    let refused = node.with(|s| std::mem::take(&mut s.unexpected));
    assert_eq!(refused, [hex::encode(&call.data)]);
    node.with(|s| {
        s.constant.insert(
            hex::encode(&call.data),
            format!("{:064x}", 1), // transfer returns true
        )
    });
    assert_eq!(c.estimate_energy(&call).await.unwrap(), 63_285);
    assert!(
        node.paths()
            .iter()
            .any(|p| p == "/wallet/triggerconstantcontract")
    );

    // A reverting call is an error, not an estimate.
    node.with(|s| s.revert = true);
    let err = c.estimate_energy(&call).await.unwrap_err();
    assert!(
        matches!(err, TronClientError::Simulation { ref code, .. } if code == "REVERT"),
        "{err}"
    );

    // No energy price parameter.
    node.force(
        "/wallet/getchainparameters",
        200,
        r#"{"chainParameter":[{"key":"getTransactionFee","value":1000}]}"#,
    );
    assert!(matches!(
        c.energy_price().await,
        Err(TronClientError::NoEnergyPrice)
    ));
}

#[tokio::test]
async fn broadcast_and_receipt() {
    let node = Node::start().await;
    let c = TronClient::new(&format!("{}/", node.url)).unwrap();
    let k = key();
    let tx = signed_transfer(&c, &k, 10_000_000).await;
    node.with(|s| s.receipt_delay = 2);
    let txid = c.broadcast(&tx).await.unwrap();
    assert_eq!(txid, tx.txid_hex());
    assert_eq!(c.transaction_info(&txid).await.unwrap(), None);
    let r = c
        .wait_for_receipt(&txid, Duration::from_secs(5), Duration::from_millis(20))
        .await
        .unwrap();
    assert!(r.succeeded());
    assert_eq!(
        (r.block_number, r.fee_sun, r.energy_usage_total),
        (HEAD_NUM + 1, 6_428_500, 64_285)
    );

    // The same transaction again.
    let err = c.broadcast(&tx).await.unwrap_err();
    assert!(
        matches!(err, TronClientError::Broadcast { code: TronBroadcastCode::DupTransactionError, ref message } if message == "Dup transaction"),
        "{err}"
    );

    // Signed by someone else.
    let mut forged = c
        .builder()
        .await
        .unwrap()
        .with_fee_limit(1)
        .build(usdt_call(&k).into())
        .unwrap();
    forged
        .sign(&PrivateKey::from_hex(&format!("{:064x}", 5)).unwrap())
        .unwrap();
    let err = c.broadcast(&forged).await.unwrap_err();
    assert!(
        matches!(
            err,
            TronClientError::Broadcast {
                code: TronBroadcastCode::SigError,
                ..
            }
        ),
        "{err}"
    );

    // A reference block the node does not know.
    let mut stale = TransactionBuilder::new(RefBlock::default(), HEAD_TS)
        .with_fee_limit(1)
        .build(usdt_call(&k).into())
        .unwrap();
    stale.sign(&k).unwrap();
    let err = c.broadcast(&stale).await.unwrap_err();
    assert!(
        matches!(
            err,
            TronClientError::Broadcast {
                code: TronBroadcastCode::TaposError,
                ..
            }
        ),
        "{err}"
    );

    // Expired: built two minutes before the head with the default 60 s lifetime.
    let solid_ref = RefBlock::from_block(SOLID_NUM, &block_id(SOLID_NUM));
    let mut expired = TransactionBuilder::new(solid_ref, HEAD_TS - 120_000)
        .with_fee_limit(3)
        .build(usdt_call(&k).into())
        .unwrap();
    expired.sign(&k).unwrap();
    let err = c.broadcast(&expired).await.unwrap_err();
    assert!(
        matches!(
            err,
            TronClientError::Broadcast {
                code: TronBroadcastCode::TransactionExpirationError,
                ..
            }
        ),
        "{err}"
    );

    // A receipt of a failed transaction.
    let tx2 = signed_transfer(&c, &k, 20_000_000).await;
    node.with(|s| {
        s.receipt_delay = 0;
        s.receipt_failed = true;
    });
    let id2 = c.broadcast(&tx2).await.unwrap();
    let r = c
        .wait_for_receipt(&id2, Duration::from_secs(5), Duration::from_millis(20))
        .await
        .unwrap();
    assert!(!r.succeeded());
    assert_eq!(r.failure.as_deref(), Some("REVERT opcode executed"));
    assert_eq!(r.contract_result.as_deref(), Some("REVERT"));

    // Never mined: times out.
    let err = c
        .wait_for_receipt(
            &"ab".repeat(32),
            Duration::from_millis(100),
            Duration::from_millis(20),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, TronClientError::ReceiptTimeout { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn every_broadcast_error_code_is_typed() {
    let node = Node::start().await;
    let c = TronClient::new(&node.url).unwrap();
    let tx = signed_transfer(&c, &key(), 1_000_000).await;
    let cases = [
        ("SIGERROR", TronBroadcastCode::SigError),
        ("TAPOS_ERROR", TronBroadcastCode::TaposError),
        (
            "DUP_TRANSACTION_ERROR",
            TronBroadcastCode::DupTransactionError,
        ),
        (
            "CONTRACT_VALIDATE_ERROR",
            TronBroadcastCode::ContractValidateError,
        ),
        ("BANDWITH_ERROR", TronBroadcastCode::BandwidthError),
        (
            "TRANSACTION_EXPIRATION_ERROR",
            TronBroadcastCode::TransactionExpirationError,
        ),
        ("SERVER_BUSY", TronBroadcastCode::ServerBusy),
        (
            "NOT_ENOUGH_EFFECTIVE_CONNECTION",
            TronBroadcastCode::Unknown {
                code: "NOT_ENOUGH_EFFECTIVE_CONNECTION".into(),
            },
        ),
    ];
    for (code, expected) in cases {
        let message =
            format!("{code} happened: Validate TransferContract error, balance is not sufficient.");
        let body = serde_json::json!({"result": false, "code": code, "message": hex::encode(&message), "txid": tx.txid_hex()});
        node.force("/wallet/broadcasthex", 200, &body.to_string());
        match c.broadcast(&tx).await {
            Err(TronClientError::Broadcast {
                code: got,
                message: m,
            }) => {
                assert_eq!(got, expected);
                assert_eq!(got.as_str(), code);
                assert_eq!(m, message);
            }
            other => panic!("{code}: {other:?}"),
        }
    }
    // A success whose txid is not ours.
    node.force(
        "/wallet/broadcasthex",
        200,
        r#"{"result":true,"code":"SUCCESS","txid":"00"}"#,
    );
    assert!(matches!(
        c.broadcast(&tx).await,
        Err(TronClientError::Shape { field: "txid", .. })
    ));
    // {"Error": ...} in an HTTP 200.
    node.force(
        "/wallet/broadcasthex",
        200,
        r#"{"Error":"class org.tron.core.exception.BadItemException : invalid transaction"}"#,
    );
    match c.broadcast(&tx).await {
        Err(TronClientError::Node { endpoint, message }) => {
            assert_eq!(endpoint, "/wallet/broadcasthex");
            assert!(message.contains("BadItemException"));
        }
        other => panic!("{other:?}"),
    }
    // A lite full node's plain-text refusal.
    node.force(
        "/wallet/gettransactioninfobyid",
        200,
        "this API is closed because this node is a lite fullnode",
    );
    assert!(matches!(
        c.transaction_info(&tx.txid_hex()).await,
        Err(TronClientError::NotJson { ref body, .. }) if body.contains("lite fullnode")
    ));
    // HTTP errors keep the status and body.
    node.force("/wallet/getnowblock", 503, "rate limited");
    assert!(matches!(
        c.now_block().await,
        Err(TronClientError::Status { status: 503, .. })
    ));
    // A block answer without the fields.
    node.force("/wallet/getnowblock", 200, "{}");
    assert!(matches!(
        c.now_block().await,
        Err(TronClientError::Shape {
            field: "blockID",
            ..
        })
    ));
    node.force("/wallet/getnodeinfo", 200, r#"{"block":"Num:1,ID:zz"}"#);
    assert!(matches!(
        c.node_info().await,
        Err(TronClientError::Shape { field: "block", .. })
    ));
    // Nothing listening.
    let dead = TronClient::new("http://127.0.0.1:9").unwrap();
    assert!(matches!(
        dead.now_block().await,
        Err(TronClientError::Transport { .. })
    ));
}
