//! `stablerail solana ...` end to end against the local JSON-RPC node of fixed
//! accounts (`solana_node.rs`): the signed bytes compared with the SDK's
//! builders. The multisig and proposal accounts it serves are made by the
//! multisig program in the native runtime (`program_made_multisig`); the CLI's
//! transactions run in that runtime in `solana_cli_runtime.rs`.

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;
use stablerail_sdk::solana::sdk::{Keypair, Message, Pubkey, Signer};
use stablerail_sdk::solana::{
    self as sol, AnchorAccount as _, MultisigProgram, ProposalInstruction, compute_unit_limit,
    compute_unit_price, decode_base64,
};

use crate::solana_node::{RpcNode, blockhash, escrow_fixture};
use crate::solana_runtime::program_made_multisig;
use crate::support::{failed, ok_json, run, scratch_dir, stablerail};

pub(crate) fn key_file(kp: &Keypair) -> (PathBuf, String) {
    let bytes = kp.to_bytes().to_vec();
    let text = serde_json::to_string(&bytes).unwrap();
    let dir = scratch_dir("solana-cli");
    let path = dir.join(format!("{}.json", kp.pubkey()));
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

/// Serves multisig accounts made by the program (`program_made_multisig`).
fn put_all(node: &RpcNode, accounts: Vec<(Pubkey, Vec<u8>)>) {
    for (key, data) in accounts {
        node.put_account(key, sol::pda::MULTISIG_PROGRAM_ID, data);
    }
}

#[test]
fn address_from_file_or_env_never_prints_the_key() {
    let kp = Keypair::new();
    let (path, text) = key_file(&kp);
    let out = run(&["solana", "address", "--key-file", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(stdout, kp.pubkey().to_string());
    let b58 = kp.to_base58_string();
    let out = stablerail()
        .env("STABLERAIL_SOLANA_KEY", &b58)
        .args(["--json", "solana", "address"])
        .output()
        .unwrap();
    let v = ok_json(&out);
    assert_eq!(v["address"], kp.pubkey().to_string());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&b58));
    // A malformed key fails without echoing it.
    let out = stablerail()
        .env("STABLERAIL_SOLANA_KEY", &text[..text.len() / 2])
        .args(["solana", "address"])
        .output()
        .unwrap();
    let err = failed(&out);
    assert!(err.contains("STABLERAIL_SOLANA_KEY"), "{err}");
    assert!(!err.contains(&text[1..20]), "{err}");
    assert!(failed(&run(&["solana", "address"])).contains("no key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_fail_before_signing_or_any_request() {
    let node = RpcNode::start().await;
    let kp = Keypair::new();
    let (path, _) = key_file(&kp);
    let f = escrow_fixture(&node, kp.pubkey());
    let config = f.escrow.config.to_string();
    let base = |extra: &[&str]| -> Output {
        let mut args = vec![
            "solana",
            "escrow",
            "account",
            "deposit",
            "--rpc-url",
            &node.url,
            "--key-file",
            path.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        stablerail().args(&args).output().unwrap()
    };
    let err = failed(&base(&["--config", &config, "--amount", "1.1234567"]));
    assert!(
        err.contains("--amount") && err.contains("at most 6"),
        "{err}"
    );
    let err = failed(&base(&["--config", "not-a-key", "--amount", "1"]));
    assert!(
        err.contains("--config") && err.contains("not base58"),
        "{err}"
    );
    let err = failed(&base(&["--config", &config, "--amount", "0"]));
    assert!(err.contains("above zero"), "{err}");
    let err = failed(&base(&[
        "--config",
        &config,
        "--amount",
        "1",
        "--min-compute-unit-price",
        "9",
        "--max-compute-unit-price",
        "8",
    ]));
    assert!(err.contains("floor 9 exceeds cap 8"), "{err}");
    let err = failed(&run(&[
        "solana",
        "escrow",
        "buy-order",
        "post",
        "--rpc-url",
        &node.url,
        "--key-file",
        path.to_str().unwrap(),
        "--config",
        &config,
        "--amount",
        "50",
        "--price-minor",
        "725",
        "--currency",
        "cny",
    ]));
    assert!(err.contains("ISO 4217"), "{err}");
    assert!(
        node.methods().is_empty(),
        "no request: {:?}",
        node.methods()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_prints_the_signed_transaction() {
    let node = RpcNode::start().await;
    node.with(|s| s.fees = vec![0, 50, 150, 250]);
    let kp = Keypair::new();
    let (path, _) = key_file(&kp);
    let f = escrow_fixture(&node, kp.pubkey());
    let out = run(&[
        "--json",
        "solana",
        "escrow",
        "account",
        "deposit",
        "--rpc-url",
        &node.url,
        "--key-file",
        path.to_str().unwrap(),
        "--config",
        &f.escrow.config.to_string(),
        "--amount",
        "12.5",
    ]);
    let v = ok_json(&out);
    assert_eq!(v["action"], "deposit");
    assert_eq!(v["sent"], false);
    assert_eq!(v["compute_unit_price"], 150); // p50 of 50, 150, 250
    let tx = decode_base64(v["transaction_base64"].as_str().unwrap()).unwrap();
    tx.verify().unwrap();
    assert_eq!(v["signature"], tx.signatures[0].to_string());
    // Exactly what the SDK builds: the message is compared whole.
    let source = sol::pda::associated_token_account(
        &kp.pubkey(),
        &f.config.usdt_mint,
        &f.config.token_program,
    );
    let deposit = f
        .escrow
        .deposit(
            &kp.pubkey(),
            &source,
            &f.config.usdt_mint,
            &f.config.token_program,
            "12.5".parse().unwrap(),
        )
        .unwrap();
    let expected = Message::new_with_blockhash(
        &[
            compute_unit_limit(200_000),
            compute_unit_price(150),
            deposit,
        ],
        Some(&kp.pubkey()),
        &blockhash(),
    );
    assert_eq!(tx.message, expected);
    assert!(node.with(|s| s.sent.is_empty()), "not sent without --send");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_with_send_and_a_multisig_resolution() {
    let node = RpcNode::start().await;
    let trader = Keypair::new();
    let (path, _) = key_file(&trader);
    let f = escrow_fixture(&node, trader.pubkey());
    let out = run(&[
        "--json",
        "solana",
        "escrow",
        "deal",
        "release",
        "--rpc-url",
        &node.url,
        "--key-file",
        path.to_str().unwrap(),
        "--config",
        &f.escrow.config.to_string(),
        "--deal",
        &f.deal_id.to_string(),
        "--compute-unit-price",
        "5",
        "--send",
    ]);
    let v = ok_json(&out);
    assert_eq!(v["action"], "deal_release");
    assert_eq!(
        (v["sent"].as_bool(), v["confirmation_status"].as_str()),
        (Some(true), Some("confirmed"))
    );
    let sent = node.with(|s| s.sent.clone());
    assert_eq!(sent.len(), 1);
    // The settlement accounts came from the deal (its agent and order) and the config.
    let parties = sol::SettlementParties {
        seller: trader.pubkey(),
        buyer: f.merchant,
        agent: Some(f.agent),
        treasury: f.config.authorities.treasury,
        rent_payer: trader.pubkey(),
        merchant: f.merchant,
        order_id: Some(2),
    };
    let release = f.escrow.deal_release(&trader.pubkey(), f.deal_id, &parties);
    let expected = Message::new_with_blockhash(
        &[compute_unit_limit(200_000), compute_unit_price(5), release],
        Some(&trader.pubkey()),
        &blockhash(),
    );
    assert_eq!(sent[0].message, expected);
    assert!(
        !node
            .methods()
            .contains(&"getRecentPrioritizationFees".to_owned())
    );

    // An owner proposes the resolution of the deal for the multisig's vault.
    let owner = Keypair::new();
    let (owner_path, _) = key_file(&owner);
    // A 2-of-2 multisig as the program makes it.
    let create_key = Keypair::new();
    let multisig = MultisigProgram::for_create_key(&create_key.pubkey());
    put_all(
        &node,
        program_made_multisig(&create_key, &[&owner, &Keypair::new()], 2, &[]).await,
    );
    let out = run(&[
        "--json",
        "solana",
        "multisig",
        "propose",
        "--rpc-url",
        &node.url,
        "--key-file",
        owner_path.to_str().unwrap(),
        "--multisig",
        &multisig.multisig.to_string(),
        "--compute-unit-price",
        "5",
        "deal-resolve",
        "--escrow-config",
        &f.escrow.config.to_string(),
        "--deal",
        &f.deal_id.to_string(),
        "--buyer-share-bps",
        "6000",
    ]);
    let v = ok_json(&out);
    // Labels are the program's instruction names, noun first.
    assert_eq!(v["action"], "proposal_create");
    assert_eq!(v["details"]["proposal"], 1);
    let tx = decode_base64(v["transaction_base64"].as_str().unwrap()).unwrap();
    let resolve = f
        .escrow
        .deal_resolve(&multisig.vault(), f.deal_id, &parties, 6_000)
        .unwrap();
    let expires_at = v["details"]["expires_at"].as_i64().unwrap();
    let create = multisig
        .proposal_create(
            &owner.pubkey(),
            1,
            &[ProposalInstruction::from(&resolve)],
            expires_at,
        )
        .unwrap();
    let expected = Message::new_with_blockhash(
        &[compute_unit_limit(200_000), compute_unit_price(5), create],
        Some(&owner.pubkey()),
        &blockhash(),
    );
    assert_eq!(tx.message, expected);
    // Bad share: refused before any request.
    let before = node.methods().len();
    let err = failed(&run(&[
        "solana",
        "multisig",
        "propose",
        "--rpc-url",
        &node.url,
        "--key-file",
        owner_path.to_str().unwrap(),
        "--multisig",
        &multisig.multisig.to_string(),
        "deal-resolve",
        "--escrow-config",
        &f.escrow.config.to_string(),
        "--deal",
        "6",
        "--buyer-share-bps",
        "10001",
    ]));
    assert!(err.contains("at most 10000"), "{err}");
    assert_eq!(node.methods().len(), before);
}

fn tx_of(v: &Value) -> stablerail_sdk::solana::sdk::Transaction {
    let tx = decode_base64(v["transaction_base64"].as_str().unwrap()).unwrap();
    tx.verify().unwrap();
    tx
}

fn expected_message(
    payer: &Keypair,
    price: u64,
    ix: stablerail_sdk::solana::sdk::Instruction,
) -> Message {
    Message::new_with_blockhash(
        &[compute_unit_limit(200_000), compute_unit_price(price), ix],
        Some(&payer.pubkey()),
        &blockhash(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_withdraw_approve_and_execute() {
    let node = RpcNode::start().await;
    let trader = Keypair::new();
    let (path, _) = key_file(&trader);
    let f = escrow_fixture(&node, trader.pubkey());
    let config = f.escrow.config.to_string();
    let cli = |extra: &[&str]| -> Value {
        let mut args = vec!["--json", "solana"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "--rpc-url",
            &node.url,
            "--key-file",
            path.to_str().unwrap(),
            "--compute-unit-price",
            "3",
        ]);
        ok_json(&run(&args))
    };

    // Fill order 2 of the fixture's merchant: the deal id is the config's next one.
    let reference = "ab".repeat(32);
    let v = cli(&[
        "escrow",
        "buy-order",
        "fill",
        "--config",
        &config,
        "--order",
        "2",
        "--amount",
        "10",
        "--reference",
        &reference,
    ]);
    assert_eq!(v["action"], "buy_order_fill");
    assert_eq!(v["details"]["deal"], 7);
    let fill = f
        .escrow
        .buy_order_fill(
            &trader.pubkey(),
            2,
            &f.merchant,
            Some(&f.agent),
            7,
            &sol::BuyOrderFillArgs {
                amount: 10_000_000,
                reference: [0xab; 32],
            },
        )
        .unwrap();
    assert_eq!(tx_of(&v).message, expected_message(&trader, 3, fill));

    // Withdraw to the associated account of the withdrawal address by default.
    let v = cli(&[
        "escrow", "account", "withdraw", "--config", &config, "--amount", "0.5",
    ]);
    let destination = sol::pda::associated_token_account(
        &trader.pubkey(),
        &f.config.usdt_mint,
        &f.config.token_program,
    );
    assert_eq!(v["details"]["token_account"], destination.to_string());
    let withdraw = f
        .escrow
        .withdraw(
            &trader.pubkey(),
            &destination,
            &f.config.usdt_mint,
            &f.config.token_program,
            "0.5".parse().unwrap(),
        )
        .unwrap();
    assert_eq!(tx_of(&v).message, expected_message(&trader, 3, withdraw));

    // Approve and execute a stored proposal (its instructions read from the
    // chain): a 1-of-1 multisig and its approved proposal, as the program makes them.
    let create_key = Keypair::new();
    let multisig = MultisigProgram::for_create_key(&create_key.pubkey());
    let pause = ProposalInstruction::from(&f.escrow.config_pause(&multisig.vault()));
    let accounts = program_made_multisig(
        &create_key,
        &[&trader],
        1,
        &[(vec![pause.clone()], vec![0])],
    )
    .await;
    let proposal = sol::Proposal::decode(&accounts[1].1).unwrap();
    assert!(matches!(
        proposal.status,
        sol::ProposalStatus::Approved { .. }
    ));
    put_all(&node, accounts);
    let ms = multisig.multisig.to_string();
    let v = cli(&["multisig", "approve", "--multisig", &ms, "--proposal", "1"]);
    assert_eq!(v["action"], "proposal_approve");
    assert_eq!(
        tx_of(&v).message,
        expected_message(&trader, 3, multisig.proposal_approve(&trader.pubkey(), 1))
    );
    let v = cli(&["multisig", "execute", "--multisig", &ms, "--proposal", "1"]);
    assert_eq!(v["action"], "proposal_execute");
    assert_eq!(v["details"]["instructions"], 1);
    let execute = multisig.proposal_execute(&trader.pubkey(), 1, &[pause]);
    // The config and the escrow program come along as remaining accounts.
    assert!(execute.accounts.iter().any(|m| m.pubkey == f.escrow.config));
    assert_eq!(tx_of(&v).message, expected_message(&trader, 3, execute));
    // A proposal that does not exist is a clear error.
    let err = failed(&run(&[
        "solana",
        "multisig",
        "execute",
        "--multisig",
        &ms,
        "--proposal",
        "2",
        "--rpc-url",
        &node.url,
        "--key-file",
        path.to_str().unwrap(),
    ]));
    assert!(
        err.contains("proposal 2") && err.contains("does not exist"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propose_a_fee_change() {
    let node = RpcNode::start().await;
    let owner = Keypair::new();
    let (path, _) = key_file(&owner);
    let f = escrow_fixture(&node, Pubkey::new_from_array([20; 32]));
    let create_key = Keypair::new();
    let multisig = MultisigProgram::for_create_key(&create_key.pubkey());
    put_all(
        &node,
        program_made_multisig(&create_key, &[&owner], 1, &[]).await,
    );
    let ms = multisig.multisig.to_string();
    let config = f.escrow.config.to_string();
    let propose = |tiers: &str| -> Output {
        run(&[
            "--json",
            "solana",
            "multisig",
            "propose",
            "--rpc-url",
            &node.url,
            "--key-file",
            path.to_str().unwrap(),
            "--multisig",
            &ms,
            "--compute-unit-price",
            "3",
            "set-fees",
            "--escrow-config",
            &config,
            "--tiers",
            tiers,
            "--agent-tiers",
            "0:2000",
            "--reward-bps",
            "1000",
        ])
    };
    // A first tier above 0 is refused before any request.
    let err = failed(&propose("10:100"));
    assert!(
        err.contains("invalid fee schedule: merchant tier table must start at threshold 0"),
        "{err}"
    );
    assert!(node.methods().is_empty());
    let v = ok_json(&propose("0:100,1000:80"));
    assert_eq!(v["details"]["proposal"], 1);
    let fees = sol::FeeScheduleArgs {
        merchant_tiers: vec![
            sol::FeeTier {
                threshold: 0,
                bps: 100,
            },
            sol::FeeTier {
                threshold: 1_000_000_000,
                bps: 80,
            },
        ],
        agent_tiers: vec![sol::FeeTier {
            threshold: 0,
            bps: 2_000,
        }],
        trader_reward_bps: 1_000,
    };
    let set_fees = f.escrow.config_set_fees(&multisig.vault(), &fees).unwrap();
    let create = multisig
        .proposal_create(
            &owner.pubkey(),
            1,
            &[ProposalInstruction::from(&set_fees)],
            v["details"]["expires_at"].as_i64().unwrap(),
        )
        .unwrap();
    assert_eq!(tx_of(&v).message, expected_message(&owner, 3, create));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn co_signer_acceptor_limits_and_sweep() {
    use stablerail_sdk::solana::sdk::AccountMeta;
    let node = RpcNode::start().await;
    let owner = Keypair::new();
    let (path, _) = key_file(&owner);
    let f = escrow_fixture(&node, owner.pubkey());
    let config = f.escrow.config.to_string();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = ["--json", "solana", "escrow"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args.extend(
            [
                "--config",
                &config,
                "--rpc-url",
                &node.url,
                "--key-file",
                path.to_str().unwrap(),
                "--compute-unit-price",
                "3",
            ]
            .iter()
            .map(|s| (*s).to_owned()),
        );
        args
    };
    let cli = |extra: &[&str]| -> Output {
        let a = args(extra);
        run(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let co_signer = Keypair::new();
    let (co_path, _) = key_file(&co_signer);
    let co_file = co_path.to_str().unwrap();

    // Naming a first co-signer is immediate.
    let cs = co_signer.pubkey().to_string();
    let v = ok_json(&cli(&[
        "co-signer",
        "set",
        "--co-signer",
        &cs,
        "--daily-allowance",
        "5",
    ]));
    assert_eq!(v["action"], "co_signer_set");
    assert_eq!(v["details"]["immediate"], true);
    let set = f
        .escrow
        .co_signer_set(
            &owner.pubkey(),
            &sol::CoSignerSetArgs {
                co_signer: Some(co_signer.pubkey()),
                daily_allowance: 5_000_000,
            },
            None,
        )
        .unwrap();
    assert_eq!(tx_of(&v).message, expected_message(&owner, 3, set));
    // Pre-checks: the owner as its own co-signer, an allowance with --remove.
    let me = owner.pubkey().to_string();
    let err = failed(&cli(&["co-signer", "set", "--co-signer", &me]));
    assert!(err.contains("another key"), "{err}");
    let err = failed(&cli(&[
        "co-signer",
        "set",
        "--remove",
        "--daily-allowance",
        "1",
    ]));
    assert!(err.contains("no allowance"), "{err}");

    // The account now has that co-signer and 5 USDT a day.
    let mut account = sol::EscrowAccount::decode(
        &node
            .with(|s| s.accounts.get(&f.escrow.account(&owner.pubkey())).cloned())
            .unwrap()
            .1,
    )
    .unwrap();
    account.co_signer = Some(co_signer.pubkey());
    account.daily_allowance = 5_000_000;
    account.available = 100_000_000;
    node.put_account(
        f.escrow.account(&owner.pubkey()),
        sol::pda::ESCROW_PROGRAM_ID,
        account.encode(),
    );
    // Over the allowance without the co-signer: refused before signing.
    let err = failed(&cli(&["account", "withdraw", "--amount", "6"]));
    assert!(
        err.contains("allowance") && err.contains("--co-signer-key-file"),
        "{err}"
    );
    // With the co-signer: two signatures, the co-signer an extra signer.
    let v = ok_json(&cli(&[
        "account",
        "withdraw",
        "--amount",
        "6",
        "--co-signer-key-file",
        co_file,
    ]));
    assert_eq!(v["details"]["co_signed"], true);
    let tx = tx_of(&v);
    assert_eq!(tx.signatures.len(), 2);
    let destination = sol::pda::associated_token_account(
        &owner.pubkey(),
        &f.config.usdt_mint,
        &f.config.token_program,
    );
    let withdraw = f
        .escrow
        .withdraw_cosigned(
            &owner.pubkey(),
            &destination,
            &f.config.usdt_mint,
            &f.config.token_program,
            "6".parse().unwrap(),
            &co_signer.pubkey(),
        )
        .unwrap();
    assert!(
        withdraw
            .accounts
            .contains(&AccountMeta::new_readonly(co_signer.pubkey(), true))
    );
    assert_eq!(tx.message, expected_message(&owner, 3, withdraw));
    // Within the allowance the owner alone suffices.
    ok_json(&cli(&["account", "withdraw", "--amount", "5"]));
    // A key that is not the co-signer, and a co-signer on a deposit, are refused.
    let stranger = Keypair::new();
    let (stranger_path, _) = key_file(&stranger);
    let err = failed(&cli(&[
        "account",
        "withdraw",
        "--amount",
        "6",
        "--co-signer-key-file",
        stranger_path.to_str().unwrap(),
    ]));
    assert!(err.contains("not the account's co-signer"), "{err}");
    let err = failed(&cli(&[
        "account",
        "deposit",
        "--amount",
        "1",
        "--co-signer-key-file",
        co_file,
    ]));
    assert!(err.contains("not an outflow"), "{err}");

    // Raising the allowance waits the delay unless the co-signer signs too.
    let v = ok_json(&cli(&[
        "co-signer",
        "set",
        "--co-signer",
        &cs,
        "--daily-allowance",
        "50",
    ]));
    assert_eq!(v["details"]["immediate"], false);
    let v = ok_json(&cli(&[
        "co-signer",
        "set",
        "--co-signer",
        &cs,
        "--daily-allowance",
        "50",
        "--co-signer-key-file",
        co_file,
    ]));
    assert_eq!(v["details"]["immediate"], true);
    assert_eq!(tx_of(&v).signatures.len(), 2);
    // Nothing pending yet: apply and cancel are refused before signing.
    let err = failed(&cli(&["co-signer", "apply"]));
    assert!(err.contains("no pending co-signer change"), "{err}");
    let err = failed(&cli(&["co-signer", "cancel"]));
    assert!(err.contains("no pending co-signer change"), "{err}");
    account.pending_co_signer = None;
    account.pending_co_signer_at = 1_000;
    node.put_account(
        f.escrow.account(&owner.pubkey()),
        sol::pda::ESCROW_PROGRAM_ID,
        account.encode(),
    );
    let v = ok_json(&cli(&["co-signer", "apply"]));
    assert_eq!(
        tx_of(&v).message,
        expected_message(&owner, 3, f.escrow.co_signer_apply(&owner.pubkey()))
    );
    let v = ok_json(&cli(&["co-signer", "cancel"]));
    assert_eq!(
        tx_of(&v).message,
        expected_message(&owner, 3, f.escrow.co_signer_cancel(&owner.pubkey()))
    );

    // Acceptor limits.
    let err = failed(&cli(&[
        "acceptor",
        "set-limits",
        "--max-per-deal",
        "10",
        "--max-locked",
        "5",
    ]));
    assert!(err.contains("--max-per-deal exceeds --max-locked"), "{err}");
    let v = ok_json(&cli(&[
        "acceptor",
        "set-limits",
        "--max-per-deal",
        "5",
        "--max-locked",
        "10",
    ]));
    let limits = f.escrow.acceptor_set_limits(
        &owner.pubkey(),
        &sol::AcceptorSetLimitsArgs {
            online: true,
            max_per_deal: 5_000_000,
            max_locked: 10_000_000,
        },
    );
    assert_eq!(tx_of(&v).message, expected_message(&owner, 3, limits));
    let v = ok_json(&cli(&["acceptor", "set-limits", "--offline"]));
    assert_eq!(v["action"], "acceptor_set_limits");
    assert_eq!(v["details"]["online"], false);

    // Sweep: only the admin, only with a surplus.
    let err = failed(&cli(&["surplus", "sweep"]));
    assert!(err.contains("not the escrow's admin"), "{err}");
    let mut cfg = f.config;
    cfg.authorities.admin = owner.pubkey();
    cfg.liabilities = 100;
    node.put_account(f.escrow.config, sol::pda::ESCROW_PROGRAM_ID, cfg.encode());
    // An SPL Token account: mint, owner, amount, then its state (1: initialised).
    let mut vault = vec![0u8; 165];
    vault[..32].copy_from_slice(f.config.usdt_mint.as_ref());
    vault[32..64].copy_from_slice(f.escrow.config.as_ref());
    vault[64..72].copy_from_slice(&100u64.to_le_bytes());
    // Not initialised, then another mint's: neither is the vault.
    node.put_account(f.escrow.vault(), sol::pda::TOKEN_PROGRAM_ID, vault.clone());
    let err = failed(&cli(&["surplus", "sweep"]));
    assert!(err.contains("not an initialised token account"), "{err}");
    vault[108] = 1;
    let mut other = vault.clone();
    other[..32].copy_from_slice(owner.pubkey().as_ref());
    node.put_account(f.escrow.vault(), sol::pda::TOKEN_PROGRAM_ID, other);
    let err = failed(&cli(&["surplus", "sweep"]));
    assert!(err.contains("expected mint"), "{err}");
    node.put_account(f.escrow.vault(), sol::pda::TOKEN_PROGRAM_ID, vault.clone());
    let err = failed(&cli(&["surplus", "sweep"]));
    assert!(err.contains("no surplus"), "{err}");
    vault[64..72].copy_from_slice(&150u64.to_le_bytes());
    node.put_account(f.escrow.vault(), sol::pda::TOKEN_PROGRAM_ID, vault);
    let v = ok_json(&cli(&["surplus", "sweep"]));
    assert_eq!(v["action"], "sweep_surplus");
    assert_eq!(
        v["details"]["treasury"],
        cfg.authorities.treasury.to_string()
    );
    let sweep = f
        .escrow
        .sweep_surplus(&owner.pubkey(), &cfg.authorities.treasury);
    assert_eq!(tx_of(&v).message, expected_message(&owner, 3, sweep));
}
