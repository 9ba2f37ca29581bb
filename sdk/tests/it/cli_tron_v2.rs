//! Protocol v2 on TRON through `stablerail tron escrow` against the local HTTP node
//! (`node.rs`): the co-signer's approval (the same EIP-712 digest as on EVM, under
//! the escrow's TRON domain), co-signer set/apply/cancel, co-signed withdraw and
//! release, acceptor limits, surplus sweep, payout and collection assignment. Each
//! command is built, signed and broadcast (the node checks the signature), and its
//! calldata decoded back; each refusal names the problem and broadcasts nothing.

use alloy::primitives::{Address as EvmAddress, B256, Bytes, FixedBytes, Signature, U256, Uint};
use alloy::sol_types::{Eip712Domain, SolCall};
use serde_json::Value;
use stablerail_sdk::evm::{
    CoSignAction, Escrow, IEscrow, co_sign_hash, co_signer_change_subject, domain_from_fields,
};
use stablerail_sdk::tron::PrivateKey;

use crate::cli_tron_escrow::{
    ESCROW, KEY, KEY_ADDR, OTHER, account, check_tx, deal, escrow_cli, escrow_node, evm, selector,
    usdt,
};
use crate::node::{HEAD_TS, Node};
use crate::support::{failed, ok_json};

/// The co-signer's key (a TRON key like any other).
const CO_KEY: &str = "1111111111111111111111111111111111111111111111111111111111111111";
/// TRON mainnet's chain id, as its contracts' `eip712Domain()` reports it.
const TRON_CHAIN_ID: u64 = 0x2b66_53dc;
/// The head block's time, seconds: the chain's "now".
const NOW: u64 = (HEAD_TS / 1000) as u64;

fn co_signer() -> stablerail_sdk::tron::Address {
    PrivateKey::from_hex(CO_KEY).unwrap().address()
}

/// Answers `account(owner)` with `a`.
fn set_account(node: &Node, owner: &str, a: &IEscrow::Account) {
    node.with(|s| {
        s.constant.insert(
            hex::encode(Escrow::accountCall { owner: evm(owner) }.abi_encode()),
            hex::encode(Escrow::accountCall::abi_encode_returns(a)),
        );
    });
}

/// Answers a call with no arguments (by its selector) with `ret`.
fn answer<C: SolCall>(node: &Node, ret: &C::Return) {
    node.with(|s| {
        s.constant
            .insert(selector::<C>(), hex::encode(C::abi_encode_returns(ret)));
    });
}

/// Answers `deal(id)` with `d`.
fn set_deal(node: &Node, id: u64, d: &IEscrow::Deal) {
    node.with(|s| {
        s.constant.insert(
            hex::encode(
                Escrow::dealCall {
                    dealId: U256::from(id),
                }
                .abi_encode(),
            ),
            hex::encode(Escrow::dealCall::abi_encode_returns(d)),
        );
    });
}

fn broadcasts(node: &Node) -> usize {
    node.paths()
        .iter()
        .filter(|p| *p == "/wallet/broadcasthex")
        .count()
}

/// The escrow as the node reports it to EIP-5267.
fn domain() -> Eip712Domain {
    domain_from_fields(
        FixedBytes([0x0f]),
        "stablerail Escrow".into(),
        "1".into(),
        U256::from(TRON_CHAIN_ID),
        evm(ESCROW),
        B256::ZERO,
    )
}

/// A node for protocol v2: the escrow's EIP-712 domain, the key as dispatcher.
async fn v2_node() -> Node {
    let node = escrow_node().await;
    let d = domain();
    answer::<Escrow::eip712DomainCall>(
        &node,
        &Escrow::eip712DomainReturn {
            fields: FixedBytes([0x0f]),
            name: d.name.clone().unwrap().into_owned(),
            version: d.version.clone().unwrap().into_owned(),
            chainId: U256::from(TRON_CHAIN_ID),
            verifyingContract: evm(ESCROW),
            salt: B256::ZERO,
            extensions: vec![],
        },
    );
    answer::<Escrow::dispatcherCall>(&node, &evm(KEY_ADDR));
    node
}

/// Runs an escrow action as `key` (with `--broadcast`), checks it sent one
/// transaction calling `call` on the escrow, signed by `signer`.
fn sent(node: &Node, action: &[&str], call: impl SolCall) {
    let before = broadcasts(node);
    let args = [action, &["--broadcast"]].concat();
    let v = ok_json(&escrow_cli(node, &args));
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["broadcast"], true, "{v}");
    check_tx(&v[0], ESCROW, &call.abi_encode(), KEY_ADDR);
    assert_eq!(broadcasts(node), before + 1);
}

