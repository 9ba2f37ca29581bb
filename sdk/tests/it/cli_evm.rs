//! The `stablerail evm` commands end to end: the built binary against anvil with
//! the real Escrow, MultiSig and token deployed by stablerail-demo. Every escrow
//! action of a trade and a disputed payout goes through the CLI, the dispute is
//! resolved by a 2-of-3 multisig proposal signed in separate invocations, and
//! conservation is checked after every step. Bad input fails with a clear error and
//! changes nothing.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};

use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use serde_json::Value;
use stablerail_demo::{LocalPlatform, role::*};
use stablerail_sdk::Roles;
use stablerail_sdk::evm::Escrow;
use stablerail_sdk::{Amount, DealKind};

use crate::support::{failed, ok_json, scratch_dir, stablerail};

fn usdt(whole: u64) -> Amount {
    Amount::from_units(whole * 1_000_000)
}

/// A scratch directory for key and proposal files.
fn scratch() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    scratch_dir(&format!("cli-evm-{}", N.fetch_add(1, Ordering::Relaxed)))
}

struct Env {
    p: LocalPlatform,
    dir: PathBuf,
    rpc: String,
    escrow: String,
    multisig: String,
}

impl Env {
    async fn start() -> Self {
        let p = LocalPlatform::start().await.unwrap();
        let rpc = p.devnet.rpc_url();
        let escrow = p.deployment.escrow.to_checksum(None);
        let multisig = p.deployment.multisig.to_checksum(None);
        Self {
            p,
            dir: scratch(),
            rpc,
            escrow,
            multisig,
        }
    }

    /// Onboards a merchant, an acceptor and a trader and funds their wallets.
    async fn onboard(&self) {
        let p = &self.p;
        p.set_roles(p.address(MERCHANT), Roles::MERCHANT)
            .await
            .unwrap();
        p.set_roles(p.address(ACCEPTOR), Roles::ACCEPTOR)
            .await
            .unwrap();
        p.go_online(ACCEPTOR).await.unwrap();
        p.kyc(&[p.address(MERCHANT), p.address(TRADER), p.address(ACCEPTOR)])
            .await
            .unwrap();
        for who in [TRADER, MERCHANT, ACCEPTOR] {
            p.mint(p.address(who), usdt(1_000)).await.unwrap();
        }
    }

    fn key(&self, who: usize) -> PathBuf {
        let path = self.dir.join(format!("key{who}"));
        if !path.exists() {
            let signer: PrivateKeySigner = self.p.signer(who);
            std::fs::write(&path, hex::encode(signer.to_bytes())).unwrap();
        }
        path
    }

    fn cli(&self, args: &[&str]) -> Output {
        stablerail().arg("--json").args(args).output().unwrap()
    }

    /// `stablerail evm escrow <action>` as `who`.
    fn escrow(&self, who: usize, action: &[&str]) -> Output {
        let key = self.key(who);
        let mut args = vec![
            "evm",
            "escrow",
            "--rpc-url",
            &self.rpc,
            "--escrow",
            &self.escrow,
            "--key-file",
            key.to_str().unwrap(),
        ];
        args.extend_from_slice(action);
        self.cli(&args)
    }

    /// `stablerail evm multisig <action>` as `who`.
    fn multisig(&self, who: usize, action: &[&str]) -> Output {
        let key = self.key(who);
        let mut args = vec![
            "evm",
            "multisig",
            "--rpc-url",
            &self.rpc,
            "--multisig",
            &self.multisig,
            "--key-file",
            key.to_str().unwrap(),
        ];
        args.extend_from_slice(action);
        self.cli(&args)
    }

    /// Every account that can hold escrow funds: all dev wallets and the treasury.
    fn accounts(&self) -> Vec<Address> {
        let mut all: Vec<Address> = (0..ACCOUNTS).map(|i| self.p.address(i)).collect();
        all.push(self.p.deployment.multisig);
        all
    }

    async fn conserved(&self) {
        self.p.check_conservation(&self.accounts()).await.unwrap();
    }

