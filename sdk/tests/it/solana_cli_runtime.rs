//! `stablerail solana ...` against a node whose state is the native runtime
//! (`stablerail_demo::solana_node`): the escrow and multisig programs and the real SPL
//! Token program execute every transaction the CLI sends.
//!
//! The deployment (USDT mint, the 2-of-3 multisig made by `multisig_create`,
//! the escrow config, the parties' escrow and token accounts) is set up with the
//! SDK's builders; everything after that goes through the CLI with `--send`:
//! the roles and the merchant's agent by multisig proposals (propose, two
//! approvals, execute), both deposits, the buy order, the fill, mark-paid, a
//! release by the wrong party (refused with the program's error name), the
//! release and the withdrawals. Balances are then read from the runtime:
//! conservation (DESIGN §3) and the fee split of the SDK's reference math.

use std::path::PathBuf;

use serde_json::Value;
use stablerail_sdk::solana::sdk::{Keypair, Pubkey, Signer};
use stablerail_sdk::solana::{
    self as sol, DEFAULT_COMPUTE_UNIT_LIMIT, EscrowProgram, MultisigProgram, pda,
};
use stablerail_sdk::{Amount, DealKind, FeeSchedule, Roles, Tier};

use crate::solana_cli::key_file;
use crate::solana_runtime::Runtime;
use crate::support::{failed, ok_json, stablerail};

/// One tier each: a 1 % merchant fee, 20 % of it to the agent, 10 % to the trader.
fn fees() -> sol::FeeScheduleArgs {
    sol::FeeScheduleArgs {
        merchant_tiers: vec![sol::FeeTier {
            threshold: 0,
            bps: 100,
        }],
        agent_tiers: vec![sol::FeeTier {
            threshold: 0,
            bps: 2_000,
        }],
        trader_reward_bps: 1_000,
    }
}

/// A party: its key, key file, and USDT token account (associated).
struct Party {
    kp: Keypair,
    file: PathBuf,
    token: Pubkey,
}

impl Party {
    fn key(&self) -> Pubkey {
        self.kp.pubkey()
    }

    fn path(&self) -> &str {
        self.file.to_str().unwrap()
    }
}

/// The deployment on the runtime, as a platform runs it: the multisig's vault
/// is admin, arbiter and treasury.
struct Deployment {
    rt: Runtime,
    escrow: EscrowProgram,
    multisig: MultisigProgram,
    owners: Vec<Party>,
    merchant: Party,
    trader: Party,
    agent: Party,
    mint: Pubkey,
    /// USDT minted in setup: the supply every check expects.
    minted: u64,
}

const MERCHANT_TOKENS: u64 = 50_000_000;
const TRADER_TOKENS: u64 = 200_000_000;

async fn party(rt: &Runtime, mint: &Pubkey) -> Party {
    let kp = Keypair::new();
    rt.fund(&kp.pubkey()).await;
    let (file, _) = key_file(&kp);
    let token = rt.create_ata(&kp.pubkey(), mint).await;
    Party { kp, file, token }
}

async fn deploy() -> Deployment {
    let rt = Runtime::start().await;
    let payer = rt.payer().await.pubkey();
    let mint_authority = Keypair::new();
    let mint = rt.create_mint(&mint_authority.pubkey()).await;

    // The multisig, created by the program itself: 3 owners, threshold 2.
    let mut owners = Vec::new();
    for _ in 0..3 {
        owners.push(party(&rt, &mint).await);
    }
    let create_key = Keypair::new();
    let multisig = MultisigProgram::for_create_key(&create_key.pubkey());
    let owner_keys: Vec<Pubkey> = owners.iter().map(Party::key).collect();
    let ix = multisig
        .multisig_create(&create_key.pubkey(), &payer, &owner_keys, 2, 0)
        .unwrap();
    rt.setup(vec![ix], &[&create_key]).await;

    let creator = Keypair::new();
    rt.fund(&creator.pubkey()).await;
    let escrow = EscrowProgram::for_creator(&creator.pubkey());
    let vault = multisig.vault();
    let ix = escrow
        .config_initialize(
            &creator.pubkey(),
            &mint,
            &pda::TOKEN_PROGRAM_ID,
            &sol::ConfigInitializeArgs {
                authorities: sol::Authorities {
                    admin: vault,
                    guardian: Keypair::new().pubkey(),
                    arbiter: vault,
                    dispatcher: Keypair::new().pubkey(),
                    compliance: Keypair::new().pubkey(),
                    treasury: vault,
                },
                fees: fees(),
                limits: sol::LimitsArgs {
                    min_payment_window_secs: 60,
                    max_payment_window_secs: 86_400,
                    max_deal_amount: 1_000_000_000,
                    min_kyc_level: 0,
                    blocked_regions: vec![],
                    withdrawal_delay_secs: 86_400,
                },
            },
        )
        .unwrap();
    rt.setup(vec![ix], &[&creator]).await;

    let merchant = party(&rt, &mint).await;
    let trader = party(&rt, &mint).await;
    let agent = party(&rt, &mint).await;
    for wallet in [vault, merchant.key(), trader.key(), agent.key()] {
        rt.setup(vec![escrow.account_open(&payer, &wallet)], &[])
            .await;
    }
    rt.mint_to(&mint, &mint_authority, &merchant.token, MERCHANT_TOKENS)
        .await;
    rt.mint_to(&mint, &mint_authority, &trader.token, TRADER_TOKENS)
        .await;
    Deployment {
        rt,
        escrow,
        multisig,
        owners,
        merchant,
        trader,
        agent,
        mint,
        minted: MERCHANT_TOKENS + TRADER_TOKENS,
    }
}