/// Runs an action that must be refused with `expected` in the message, before
/// anything is broadcast.
fn refused(node: &Node, action: &[&str], expected: &str) {
    let before = broadcasts(node);
    let args = [action, &["--broadcast"]].concat();
    let err = failed(&escrow_cli(node, &args));
    assert!(err.contains(expected), "{action:?}: {err}");
    assert_eq!(broadcasts(node), before, "{action:?} broadcast");
}

/// `co-signer approve` as the co-signer: the signature JSON.
fn approve(node: &Node, key: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "--json",
        "tron",
        "escrow",
        "--node",
        &node.url,
        "--escrow",
        ESCROW,
        "co-signer",
        "approve",
        "--owner",
        KEY_ADDR,
    ];
    args.extend_from_slice(extra);
    crate::support::stablerail()
        .env("STABLERAIL_TRON_KEY", key)
        .args(&args)
        .output()
        .unwrap()
}

/// The signature and deadline of an approval, after checking it recovers to the
/// co-signer over the shared EIP-712 digest (`co_sign_hash`) at `nonce`.
fn approval(v: &Value, action: CoSignAction, subject: U256, nonce: u32) -> (String, u64) {
    let deadline = v["deadline"].as_u64().unwrap();
    assert_eq!(deadline, NOW + 3600);
    assert_eq!(v["action"], action.as_str());
    assert_eq!(v["subject"], subject.to_string());
    assert_eq!(v["owner"], KEY_ADDR);
    assert_eq!(v["co_signer"], co_signer().to_base58());
    let text = v["signature"].as_str().unwrap();
    let sig = Signature::from_raw(&hex::decode(text.trim_start_matches("0x")).unwrap()).unwrap();
    let digest = co_sign_hash(&domain(), evm(KEY_ADDR), action, subject, nonce, deadline);
    assert_eq!(
        sig.recover_address_from_prehash(&digest).unwrap(),
        EvmAddress::from(co_signer().evm_bytes())
    );
    (text.to_owned(), deadline)
}

