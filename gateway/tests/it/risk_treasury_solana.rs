//! The treasury watch on Solana, against the node whose state is the native runtime
//! (`stablerail_demo::solana_node`: the multisig program and the real SPL Token and
//! Associated Token programs execute every transaction; every transaction is
//! recorded in a block the gateway's indexer follows with `getSlot`, `getBlocks`
//! and `getBlock`). The vault is a time-locked multisig of the program holding
//! USDT in its vault PDA's token account, with two `SpendingLimit` accounts; a hot
//! multisig and a plain hot wallet hold the rest. Over the line the monitor raises
//! one alert whose four actions cover the excess exactly; each is carried out for
//! real with the `stablerail` CLI as the alert writes it (proposal files proposed,
//! approved and executed by the owners, the plain wallet's transfer command), and
//! the next measurement is at the line with no new alert and the token supply
//! unchanged.

use serde_json::Value;
use stablerail_demo::solana_node::Runtime;
use stablerail_sdk::solana::sdk::{Keypair, Pubkey, Signer};
use stablerail_sdk::solana::{
    FINALIZED, MultisigProgram, Period, ProposalInstruction, SolanaProposalFile, SolanaRpc,
    SolanaRpcError, SpendingLimitAddArgs, pda,
};

use crate::{
    common::{Backend, TestDb, wait_for},
    risk_treasury::{start_treasury_gateway, treasury_view},
};

const U: u64 = 1_000_000;
/// The vault's time lock, seconds.
const LOCK: i64 = 3_600;

/// A multisig of the program: its owners (2 of 3) and its builders.
struct Multisig {
    program: MultisigProgram,
    owners: Vec<Keypair>,
}

impl Multisig {
    async fn create(rt: &Runtime, time_lock: u32) -> Self {
        let create_key = Keypair::new();
        let owners: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
        for o in &owners {
            rt.fund(&o.pubkey()).await;
        }
        let program = MultisigProgram::for_create_key(&create_key.pubkey());
        let payer = rt.payer().await.pubkey();
        let keys: Vec<Pubkey> = owners.iter().map(Signer::pubkey).collect();
        let ix = program
            .multisig_create(&create_key.pubkey(), &payer, &keys, 2, time_lock)
            .unwrap();
        rt.setup(vec![ix], &[&create_key]).await;
        // The vault pays the rent of the spending limits it creates.
        rt.fund(&program.vault()).await;
        Self { program, owners }
    }

    /// Proposes `instructions` (owner 0), approves them (owners 0 and 1), waits out
    /// `lock` and executes them (owner 2), as the program's owners do.
    async fn run(&self, rt: &Runtime, instructions: &[ProposalInstruction], lock: i64) {
        let state: stablerail_sdk::solana::Multisig =
            rt.decoded(&self.program.multisig).await.unwrap();
        let index = state.transaction_index + 1;
        let expires = rt.now().await + 7 * 86_400;
        let o = &self.owners;
        let create = self
            .program
            .proposal_create(&o[0].pubkey(), index, instructions, expires)
            .unwrap();
        rt.setup(vec![create], &[&o[0]]).await;
        for owner in &o[..2] {
            let ix = self.program.proposal_approve(&owner.pubkey(), index);
            rt.setup(vec![ix], &[owner]).await;
        }
        if lock > 0 {
            rt.advance_clock(lock).await;
        }
        let ix = self
            .program
            .proposal_execute(&o[2].pubkey(), index, instructions);
        rt.setup(vec![ix], &[&o[2]]).await;
    }
}

/// A gateway config over the runtime node `rt`: its Solana chain from the ledger's
/// first slot with USDT `mint` and `chain` (more settings of the chain section), the
/// monitor every 20 ms, then `risk` (more `[risk.…]` sections).
pub(crate) async fn solana_gateway_config(
    db: &TestDb,
    rt: &Runtime,
    mint: &str,
    chain: &str,
    risk: &str,
) -> String {
    let first = rt.ledger().await.first_slot().unwrap();
    format!(
        r#"
admin_token_env = "CARGO_MANIFEST_DIR"
database_url = "{db}"
listen = "127.0.0.1:0"
watch_interval_ms = 50

[indexer.chains.solana]
kind = "solana"
rpc_urls = ["{url}"]
usdt = "{mint}"
start_block = {first}
poll_interval_ms = 50
{chain}

[risk]
interval_ms = 20
{risk}"#,
        db = db.url,
        url = rt.url,
    )
}

/// The `stablerail` CLI built beside the test binary.
fn cli_path() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("stablerail");
    assert!(
        bin.exists(),
        "the stablerail CLI is not built at {}: run `cargo build -p stablerail-sdk --bin stablerail`",
        bin.display()
    );
    bin
}