/// Every balance the trade moves: the parties' token accounts, the vault, and
/// each escrow account (available, locked).
#[derive(Debug, PartialEq, Eq)]
struct Balances {
    tokens: Vec<u64>,
    vault: u64,
    accounts: Vec<(u64, u64)>,
}

impl Deployment {
    fn wallets(&self) -> [Pubkey; 4] {
        [
            self.merchant.key(),
            self.trader.key(),
            self.agent.key(),
            self.multisig.vault(),
        ]
    }

    async fn escrow_account(&self, wallet: &Pubkey) -> sol::EscrowAccount {
        self.rt
            .decoded(&self.escrow.account(wallet))
            .await
            .expect("escrow account")
    }

    async fn balances(&self) -> Balances {
        let mut tokens = Vec::new();
        for p in [&self.merchant, &self.trader, &self.agent] {
            tokens.push(self.rt.token_balance(&p.token).await);
        }
        let mut accounts = Vec::new();
        for w in self.wallets() {
            let a = self.escrow_account(&w).await;
            accounts.push((a.available, a.locked));
        }
        Balances {
            tokens,
            vault: self.rt.token_balance(&self.escrow.vault()).await,
            accounts,
        }
    }

    /// DESIGN §3: the token accounts of the mint sum to the supply, which is
    /// what setup minted (nothing created or lost), and the vault holds exactly
    /// the config's liabilities, which are the escrow accounts' balances.
    async fn check_conservation(&self) {
        let supply = self.rt.supply(&self.mint).await;
        assert_eq!(supply, self.minted, "the mint's supply changed");
        let all = self.rt.token_accounts_of(&self.mint).await;
        // The parties' three accounts each, the owners' and the vault.
        assert_eq!(all.len(), 3 + self.owners.len() + 1, "{all:?}");
        let sum: u64 = all.iter().map(|(_, amount)| amount).sum();
        assert_eq!(sum, supply, "token accounts of the mint: {all:?}");
        let vault = self.rt.token_balance(&self.escrow.vault()).await;
        let config: sol::Config = self.rt.decoded(&self.escrow.config).await.unwrap();
        let mut held = 0u64;
        for w in self.wallets() {
            let a = self.escrow_account(&w).await;
            held += a.available + a.locked;
        }
        assert_eq!(
            (vault, config.liabilities),
            (held, held),
            "vault, liabilities, accounts"
        );
    }
}

/// Runs the CLI with `--send` and the node's URL, then checks in the runtime
/// that the transaction it reports landed without error, with the compute-unit
/// limit it printed, and within it.
struct Cli<'a> {
    d: &'a Deployment,
    /// Fee flags every call takes (empty: the CLI's defaults).
    fee_flags: Vec<String>,
    /// Compute units and limit of every transaction sent, by action.
    spent: Vec<(String, u64, u32)>,
}