#[tokio::test(flavor = "multi_thread")]
async fn tron_co_signer_calls_end_to_end() {
    let node = v2_node().await;
    let co = co_signer().to_base58();
    let day = u32::try_from(NOW / 86_400).unwrap();

    // No co-signer yet: nothing to co-sign, apply or cancel.
    let err = failed(&approve(
        &node,
        CO_KEY,
        &["--action", "withdraw", "--amount", "1"],
    ));
    assert!(err.contains("is not the co-signer"), "{err}");
    refused(
        &node,
        &["co-signer", "cancel"],
        "no pending co-signer change",
    );
    refused(
        &node,
        &["co-signer", "apply"],
        "no pending co-signer change",
    );

    // Name the co-signer with 100 USDT a day.
    sent(
        &node,
        &["co-signer", "set", "--co-signer", &co, "--allowance", "100"],
        Escrow::setCoSignerCall {
            newCoSigner: EvmAddress::from(co_signer().evm_bytes()),
            newDailyAllowance: 100_000_000,
        },
    );
    // The chain now has it, with 60 of today's 100 already used.
    let with_co = account(|a| {
        a.coSigner = EvmAddress::from(co_signer().evm_bytes());
        a.dailyAllowance = 100_000_000;
        a.outflowToday = 60_000_000;
        a.outflowDay = day;
        a.coSignNonce = 3;
    });
    set_account(&node, KEY_ADDR, &with_co);

    // Over what is left of the allowance: refused, naming what is left.
    refused(
        &node,
        &["account", "withdraw", "--amount", "150"],
        "only 40000000 left of today's allowance",
    );
    refused(
        &node,
        &["deal", "release", "--deal", "7"],
        "only 40000000 left of today's allowance",
    );
    // Within it, the owner alone suffices.
    sent(
        &node,
        &["account", "withdraw", "--amount", "40"],
        Escrow::withdrawCall { amount: usdt(40) },
    );

    // Someone else's key cannot approve; the co-signer can.
    let err = failed(&approve(
        &node,
        KEY,
        &["--action", "withdraw", "--amount", "150"],
    ));
    assert!(
        err.contains(&format!("is not the co-signer of {KEY_ADDR}")),
        "{err}"
    );
    let v = ok_json(&approve(
        &node,
        CO_KEY,
        &["--action", "withdraw", "--amount", "150"],
    ));
    let (sig, deadline) = approval(&v, CoSignAction::Withdraw, usdt(150), 3);
    let deadline_text = deadline.to_string();
    sent(
        &node,
        &[
            "account",
            "withdraw",
            "--amount",
            "150",
            "--co-signature",
            &sig,
            "--co-deadline",
            &deadline_text,
        ],
        Escrow::withdrawCoSignedCall {
            amount: usdt(150),
            deadline: U256::from(deadline),
            signature: Bytes::from(hex::decode(&sig[2..]).unwrap()),
        },
    );

    // A co-signed release of deal 7 (the key sells, paid).
    let v = ok_json(&approve(
        &node,
        CO_KEY,
        &["--action", "release", "--deal", "7"],
    ));
    let (sig, deadline) = approval(&v, CoSignAction::Release, U256::from(7), 3);
    let deadline_text = deadline.to_string();
    sent(
        &node,
        &[
            "deal",
            "release",
            "--deal",
            "7",
            "--co-signature",
            &sig,
            "--co-deadline",
            &deadline_text,
        ],
        Escrow::releaseCoSignedCall {
            dealId: U256::from(7),
            deadline: U256::from(deadline),
            signature: Bytes::from(hex::decode(&sig[2..]).unwrap()),
        },
    );

    // A change approved by the current co-signer takes effect at once.
    let v = ok_json(&approve(
        &node,
        CO_KEY,
        &[
            "--action",
            "change",
            "--co-signer",
            OTHER,
            "--allowance",
            "500",
        ],
    ));
    let subject =
        co_signer_change_subject(evm(OTHER), stablerail_sdk::Amount::from_units(500_000_000));
    let (sig, deadline) = approval(&v, CoSignAction::Change, subject, 3);
    let deadline_text = deadline.to_string();
    sent(
        &node,
        &[
            "co-signer",
            "set",
            "--co-signer",
            OTHER,
            "--allowance",
            "500",
            "--co-signature",
            &sig,
            "--co-deadline",
            &deadline_text,
        ],
        Escrow::setCoSignerCoSignedCall {
            newCoSigner: evm(OTHER),
            newDailyAllowance: 500_000_000,
            deadline: U256::from(deadline),
            signature: Bytes::from(hex::decode(&sig[2..]).unwrap()),
        },
    );

    // A pending change: applied only once its time has come; cancellable.
    let pending = |at: u64| {
        let mut a = with_co.clone();
        a.pendingCoSigner = evm(OTHER);
        a.pendingDailyAllowance = 500_000_000;
        a.pendingCoSignerAt = at;
        a
    };
    set_account(&node, KEY_ADDR, &pending(NOW + 100));
    refused(
        &node,
        &["co-signer", "apply"],
        &format!("takes effect at {} (chain time {NOW})", NOW + 100),
    );
    sent(
        &node,
        &["co-signer", "cancel"],
        Escrow::cancelCoSignerChangeCall {},
    );
    set_account(&node, KEY_ADDR, &pending(NOW - 1));
    sent(
        &node,
        &["co-signer", "apply", "--owner", KEY_ADDR],
        Escrow::applyCoSignerCall {
            owner: evm(KEY_ADDR),
        },
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tron_acceptor_dispatcher_and_sweep_end_to_end() {
    let node = v2_node().await;
    let acceptor = OTHER;
    let merchant = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8";
    let online = |max_deal: u64, max_locked: u64, locked: u64| {
        account(|a| {
            a.roles = 2;
            a.online = true;
            a.maxPerDeal = max_deal * 1_000_000;
            a.maxLocked = max_locked * 1_000_000;
            a.locked = Uint::<96, 2>::from(locked * 1_000_000);
        })
    };

    // The acceptor's own switch and limits.
    sent(
        &node,
        &[
            "acceptor",
            "set-limits",
            "--online",
            "true",
            "--max-per-deal",
            "500",
            "--max-locked",
            "2000",
        ],
        Escrow::setAcceptorLimitsCall {
            online: true,
            maxPerDeal: 500_000_000,
            maxLocked: 2_000_000_000,
        },
    );

    // Payout assignment: deal 11 waits for an acceptor (100 USDT).
    set_deal(&node, 11, &{
        let mut d = deal(merchant, crate::cli_tron_escrow::ZERO_ADDR, 1);
        d.kind = 2;
        d
    });
    // Acceptor without the role, offline, or with too small a maximum: refused.
    for (state, expected) in [
        (account(|a| a.roles = 0), "does not hold the acceptor role"),
        (account(|a| a.roles = 2), "offline"),
        (online(50, 2000, 0), "above max per deal"),
    ] {
        set_account(&node, acceptor, &state);
        refused(
            &node,
            &["payout", "assign", "--deal", "11", "--acceptor", acceptor],
            expected,
        );
    }
    refused(
        &node,
        &["payout", "assign", "--deal", "7", "--acceptor", acceptor],
        "assignPayout of deal 7: not allowed while the deal is paid",
    );
    set_account(&node, acceptor, &online(500, 2000, 0));
    sent(
        &node,
        &["payout", "assign", "--deal", "11", "--acceptor", acceptor],
        Escrow::assignPayoutCall {
            dealId: U256::from(11),
            acceptor: evm(acceptor),
        },
    );

    // Collection assignment: within the acceptor's maximum locked, to a merchant.
    let collect = |amount: &'static str| -> Vec<&'static str> {
        vec![
            "collection",
            "assign",
            "--acceptor",
            acceptor,
            "--merchant",
            merchant,
            "--amount",
            amount,
            "--ref",
            "inv-9",
        ]
    };
    set_account(&node, merchant, &account(|a| a.roles = 0));
    refused(&node, &collect("100"), "does not hold the merchant role");
    set_account(&node, merchant, &account(|_| {}));
    set_account(&node, acceptor, &online(500, 2000, 1950));
    refused(&node, &collect("100"), "above max locked");
    set_account(&node, acceptor, &online(500, 2000, 1900));
    sent(
        &node,
        &collect("100"),
        Escrow::assignCollectionCall {
            acceptor: evm(acceptor),
            merchant: evm(merchant),
            amount: usdt(100),
            paymentWindow: 3600,
            orderRef: alloy::primitives::keccak256(b"inv-9"),
        },
    );
    // Only the dispatcher assigns.
    answer::<Escrow::dispatcherCall>(&node, &evm(ESCROW));
    refused(
        &node,
        &collect("100"),
        &format!("assignCollection: {KEY_ADDR} is not the dispatcher ({ESCROW})"),
    );

    // Sweep: the node holds 1000 USDT for every owner (the escrow too).
    answer::<Escrow::liabilitiesCall>(&node, &usdt(1000));
    refused(&node, &["surplus", "sweep"], "nothing to sweep");
    answer::<Escrow::liabilitiesCall>(&node, &usdt(900));
    sent(&node, &["surplus", "sweep"], Escrow::sweepSurplusCall {});
}

#[tokio::test(flavor = "multi_thread")]
async fn tron_v2_bad_input_changes_nothing() {
    let node = v2_node().await;
    // Malformed addresses and amounts: refused before the node is asked anything.
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "co-signer",
                "set",
                "--co-signer",
                "TBad",
                "--allowance",
                "1",
            ],
            "--co-signer",
        ),
        (
            &["payout", "assign", "--deal", "11", "--acceptor", "0x1234"],
            "--acceptor",
        ),
        (
            &[
                "acceptor",
                "set-limits",
                "--online",
                "true",
                "--max-per-deal",
                "1.0000001",
                "--max-locked",
                "5",
            ],
            "at most 6",
        ),
        (
            &[
                "co-signer",
                "set",
                "--co-signer",
                OTHER,
                "--allowance",
                "0.1234567",
            ],
            "at most 6",
        ),
        (
            &[
                "account",
                "withdraw",
                "--amount",
                "1",
                "--co-signature",
                "0x12",
                "--co-deadline",
                "5",
            ],
            "not a 65-byte signature",
        ),
        (
            &[
                "co-signer",
                "approve",
                "--owner",
                KEY_ADDR,
                "--action",
                "burn",
            ],
            "expected withdraw, release or change",
        ),
    ];
    for (action, expected) in cases {
        let args = [action, &["--broadcast"]].concat();
        let err = failed(&escrow_cli(&node, &args));
        assert!(err.contains(expected), "{action:?}: {err}");
    }
    assert!(node.paths().is_empty(), "{:?}", node.paths());

    // Wrong role: the key holds none, so it cannot post a buy order or open a payout.
    set_account(&node, KEY_ADDR, &account(|a| a.roles = 0));
    refused(
        &node,
        &"buy-order post --price 725 --currency CNY --amount 10 --min-fill 1 --max-fill 10"
            .split(' ')
            .collect::<Vec<_>>(),
        "postBuyOrder: TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1 does not hold the merchant role",
    );
    refused(
        &node,
        &["payout", "open", "--amount", "10"],
        "does not hold the merchant role",
    );
    assert_eq!(broadcasts(&node), 0);
}
