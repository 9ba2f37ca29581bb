//! The treasury watch on anvil: a time-locked vault multisig with a daily spending
//! limit for the hot operator, and a real hot multisig holding too much. The
//! monitor alerts, writes the proposal file that moves the excess back; two owners
//! sign it with the SDK (what `stablerail evm multisig sign` does) and one submits
//! it (`execute`); the next measurement is back at the line, with the platform's
//! total unchanged. The same on TRON: the contracts on anvil behind a TRON node's
//! HTTP API (`tron_node`), read at the node's head, base58 addresses throughout, and
//! a TRON proposal file.

use alloy::{
    primitives::{Address, U256},
    sol_types::SolCall,
};
use serde_json::Value;
use stablerail_demo::{LocalPlatform, MultisigAdmin, role};
use stablerail_gateway::GatewayOptions;
use stablerail_sdk::evm::{Chain, MultiSig, MultiSigClient, ProposalFile};

use crate::{
    common::*,
    tron_node::{TronNode, tron_of},
};

const U: u64 = 1_000_000;

async fn deploy_multisig(platform: &LocalPlatform) -> Address {
    let owners: Vec<Address> = role::OWNERS.iter().map(|o| platform.address(*o)).collect();
    let m = MultiSig::deploy(
        platform.provider(role::DEPLOYER).unwrap(),
        owners,
        U256::from(2),
        U256::ZERO,
    )
    .await
    .unwrap();
    *m.address()
}

/// The gateway of `text` and an admin client for it.
pub(crate) async fn start_gateway_with_admin(text: &str) -> (stablerail_gateway::Gateway, Client) {
    let gw = start_gateway(text, GatewayOptions::default()).await;
    let admin = Client {
        base: format!("http://{}", gw.addr()),
        key: admin_token(),
        http: reqwest::Client::new(),
    };
    (gw, admin)
}

/// The gateway of `text`, an admin client, and the `treasury_share` alerts once
/// the first one is there (30 s at most).
pub(crate) async fn start_treasury_gateway(
    text: &str,
) -> (stablerail_gateway::Gateway, Client, Value) {
    let (gw, admin) = start_gateway_with_admin(text).await;
    wait_for(30, "treasury alert", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=treasury_share").await;
        !v["data"].as_array().unwrap().is_empty()
    })
    .await;
    let (_, list) = admin.get("/admin/risk/alerts?rule=treasury_share").await;
    (gw, admin, list)
}