impl Cli<'_> {
    fn args(&self, signer: &Party, command: &[&str], tail: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = ["--json", "solana"]
            .iter()
            .chain(command)
            .map(|s| (*s).to_owned())
            .collect();
        args.extend(
            [
                "--rpc-url",
                &self.d.rt.url,
                "--key-file",
                signer.path(),
                "--send",
            ]
            .iter()
            .map(|s| (*s).to_owned()),
        );
        args.extend(self.fee_flags.iter().cloned());
        args.extend(tail.iter().map(|s| (*s).to_owned()));
        args
    }

    fn output(&self, signer: &Party, command: &[&str], tail: &[&str]) -> std::process::Output {
        let args = self.args(signer, command, tail);
        stablerail().args(&args).output().unwrap()
    }

    /// An escrow command (`--config` appended).
    async fn escrow(&mut self, signer: &Party, command: &[&str]) -> Value {
        let config = self.d.escrow.config.to_string();
        let mut full = vec!["escrow"];
        full.extend_from_slice(command);
        full.extend_from_slice(&["--config", &config]);
        let out = self.output(signer, &full, &[]);
        self.landed(ok_json(&out)).await
    }

    /// A multisig command (`--multisig` given); `action` follows the common flags.
    async fn multisig(&mut self, signer: &Party, command: &[&str], action: &[&str]) -> Value {
        let ms = self.d.multisig.multisig.to_string();
        let mut full = vec!["multisig"];
        full.extend_from_slice(command);
        full.extend_from_slice(&["--multisig", &ms]);
        let out = self.output(signer, &full, action);
        self.landed(ok_json(&out)).await
    }

    async fn landed(&mut self, v: Value) -> Value {
        assert_eq!(v["sent"], true, "{v}");
        assert_eq!(v["confirmation_status"], "confirmed", "{v}");
        let p = self.d.rt.processed(v["signature"].as_str().unwrap()).await;
        assert_eq!(p.err, None, "{v}");
        assert_eq!(Some(p.slot), v["slot"].as_u64());
        let limit = u32::try_from(v["compute_unit_limit"].as_u64().unwrap()).unwrap();
        assert_eq!(p.unit_limit, Some(limit), "the limit the CLI printed");
        assert_eq!(Some(p.unit_price), v["compute_unit_price"].as_u64());
        assert!(p.units <= u64::from(limit), "{} > {limit}", p.units);
        self.spent
            .push((v["action"].as_str().unwrap().to_owned(), p.units, limit));
        v
    }

    /// One admin action through the multisig: owner 0 proposes, owners 0 and 1
    /// approve, owner 2 executes; the proposal ends Executed.
    async fn through_multisig(&mut self, action: &[&str]) {
        let d = self.d;
        let v = self.multisig(&d.owners[0], &["propose"], action).await;
        assert_eq!(v["action"], "proposal_create");
        let index = v["details"]["proposal"].as_u64().unwrap();
        let i = index.to_string();
        for owner in &d.owners[..2] {
            let v = self
                .multisig(owner, &["approve", "--proposal", &i], &[])
                .await;
            assert_eq!(v["action"], "proposal_approve");
        }
        let v = self
            .multisig(&d.owners[2], &["execute", "--proposal", &i], &[])
            .await;
        assert_eq!(v["action"], "proposal_execute");
        let proposal: sol::Proposal = d.rt.decoded(&d.multisig.proposal(index)).await.unwrap();
        assert!(
            matches!(proposal.status, sol::ProposalStatus::Executed { .. }),
            "{:?}",
            proposal.status
        );
    }
}