    /// Balances of every account (available, locked, wallet) and the escrow's
    /// token balance: equal snapshots mean nothing changed.
    async fn snapshot(&self) -> Vec<(Amount, Amount, U256)> {
        let escrow = self.p.escrow(DEPLOYER).unwrap();
        let mut out = Vec::new();
        for a in self.accounts() {
            let (available, locked) = escrow.balances(a).await.unwrap();
            out.push((available, locked, self.p.token_balance(a).await.unwrap()));
        }
        let held = self
            .p
            .token_balance(self.p.deployment.escrow)
            .await
            .unwrap();
        out.push((Amount::ZERO, Amount::ZERO, held));
        out
    }

    async fn available(&self, who: Address) -> Amount {
        self.p
            .escrow(DEPLOYER)
            .unwrap()
            .balances(who)
            .await
            .unwrap()
            .0
    }
}

fn field(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {v}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn trade_and_disputed_payout_through_the_cli() {
    let e = Env::start().await;
    e.onboard().await;
    let (merchant, trader, acceptor) = (
        e.p.address(MERCHANT),
        e.p.address(TRADER),
        e.p.address(ACCEPTOR),
    );
    let schedule = e.p.schedule().unwrap();

    // Deposit (with approve) by the trader and the merchant.
    let v = ok_json(&e.escrow(TRADER, &["account", "deposit", "--amount", "500"]));
    assert_eq!(v["action"], "deposit");
    assert_eq!(e.available(trader).await, usdt(500));
    e.conserved().await;
    ok_json(&e.escrow(MERCHANT, &["account", "deposit", "--amount", "200.5"]));
    assert_eq!(e.available(merchant).await, Amount::from_units(200_500_000));
    e.conserved().await;

    // A trade: the merchant posts an order, the trader fills it, fiat, release.
    let v = ok_json(&e.escrow(
        MERCHANT,
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
            "10",
            "--max-fill",
            "300",
        ],
    ));
    let order = field(&v, "order_id");
    let v = ok_json(&e.escrow(MERCHANT, &["buy-order", "show", "--order", &order]));
    assert_eq!(v["remaining"], "300");
    assert_eq!(v["currency"], "CNY");
    e.conserved().await;
    let v = ok_json(&e.escrow(
        TRADER,
        &[
            "buy-order",
            "fill",
            "--order",
            &order,
            "--amount",
            "120",
            "--ref",
            "otc-42",
        ],
    ));
    let trade = field(&v, "deal_id");
    let v = ok_json(&e.escrow(TRADER, &["deal", "show", "--deal", &trade]));
    assert_eq!(v["state"], "open");
    assert_eq!(v["amount"], "120");
    assert_eq!(v["kind"], "trade");
    e.conserved().await;
    ok_json(&e.escrow(MERCHANT, &["deal", "mark-paid", "--deal", &trade]));
    assert_eq!(
        ok_json(&e.escrow(TRADER, &["deal", "show", "--deal", &trade]))["state"],
        "paid"
    );
    e.conserved().await;

    // Wrong role: the merchant (buyer) may not release; nothing changes.
    let before = e.snapshot().await;
    let err = failed(&e.escrow(MERCHANT, &["deal", "release", "--deal", &trade]));
    assert!(err.contains("is not its seller"), "{err}");
    assert_eq!(e.snapshot().await, before);

    ok_json(&e.escrow(TRADER, &["deal", "release", "--deal", &trade]));
    let split = schedule.settle(DealKind::Trade, usdt(120), Amount::ZERO, None);
    assert_eq!(
        e.available(merchant).await,
        Amount::from_units(200_500_000 + split.buyer_net.units())
    );
    assert_eq!(
        e.available(trader).await,
        Amount::from_units(380_000_000 + split.reward.units())
    );
    e.conserved().await;
    // A released deal is gone: a typed not-found error.
    let err = failed(&e.escrow(TRADER, &["deal", "show", "--deal", &trade]));
    assert!(err.contains(&format!("deal {trade} not found")), "{err}");

    ok_json(&e.escrow(MERCHANT, &["buy-order", "cancel", "--order", &order]));
    let err = failed(&e.escrow(MERCHANT, &["buy-order", "show", "--order", &order]));
    assert!(err.contains("not found"), "{err}");
    e.conserved().await;

    // Withdraw to the wallet.
    let wallet_before = e.p.token_balance(trader).await.unwrap();
    ok_json(&e.escrow(
        TRADER,
        &[
            "account",
            "withdraw",
            "--amount",
            "80",
            "--priority",
            "high",
        ],
    ));
    assert_eq!(
        e.p.token_balance(trader).await.unwrap(),
        wallet_before + U256::from(80_000_000u64)
    );
    e.conserved().await;
    let v = ok_json(&e.escrow(TRADER, &["account", "show"]));
    assert_eq!(
        v["available"],
        Amount::from_units(300_000_000 + split.reward.units()).to_string()
    );
    assert_eq!(v["locked"], "0");

    // A payout: merchant locks USDT, the dispatcher assigns the acceptor, who marks
    // it paid; the merchant disputes.
    let v = ok_json(&e.escrow(
        MERCHANT,
        &["payout", "open", "--amount", "100", "--ref", "payout-7"],
    ));
    let payout = field(&v, "deal_id");
    assert_eq!(
        ok_json(&e.escrow(MERCHANT, &["deal", "show", "--deal", &payout]))["state"],
        "unassigned"
    );
    e.conserved().await;
    let acceptor_s = acceptor.to_checksum(None);
    ok_json(&e.escrow(
        DISPATCHER,
        &[
            "payout",
            "assign",
            "--deal",
            &payout,
            "--acceptor",
            &acceptor_s,
        ],
    ));
    assert_eq!(
        ok_json(&e.escrow(MERCHANT, &["deal", "show", "--deal", &payout]))["state"],
        "open"
    );
    e.conserved().await;
    ok_json(&e.escrow(ACCEPTOR, &["deal", "mark-paid", "--deal", &payout]));
    e.conserved().await;
    ok_json(&e.escrow(MERCHANT, &["deal", "dispute", "--deal", &payout]));
    assert_eq!(
        ok_json(&e.escrow(MERCHANT, &["deal", "show", "--deal", &payout]))["state"],
        "disputed"
    );
    e.conserved().await;

    // The arbiter (the 2-of-3 multisig) resolves 50/50: propose, two owners sign in
    // separate invocations, anyone executes.
    let file = e.dir.join("resolve.json");
    let file_s = file.to_str().unwrap();
    let v = ok_json(&e.multisig(
        DEPLOYER,
        &[
            "propose", "--to", &e.escrow, "--call", "resolve", &payout, "5000", "--out", file_s,
        ],
    ));
    assert_eq!(v["call"], format!("resolve({payout}, 5000)"));
    assert_eq!(v["signers"].as_array().unwrap().len(), 0);
    let v = ok_json(&e.multisig(DEPLOYER, &["show", "--file", file_s]));
    assert_eq!(v["threshold"], 2);
    assert_eq!(v["owners"].as_array().unwrap().len(), 3);
    assert_eq!(v["proposal"]["status"], "collecting signatures (0 of 2)");

    // Not enough signatures yet: refused before sending, nothing changes.
    let before = e.snapshot().await;
    ok_json(&e.multisig(OWNERS[0], &["sign", "--file", file_s]));
    let err = failed(&e.multisig(DEPLOYER, &["execute", "--file", file_s]));
    assert!(err.contains("1 of 2 signatures"), "{err}");
    // The same owner again, and a non-owner: refused, the file keeps one signature.
    let err = failed(&e.multisig(OWNERS[0], &["sign", "--file", file_s]));
    assert!(err.contains("already signed"), "{err}");
    let err = failed(&e.multisig(MERCHANT, &["sign", "--file", file_s]));
    assert!(err.contains("is not an owner"), "{err}");
    let v = ok_json(&e.multisig(DEPLOYER, &["show", "--file", file_s]));
    assert_eq!(v["proposal"]["signers"].as_array().unwrap().len(), 1);
    assert_eq!(e.snapshot().await, before);

    ok_json(&e.multisig(OWNERS[2], &["sign", "--file", file_s]));
    let v = ok_json(&e.multisig(DEPLOYER, &["show", "--file", file_s]));
    assert_eq!(v["proposal"]["status"], "ready to execute");
    let v = ok_json(&e.multisig(DEPLOYER, &["execute", "--file", file_s]));
    assert_eq!(v["result"], "executed");
    // Half the gross to the acceptor, settled with the merchant's fee (its volume
    // is the 120 traded); the other half back to the merchant.
    let half = schedule.settle(DealKind::Payout, usdt(50), usdt(120), None);
    assert_eq!(e.available(acceptor).await, half.buyer_net);
    let err = failed(&e.escrow(MERCHANT, &["deal", "show", "--deal", &payout]));
    assert!(err.contains("not found"), "{err}");
    e.conserved().await;
    let v = ok_json(&e.multisig(DEPLOYER, &["show", "--file", file_s]));
    assert_eq!(v["proposal"]["status"], "executed");
    // Onboarding used two proposals; this one took the next nonce.
    let proposal_nonce: u64 = field(&v["proposal"], "nonce").parse().unwrap();
    assert_eq!(v["nonce"], (proposal_nonce + 1).to_string());

    // Replaying the executed proposal: refused before sending, nothing changes.
    let before = e.snapshot().await;
    let err = failed(&e.multisig(DEPLOYER, &["execute", "--file", file_s]));
    assert!(err.contains("already executed or superseded"), "{err}");
    assert_eq!(e.snapshot().await, before);

    // A collection: the acceptor's collateral for a customer payment to the
    // merchant; the dispatcher marks it paid, the acceptor releases.
    ok_json(&e.escrow(ACCEPTOR, &["account", "deposit", "--amount", "300"]));
    e.conserved().await;
    let merchant_s = merchant.to_checksum(None);
    let v = ok_json(&e.escrow(
        DISPATCHER,
        &[
            "collection",
            "assign",
            "--acceptor",
            &acceptor_s,
            "--merchant",
            &merchant_s,
            "--amount",
            "60",
            "--ref",
            "customer-9",
        ],
    ));
    let collection = field(&v, "deal_id");
    assert_eq!(
        ok_json(&e.escrow(MERCHANT, &["deal", "show", "--deal", &collection]))["kind"],
        "collection"
    );
    e.conserved().await;
    let merchant_before = e.available(merchant).await;
    ok_json(&e.escrow(DISPATCHER, &["deal", "mark-paid", "--deal", &collection]));
    e.conserved().await;
    ok_json(&e.escrow(ACCEPTOR, &["deal", "release", "--deal", &collection]));
    assert!(e.available(merchant).await > merchant_before);
    e.conserved().await;

    // Withdrawal address: request a change, see it pending, cancel it.
    let cold = e.p.address(DEPLOYER).to_checksum(None);
    ok_json(&e.escrow(TRADER, &["withdrawal-address", "request", "--to", &cold]));
    let v = ok_json(&e.escrow(TRADER, &["withdrawal-address", "show"]));
    assert_eq!(v["pending"]["to"], cold.as_str());
    assert_eq!(v["withdrawals_go_to"], trader.to_checksum(None).as_str());
    ok_json(&e.escrow(TRADER, &["withdrawal-address", "cancel"]));
    assert!(ok_json(&e.escrow(TRADER, &["withdrawal-address", "show"]))["pending"].is_null());
    e.conserved().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_fails_clearly_and_changes_nothing() {
    let e = Env::start().await;
    e.onboard().await;
    ok_json(&e.escrow(TRADER, &["account", "deposit", "--amount", "50"]));
    let before = e.snapshot().await;

    // Malformed escrow address, and a checksum typo.
    let mut args = vec!["evm", "escrow", "--rpc-url", &e.rpc, "--escrow", "0x1234"];
    args.extend(["account", "deposit", "--amount", "1"]);
    let err = failed(&e.cli(&args));
    assert!(
        err.contains("--escrow") && err.contains("not an EVM address"),
        "{err}"
    );
    let mut typo: Vec<char> = e.escrow.chars().collect();
    let i = (2..typo.len())
        .find(|&i| typo[i].is_ascii_alphabetic())
        .unwrap();
    typo[i] = if typo[i].is_ascii_uppercase() {
        typo[i].to_ascii_lowercase()
    } else {
        typo[i].to_ascii_uppercase()
    };
    let typo: String = typo.into_iter().collect();
    let args = [
        "evm",
        "escrow",
        "--rpc-url",
        &e.rpc,
        "--escrow",
        &typo,
        "account",
        "deposit",
        "--amount",
        "1",
    ];
    assert!(failed(&e.cli(&args)).contains("checksum"));
    let err = failed(&e.escrow(TRADER, &["withdrawal-address", "request", "--to", "T123"]));
    assert!(err.contains("--to"), "{err}");

    // Seven decimals, zero, negative.
    let err = failed(&e.escrow(TRADER, &["account", "deposit", "--amount", "1.1234567"]));
    assert!(err.contains("at most 6"), "{err}");
    let err = failed(&e.escrow(TRADER, &["account", "withdraw", "--amount", "0"]));
    assert!(err.contains("above zero"), "{err}");
    // More than the wallet holds / than is available.
    let err = failed(&e.escrow(TRADER, &["account", "deposit", "--amount", "5000"]));
    assert!(
        err.contains("holds") && err.contains("in its wallet"),
        "{err}"
    );
    let err = failed(&e.escrow(TRADER, &["account", "withdraw", "--amount", "50.000001"]));
    assert!(err.contains("available in the escrow"), "{err}");
    // Unknown deal and order ids.
    for action in ["show", "mark-paid", "release", "cancel", "dispute"] {
        let err = failed(&e.escrow(TRADER, &["deal", action, "--deal", "999"]));
        assert!(err.contains("deal 999 not found"), "{action}: {err}");
    }
    let err = failed(&e.escrow(
        TRADER,
        &["buy-order", "fill", "--order", "77", "--amount", "1"],
    ));
    assert!(err.contains("buy order 77 not found"), "{err}");
    let err = failed(&e.escrow(TRADER, &["deal", "mark-paid", "--deal", "12x"]));
    assert!(err.contains("not a decimal id"), "{err}");
    // Wrong role: the trader has no merchant role (the shared pre-check, before
    // the contract's simulation and before signing).
    let err = failed(&e.escrow(
        TRADER,
        &[
            "buy-order",
            "post",
            "--price",
            "725",
            "--currency",
            "CNY",
            "--amount",
            "10",
            "--min-fill",
            "1",
            "--max-fill",
            "10",
        ],
    ));
    assert!(
        err.contains("postBuyOrder") && err.contains("does not hold the merchant role"),
        "{err}"
    );
    let err = failed(&e.escrow(
        MERCHANT,
        &[
            "buy-order",
            "post",
            "--price",
            "725",
            "--currency",
            "cny",
            "--amount",
            "10",
            "--min-fill",
            "1",
            "--max-fill",
            "10",
        ],
    ));
    assert!(err.contains("ISO 4217"), "{err}");
    // Bad priority and a missing key.
    let err = failed(&e.escrow(
        TRADER,
        &[
            "account",
            "withdraw",
            "--amount",
            "1",
            "--priority",
            "urgent",
        ],
    ));
    assert!(err.contains("--priority"), "{err}");
    let err = failed(&e.cli(&[
        "evm",
        "escrow",
        "--rpc-url",
        &e.rpc,
        "--escrow",
        &e.escrow,
        "account",
        "withdraw",
        "--amount",
        "1",
    ]));
    assert!(err.contains("STABLERAIL_EVM_KEY"), "{err}");
    // A malformed key is reported without its content.
    let bad_key = e.dir.join("bad-key");
    std::fs::write(&bad_key, "zz".repeat(32)).unwrap();
    let err = failed(&e.cli(&[
        "evm",
        "escrow",
        "--rpc-url",
        &e.rpc,
        "--escrow",
        &e.escrow,
        "--key-file",
        bad_key.to_str().unwrap(),
        "account",
        "withdraw",
        "--amount",
        "1",
    ]));
    assert!(err.contains("not hex") && !err.contains("zzzz"), "{err}");

    // Multisig proposals with bad calls are refused before a file is written.
    let file = e.dir.join("bad.json");
    let file_s = file.to_str().unwrap();
    for call in [
        vec!["--call", "resolve", "1"],
        vec!["--call", "resolve", "1", "70000"],
        vec!["--call", "nosuch"],
        vec!["--call", "setArbiter", "0x12"],
    ] {
        let mut a = vec!["propose", "--to", &e.escrow, "--out", file_s];
        a.extend(call);
        failed(&e.multisig(DEPLOYER, &a));
        assert!(!file.exists());
    }
    assert_eq!(e.snapshot().await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn time_locked_multisig_schedules_then_executes() {
    let e = Env::start().await;
    let propose_sign = |name: &str, to: &str, call: &[&str]| -> PathBuf {
        let file = e.dir.join(name);
        let f = file.to_str().unwrap().to_owned();
        let mut a = vec!["propose", "--to", to, "--out", &f, "--call"];
        a.extend_from_slice(call);
        ok_json(&e.multisig(DEPLOYER, &a));
        ok_json(&e.multisig(OWNERS[1], &["sign", "--file", &f]));
        ok_json(&e.multisig(OWNERS[2], &["sign", "--file", &f]));
        file
    };
    // Turn the time lock on (executes at once: there is none yet).
    let f = propose_sign("lock.json", &e.multisig, &["setTimeLock", "600"]);
    let v = ok_json(&e.multisig(DEPLOYER, &["execute", "--file", f.to_str().unwrap()]));
    assert_eq!(v["result"], "executed");
    assert_eq!(ok_json(&e.multisig(DEPLOYER, &["show"]))["time_lock"], 600);
    // Text output (without --json) is readable lines.
    let text = stablerail()
        .args([
            "evm",
            "multisig",
            "--rpc-url",
            &e.rpc,
            "--multisig",
            &e.multisig,
            "show",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("time_lock") && l.ends_with("600")),
        "{text}"
    );

    // Now execute schedules; execute-scheduled waits for the lock.
    let f = propose_sign("block.json", &e.escrow, &["setRegionBlocked", "99", "true"]);
    let f_s = f.to_str().unwrap();
    let v = ok_json(&e.multisig(DEPLOYER, &["execute", "--file", f_s]));
    assert_eq!(v["result"], "scheduled");
    let status =
        ok_json(&e.multisig(DEPLOYER, &["show", "--file", f_s]))["proposal"]["status"].clone();
    assert!(
        status
            .as_str()
            .unwrap()
            .starts_with("scheduled; executable from"),
        "{status}"
    );
    let err = failed(&e.multisig(DEPLOYER, &["execute-scheduled", "--file", f_s]));
    assert!(err.contains("scheduled until"), "{err}");
    let escrow = Escrow::new(e.p.deployment.escrow, e.p.provider(DEPLOYER).unwrap());
    assert!(!escrow.isRegionBlocked(99).call().await.unwrap());
    e.p.warp(601).await.unwrap();
    let v = ok_json(&e.multisig(DEPLOYER, &["execute-scheduled", "--file", f_s]));
    assert_eq!(v["result"], "executed");
    assert!(escrow.isRegionBlocked(99).call().await.unwrap());
}

/// The key file helper writes what `load_signer` reads.
#[test]
fn key_files_are_hex() {
    let dir = scratch();
    let path: &Path = &dir.join("k");
    std::fs::write(path, format!("0x{}\n", "11".repeat(32))).unwrap();
    let out = stablerail()
        .args([
            "--json",
            "evm",
            "escrow",
            "--rpc-url",
            "http://127.0.0.1:1",
            "--escrow",
        ])
        .arg(Address::repeat_byte(1).to_checksum(None))
        .args(["--key-file", path.to_str().unwrap(), "account", "show"])
        .output()
        .unwrap();
    // The key parses; the unreachable node is what fails.
    let err = failed(&out);
    assert!(!err.contains("key from"), "{err}");
}

/// Protocol v2 through the CLI (docs/rules.md): the trader names a co-signer with a
/// daily allowance; an outflow beyond it is refused before anything is signed, then
/// goes through with the co-signer's approval made by `co-sign` in a separate
/// invocation; the acceptor's own limits bind the dispatcher; a sweep with nothing to
/// sweep is refused.
#[tokio::test(flavor = "multi_thread")]
async fn co_signer_acceptor_limits_and_sweep_through_the_cli() {
    let e = Env::start().await;
    e.onboard().await;
    let (trader, acceptor) = (e.p.address(TRADER), e.p.address(ACCEPTOR));
    let co_signer = e.p.address(AGENT_2);
    let co_signer_text = co_signer.to_checksum(None);
    let trader_text = trader.to_checksum(None);
    ok_json(&e.escrow(TRADER, &["account", "deposit", "--amount", "500"]));

    // A first co-signer is immediate.
    ok_json(&e.escrow(
        TRADER,
        &[
            "co-signer",
            "set",
            "--co-signer",
            &co_signer_text,
            "--allowance",
            "100",
        ],
    ));
    let v = ok_json(&e.escrow(TRADER, &["account", "show"]));
    assert_eq!(v["co_signer"], co_signer_text.as_str());
    assert_eq!(v["daily_allowance"], "100");

    // Within the allowance: the owner alone.
    ok_json(&e.escrow(TRADER, &["account", "withdraw", "--amount", "60"]));
    // Beyond it: refused by the SDK's pre-check; nothing changes.
    let before = e.snapshot().await;
    let err = failed(&e.escrow(TRADER, &["account", "withdraw", "--amount", "50"]));
    assert!(err.contains("allowance"), "{err}");
    assert_eq!(e.snapshot().await, before);

    // The co-signer approves (its own key), the owner submits.
    let v = ok_json(&e.escrow(
        AGENT_2,
        &[
            "co-signer",
            "approve",
            "--owner",
            &trader_text,
            "--action",
            "withdraw",
            "--amount",
            "50",
        ],
    ));
    let signature = field(&v, "signature");
    let deadline = v["deadline"].as_u64().unwrap().to_string();
    // A key that is not the co-signer cannot approve.
    let err = failed(&e.escrow(
        MERCHANT,
        &[
            "co-signer",
            "approve",
            "--owner",
            &trader_text,
            "--action",
            "withdraw",
            "--amount",
            "50",
        ],
    ));
    assert!(err.contains("co-signer"), "{err}");
    let v = ok_json(&e.escrow(
        TRADER,
        &[
            "account",
            "withdraw",
            "--amount",
            "50",
            "--co-signature",
            &signature,
            "--co-deadline",
            &deadline,
        ],
    ));
    assert_eq!(v["action"], "withdrawCoSigned");
    assert_eq!(e.available(trader).await, usdt(390));
    e.conserved().await;

    // Raising the allowance waits the withdrawal delay; the owner may cancel it.
    ok_json(&e.escrow(
        TRADER,
        &[
            "co-signer",
            "set",
            "--co-signer",
            &co_signer_text,
            "--allowance",
            "1000",
        ],
    ));
    let v = ok_json(&e.escrow(TRADER, &["account", "show"]));
    assert_eq!(v["daily_allowance"], "100");
    assert_eq!(v["pending_co_signer"]["daily_allowance"], "1000");
    let err = failed(&e.escrow(MERCHANT, &["co-signer", "apply", "--owner", &trader_text]));
    assert!(err.contains("takes effect at"), "{err}");
    ok_json(&e.escrow(TRADER, &["co-signer", "cancel"]));
    let err = failed(&e.escrow(TRADER, &["co-signer", "cancel"]));
    assert!(err.contains("no pending co-signer change"), "{err}");

    // Acceptor limits bind the dispatcher.
    ok_json(&e.escrow(ACCEPTOR, &["account", "deposit", "--amount", "300"]));
    ok_json(&e.escrow(
        ACCEPTOR,
        &[
            "acceptor",
            "set-limits",
            "--online",
            "true",
            "--max-per-deal",
            "100",
            "--max-locked",
            "150",
        ],
    ));
    let merchant_text = e.p.address(MERCHANT).to_checksum(None);
    let acceptor_text = acceptor.to_checksum(None);
    let collect = |amount: &'static str| {
        vec![
            "collection".to_owned(),
            "assign".to_owned(),
            "--acceptor".to_owned(),
            acceptor_text.clone(),
            "--merchant".to_owned(),
            merchant_text.clone(),
            "--amount".to_owned(),
            amount.to_owned(),
        ]
    };
    let args = collect("120");
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = failed(&e.escrow(DISPATCHER, &refs));
    assert!(err.contains("above max per deal"), "{err}");
    let args = collect("100");
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok_json(&e.escrow(DISPATCHER, &refs));
    let err = failed(&e.escrow(DISPATCHER, &refs));
    assert!(err.contains("above max locked"), "{err}");
    ok_json(&e.escrow(
        ACCEPTOR,
        &[
            "acceptor",
            "set-limits",
            "--online",
            "false",
            "--max-per-deal",
            "100",
            "--max-locked",
            "150",
        ],
    ));
    let args = collect("10");
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = failed(&e.escrow(DISPATCHER, &refs));
    assert!(err.contains("offline"), "{err}");
    e.conserved().await;

    // Nothing sent to the escrow directly: nothing to sweep.
    let err = failed(&e.escrow(DEPLOYER, &["surplus", "sweep"]));
    assert!(err.contains("nothing to sweep"), "{err}");
}

/// `stablerail evm transfer`: a wrong `--from` key, an amount above the balance, a
/// malformed address or amount are refused before anything is sent (balances
/// unchanged); a good one moves exactly the amount, from the key's account.
#[tokio::test(flavor = "multi_thread")]
async fn token_transfer_through_the_cli() {
    let env = Env::start().await;
    let p = &env.p;
    p.mint(p.address(AGENT_2), usdt(20)).await.unwrap();
    let token = p.deployment.token.to_checksum(None);
    let to = p.deployment.multisig.to_checksum(None);
    let from = p.address(AGENT_2).to_checksum(None);
    let key = env.key(AGENT_2);
    let transfer = |extra: &[&str]| {
        let mut args = vec![
            "evm",
            "transfer",
            "--rpc-url",
            &env.rpc,
            "--key-file",
            key.to_str().unwrap(),
            "--token",
            &token,
            "--to",
            &to,
        ];
        args.extend_from_slice(extra);
        env.cli(&args)
    };
    let balances = || async {
        (
            p.token_balance(p.address(AGENT_2)).await.unwrap(),
            p.token_balance(p.deployment.multisig).await.unwrap(),
        )
    };
    let before = balances().await;
    let other = p.address(AGENT).to_checksum(None);
    for (args, says) in [
        (vec!["--amount", "5", "--from", other.as_str()], "--from"),
        (vec!["--amount", "20.000001"], "holds only 20000000 units"),
        (vec!["--amount", "0"], "--amount must be above zero"),
        (vec!["--amount", "1.0000001"], "--amount"),
        (vec!["--amount", "1", "--from", "0x12"], "--from"),
    ] {
        let e = failed(&transfer(&args));
        assert!(e.contains(says), "{args:?}: {e}");
    }
    let bad_to = env.cli(&[
        "evm",
        "transfer",
        "--rpc-url",
        &env.rpc,
        "--key-file",
        key.to_str().unwrap(),
        "--token",
        &token,
        "--to",
        "0xnope",
        "--amount",
        "1",
    ]);
    assert!(failed(&bad_to).contains("--to"));
    assert_eq!(balances().await, before);

    let v = ok_json(&transfer(&["--amount", "12.5", "--from", from.as_str()]));
    assert_eq!(field(&v, "from"), from);
    assert_eq!(field(&v, "to"), to);
    assert_eq!(field(&v, "amount"), "12.5");
    let after = balances().await;
    let moved = U256::from(12_500_000u64);
    assert_eq!(before.0 - after.0, moved);
    assert_eq!(after.1 - before.1, moved);
}