/// Runs `command` as written (placeholders `<index>` replaced by `index`) with the
/// node's URL and `key` in the environment; answers the CLI's JSON.
fn run(command: &str, url: &str, key: &Keypair, index: Option<u64>) -> Value {
    let command = match index {
        Some(i) => command.replace("<index>", &i.to_string()),
        None => command.to_owned(),
    };
    let mut words = command.split_whitespace();
    assert_eq!(words.next(), Some("stablerail"), "{command}");
    let out = std::process::Command::new(cli_path())
        .arg("--json")
        .args(words)
        .env("STABLERAIL_SOLANA_RPC_URL", url)
        .env(
            "STABLERAIL_SOLANA_KEY",
            serde_json::to_string(&key.to_bytes().to_vec()).unwrap(),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An action's proposal file carried out by the owners of `m` with the commands
/// the alert gives: propose (owner 0), approve (owners 0 and 1), execute (owner 2)
/// after `lock` seconds.
async fn carry_out(rt: &Runtime, m: &Multisig, action: &Value, lock: i64) {
    let commands: Vec<&str> = action["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(commands.len(), 3, "{action}");
    let o = &m.owners;
    let proposed = run(commands[0], &rt.url, &o[0], None);
    let index = proposed["details"]["proposal"].as_u64().unwrap();
    for owner in &o[..2] {
        run(commands[1], &rt.url, owner, Some(index));
    }
    if lock > 0 {
        rt.advance_clock(lock).await;
    }
    let executed = run(commands[2], &rt.url, &o[2], Some(index));
    assert_eq!(executed["sent"], true, "{executed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_treasury_solana_every_action() {
    every_action(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_treasury_solana_every_action_postgres() {
    every_action(Backend::Postgres).await;
}

async fn every_action(backend: Backend) {
    let rt = Runtime::start().await;
    let mint_authority = Keypair::new();
    let mint = rt.create_mint(&mint_authority.pubkey()).await;
    // The vault: 2-of-3 with a one-hour time lock; 200 USDT a day and 150 once
    // through two spending limits.
    let vault = Multisig::create(&rt, u32::try_from(LOCK).unwrap()).await;
    let vault_pda = vault.program.vault();
    let mut limits = Vec::new();
    for (amount, period) in [(200, Period::Day), (150, Period::OneTime)] {
        let create_key = Keypair::new().pubkey();
        let ix = vault
            .program
            .spending_limit_add(&SpendingLimitAddArgs {
                create_key,
                mint,
                amount: amount * U,
                period,
                spenders: vec![Keypair::new().pubkey()],
                destinations: Vec::new(),
            })
            .unwrap();
        vault
            .run(&rt, &[ProposalInstruction::from(&ix)], LOCK)
            .await;
        limits.push(vault.program.spending_limit(&create_key));
    }
    // A hot multisig (no time lock) and a plain hot wallet.
    let hot = Multisig::create(&rt, 0).await;
    let plain = Keypair::new();
    rt.fund(&plain.pubkey()).await;
    let mut minted = 0;
    for (owner, amount) in [
        (vault_pda, 600),
        (hot.program.vault(), 30),
        (plain.pubkey(), 20),
    ] {
        let token = rt.create_ata(&owner, &mint).await;
        rt.mint_to(&mint, &mint_authority, &token, amount * U).await;
        minted += amount * U;
    }
    let ata = |owner: &Pubkey| pda::associated_token_account(owner, &mint, &pda::TOKEN_PROGRAM_ID);
    let balances = || async {
        let mut each = Vec::new();
        for owner in [vault_pda, hot.program.vault(), plain.pubkey()] {
            each.push(rt.token_balance(&ata(&owner)).await);
        }
        each
    };
    // Conservation: every token account of the mint adds up to what was minted,
    // which is the supply.
    let conserved = || async {
        let all: u64 = rt
            .token_accounts_of(&mint)
            .await
            .iter()
            .map(|(_, a)| a)
            .sum();
        assert_eq!(all, minted);
        assert_eq!(rt.supply(&mint).await, minted);
    };
    conserved().await;
    // The node answers a read from the last block, and refuses one that asks for a
    // later slot (`minContextSlot`), as the treasury watch's reads rely on.
    let rpc = SolanaRpc::new(&rt.url).unwrap();
    let head = rt.head().await;
    let read = rpc.account_at(&mint, FINALIZED, Some(head)).await.unwrap();
    assert_eq!(read.slot, head);
    assert!(read.account.is_some());
    let early = rpc.account_at(&mint, FINALIZED, Some(head + 1)).await;
    assert!(
        matches!(&early, Err(SolanaRpcError::Rpc { code: -32016, .. })),
        "{early:?}"
    );

    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let proposals = dir.path().join("proposals");
    let treasury = format!(
        r#"
[risk.treasury]
proposal_dir = "{dir}"

[risk.treasury.chains.solana]
vault = "{vault}"
spending_limits = ["{l0}", "{l1}"]
hot_wallets = ["{plain}", "{hot}"]
"#,
        dir = proposals.display(),
        vault = vault.program.multisig,
        l0 = limits[0],
        l1 = limits[1],
        plain = plain.pubkey(),
        hot = hot.program.multisig,
    );
    let text = solana_gateway_config(&db, &rt, &mint.to_string(), "head_lag = 0", &treasury).await;
    let (gw, admin, list) = start_treasury_gateway(&text).await;

    // 600 in the vault, 350 of it spendable at once, 50 hot: 400 of 650 outside; the
    // line allows 97.5, so 302.5 must go back: 30 from the hot multisig, 20 from the
    // plain wallet, and 252.5 of allowance: the daily limit removed (200), the
    // one-time limit lowered from 150 to 97.5.
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    let alert = &list["data"][0];
    assert_eq!(alert["subject"], vault.program.multisig.to_string());
    let d = &alert["details"];
    assert_eq!(d["vault_balance"], "600000000", "{d}");
    assert_eq!(d["total"], "650000000");
    assert_eq!(d["allowance"], "350000000");
    assert_eq!(d["outside"], "400000000");
    assert_eq!(d["share_bps"], 6153);
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
    let entry =
        |k: &str, who: Pubkey, covers: &str| (k.to_owned(), who.to_string(), covers.to_owned());
    assert_eq!(
        summary,
        vec![
            entry("multisig_transfer", hot.program.multisig, "30000000"),
            entry("account_transfer", plain.pubkey(), "20000000"),
            entry("spending_limit", limits[0], "200000000"),
            entry("spending_limit", limits[1], "52500000"),
        ],
        "{d}"
    );
    let covered: u128 = actions
        .iter()
        .map(|a| a["covers"].as_str().unwrap().parse::<u128>().unwrap())
        .sum();
    assert_eq!(covered, 302_500_000);
    let id = alert["id"].as_str().unwrap();
    let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    assert_eq!(full["evidence"][0]["data"]["actions"], d["actions"]);
    assert_eq!(
        full["evidence"][0]["block_number"].as_u64(),
        alert["block_number"].as_u64()
    );

    // The files are proposals of the right multisigs: a transfer_checked back to
    // the vault's token account, and the limit changes on the vault.
    let file = |a: &Value| {
        SolanaProposalFile::load(std::path::Path::new(a["file"].as_str().unwrap())).unwrap()
    };
    let transfer = file(&actions[0]);
    assert_eq!(transfer.multisig().unwrap(), hot.program.multisig);
    let ixs = transfer.instructions().unwrap();
    assert_eq!(ixs.len(), 1);
    assert_eq!(ixs[0].program_id, pda::TOKEN_PROGRAM_ID);
    assert_eq!(ixs[0].accounts[2].pubkey, ata(&vault_pda));
    assert_eq!(file(&actions[2]).instructions().unwrap().len(), 1);
    assert_eq!(file(&actions[3]).instructions().unwrap().len(), 2);
    assert_eq!(actions[3]["new_limit"], "97500000");
    assert_eq!(actions[3]["step"], 2);
    assert_eq!(
        actions[1]["command"],
        format!(
            "stablerail solana transfer --from {} --mint {mint} --to {vault_pda} --amount 20 --send",
            plain.pubkey()
        )
    );

    // Every action for real, in order.
    let before = balances().await;
    carry_out(&rt, &hot, &actions[0], 0).await;
    run(
        actions[1]["command"].as_str().unwrap(),
        &rt.url,
        &plain,
        None,
    );
    let after = balances().await;
    assert_eq!(after[0] - before[0], 50 * U);
    assert_eq!(before[1] - after[1], 30 * U);
    assert_eq!(before[2] - after[2], 20 * U);
    conserved().await;
    carry_out(&rt, &vault, &actions[2], LOCK).await;
    assert!(rt.account(&limits[0]).await.is_none());
    carry_out(&rt, &vault, &actions[3], LOCK).await;
    let lowered: stablerail_sdk::solana::SpendingLimit = rt.decoded(&limits[1]).await.unwrap();
    assert_eq!(
        (lowered.amount, lowered.remaining),
        (97_500_000, 97_500_000)
    );
    assert_eq!(lowered.period, Period::OneTime);
    conserved().await;

    // The next measurement is at the line; no new alert.
    let head = rt.head().await;
    wait_for(60, "treasury measured after the actions", || async {
        treasury_view(&admin, "solana").await["block_number"].as_u64() >= Some(head)
    })
    .await;
    let t = treasury_view(&admin, "solana").await;
    assert_eq!(t["total"], "650000000", "{t}");
    assert_eq!(t["vault_balance"], "650000000");
    assert_eq!(t["allowance"], "97500000");
    assert_eq!(t["outside"], "97500000");
    assert_eq!(t["share_bps"], 1500);
    assert_eq!(t["over"], false);
    let (_, list) = admin.get("/admin/risk/alerts").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    gw.stop().await;
}
