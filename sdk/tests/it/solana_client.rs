//! `SolanaRpc` against the local JSON-RPC node.

use std::time::Duration;

use stablerail_sdk::Error;
use stablerail_sdk::solana::sdk::{Hash, Keypair, Pubkey, Signer};
use stablerail_sdk::solana::{
    self as sol, PriorityFeePolicy, PriorityLevel, SolanaRpc, TransactionBuilder,
};
use stablerail_sdk::solana::{SolanaError, SolanaRpcError};

use crate::solana_node::{LAST_VALID_HEIGHT, RpcNode, blockhash, escrow_fixture};

#[tokio::test]
async fn blockhash_fees_and_accounts() {
    let node = RpcNode::start().await;
    let rpc = SolanaRpc::new(&node.url).unwrap();
    let latest = rpc.latest_blockhash().await.unwrap();
    assert_eq!(latest.blockhash, blockhash());
    assert_eq!(latest.last_valid_block_height, LAST_VALID_HEIGHT);

    // Fee samples: zeros ignored, levels are percentiles, floor and cap apply.
    node.with(|s| s.fees = vec![0, 0, 100, 200, 300, 400, 0, 500, 600, 700, 800]);
    let writable = [Pubkey::new_from_array([1; 32])];
    let samples = rpc.recent_prioritization_fees(&writable).await.unwrap();
    assert_eq!(samples.len(), 11);
    assert_eq!(samples[2].prioritization_fee, 100);
    let normal = PriorityFeePolicy::new();
    assert_eq!(
        rpc.compute_unit_price(&normal, &writable).await.unwrap(),
        400
    );
    let high = normal.with_level(PriorityLevel::High);
    assert_eq!(rpc.compute_unit_price(&high, &writable).await.unwrap(), 600);
    let capped = high.with_bounds(1, 550).unwrap();
    assert_eq!(
        rpc.compute_unit_price(&capped, &writable).await.unwrap(),
        550
    );
    // The request named the writable accounts.
    let params = node.with(|s| s.requests.last().unwrap().1.clone());
    assert_eq!(params[0][0], writable[0].to_string());
    // A fixed price asks nothing.
    let before = node.methods().len();
    let fixed = normal.with_price(7);
    assert_eq!(rpc.compute_unit_price(&fixed, &writable).await.unwrap(), 7);
    assert_eq!(node.methods().len(), before);
    // A quiet cluster: all zeros give the floor.
    node.with(|s| s.fees = vec![0; 150]);
    assert_eq!(rpc.compute_unit_price(&normal, &writable).await.unwrap(), 1);

    // Accounts: decoded, missing, and of the wrong type.
    let trader = Pubkey::new_from_array([20; 32]);
    let f = escrow_fixture(&node, trader);
    let config: sol::Config = rpc.decoded(&f.escrow.config, "config").await.unwrap();
    assert_eq!(config, f.config);
    let deal: sol::Deal = rpc
        .decoded(&f.escrow.deal(f.deal_id), "deal")
        .await
        .unwrap();
    assert_eq!(deal, f.deal);
    let raw = rpc.account(&f.escrow.config).await.unwrap().unwrap();
    assert_eq!(raw.owner, sol::pda::ESCROW_PROGRAM_ID);
    assert_eq!(raw.lamports, 1_461_600);
    assert!(rpc.account(&writable[0]).await.unwrap().is_none());
    let missing = rpc
        .decoded::<sol::Deal>(&f.escrow.deal(99), "deal")
        .await
        .unwrap_err();
    assert!(
        matches!(
            missing,
            Error::Solana(SolanaError::AccountMissing { what: "deal", .. })
        ),
        "{missing}"
    );
    let wrong = rpc
        .decoded::<sol::Deal>(&f.escrow.config, "deal")
        .await
        .unwrap_err();
    assert!(
        matches!(
            wrong,
            Error::Solana(SolanaError::Discriminator { account: "Deal" })
        ),
        "{wrong}"
    );
}

