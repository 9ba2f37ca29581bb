//! `stablerail tron escrow` and `stablerail tron multisig` against the local HTTP
//! node (`node.rs`), which answers reads (`triggerconstantcontract`) with ABI
//! encodings of the escrow's and multisig's return values and checks broadcasts
//! like a node. Every built transaction is decoded back: contract, calldata, fee
//! limit and signer.

use std::path::PathBuf;
use std::process::Output;

use alloy::primitives::{Address as EvmAddress, B256, Bytes, FixedBytes, U256, Uint, keccak256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use serde_json::Value;
use stablerail_sdk::evm::{Escrow, IERC20, IEscrow, MultiSig, ProposalFile};
use stablerail_sdk::tron::{Address, Contract, Transaction, USDT_MAINNET};

use crate::node::{HEAD_TS, Node};
use crate::support::{failed, ok_json, scratch_dir, stablerail};

pub(crate) const KEY: &str = "279ff36d9bf9f305af3280034bb4187c6dd299bac6b26a3c20b999c7c0d50e6e";
pub(crate) const KEY_ADDR: &str = "TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1";
pub(crate) const ESCROW: &str = "TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUG";
pub(crate) const OTHER: &str = "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC";
/// The zero address (a deleted deal's parties).
pub(crate) const ZERO_ADDR: &str = "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb";
/// TRON mainnet's chain id, as its contracts' `eip712Domain()` reports it.
const TRON_CHAIN_ID: u64 = 0x2b66_53dc;

pub(crate) fn tron(a: &str) -> Address {
    a.parse().unwrap()
}

pub(crate) fn evm(a: &str) -> EvmAddress {
    EvmAddress::from(tron(a).evm_bytes())
}

pub(crate) fn usdt(whole: u64) -> U256 {
    U256::from(whole * 1_000_000)
}

pub(crate) fn selector<C: SolCall>() -> String {
    hex::encode(C::SELECTOR)
}

fn dir() -> PathBuf {
    scratch_dir("cli-tron")
}

fn key_file(name: &str, hex_key: &str) -> PathBuf {
    let path = dir().join(name);
    std::fs::write(&path, hex_key).unwrap();
    path
}

pub(crate) fn deal(seller: &str, buyer: &str, state: u8) -> IEscrow::Deal {
    IEscrow::Deal {
        seller: evm(seller),
        deadline: 1_760_003_600,
        kind: 0,
        state,
        buyer: evm(buyer),
        amount: Uint::<96, 2>::from(100_000_000u64),
        orderRef: B256::ZERO,
        orderId: U256::ZERO,
        feeBps: 100,
        agent: EvmAddress::ZERO,
        agentShareBps: 0,
        rewardBps: 0,
        disputedAt: 0,
    }
}

/// The account every owner has in `escrow_node` (a merchant with 500 available),
/// changed by `f`.
pub(crate) fn account(f: impl FnOnce(&mut IEscrow::Account)) -> IEscrow::Account {
    let zero = EvmAddress::ZERO;
    let mut a = IEscrow::Account {
        available: Uint::<96, 2>::from(500_000_000u64),
        locked: Uint::<96, 2>::ZERO,
        agentVolume: 0,
        agent: zero,
        roles: 1,
        kycLevel: 2,
        region: 1,
        merchantVolume: 0,
        withdrawalAddress: zero,
        pendingWithdrawalAt: 0,
        pendingWithdrawalAddress: zero,
        pendingCoSignerAt: 0,
        coSigner: zero,
        dailyAllowance: 0,
        coSignNonce: 0,
        online: false,
        maxPerDeal: 0,
        maxLocked: 0,
        outflowToday: 0,
        outflowDay: 0,
        pendingCoSigner: zero,
        pendingDailyAllowance: 0,
    };
    f(&mut a);
    a
}

/// A node that knows the escrow: token, balances, an account (a merchant's, with
/// 500 available) for every owner, deals 7 (the key sells, paid),
/// 8 (the key buys, open), 9 (someone else's) and 10 (gone), order 3.
pub(crate) async fn escrow_node() -> Node {
    let node = Node::start().await;
    let me = KEY_ADDR;
    let token = evm(USDT_MAINNET);
    node.with(|s| {
        let c = &mut s.constant;
        c.insert(
            selector::<Escrow::tokenCall>(),
            hex::encode(Escrow::tokenCall::abi_encode_returns(&token)),
        );
        c.insert(
            selector::<IERC20::balanceOfCall>(),
            hex::encode(IERC20::balanceOfCall::abi_encode_returns(&usdt(1_000))),
        );
        c.insert(
            selector::<IERC20::allowanceCall>(),
            hex::encode(IERC20::allowanceCall::abi_encode_returns(&usdt(5))),
        );
        let zero = EvmAddress::ZERO;
        let account = account(|_| {});
        c.insert(
            selector::<Escrow::accountCall>(),
            hex::encode(Escrow::accountCall::abi_encode_returns(&account)),
        );
        c.insert(
            selector::<Escrow::dispatcherCall>(),
            hex::encode(Escrow::dispatcherCall::abi_encode_returns(&evm(ESCROW))),
        );
        for (id, d) in [
            (7u64, deal(me, OTHER, 3)),
            (8, deal(OTHER, me, 2)),
            (9, deal(OTHER, ESCROW, 3)),
            (10, deal(ZERO_ADDR, ZERO_ADDR, 0)),
        ] {
            c.insert(
                hex::encode(
                    Escrow::dealCall {
                        dealId: U256::from(id),
                    }
                    .abi_encode(),
                ),
                hex::encode(Escrow::dealCall::abi_encode_returns(&d)),
            );
        }
        let order = IEscrow::BuyOrder {
            merchant: evm(OTHER),
            expiry: 1_760_086_400,
            currency: FixedBytes(*b"CNY"),
            remaining: Uint::<96, 2>::from(300_000_000u64),
            minFill: Uint::<96, 2>::from(1_000_000u64),
            price: 725,
            maxFill: Uint::<96, 2>::from(300_000_000u64),
            paymentWindow: 900,
            openFills: 0,
        };
        c.insert(
            hex::encode(
                Escrow::buyOrderCall {
                    orderId: U256::from(3),
                }
                .abi_encode(),
            ),
            hex::encode(Escrow::buyOrderCall::abi_encode_returns(&order)),
        );
        let mine = IEscrow::BuyOrder {
            merchant: evm(me),
            ..order.clone()
        };
        c.insert(
            hex::encode(
                Escrow::buyOrderCall {
                    orderId: U256::from(5),
                }
                .abi_encode(),
            ),
            hex::encode(Escrow::buyOrderCall::abi_encode_returns(&mine)),
        );
        c.insert(
            hex::encode(
                Escrow::buyOrderCall {
                    orderId: U256::from(4),
                }
                .abi_encode(),
            ),
            hex::encode(Escrow::buyOrderCall::abi_encode_returns(
                &IEscrow::BuyOrder {
                    merchant: zero,
                    expiry: 0,
                    currency: FixedBytes([0; 3]),
                    remaining: Uint::<96, 2>::ZERO,
                    minFill: Uint::<96, 2>::ZERO,
                    price: 0,
                    maxFill: Uint::<96, 2>::ZERO,
                    paymentWindow: 0,
                    openFills: 0,
                },
            )),
        );
    });
    node
}

pub(crate) fn cli(args: &[&str], env_key: Option<&str>) -> Output {
    let mut c = stablerail();
    if let Some(k) = env_key {
        c.env("STABLERAIL_TRON_KEY", k);
    }
    c.arg("--json").args(args).output().unwrap()
}

pub(crate) fn escrow_cli(node: &Node, action: &[&str]) -> Output {
    let mut args = vec!["tron", "escrow", "--node", &node.url, "--escrow", ESCROW];
    args.extend_from_slice(action);
    cli(&args, Some(KEY))
}

/// Runs an escrow action that builds one transaction and checks it calls `call`
/// on the escrow, signed by [`KEY`].
fn escrow_action(node: &Node, action: &[&str], call: impl SolCall) {
    let v = ok_json(&escrow_cli(node, action));
    check_tx(&v[0], ESCROW, &call.abi_encode(), KEY_ADDR);
}

/// Decodes a built transaction and checks it calls `contract` with `data`, signed by `signer`.
pub(crate) fn check_tx(view: &Value, contract: &str, data: &[u8], signer: &str) -> Transaction {
    let tx = Transaction::from_hex(view["signed_hex"].as_str().unwrap()).unwrap();
    let Contract::TriggerSmartContract(call) = &tx.raw_data().contract else {
        panic!("not a TriggerSmartContract");
    };
    assert_eq!(call.contract, tron(contract));
    assert_eq!(call.owner, tron(signer));
    assert_eq!(hex::encode(&call.data), hex::encode(data));
    assert_eq!(tx.signers()[0].clone().unwrap(), tron(signer));
    assert_eq!(tx.txid_hex(), view["txid"].as_str().unwrap());
    assert_eq!(
        tx.raw_data().fee_limit,
        view["fee_limit_sun"].as_i64().unwrap()
    );
    tx
}

#[tokio::test(flavor = "multi_thread")]
async fn escrow_actions_build_the_right_calls() {
    let node = escrow_node().await;

    // Deposit: allowance 5 < 250, so reset to 0, approve 250, deposit 250. The
    // first call's fee limit is the estimate (64,285 energy × 100 sun × 1.2); the
    // later ones cannot be simulated before the approve is mined: the cap.
    let v = ok_json(&escrow_cli(
        &node,
        &["account", "deposit", "--amount", "250"],
    ));
    let txs = v.as_array().unwrap();
    assert_eq!(txs.len(), 3);
    let spender = evm(ESCROW);
    let reset = IERC20::approveCall {
        spender,
        amount: U256::ZERO,
    }
    .abi_encode();
    let approve = IERC20::approveCall {
        spender,
        amount: usdt(250),
    }
    .abi_encode();
    let deposit = Escrow::depositCall { amount: usdt(250) }.abi_encode();
    check_tx(&txs[0], USDT_MAINNET, &reset, KEY_ADDR);
    check_tx(&txs[1], USDT_MAINNET, &approve, KEY_ADDR);
    let tx = check_tx(&txs[2], ESCROW, &deposit, KEY_ADDR);
    assert_eq!(txs[0]["fee_limit_sun"], 7_714_200);
    assert_eq!(tx.raw_data().fee_limit, 100_000_000);
    assert_eq!(txs[2]["function"], "deposit(uint256)");
    assert_eq!(txs[2]["broadcast"], false);
    assert!(!node.paths().iter().any(|p| p == "/wallet/broadcasthex"));

    // Withdraw and the deal actions each party may take.
    escrow_action(
        &node,
        &["account", "withdraw", "--amount", "12.5"],
        Escrow::withdrawCall {
            amount: U256::from(12_500_000),
        },
    );
    let id = |n: u64| U256::from(n);
    escrow_action(
        &node,
        &["deal", "release", "--deal", "7"],
        Escrow::releaseCall { dealId: id(7) },
    );
    escrow_action(
        &node,
        &["deal", "dispute", "--deal", "7"],
        Escrow::disputeCall { dealId: id(7) },
    );
    escrow_action(
        &node,
        &["deal", "mark-paid", "--deal", "8"],
        Escrow::markPaidCall { dealId: id(8) },
    );
    escrow_action(
        &node,
        &["deal", "cancel", "--deal", "8"],
        Escrow::cancelCall { dealId: id(8) },
    );

    // Buy orders: post (expiry from the head block's time), fill.
    let post = Escrow::postBuyOrderCall {
        price: 725,
        currency: FixedBytes(*b"CNY"),
        amount: usdt(300),
        minFill: usdt(1),
        maxFill: usdt(300),
        expiry: (HEAD_TS / 1000) as u64 + 3600,
        paymentWindow: 3600,
    };
    escrow_action(
        &node,
        &[
            "buy-order",
            "post",
            "--price",
            "725",
            "--currency",
            "CNY",
            "--amount",
            "300",
            "--min-fill",
            "1",
            "--max-fill",
            "300",
            "--expires-in",
            "3600",
        ],
        post,
    );
    let fill = Escrow::fillBuyOrderCall {
        orderId: id(3),
        amount: usdt(20),
        orderRef: keccak256(b"otc-1"),
    };
    escrow_action(
        &node,
        &[
            "buy-order",
            "fill",
            "--order",
            "3",
            "--amount",
            "20",
            "--ref",
            "otc-1",
        ],
        fill,
    );
    let payout = Escrow::openPayoutCall {
        amount: usdt(40),
        paymentWindow: 1800,
        orderRef: B256::ZERO,
    };
    escrow_action(
        &node,
        &[
            "payout",
            "open",
            "--amount",
            "40",
            "--payment-window",
            "1800",
        ],
        payout,
    );

    escrow_action(
        &node,
        &["buy-order", "cancel", "--order", "5"],
        Escrow::cancelBuyOrderCall { orderId: id(5) },
    );
    let request = Escrow::requestWithdrawalAddressCall {
        newAddress: evm(OTHER),
    };
    escrow_action(
        &node,
        &["withdrawal-address", "request", "--to", OTHER],
        request,
    );
    escrow_action(
        &node,
        &["withdrawal-address", "cancel"],
        Escrow::cancelWithdrawalAddressChangeCall {},
    );

    // Reads.
    let v = ok_json(&escrow_cli(&node, &["deal", "show", "--deal", "7"]));
    assert_eq!(v["seller"], KEY_ADDR);
    assert_eq!(v["buyer"], OTHER);
    assert_eq!(v["state"], "paid");
    let v = ok_json(&escrow_cli(&node, &["account", "show"]));
    assert_eq!(v["available"], "500");
    assert_eq!(v["owner"], KEY_ADDR);

    // Broadcast: the node checks signature, reference block and expiry.
    let v = ok_json(&escrow_cli(
        &node,
        &["deal", "release", "--deal", "7", "--broadcast"],
    ));
    assert_eq!(v[0]["broadcast"], true);
    let sent = node.with(|s| {
        s.requests
            .iter()
            .rev()
            .find(|(p, _)| p == "/wallet/broadcasthex")
            .map(|(_, b)| b["transaction"].as_str().unwrap().to_owned())
            .unwrap()
    });
    assert_eq!(sent, v[0]["signed_hex"].as_str().unwrap());
    let tx = Transaction::from_hex(&sent).unwrap();
    assert_eq!(tx.raw_data().expiration, HEAD_TS + 60_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn escrow_errors_come_before_signing() {
    let node = escrow_node().await;
    let broadcasts = |node: &Node| {
        node.paths()
            .iter()
            .filter(|p| *p == "/wallet/broadcasthex")
            .count()
    };

    // Bad input: nothing reaches the node at all.
    let err = failed(&escrow_cli(
        &node,
        &["account", "deposit", "--amount", "1.1234567", "--broadcast"],
    ));
    assert!(err.contains("at most 6"), "{err}");
    let err = failed(&cli(
        &[
            "tron",
            "escrow",
            "--node",
            &node.url,
            "--escrow",
            "TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUs",
            "deal",
            "release",
            "--deal",
            "7",
        ],
        Some(KEY),
    ));
    assert!(err.contains("checksum"), "{err}");
    let err = failed(&escrow_cli(&node, &["deal", "release", "--deal", "-1"]));
    assert!(!err.is_empty());
    assert!(node.paths().is_empty(), "{:?}", node.paths());

    // Pre-checks against the chain: wrong party, wrong state, unknown deal and
    // order, more than the wallet or the account holds.
    let belongs = format!("belongs to {OTHER}");
    let refused: [(&[&str], &str); 9] = [
        (&["deal", "release", "--deal", "8"], "is not its seller"),
        (&["deal", "release", "--deal", "9"], "is not its seller"),
        (&["deal", "mark-paid", "--deal", "7"], "is not its buyer"),
        (
            &["deal", "dispute", "--deal", "8"],
            "while the deal is open",
        ),
        (&["deal", "cancel", "--deal", "10"], "deal 10 not found"),
        (
            &["buy-order", "fill", "--order", "4", "--amount", "1"],
            "buy order 4 not found",
        ),
        (&["buy-order", "cancel", "--order", "3"], &belongs),
        (
            &["account", "deposit", "--amount", "1000.000001"],
            "in its wallet",
        ),
        (
            &["account", "withdraw", "--amount", "500.000001"],
            "available in the escrow",
        ),
    ];
    for (action, expected) in refused {
        let args = [action, &["--broadcast"]].concat();
        let err = failed(&escrow_cli(&node, &args));
        assert!(err.contains(expected), "{action:?}: {err}");
    }
    assert_eq!(broadcasts(&node), 0);

    // A simulated revert (the node's estimate) stops it too.
    node.with(|s| s.revert = true);
    let err = failed(&escrow_cli(
        &node,
        &["account", "deposit", "--amount", "1", "--broadcast"],
    ));
    assert!(
        err.contains("REVERT") || err.contains("simulation"),
        "{err}"
    );
    assert_eq!(broadcasts(&node), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn tron_multisig_propose_sign_execute() {
    let node = Node::start().await;
    let owners: Vec<PrivateKeySigner> = [0x11u8, 0x22, 0x33]
        .iter()
        .map(|b| PrivateKeySigner::from_bytes(&B256::repeat_byte(*b)).unwrap())
        .collect();
    let owner_hex = |i: usize| hex::encode(owners[i].to_bytes());
    let multisig = "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC";
    let multisig_evm = evm(multisig);
    node.with(|s| {
        let c = &mut s.constant;
        let domain = MultiSig::eip712DomainReturn {
            fields: FixedBytes([0x0f]),
            name: "stablerail MultiSig".into(),
            version: "1".into(),
            chainId: U256::from(TRON_CHAIN_ID),
            verifyingContract: multisig_evm,
            salt: B256::ZERO,
            extensions: vec![],
        };
        c.insert(
            selector::<MultiSig::eip712DomainCall>(),
            hex::encode(MultiSig::eip712DomainCall::abi_encode_returns(&domain)),
        );
        let list: Vec<EvmAddress> = owners.iter().map(|o| o.address()).collect();
        c.insert(
            selector::<MultiSig::getOwnersCall>(),
            hex::encode(MultiSig::getOwnersCall::abi_encode_returns(&list)),
        );
        c.insert(
            selector::<MultiSig::thresholdCall>(),
            hex::encode(MultiSig::thresholdCall::abi_encode_returns(&U256::from(2))),
        );
        c.insert(
            selector::<MultiSig::nonceCall>(),
            hex::encode(MultiSig::nonceCall::abi_encode_returns(&U256::from(5))),
        );
        c.insert(
            selector::<MultiSig::timeLockCall>(),
            hex::encode(MultiSig::timeLockCall::abi_encode_returns(&U256::ZERO)),
        );
        c.insert(
            selector::<MultiSig::configVersionCall>(),
            hex::encode(MultiSig::configVersionCall::abi_encode_returns(&0u64)),
        );
        let none = MultiSig::scheduledReturn { eta: 0, version: 0 };
        c.insert(
            selector::<MultiSig::scheduledCall>(),
            hex::encode(MultiSig::scheduledCall::abi_encode_returns(&none)),
        );
    });
    let file = dir().join("tron-resolve.json");
    let _ = std::fs::remove_file(&file);
    let f = file.to_str().unwrap();
    let base = [
        "tron",
        "multisig",
        "--node",
        node.url.as_str(),
        "--multisig",
        multisig,
    ];
    let run = |extra: &[&str], key: Option<&str>| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        cli(&a, key)
    };

    // Propose resolve(7, 6000) on the escrow; addresses in base58, TRON's chain id.
    let v = ok_json(&run(
        &[
            "propose", "--to", ESCROW, "--call", "resolve", "7", "6000", "--out", f,
        ],
        None,
    ));
    assert_eq!(v["to"], ESCROW);
    assert_eq!(v["multisig"], multisig);
    assert_eq!(v["chain_id"], TRON_CHAIN_ID.to_string());
    assert_eq!(v["nonce"], "5");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains(&format!("\"multisig\": \"{multisig}\"")),
        "{text}"
    );

    // Two owners sign in separate invocations; a repeat and an outsider are refused.
    ok_json(&run(&["sign", "--file", f], Some(&owner_hex(2))));
    let err = failed(&run(&["sign", "--file", f], Some(&owner_hex(2))));
    assert!(err.contains("already signed"), "{err}");
    let err = failed(&run(&["sign", "--file", f], Some(KEY)));
    assert!(err.contains("is not an owner"), "{err}");
    let err = failed(&run(&["execute", "--file", f], Some(KEY)));
    assert!(err.contains("1 of 2 signatures"), "{err}");
    let owner0_file = key_file("owner0", &owner_hex(0));
    ok_json(&run(
        &[
            "sign",
            "--file",
            f,
            "--key-file",
            owner0_file.to_str().unwrap(),
        ],
        None,
    ));
    let v = ok_json(&run(&["show", "--file", f], None));
    assert_eq!(v["proposal"]["status"], "ready to execute");
    assert_eq!(v["threshold"], 2);

    // Execute: a TriggerSmartContract to the multisig, signatures sorted by signer.
    let v = ok_json(&run(&["execute", "--file", f], Some(KEY)));
    let tx = &v["transactions"][0];
    let proposal = ProposalFile::load(&file).unwrap();
    let mut signers = vec![owners[0].address(), owners[2].address()];
    signers.sort();
    assert_eq!(proposal.signers(), signers);
    let digest = proposal.digest();
    let signature_of = |a: EvmAddress| {
        let o = owners.iter().find(|o| o.address() == a).unwrap();
        alloy::signers::SignerSync::sign_hash_sync(o, &digest)
            .unwrap()
            .as_bytes()
            .to_vec()
    };
    let signatures: Bytes = signers
        .iter()
        .flat_map(|&s| signature_of(s))
        .collect::<Vec<u8>>()
        .into();
    let execute = MultiSig::executeCall {
        to: evm(ESCROW),
        value: U256::ZERO,
        data: Escrow::resolveCall {
            dealId: U256::from(7),
            buyerShareBps: 6000,
        }
        .abi_encode()
        .into(),
        nonce_: U256::from(5),
        deadline: U256::from((HEAD_TS / 1000) as u64 + 86_400),
        minGas: U256::ZERO,
        signatures,
    };
    check_tx(tx, multisig, &execute.abi_encode(), KEY_ADDR);
    assert_eq!(v["result"], "signed, not broadcast");

    // A replay after the nonce moved on is refused.
    node.with(|s| {
        s.constant.insert(
            selector::<MultiSig::nonceCall>(),
            hex::encode(MultiSig::nonceCall::abi_encode_returns(&U256::from(6))),
        );
    });
    let err = failed(&run(&["execute", "--file", f, "--broadcast"], Some(KEY)));
    assert!(err.contains("already executed or superseded"), "{err}");

    // `evm multisig --chain tron` is the same command.
    let v = ok_json(&cli(
        &[
            "evm",
            "multisig",
            "--chain",
            "tron",
            "--node",
            &node.url,
            "--multisig",
            multisig,
            "show",
        ],
        None,
    ));
    assert_eq!(
        v["owners"][0],
        Address::from_evm_bytes(owners[0].address().into_array()).to_base58()
    );
    assert_eq!(v["nonce"], "6");

    // With a time lock, execute builds `schedule`; once the eta has passed,
    // execute-scheduled builds `executeScheduled`.
    let file2 = dir().join("tron-lock.json");
    let _ = std::fs::remove_file(&file2);
    let f2 = file2.to_str().unwrap();
    node.with(|s| {
        s.constant.insert(
            selector::<MultiSig::timeLockCall>(),
            hex::encode(MultiSig::timeLockCall::abi_encode_returns(&U256::from(600))),
        );
    });
    ok_json(&run(
        &[
            "propose",
            "--to",
            ESCROW,
            "--call",
            "setRegionBlocked",
            "99",
            "true",
            "--out",
            f2,
        ],
        None,
    ));
    ok_json(&run(&["sign", "--file", f2], Some(&owner_hex(1))));
    ok_json(&run(&["sign", "--file", f2], Some(&owner_hex(2))));
    let err = failed(&run(&["execute-scheduled", "--file", f2], Some(KEY)));
    assert!(err.contains("not scheduled"), "{err}");
    let v = ok_json(&run(&["execute", "--file", f2], Some(KEY)));
    let p2 = ProposalFile::load(&file2).unwrap();
    let data = MultiSig::scheduleCall::abi_decode(
        &hex::decode(v["transactions"][0]["data"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(data.nonce_, U256::from(6));
    assert_eq!(data.signatures.len(), 130);
    let eta = (HEAD_TS / 1000) as u64 + 600;
    let scheduled = |eta: u64| {
        hex::encode(MultiSig::scheduledCall::abi_encode_returns(
            &MultiSig::scheduledReturn { eta, version: 1 },
        ))
    };
    node.with(|s| {
        s.constant.insert(
            hex::encode(
                MultiSig::scheduledCall {
                    digest: p2.digest(),
                }
                .abi_encode(),
            ),
            scheduled(eta),
        );
    });
    let err = failed(&run(&["execute-scheduled", "--file", f2], Some(KEY)));
    assert!(err.contains("scheduled until"), "{err}");
    node.with(|s| {
        s.constant.insert(
            hex::encode(
                MultiSig::scheduledCall {
                    digest: p2.digest(),
                }
                .abi_encode(),
            ),
            scheduled(eta - 600),
        );
    });
    let v = ok_json(&run(&["execute-scheduled", "--file", f2], Some(KEY)));
    let call = MultiSig::executeScheduledCall {
        to: evm(ESCROW),
        value: U256::ZERO,
        data: Escrow::setRegionBlockedCall {
            region: 99,
            blocked: true,
        }
        .abi_encode()
        .into(),
        nonce_: U256::from(6),
        deadline: p2.proposal.deadline,
        minGas: U256::ZERO,
    };
    check_tx(
        &v["transactions"][0],
        multisig,
        &call.abi_encode(),
        KEY_ADDR,
    );
}