/// The latest measurement of `chain` (`GET /admin/risk/treasury`).
pub(crate) async fn treasury_view(admin: &Client, chain: &str) -> Value {
    let (s, v) = admin.get("/admin/risk/treasury").await;
    assert_eq!(s, 200, "{v}");
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["chain"] == chain)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_treasury_share_alert_and_proposal_on_anvil() {
    treasury_case(Chain::Evm).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_treasury_share_alert_and_proposal_on_tron() {
    treasury_case(Chain::Tron).await;
}

async fn treasury_case(kind: Chain) {
    let platform = LocalPlatform::start().await.unwrap();
    let token = platform.deployment.token;
    let ops = platform.address(role::DISPATCHER);
    // The vault: 2-of-3, a daily 50 USDT spending limit for the hot operator, then a
    // one-day time lock (both set through proposals while it had none).
    let vault = deploy_multisig(&platform).await;
    let quorum = vec![
        platform.signer(role::OWNERS[0]),
        platform.signer(role::OWNERS[1]),
    ];
    let vault_admin =
        MultisigAdmin::connect(vault, platform.provider(role::DEPLOYER).unwrap(), quorum)
            .await
            .unwrap();
    let limit = MultiSig::setSpendingLimitCall {
        spender: ops,
        token,
        amount: u128::from(50 * U),
        period: 1, // IMultiSig.Period.Day
        destinations: Vec::new(),
    };
    vault_admin
        .execute(vault, limit.abi_encode().into())
        .await
        .unwrap();
    let lock = MultiSig::setTimeLockCall {
        timeLock_: U256::from(86_400),
    };
    vault_admin
        .execute(vault, lock.abi_encode().into())
        .await
        .unwrap();
    // A hot multisig (2-of-3, no time lock) holding far more than the line allows.
    let hot = deploy_multisig(&platform).await;
    platform.mint(vault, "800".parse().unwrap()).await.unwrap();
    platform.mint(hot, "400".parse().unwrap()).await.unwrap();

    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let proposals = dir.path().join("proposals");
    // On TRON the same contracts are served by a TRON node over the same anvil.
    let show = |a: Address| match kind {
        Chain::Tron => tron_of(a),
        Chain::Evm => format!("{a:#x}"),
    };
    let (chain, tron_section) = match kind {
        Chain::Evm => (CHAIN, String::new()),
        Chain::Tron => {
            let node = TronNode::over(&platform, 0).await;
            ("tron", node.chain_section(&platform, false))
        }
    };
    let text = format!(
        "admin_token_env = \"CARGO_MANIFEST_DIR\"\n{}\n{tron_section}\n[risk]\ninterval_ms = 20\n\n[risk.treasury]\nproposal_dir = \"{}\"\n\n[risk.treasury.chains.{chain}]\nvault = \"{}\"\nspenders = [\"{}\"]\nhot_wallets = [\"{}\"]\n",
        config_text(&platform, &db, 2, FAST_WEBHOOKS),
        proposals.display(),
        show(vault),
        show(ops),
        show(hot),
    );
    let (gw, admin, list) = start_treasury_gateway(&text).await;

    // 800 in the vault (50 of it spendable at once), 400 hot: 450 of 1,200 outside
    // (37.5 %); the 15 % line allows 180, so 270 must go back.
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    let alert = &list["data"][0];
    let vault_text = show(vault);
    let hot_text = show(hot);
    assert_eq!(alert["subject"], vault_text.as_str());
    assert_eq!(alert["severity"], "high");
    let d = &alert["details"];
    assert_eq!(d["vault_balance"], "800000000", "{d}");
    assert_eq!(d["allowance"], "50000000");
    assert_eq!(d["total"], "1200000000");
    assert_eq!(d["outside"], "450000000");
    assert_eq!(d["share_bps"], 3750);
    assert_eq!(d["max_share_bps"], 1500);
    assert_eq!(d["excess"], "270000000");
    assert_eq!(d["uncovered"], "0");
    assert_eq!(d["covered"], "270000000");
    let planned = d["actions"].as_array().unwrap();
    assert_eq!(planned.len(), 1, "{d}");
    assert_eq!(planned[0]["kind"], "multisig_transfer");
    assert_eq!(planned[0]["multisig"], hot_text.as_str());
    assert_eq!(planned[0]["amount"], "270000000");
    assert_eq!(planned[0]["covers"], "270000000");
    let id = alert["id"].as_str().unwrap();
    let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    assert_eq!(full["evidence"][0]["kind"], "metric");
    assert_eq!(full["evidence"][0]["data"]["share_bps"], 3750);
    assert_eq!(full["evidence"][0]["data"]["actions"], d["actions"]);

    // The file is an ordinary proposal file on the hot multisig: two owners sign
    // it, one submits it.
    let path = std::path::PathBuf::from(planned[0]["file"].as_str().unwrap());
    assert!(path.starts_with(&proposals));
    for owner in [role::OWNERS[0], role::OWNERS[2]] {
        let mut file = ProposalFile::load(&path).unwrap();
        let signer = platform.signer(owner);
        file.sign(&signer, signer.address()).unwrap();
        file.save(&path).unwrap();
    }
    let mut file = ProposalFile::load(&path).unwrap();
    assert_eq!(file.chain, kind);
    assert_eq!(file.multisig, hot);
    assert_eq!(file.proposal.to, token);
    assert_eq!(
        format!("{:#x}", file.digest()),
        planned[0]["digest"].as_str().unwrap()
    );
    let before = (
        platform.token_balance(vault).await.unwrap(),
        platform.token_balance(hot).await.unwrap(),
    );
    // The TRON node here serves reads only; the signed proposal is the same contract
    // call on either chain (its digest names the contract's own domain), so it is
    // submitted on anvil.
    file.chain = Chain::Evm;
    let client = MultiSigClient::connect(hot, platform.provider(role::OWNERS[1]).unwrap())
        .await
        .unwrap();
    let now = platform.now().await.unwrap();
    let (receipt, scheduled) = client.submit(&file, now).await.unwrap();
    assert!(!scheduled);
    let executed_at = receipt.block_number.unwrap();
    let after = (
        platform.token_balance(vault).await.unwrap(),
        platform.token_balance(hot).await.unwrap(),
    );
    // Conservation: what left the hot wallet is what the vault gained.
    assert_eq!(after.0 - before.0, U256::from(270 * U));
    assert_eq!(before.1 - after.1, U256::from(270 * U));
    assert_eq!(after.0 + after.1, before.0 + before.1);

    // The next measurement: exactly at the line, not above it; no new alert.
    wait_for(30, "treasury measured after the move", || async {
        treasury_view(&admin, chain).await["block_number"].as_u64() >= Some(executed_at)
    })
    .await;
    let t = treasury_view(&admin, chain).await;
    assert_eq!(t["vault_balance"], "1070000000", "{t}");
    assert_eq!(t["hot_wallets"][0]["balance"], "130000000");
    assert_eq!(t["total"], "1200000000");
    assert_eq!(t["share_bps"], 1500);
    assert_eq!(t["over"], false);
    assert_eq!(t["excess"], "0");
    let (_, list) = admin.get("/admin/risk/alerts").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    // The file is spent: submitting it again is refused before sending anything.
    assert!(client.submit(&file, now).await.is_err());
    // A merchant key cannot read the treasury.
    let (_, key) = merchant(&gw, "Shop", platform.address(role::MERCHANT)).await;
    let (s, _) = Client::new(&gw, &key).get("/admin/risk/treasury").await;
    assert_eq!(s, 403);
    gw.stop().await;
}

/// The `stablerail` CLI of this workspace, built beside the test binary (`cargo test
/// --workspace` builds it; alone: `cargo build -p stablerail-sdk --bin stablerail`).
fn cli_path() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/it-… → target/<profile>/stablerail
    let bin = exe.parent().unwrap().parent().unwrap().join("stablerail");
    assert!(
        bin.exists(),
        "the stablerail CLI is not built at {}: run `cargo build -p stablerail-sdk --bin stablerail` (cargo test --workspace builds it)",
        bin.display()
    );
    bin
}

