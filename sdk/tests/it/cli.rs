//! The `stablerail` binary end to end.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use stablerail_sdk::tron::{Contract, Transaction};

use crate::node::{HEAD_TS, Node, SOLID_NUM, block_id};
use crate::support::{failed, ok_json, run, scratch_dir, stablerail};

const KEY: &str = "279ff36d9bf9f305af3280034bb4187c6dd299bac6b26a3c20b999c7c0d50e6e";
const KEY_ADDR: &str = "TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1";
const TO: &str = "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC";
const USDT: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";

fn key_file(content: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = scratch_dir("cli");
    let path = dir.join(format!("key{}", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn amount_command() {
    let v = ok_json(&run(&["--json", "amount", "12.50"]));
    assert_eq!(v["amount"], "12.5");
    assert_eq!(v["units"], 12_500_000);
    let v = ok_json(&run(&["amount", "--from-units", "1", "--json"]));
    assert_eq!(v["amount"], "0.000001");
    let text = run(&["amount", "3"]);
    assert_eq!(
        String::from_utf8_lossy(&text.stdout).trim(),
        "3 (3000000 units)"
    );
    assert!(failed(&run(&["amount", "1.1234567"])).contains("at most 6"));
    assert!(failed(&run(&["amount", "--", "-5"])).contains("negative"));
    assert!(failed(&run(&["amount", "12abc"])).contains("invalid character"));
}

#[test]
fn fees_quote_command() {
    let v = ok_json(&run(&[
        "fees",
        "quote",
        "--json",
        "--kind",
        "trade",
        "--amount",
        "250",
        "--tiers",
        "0:100,1000:80",
        "--agent-tiers",
        "0:2000",
        "--reward-bps",
        "1000",
        "--agent-volume",
        "0",
    ]));
    assert_eq!(v["fee"], "2.5");
    assert_eq!(v["buyer_net"], "247.5");
    assert_eq!(v["agent_cut"], "0.5");
    assert_eq!(v["reward"], "0.25");
    assert_eq!(v["platform"], "1.75");
    assert_eq!(v["kind"], "trade");
    // The second tier from 1000 USDT of volume.
    let v = ok_json(&run(&[
        "fees",
        "quote",
        "--json",
        "--kind",
        "payout",
        "--amount",
        "100",
        "--merchant-volume",
        "1000",
        "--tiers",
        "0:100,1000:80",
    ]));
    assert_eq!(
        (v["fee_bps"].as_u64(), v["fee"].as_str()),
        (Some(80), Some("0.8"))
    );
    let err = failed(&run(&[
        "fees", "quote", "--kind", "trade", "--amount", "1", "--tiers", "5:100",
    ]));
    assert!(err.contains("threshold 0"), "{err}");
    let err = failed(&run(&[
        "fees",
        "quote",
        "--kind",
        "trade",
        "--amount",
        "1",
        "--tiers",
        "0:100",
        "--agent-tiers",
        "0:9500",
        "--reward-bps",
        "1000",
    ]));
    assert!(err.contains("exceeds 10000"), "{err}");
}

#[test]
fn tron_address_command() {
    let v = ok_json(&run(&[
        "tron",
        "address",
        "--json",
        "417e5f4552091a69125d5dfcb7b8c2659029395bdf",
    ]));
    assert_eq!(v["base58"], TO);
    let v = ok_json(&run(&["tron", "address", "--json", TO]));
    assert_eq!(v["hex"], "417e5f4552091a69125d5dfcb7b8c2659029395bdf");
    let err = failed(&run(&[
        "tron",
        "address",
        "TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUs",
    ]));
    assert!(err.contains("checksum"), "{err}");

    let path = key_file(&format!("{KEY}\n"));
    let out = run(&[
        "tron",
        "address",
        "--json",
        "--key-file",
        path.to_str().unwrap(),
    ]);
    assert_eq!(ok_json(&out)["base58"], KEY_ADDR);
    assert!(!String::from_utf8_lossy(&out.stderr).contains(KEY));
    let out = stablerail()
        .args(["tron", "address", "--json"])
        .env("STABLERAIL_TRON_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(ok_json(&out)["base58"], KEY_ADDR);

    let err = failed(&run(&["tron", "address"]));
    assert!(err.contains("STABLERAIL_TRON_KEY"), "{err}");
    // A wrong-length key: a clear message that does not echo the key.
    let short = &KEY[..60];
    let err = failed(&run(&[
        "tron",
        "address",
        "--key-file",
        key_file(short).to_str().unwrap(),
    ]));
    assert!(err.contains("60 hex characters"), "{err}");
    assert!(!err.contains(short));
    // A key cannot be passed as an argument.
    assert!(!run(&["tron", "address", "--key", KEY]).status.success());
}

#[test]
fn tron_decode_command() {
    let raw = "0a026ecf22083c083e47cbea43ec40f8dfe182a82e520302c75f5a66080112620a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412310a15419cf784b4cc7531f1598c4c322de9afdc597fe760121541340967e825557559dc46bbf0eabe5ccf99fd134e18e80770f5a2de82a82e";
    let sig = "c4cfe5c76bf89fe004ff59de1a33934a9419301e21fbe1f00ee5b5faf17189797a7292e872a693e7bff145e76c43ea6f26c425be70d0e0d0440331390d0d65a401";
    let v = ok_json(&run(&[
        "tron",
        "decode",
        "--json",
        &format!("0a8901{raw}1241{sig}"),
    ]));
    assert_eq!(
        v["txid"],
        "17821228a79904c23bd35e566f320c2d43e6940c0d44bc8d70f257f3485459bb"
    );
    assert_eq!(
        v["signers"][0]["address"],
        "TQHAvs2ZFTbsd93ycTfw1Wuf1e4WsPZWCp"
    );
    assert_eq!(v["raw_data"]["contract"]["type"], "TransferContract");
    assert_eq!(v["raw_data"]["contract"]["amount_sun"], 1000);
    let text = String::from_utf8(run(&["tron", "decode", raw]).stdout).unwrap();
    assert!(
        text.contains("unsigned") && text.contains("17821228a799"),
        "{text}"
    );
    let err = failed(&run(&["tron", "decode", "0a0b"]));
    assert!(
        err.contains("protobuf") || err.contains("truncated"),
        "{err}"
    );
}

#[test]
fn tron_transfer_offline() {
    let path = key_file(KEY);
    let id = hex::encode(block_id(SOLID_NUM));
    let num = SOLID_NUM.to_string();
    let ts = HEAD_TS.to_string();
    let base = [
        "tron",
        "transfer",
        "--json",
        "--key-file",
        path.to_str().unwrap(),
        "--to",
        TO,
        "--ref-block-num",
        &num,
        "--ref-block-id",
        &id,
        "--timestamp",
        &ts,
    ];
    // TRX.
    let mut args = base.to_vec();
    args.extend(["--amount", "1.5", "--memo", "invoice 7"]);
    let out = run(&args);
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !String::from_utf8_lossy(stream).contains(KEY),
            "the key leaked"
        );
    }
    let v = ok_json(&out);
    let tx = Transaction::from_hex(v["signed_hex"].as_str().unwrap()).unwrap();
    assert_eq!(tx.txid_hex(), v["txid"].as_str().unwrap());
    assert_eq!(tx.signers()[0].clone().unwrap().to_base58(), KEY_ADDR);
    assert_eq!(tx.raw_data().memo, b"invoice 7");
    assert_eq!(tx.raw_data().timestamp, HEAD_TS);
    assert_eq!(tx.raw_data().expiration, HEAD_TS + 60_000);
    let Contract::Transfer(t) = &tx.raw_data().contract else {
        panic!("not TRX")
    };
    assert_eq!((t.to.to_base58().as_str(), t.amount_sun), (TO, 1_500_000));
    // USDT with an explicit fee limit.
    let mut args = base.to_vec();
    args.extend(["--amount", "25", "--token", "usdt", "--fee-limit", "30"]);
    let v = ok_json(&run(&args));
    let tx = Transaction::from_hex(v["signed_hex"].as_str().unwrap()).unwrap();
    assert_eq!(tx.raw_data().fee_limit, 30_000_000);
    let view = tx.view();
    let t = view.trc20_transfer.unwrap();
    assert_eq!(
        (
            t.token.to_base58().as_str(),
            t.to.to_base58().as_str(),
            t.amount.to_string().as_str()
        ),
        (USDT, TO, "25")
    );

    // Invalid input fails before the key is read (the key file does not exist).
    let missing = "/nonexistent/key";
    let bad = |amount: &str, to: &str, extra: &[&str]| {
        let mut a = vec![
            "tron",
            "transfer",
            "--key-file",
            missing,
            "--to",
            to,
            "--amount",
            amount,
            "--ref-block-num",
            &num,
            "--ref-block-id",
            &id,
        ];
        a.extend_from_slice(extra);
        failed(&run(&a))
    };
    let err = bad("1.0000001", TO, &[]);
    assert!(
        err.contains("--amount") && err.contains("at most 6"),
        "{err}"
    );
    let err = bad("1", "TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUs", &[]);
    assert!(err.contains("--to") && err.contains("checksum"), "{err}");
    let err = bad("0", TO, &[]);
    assert!(err.contains("above zero"), "{err}");
    let err = bad("1", TO, &["--token", "Tnotanaddress"]);
    assert!(err.contains("--token"), "{err}");
    let err = bad("1", TO, &["--token", USDT]);
    assert!(err.contains("--fee-limit"), "{err}");
    let err = bad("1", TO, &["--fee-limit", "20000"]);
    assert!(
        err.contains("--fee-limit") && err.contains("15000"),
        "{err}"
    );
    let err = bad("1", TO, &["--expiration-secs", "90000"]);
    assert!(err.contains("--expiration-secs"), "{err}");
    let other_id = hex::encode(block_id(SOLID_NUM + 1));
    let mut a = vec![
        "tron",
        "transfer",
        "--key-file",
        missing,
        "--to",
        TO,
        "--amount",
        "1",
        "--ref-block-num",
        &num,
        "--ref-block-id",
        &other_id,
    ];
    let err = failed(&run(&a));
    assert!(
        err.contains("--ref-block-id is not the id of block"),
        "{err}"
    );
    a[11] = "abcd";
    assert!(failed(&run(&a)).contains("64 hex digits"));
    // A transfer to oneself is refused.
    let mut args = base.to_vec();
    args[6] = KEY_ADDR;
    args.extend(["--amount", "1"]);
    assert!(failed(&run(&args)).contains("same address"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_transfer_broadcast_against_node() {
    let node = Node::start().await;
    let path = key_file(KEY);
    let url = node.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        run(&[
            "tron",
            "transfer",
            "--json",
            "--key-file",
            path.to_str().unwrap(),
            "--to",
            TO,
            "--amount",
            "12.5",
            "--token",
            USDT,
            "--node",
            &url,
            "--broadcast",
            "--wait-secs",
            "10",
        ])
    })
    .await
    .unwrap();
    let v = ok_json(&out);
    // 64,285 energy × 100 sun × 1.2.
    assert_eq!(v["fee_limit_sun"], 7_714_200);
    assert_eq!(v["broadcast"], true);
    assert_eq!(v["receipt"]["succeeded"], true);
    let paths = node.paths();
    for p in [
        "/wallet/getnodeinfo",
        "/wallet/getnowblock",
        "/wallet/estimateenergy",
        "/wallet/getchainparameters",
        "/wallet/broadcasthex",
        "/wallet/gettransactioninfobyid",
    ] {
        assert!(paths.iter().any(|x| x == p), "{p} not called: {paths:?}");
    }
    // A node that refuses: non-zero exit and the decoded reason.
    node.force("/wallet/broadcasthex", 200, &serde_json::json!({"result": false, "code": "BANDWITH_ERROR", "message": hex::encode("Account resource insufficient error.")}).to_string());
    let path = key_file(KEY);
    let url = node.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        run(&[
            "tron",
            "transfer",
            "--key-file",
            path.to_str().unwrap(),
            "--to",
            TO,
            "--amount",
            "1",
            "--node",
            &url,
            "--broadcast",
        ])
    })
    .await
    .unwrap();
    let err = failed(&out);
    assert!(
        err.contains("BANDWITH_ERROR") && err.contains("Account resource insufficient"),
        "{err}"
    );
}

#[test]
fn pay_uri_command() {
    let v = ok_json(&run(&[
        "pay-uri",
        "--json",
        "evm",
        "--token",
        "0xdac17f958d2ee523a2206206994597c13d831ec7",
        "--chain-id",
        "1",
        "--to",
        "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359",
        "--amount",
        "10",
    ]));
    assert_eq!(
        v["uri"],
        "ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer?address=0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359&uint256=10000000"
    );
    let out = run(&[
        "pay-uri", "tron", "--to", KEY_ADDR, "--amount", "5.25", "--token", USDT,
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("tron:{KEY_ADDR}?amount=5.25&token={USDT}")
    );
    let out = run(&[
        "pay-uri",
        "solana",
        "--to",
        "mvines9iiHiQTysrwkJjGf2gb9Ex9jXJX8ns3qwf2kN",
        "--amount",
        "1",
        "--spl-token",
        "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
        "--label",
        "Shop & Co",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "solana:mvines9iiHiQTysrwkJjGf2gb9Ex9jXJX8ns3qwf2kN?amount=1&spl-token=Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB&label=Shop%20%26%20Co"
    );
    assert!(
        failed(&run(&[
            "pay-uri",
            "tron",
            "--to",
            "TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUs"
        ]))
        .contains("checksum")
    );
    assert!(
        failed(&run(&[
            "pay-uri",
            "evm",
            "--token",
            "0x12",
            "--chain-id",
            "1",
            "--to",
            "0x12",
            "--amount",
            "1"
        ]))
        .contains("40 hex")
    );
    assert!(failed(&run(&["pay-uri", "solana", "--to", "abc"])).contains("32 bytes"));
    assert!(
        failed(&run(&[
            "pay-uri",
            "tron",
            "--to",
            KEY_ADDR,
            "--amount",
            "0.0000001"
        ]))
        .contains("--amount")
    );
}