#[tokio::test]
async fn send_and_confirm() {
    let node = RpcNode::start().await;
    let rpc = SolanaRpc::new(&node.url).unwrap();
    let payer = Keypair::new();
    let trader = Keypair::new();
    let f = escrow_fixture(&node, trader.pubkey());
    let ix = f.escrow.deal_dispute(&trader.pubkey(), f.deal_id);
    let latest = rpc.latest_blockhash().await.unwrap();
    let tx = TransactionBuilder::new(payer.pubkey())
        .with_compute_unit_limit(50_000)
        .with_compute_unit_price(10)
        .with_instruction(ix)
        .sign(latest.blockhash, &[&payer, &trader])
        .unwrap();
    let sig = rpc.send_transaction(&tx).await.unwrap();
    assert_eq!(sig, tx.signatures[0]);
    assert_eq!(node.with(|s| s.sent.clone()), vec![tx.clone()]);
    let status = rpc
        .confirm(&sig, Duration::from_secs(5), Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(status.confirmation_status.as_deref(), Some("confirmed"));
    assert!(status.is_confirmed());
    let unknown = Keypair::new().sign_message(b"x");
    let statuses = rpc.signature_statuses(&[sig, unknown]).await.unwrap();
    assert!(statuses[0].is_some() && statuses[1].is_none());
    // An unknown signature times out as a typed error.
    let err = rpc
        .confirm(
            &unknown,
            Duration::from_millis(50),
            Duration::from_millis(10),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, SolanaRpcError::ConfirmTimeout { .. }),
        "{err}"
    );

    // A stale blockhash fails the node's preflight: the JSON-RPC error is typed.
    let stale = TransactionBuilder::new(payer.pubkey())
        .with_instruction(f.escrow.deal_dispute(&trader.pubkey(), f.deal_id))
        .sign(Hash::new_from_array([1; 32]), &[&payer, &trader])
        .unwrap();
    match rpc.send_transaction(&stale).await.unwrap_err() {
        Error::SolanaRpc(SolanaRpcError::Rpc {
            method,
            code,
            message,
            ..
        }) => {
            assert_eq!((method, code), ("sendTransaction", -32002));
            assert!(message.contains("Blockhash not found"), "{message}");
        }
        other => panic!("expected an RPC error, got {other}"),
    }
}

#[tokio::test]
async fn error_answers_are_typed() {
    let node = RpcNode::start().await;
    let rpc = SolanaRpc::new(&node.url).unwrap();

    // A JSON-RPC error with simulation logs.
    node.force(
        "getLatestBlockhash",
        200,
        r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"Transaction simulation failed","data":{"err":{"InstructionError":[2,{"Custom":6007}]},"logs":["Program log: AnchorError: NotDealSeller"]}}}"#,
    );
    match rpc.latest_blockhash().await.unwrap_err() {
        SolanaRpcError::Rpc {
            code, logs, method, ..
        } => {
            assert_eq!((method, code), ("getLatestBlockhash", -32002));
            assert_eq!(logs, vec!["Program log: AnchorError: NotDealSeller"]);
        }
        other => panic!("{other}"),
    }
    // A proxy's HTML page with 502.
    node.force("getLatestBlockhash", 502, "<html>Bad Gateway</html>");
    match rpc.latest_blockhash().await.unwrap_err() {
        SolanaRpcError::Status { status, body, .. } => {
            assert_eq!(status, 502);
            assert!(body.contains("Bad Gateway"));
        }
        other => panic!("{other}"),
    }
    // Non-JSON text with 200.
    node.force(
        "getRecentPrioritizationFees",
        200,
        "rate limited, try later",
    );
    assert!(matches!(
        rpc.recent_prioritization_fees(&[]).await.unwrap_err(),
        SolanaRpcError::NotJson { method: "getRecentPrioritizationFees", ref body } if body == "rate limited, try later"
    ));
    // JSON without a result, and a result of the wrong shape.
    node.force("getAccountInfo", 200, r#"{"jsonrpc":"2.0","id":1}"#);
    assert!(matches!(
        rpc.account(&Pubkey::new_from_array([1; 32]))
            .await
            .unwrap_err(),
        SolanaRpcError::Shape {
            field: "result",
            ..
        }
    ));
    node.force(
        "getAccountInfo",
        200,
        r#"{"jsonrpc":"2.0","id":1,"result":{"context":{"slot":1},"value":{"data":["%%%","base64"],"lamports":1,"owner":"11111111111111111111111111111111"}}}"#,
    );
    assert!(matches!(
        rpc.account(&Pubkey::new_from_array([1; 32]))
            .await
            .unwrap_err(),
        SolanaRpcError::Shape {
            field: "value.data",
            ..
        }
    ));
    // A URL that is not http(s), and a closed port.
    assert!(matches!(
        SolanaRpc::new("ftp://example.invalid"),
        Err(SolanaRpcError::Url { .. })
    ));
    let closed = SolanaRpc::new("http://127.0.0.1:1").unwrap();
    assert!(matches!(
        closed.latest_blockhash().await.unwrap_err(),
        SolanaRpcError::Transport { .. }
    ));
}