/// Runs an alert's `command` exactly as written, with the environment it names (the
/// node's URL, the hot account's key); answers the CLI's JSON.
fn run_command(command: &str, env: &[(&str, String)]) -> Value {
    let mut words = command.split_whitespace();
    assert_eq!(words.next(), Some("stablerail"), "{command}");
    let out = std::process::Command::new(cli_path())
        .arg("--json")
        .args(words)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Two owners sign the proposal file at `path` (what `stablerail evm|tron multisig
/// sign` does); answers it ready to submit. A TRON file is submitted on the anvil
/// behind the TRON node (the same contract call; its digest names the contract's
/// own domain).
fn signed(platform: &LocalPlatform, path: &str) -> ProposalFile {
    let path = std::path::Path::new(path);
    for owner in [role::OWNERS[0], role::OWNERS[2]] {
        let mut file = ProposalFile::load(path).unwrap();
        let signer = platform.signer(owner);
        file.sign(&signer, signer.address()).unwrap();
        file.save(path).unwrap();
    }
    let mut file = ProposalFile::load(path).unwrap();
    file.chain = Chain::Evm;
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_treasury_every_action_on_anvil() {
    every_action(Chain::Evm).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_treasury_every_action_on_tron() {
    every_action(Chain::Tron).await;
}

/// An excess the hot multisig alone cannot cover: part lies in a plain hot account,
/// most in two spenders' allowances on the time-locked vault. The alert carries one
/// action per source, each with what it covers; all four are carried out for real
/// (the hot multisig's proposal, the plain account's `stablerail … transfer`
/// command as written, the vault's two limit changes in their order after the time
/// lock), and the next measurement is at the line with the platform total unchanged.
async fn every_action(kind: Chain) {
    let platform = LocalPlatform::start().await.unwrap();
    let token = platform.deployment.token;
    let ops = platform.address(role::DISPATCHER);
    let co = platform.address(role::COMPLIANCE);
    let plain = role::AGENT_2;
    let plain_address = platform.address(plain);
    // The vault: 2-of-3; 200 USDT a day for `ops`, 150 once for `co`; then a one-day
    // time lock.
    let vault = deploy_multisig(&platform).await;
    let quorum = vec![
        platform.signer(role::OWNERS[0]),
        platform.signer(role::OWNERS[1]),
    ];
    let vault_admin =
        MultisigAdmin::connect(vault, platform.provider(role::DEPLOYER).unwrap(), quorum)
            .await
            .unwrap();
    for (spender, amount, period) in [(ops, 200, 1u8), (co, 150, 0u8)] {
        let limit = MultiSig::setSpendingLimitCall {
            spender,
            token,
            amount: u128::from(amount * U),
            period,
            destinations: Vec::new(),
        };
        vault_admin
            .execute(vault, limit.abi_encode().into())
            .await
            .unwrap();
    }
    let lock = MultiSig::setTimeLockCall {
        timeLock_: U256::from(86_400),
    };
    vault_admin
        .execute(vault, lock.abi_encode().into())
        .await
        .unwrap();
    let hot = deploy_multisig(&platform).await;
    platform.mint(vault, "600".parse().unwrap()).await.unwrap();
    platform.mint(hot, "30".parse().unwrap()).await.unwrap();
    platform
        .mint(plain_address, "20".parse().unwrap())
        .await
        .unwrap();

    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let proposals = dir.path().join("proposals");
    let show = |a: Address| match kind {
        Chain::Tron => tron_of(a),
        Chain::Evm => format!("{a:#x}"),
    };
    let (chain, tron_section, node_env) = match kind {
        Chain::Evm => (
            CHAIN,
            String::new(),
            ("STABLERAIL_RPC_URL", platform.devnet.rpc_url()),
        ),
        Chain::Tron => {
            let node = TronNode::over(&platform, 0).await;
            (
                "tron",
                node.chain_section(&platform, false),
                ("STABLERAIL_TRON_NODE", node.url.clone()),
            )
        }
    };
    let text = format!(
        "admin_token_env = \"CARGO_MANIFEST_DIR\"\n{}\n{tron_section}\n[risk]\ninterval_ms = 20\n\n[risk.treasury]\nproposal_dir = \"{}\"\n\n[risk.treasury.chains.{chain}]\nvault = \"{}\"\nspenders = [\"{}\", \"{}\"]\nhot_wallets = [\"{}\", \"{}\"]\n",
        config_text(&platform, &db, 2, FAST_WEBHOOKS),
        proposals.display(),
        show(vault),
        show(ops),
        show(co),
        show(plain_address),
        show(hot),
    );
    let (gw, admin, list) = start_treasury_gateway(&text).await;

    // 600 in the vault, 350 of it spendable at once, 50 hot: 400 of 650 outside; the
    // line allows 97.5, so 302.5 must go back: 30 from the hot multisig, 20 from the
    // plain account, and 252.5 of allowance: `ops`'s limit removed (200), `co`'s
    // lowered from 150 to 97.5.
    let alert = &list["data"][0];
    let d = &alert["details"];
    assert_eq!(d["total"], "650000000", "{d}");
    assert_eq!(d["allowance"], "350000000");
    assert_eq!(d["outside"], "400000000");
    assert_eq!(d["excess"], "302500000");
    assert_eq!(d["covered"], "302500000");
    assert_eq!(d["uncovered"], "0");
    let actions = d["actions"].as_array().unwrap();
    let summary: Vec<(String, String, String)> = actions
        .iter()
        .map(|a| {
            let who = a
                .get("spender")
                .or_else(|| a.get("from"))
                .or_else(|| a.get("multisig"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned();
            (
                a["kind"].as_str().unwrap().to_owned(),
                who,
                a["covers"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let entry = |k: &str, who: Address, covers: &str| (k.to_owned(), show(who), covers.to_owned());
    assert_eq!(
        summary,
        vec![
            entry("multisig_transfer", hot, "30000000"),
            entry("account_transfer", plain_address, "20000000"),
            entry("spending_limit", ops, "200000000"),
            entry("spending_limit", co, "52500000"),
        ],
        "{d}"
    );
    let id = alert["id"].as_str().unwrap();
    let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    assert_eq!(full["evidence"][0]["data"]["actions"], d["actions"]);

    // The plain account's command names its sender, the vault and the amount.
    let transfer = &actions[1];
    let (cli, wait) = match kind {
        Chain::Evm => ("evm", ""),
        Chain::Tron => ("tron", " --broadcast --wait-secs 60"),
    };
    assert_eq!(
        transfer["command"],
        format!(
            "stablerail {cli} transfer --from {} --token {} --to {} --amount 20{wait}",
            show(plain_address),
            show(token),
            show(vault)
        )
    );
    // The limit changes: remove, then set, in that order on the vault.
    let (remove, lower) = (&actions[2], &actions[3]);
    assert_eq!(remove["call"], "removeSpendingLimit");
    assert_eq!(remove["new_limit"], "0");
    assert_eq!(
        (remove["step"].as_u64(), remove["steps"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(lower["call"], "setSpendingLimit");
    assert_eq!(lower["remaining"], "150000000");
    assert_eq!(lower["new_limit"], "97500000");
    assert_eq!(lower["step"], 2);

    let balances = || async {
        let mut sum = U256::ZERO;
        let mut each = Vec::new();
        for a in [vault, hot, plain_address] {
            let b = platform.token_balance(a).await.unwrap();
            sum += b;
            each.push(b);
        }
        (each, sum)
    };
    let (_, before) = balances().await;
    assert_eq!(before, U256::from(650 * U));

    // 1. The hot multisig's proposal.
    let file = signed(&platform, actions[0]["file"].as_str().unwrap());
    let client = MultiSigClient::connect(hot, platform.provider(role::OWNERS[1]).unwrap())
        .await
        .unwrap();
    let (_, scheduled) = client
        .submit(&file, platform.now().await.unwrap())
        .await
        .unwrap();
    assert!(!scheduled);
    // 2. The plain account runs the command as written, with its key.
    let key = hex::encode(platform.signer(plain).to_bytes());
    let key_env = match kind {
        Chain::Evm => "STABLERAIL_EVM_KEY",
        Chain::Tron => "STABLERAIL_TRON_KEY",
    };
    let sent = run_command(
        transfer["command"].as_str().unwrap(),
        &[node_env.clone(), (key_env, key)],
    );
    match kind {
        Chain::Evm => assert!(sent["tx_hash"].is_string(), "{sent}"),
        Chain::Tron => assert_eq!(sent["receipt"]["succeeded"], true, "{sent}"),
    }
    assert_eq!(sent["amount"], "20", "{sent}");
    // 3. The vault's limit changes, in order, each after the time lock. The second
    //    is refused before the first has run (it is signed for the config version
    //    the first one makes).
    let step1 = signed(&platform, remove["file"].as_str().unwrap());
    let step2 = signed(&platform, lower["file"].as_str().unwrap());
    let vault_client = MultiSigClient::connect(vault, platform.provider(role::OWNERS[1]).unwrap())
        .await
        .unwrap();
    assert!(
        vault_client
            .submit(&step2, platform.now().await.unwrap())
            .await
            .is_err()
    );
    let mut executed = 0;
    for step in [&step1, &step2] {
        let (_, scheduled) = vault_client
            .submit(step, platform.now().await.unwrap())
            .await
            .unwrap();
        assert!(scheduled);
        platform.warp(86_401).await.unwrap();
        let r = vault_client
            .execute_scheduled(&step.proposal)
            .await
            .unwrap();
        executed = r.block_number.unwrap();
    }
    let vault_read = MultiSig::new(vault, platform.provider(role::DEPLOYER).unwrap());
    let l = vault_read.spendingLimit(ops, token).call().await.unwrap();
    assert_eq!(l.amount, 0);
    let l = vault_read.spendingLimit(co, token).call().await.unwrap();
    assert_eq!((l.amount, l.spent), (97_500_000, 0));

    // Conservation: everything the hot wallets held is in the vault.
    let (each, after) = balances().await;
    assert_eq!(after, before);
    assert_eq!(each, vec![U256::from(650 * U), U256::ZERO, U256::ZERO]);
    // The next measurement: exactly at the line; no new alert.
    wait_for(30, "treasury measured after the actions", || async {
        treasury_view(&admin, chain).await["block_number"].as_u64() >= Some(executed)
    })
    .await;
    let t = treasury_view(&admin, chain).await;
    assert_eq!(t["total"], "650000000", "{t}");
    assert_eq!(t["allowance"], "97500000");
    assert_eq!(t["outside"], "97500000");
    assert_eq!(t["share_bps"], 1500);
    assert_eq!(t["over"], false);
    let (_, list) = admin.get("/admin/risk/alerts").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    gw.stop().await;
}

/// A block that shows an excess is rolled back by a reorg: the alert is withdrawn
/// with the reason, its proposal file is renamed `….withdrawn` (no owner picks up a
/// proposal for a measurement that no longer exists) and the alert says so; the new
/// branch is measured again and raises a new alert only once it shows an excess too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_treasury_reorg_withdraws_the_proposal() {
    use alloy::providers::Provider;
    let platform = LocalPlatform::start().await.unwrap();
    let vault = deploy_multisig(&platform).await;
    let hot = deploy_multisig(&platform).await;
    platform.mint(vault, "900".parse().unwrap()).await.unwrap();
    platform.mint(hot, "100".parse().unwrap()).await.unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let proposals = dir.path().join("proposals");
    let text = format!(
        "admin_token_env = \"CARGO_MANIFEST_DIR\"\n{}\n[risk]\ninterval_ms = 20\n\n[risk.treasury]\nproposal_dir = \"{}\"\n\n[risk.treasury.chains.{CHAIN}]\nvault = \"{vault:#x}\"\nhot_wallets = [\"{hot:#x}\"]\n",
        config_text(&platform, &db, 6, FAST_WEBHOOKS),
        proposals.display(),
    );
    let (gw, admin) = start_gateway_with_admin(&text).await;
    // 100 of 1,000 hot: under the line.
    let head = platform.block_number().await.unwrap();
    wait_for(30, "first measurement", || async {
        treasury_view(&admin, CHAIN).await["block_number"].as_u64() >= Some(head)
    })
    .await;
    assert_eq!(treasury_view(&admin, CHAIN).await["over"], false);
    // 200 more hot in one block: 300 of 1,200 (25 %), 120 must go back.
    platform.mint(hot, "200".parse().unwrap()).await.unwrap();
    let excess_block = platform.block_number().await.unwrap();
    wait_for(30, "treasury alert", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=treasury_share").await;
        !v["data"].as_array().unwrap().is_empty()
    })
    .await;
    let (_, list) = admin.get("/admin/risk/alerts?rule=treasury_share").await;
    let first = list["data"][0].clone();
    assert_eq!(first["block_number"], excess_block);
    assert_eq!(first["details"]["excess"], "120000000");
    let file = first["details"]["actions"][0]["file"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(std::path::Path::new(&file).exists());

    // The block is replaced by an empty one, and the chain goes on.
    let p = platform.provider(role::DEPLOYER).unwrap();
    let _: Value = p
        .raw_request("anvil_reorg".into(), serde_json::json!([1, []]))
        .await
        .unwrap();
    mine(&platform, 2).await;
    let id = first["id"].as_str().unwrap();
    wait_for(30, "alert withdrawn", || async {
        admin.get(&format!("/admin/risk/alerts/{id}")).await.1["state"] == "withdrawn"
    })
    .await;
    let (_, old) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    assert!(
        old["withdrawn_reason"]
            .as_str()
            .unwrap()
            .contains("reorg on anvil rolled back its evidence"),
        "{old}"
    );
    let action = &old["details"]["actions"][0];
    assert_eq!(action["state"], "withdrawn", "{old}");
    assert_eq!(action["file"], format!("{file}.withdrawn"));
    assert!(!std::path::Path::new(&file).exists());
    assert!(std::path::Path::new(&format!("{file}.withdrawn")).exists());
    // The withdrawal reached the operator's outbox with the renamed file.
    let event: String = sqlx::query_scalar(
        "SELECT payload FROM gw_events WHERE subject = $1 AND type = 'risk.alert.withdrawn'",
    )
    .bind(id)
    .fetch_one(&gw.app().db.pool)
    .await
    .unwrap();
    assert!(event.contains(".withdrawn\""), "{event}");

    // The new branch is measured again: 100 of 1,000 hot, no alert.
    let head = platform.block_number().await.unwrap();
    wait_for(30, "new branch measured", || async {
        treasury_view(&admin, CHAIN).await["block_number"].as_u64() >= Some(head)
    })
    .await;
    let t = treasury_view(&admin, CHAIN).await;
    assert_eq!(t["hot_wallets"][0]["balance"], "100000000", "{t}");
    assert_eq!(t["over"], false);
    let (_, list) = admin.get("/admin/risk/alerts?rule=treasury_share").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    // Once the new branch shows an excess too, a new alert with a new file.
    platform.mint(hot, "300".parse().unwrap()).await.unwrap();
    wait_for(30, "second alert", || async {
        let (_, v) = admin
            .get("/admin/risk/alerts?rule=treasury_share&state=open")
            .await;
        !v["data"].as_array().unwrap().is_empty()
    })
    .await;
    let (_, list) = admin
        .get("/admin/risk/alerts?rule=treasury_share&state=open")
        .await;
    let second = &list["data"][0];
    assert_ne!(second["id"], first["id"]);
    // 400 of 1,300 hot: the line allows 195, so 205 go back.
    assert_eq!(second["details"]["excess"], "205000000");
    let new_file = second["details"]["actions"][0]["file"].as_str().unwrap();
    assert_ne!(new_file, file);
    assert!(std::path::Path::new(new_file).exists());
    gw.stop().await;
}

/// A treasury on a chain the gateway does not index is refused at start, by name.
#[test]
fn treasury_chain_must_be_indexed() {
    let text = r#"
database_url = "sqlite::memory:"
listen = "127.0.0.1:0"
[chains.anvil]
chain_id = 31337
[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["http://127.0.0.1:9"]
usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
[risk.treasury.chains.mainnet]
vault = "0x00000000000000000000000000000000000000aa"
"#;
    let e = stablerail_gateway::Config::parse(text).unwrap_err();
    assert!(
        e.to_string().contains("risk.treasury.chains.mainnet"),
        "{e}"
    );
    let ok = text.replace("chains.mainnet]", "chains.anvil]");
    assert!(stablerail_gateway::Config::parse(&ok).is_ok());
    // Each address is checked, by field.
    for (bad, says) in [
        (
            ok.replace("0x00000000000000000000000000000000000000aa", "0x12"),
            "risk.treasury.chains.anvil.vault",
        ),
        (
            format!("{ok}spenders = [\"nope\"]\n"),
            "risk.treasury.chains.anvil.spenders",
        ),
        (
            format!("{ok}hot_wallets = [\"TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC\"]\n"),
            "risk.treasury.chains.anvil.hot_wallets",
        ),
    ] {
        let e = stablerail_gateway::Config::parse(&bad).unwrap_err();
        assert!(e.to_string().contains(says), "{says}: {e}");
    }

    // A TRON treasury names TRON addresses; an EVM address there is refused by name.
    let tron = format!(
        "{}\n[indexer.chains.tron]\nkind = \"tron\"\nrpc_urls = [\"http://127.0.0.1:9\"]\nusdt = \"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\"\n",
        text.replace("[risk.treasury.chains.mainnet]\nvault = \"0x00000000000000000000000000000000000000aa\"\n", "")
    );
    let evm_vault = format!(
        "{tron}[risk.treasury.chains.tron]\nvault = \"0x00000000000000000000000000000000000000aa\"\n"
    );
    let e = stablerail_gateway::Config::parse(&evm_vault).unwrap_err();
    assert!(
        e.to_string()
            .contains("risk.treasury.chains.tron.vault: \"0x00000000000000000000000000000000000000aa\" is not an address of this chain"),
        "{e}"
    );
    let tron_vault = format!(
        "{tron}[risk.treasury.chains.tron]\nvault = \"TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC\"\n"
    );
    assert!(stablerail_gateway::Config::parse(&tron_vault).is_ok());
}