/// The whole trade through the CLI, every transaction checked in the runtime;
/// returns what each transaction spent and the JSON-RPC methods called.
async fn trade_through_the_cli(fee_flags: &[&str]) -> (Vec<(String, u64, u32)>, Vec<String>) {
    let d = deploy().await;
    d.check_conservation().await;
    let mut cli = Cli {
        d: &d,
        fee_flags: fee_flags.iter().map(|s| (*s).to_owned()).collect(),
        spent: Vec::new(),
    };
    let config = d.escrow.config.to_string();
    let (merchant, agent) = (d.merchant.key().to_string(), d.agent.key().to_string());

    // Roles and the merchant's agent, each by a multisig proposal.
    for (wallet, roles) in [(&merchant, "merchant"), (&agent, "agent")] {
        cli.through_multisig(&[
            "set-roles",
            "--escrow-config",
            &config,
            "--wallet",
            wallet,
            "--roles",
            roles,
        ])
        .await;
    }
    cli.through_multisig(&[
        "set-agent",
        "--escrow-config",
        &config,
        "--merchant",
        &merchant,
        "--agent",
        &agent,
    ])
    .await;
    let m = d.escrow_account(&d.merchant.key()).await;
    assert_eq!((m.roles, m.agent), (Roles::MERCHANT, Some(d.agent.key())));
    assert_eq!(d.escrow_account(&d.agent.key()).await.roles, Roles::AGENT);

    // Deposits from the parties' associated token accounts.
    cli.escrow(&d.trader, &["account", "deposit", "--amount", "100"])
        .await;
    cli.escrow(&d.merchant, &["account", "deposit", "--amount", "5"])
        .await;
    d.check_conservation().await;

    // The merchant's buy order, the trader's fill, the merchant's payment.
    let v = cli
        .escrow(
            &d.merchant,
            &[
                "buy-order",
                "post",
                "--amount",
                "50",
                "--price-minor",
                "725",
                "--currency",
                "CNY",
            ],
        )
        .await;
    let order = v["details"]["order"].as_u64().unwrap();
    let v = cli
        .escrow(
            &d.trader,
            &[
                "buy-order",
                "fill",
                "--order",
                &order.to_string(),
                "--amount",
                "40",
                "--reference",
                &"ab".repeat(32),
            ],
        )
        .await;
    let deal_id = v["details"]["deal"].as_u64().unwrap();
    let deal: sol::Deal = d.rt.decoded(&d.escrow.deal(deal_id)).await.unwrap();
    assert_eq!(
        (deal.kind, deal.seller, deal.buyer, deal.amount),
        (
            DealKind::Trade,
            d.trader.key(),
            d.merchant.key(),
            40_000_000
        )
    );
    assert_eq!(deal.agent, Some(d.agent.key()));
    let deal_arg = deal_id.to_string();
    cli.escrow(&d.merchant, &["deal", "mark-paid", "--deal", &deal_arg])
        .await;
    d.check_conservation().await;

    // The merchant may not release: the program refuses, nothing moves.
    let before = d.balances().await;
    let sent_before = d.rt.methods().await;
    let out = cli.output(
        &d.merchant,
        &["escrow", "deal", "release", "--config", &config],
        &["--deal", &deal_arg],
    );
    let err = failed(&out);
    assert!(
        err.contains("Transaction simulation failed") && err.contains("NotDealSeller"),
        "{err}"
    );
    assert_eq!(d.balances().await, before);
    let called: Vec<String> = d.rt.methods().await[sent_before.len()..].to_vec();
    assert_eq!(called.last().map(String::as_str), Some("sendTransaction"));
    assert!(!called.contains(&"getSignatureStatuses".to_owned()));

    // The trader releases: the fee split of the SDK's reference math.
    let volumes = (
        d.escrow_account(&d.merchant.key()).await.merchant_volume,
        d.escrow_account(&d.agent.key()).await.agent_volume,
    );
    cli.escrow(&d.trader, &["deal", "release", "--deal", &deal_arg])
        .await;
    let after = d.balances().await;
    let schedule =
        FeeSchedule::new(vec![Tier::new(0, 100)], vec![Tier::new(0, 2_000)], 1_000).unwrap();
    let split = schedule.settle(
        DealKind::Trade,
        Amount::from_units(40_000_000),
        Amount::from_units(volumes.0),
        Some(Amount::from_units(volumes.1)),
    );
    let gained = |i: usize| after.accounts[i].0 - before.accounts[i].0;
    assert_eq!(gained(0), split.buyer_net.units(), "merchant");
    assert_eq!(
        (after.accounts[1].1, before.accounts[1].1),
        (0, 40_000_000),
        "trader's lock"
    );
    assert_eq!(gained(1), split.reward.units(), "trader's reward");
    assert_eq!(gained(2), split.agent_cut.units(), "agent");
    assert_eq!(gained(3), split.platform.units(), "treasury (vault)");
    assert_eq!(
        split.buyer_net.units()
            + split.agent_cut.units()
            + split.reward.units()
            + split.platform.units(),
        40_000_000
    );
    assert!(split.agent_cut.units() > 0 && split.reward.units() > 0 && split.platform.units() > 0);
    assert!(
        d.rt.decoded::<sol::Deal>(&d.escrow.deal(deal_id))
            .await
            .is_none()
    );
    let o: sol::BuyOrder = d.rt.decoded(&d.escrow.buy_order(order)).await.unwrap();
    assert_eq!(o.remaining, 10_000_000);
    let m = d.escrow_account(&d.merchant.key()).await;
    assert_eq!(m.merchant_volume, 40_000_000);
    assert_eq!(
        d.escrow_account(&d.agent.key()).await.agent_volume,
        40_000_000
    );
    d.check_conservation().await;

    // Both withdraw what they have, to their associated token accounts.
    for p in [&d.merchant, &d.trader] {
        let available = d.escrow_account(&p.key()).await.available;
        let amount = Amount::from_units(available).to_string();
        let before = d.rt.token_balance(&p.token).await;
        let v = cli
            .escrow(p, &["account", "withdraw", "--amount", &amount])
            .await;
        assert_eq!(v["details"]["token_account"], p.token.to_string());
        assert_eq!(d.rt.token_balance(&p.token).await, before + available);
        assert_eq!(d.escrow_account(&p.key()).await.available, 0);
    }
    d.check_conservation().await;
    // Merchant: its 50 minus the fee on 40; trader: its 200 plus its reward.
    let fee = split.fee.units();
    assert_eq!(
        d.rt.token_balance(&d.merchant.token).await,
        MERCHANT_TOKENS + 40_000_000 - fee
    );
    assert_eq!(
        d.rt.token_balance(&d.trader.token).await,
        TRADER_TOKENS - 40_000_000 + split.reward.units()
    );
    (cli.spent, d.rt.methods().await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trade_through_the_cli_runs_in_the_runtime() {
    let (spent, methods) = trade_through_the_cli(&[
        "--compute-unit-limit",
        "400000",
        "--compute-unit-price",
        "7",
    ])
    .await;
    assert_eq!(spent.len(), 12 + 8);
    assert!(spent.iter().all(|(_, _, limit)| *limit == 400_000));
    // A fixed price: no fee samples asked for.
    assert!(!methods.contains(&"getRecentPrioritizationFees".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trade_fits_the_default_compute_unit_limit() {
    let (spent, methods) = trade_through_the_cli(&[]).await;
    assert_eq!(spent.len(), 12 + 8);
    // The default price comes from the node's recent prioritization fees.
    let samples = methods
        .iter()
        .filter(|m| *m == "getRecentPrioritizationFees")
        .count();
    assert_eq!(
        samples,
        spent.len() + 1,
        "one per transaction, the refused one too"
    );
    assert!(
        spent
            .iter()
            .all(|(_, _, limit)| *limit == DEFAULT_COMPUTE_UNIT_LIMIT)
    );
    for (action, units, limit) in &spent {
        eprintln!("{action:<20} {units:>7} of {limit} compute units (native: SPL Token metered)");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_holds_the_cli_to_its_compute_unit_limit() {
    let d = deploy().await;
    let mut cli = Cli {
        d: &d,
        fee_flags: vec!["--compute-unit-limit".into(), "5000".into()],
        spent: Vec::new(),
    };
    let config = d.escrow.config.to_string();
    // A deposit's token transfer alone needs more than 5000 units: the
    // preflight fails, nothing moves.
    let before = d.balances().await;
    let out = cli.output(
        &d.trader,
        &["escrow", "account", "deposit", "--config", &config],
        &["--amount", "1"],
    );
    let err = failed(&out);
    assert!(err.contains("Transaction simulation failed"), "{err}");
    // Natively the escrow's failed CPI surfaces as `ProgramFailedToComplete`;
    // the preflight's logs name the meter.
    let refused = d.rt.refused().await;
    let data = &refused.last().unwrap()["data"];
    assert_eq!(data["unitsConsumed"], 5_000, "{data}");
    assert!(
        data["logs"].as_array().unwrap().iter().any(|l| l
            .as_str()
            .unwrap()
            .ends_with("failed: exceeded CUs meter at BPF instruction")),
        "{data}"
    );
    assert_eq!(d.balances().await, before);
    // The same deposit with the default limit lands.
    cli.fee_flags = vec!["--compute-unit-limit".into(), "200000".into()];
    cli.escrow(&d.trader, &["account", "deposit", "--amount", "1"])
        .await;
    assert_eq!(d.escrow_account(&d.trader.key()).await.available, 1_000_000);
    d.check_conservation().await;
}

/// `co-signer send`: the owner's half of a withdrawal its co-signer built and
/// signed alone (as the gateway's co-signer page does). Refused for another key,
/// for a transaction that is not a co-signed outflow, and once expired; printed
/// without `--send`, nothing moving; sent with it, 5 USDT beyond the 1 USDT
/// allowance land in the owner's token account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_sends_what_its_co_signer_signed() {
    use stablerail_sdk::solana::{SolanaRpc, TransactionBuilder, encode_base64};

    let d = deploy().await;
    let trader = &d.trader;
    let ix = d
        .escrow
        .deposit(
            &trader.key(),
            &trader.token,
            &d.mint,
            &pda::TOKEN_PROGRAM_ID,
            Amount::from_units(50_000_000),
        )
        .unwrap();
    d.rt.setup(vec![ix], &[&trader.kp]).await;
    let co = Keypair::new();
    let args = sol::CoSignerSetArgs {
        co_signer: Some(co.pubkey()),
        daily_allowance: 1_000_000,
    };
    let ix = d.escrow.co_signer_set(&trader.key(), &args, None).unwrap();
    d.rt.setup(vec![ix], &[&trader.kp]).await;

    let rpc = SolanaRpc::new(&d.rt.url).unwrap();
    let latest = rpc.latest_blockhash().await.unwrap();
    let co_signed = |ix| {
        TransactionBuilder::new(trader.key())
            .with_compute_unit_limit(DEFAULT_COMPUTE_UNIT_LIMIT)
            .with_instruction(ix)
            .partial_sign(latest.blockhash, &[&co as &dyn Signer])
            .unwrap()
    };
    let five = Amount::from_units(5_000_000);
    let withdraw = d
        .escrow
        .withdraw_cosigned(
            &trader.key(),
            &trader.token,
            &d.mint,
            &pda::TOKEN_PROGRAM_ID,
            five,
            &co.pubkey(),
        )
        .unwrap();
    let b64 = encode_base64(&co_signed(withdraw)).unwrap();
    let send = |tx: &str, key: &Party, extra: &[&str]| {
        let mut args = vec![
            "--json",
            "solana",
            "escrow",
            "co-signer",
            "send",
            "--rpc-url",
            &d.rt.url,
            "--key-file",
            key.path(),
            "--transaction",
            tx,
        ];
        args.extend_from_slice(extra);
        stablerail().args(&args).output().unwrap()
    };
    let before = d.balances().await;

    let e = failed(&send(&b64, &d.merchant, &["--send"]));
    assert!(e.contains("not the transaction's owner"), "{e}");
    // A deposit is no co-signed outflow, even signed by the co-signer alone.
    let deposit = d
        .escrow
        .deposit(
            &trader.key(),
            &trader.token,
            &d.mint,
            &pda::TOKEN_PROGRAM_ID,
            five,
        )
        .unwrap();
    let not_outflow = TransactionBuilder::new(trader.key())
        .with_instruction(deposit)
        .build(latest.blockhash)
        .unwrap();
    let e = failed(&send(
        &encode_base64(&not_outflow).unwrap(),
        trader,
        &["--send"],
    ));
    assert!(e.contains("not a co-signed escrow outflow"), "{e}");
    let e = failed(&send(
        &b64,
        trader,
        &["--send", "--last-valid-block-height", "0"],
    ));
    assert!(e.contains("expired at block height 0"), "{e}");
    // Printed, not sent.
    let v = ok_json(&send(&b64, trader, &[]));
    assert_eq!(v["sent"], false, "{v}");
    assert_eq!(v["action"], "withdraw", "{v}");
    assert_eq!(v["amount"], serde_json::to_value(five).unwrap(), "{v}");
    assert_eq!(v["co_signer"], co.pubkey().to_string(), "{v}");
    assert_eq!(v["destination"], trader.token.to_string(), "{v}");
    assert_eq!(
        d.balances().await,
        before,
        "a refusal or a print moves nothing"
    );

    let height = latest.last_valid_block_height.to_string();
    let v = ok_json(&send(
        &b64,
        trader,
        &["--send", "--last-valid-block-height", &height],
    ));
    assert_eq!(v["sent"], true, "{v}");
    let p = d.rt.processed(v["signature"].as_str().unwrap()).await;
    assert_eq!(p.err, None);
    let after = d.balances().await;
    assert_eq!(after.tokens[1], before.tokens[1] + 5_000_000);
    assert_eq!(after.vault, before.vault - 5_000_000);
    d.check_conservation().await;
}
