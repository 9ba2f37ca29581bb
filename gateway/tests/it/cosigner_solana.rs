//! The gateway as a Solana account's co-signer, against a Solana JSON-RPC node whose
//! state is the native runtime (`stablerail_demo::solana_node`: both programs and the
//! real SPL Token program execute every transaction). The owner names the gateway's
//! Solana key through the program (a co-signer change, pending for the delay, then
//! applied), signs in with Sign-In With Solana, enrols TOTP and asks the page for a
//! withdrawal and a release beyond its 1 USDT allowance; the transactions the
//! gateway builds and co-signs land once the owner signs them with the SDK function
//! the CLI's `co-signer send` runs. Every refusal changes nothing on chain.

use alloy::signers::local::PrivateKeySigner;
use stablerail_demo::solana_node::Runtime;
use stablerail_gateway::{Gateway, GatewayOptions};
use stablerail_sdk::solana::sdk::{Keypair, Pubkey, Signer};
use stablerail_sdk::solana::{
    self as sol, CoSignedAction, CoSignedOutflow, EscrowProgram, SolanaRpc, TransactionBuilder,
    decode_base64, pda,
};
use stablerail_sdk::{Amount, Roles};

use crate::{
    common::{Backend, TestDb, start_gateway},
    dashboard::{Page, Web, between, code, enrol, steady_totp_window, unescape},
};

const USDT: u64 = 1_000_000;
/// Escrow accounts (available, locked, outflow today), vault, liabilities, and the
/// wallets' token balances.
type State = (Vec<(u64, u64, u64)>, u64, u64, Vec<u64>);
const DELAY: i64 = 86_400;

/// The escrow deployment on the runtime (also the risk monitor's, `risk_solana`).
pub(crate) struct Sol {
    pub(crate) rt: Runtime,
    pub(crate) escrow: EscrowProgram,
    pub(crate) mint: Pubkey,
    mint_authority: Keypair,
    pub(crate) admin: Keypair,
    /// Holds the guardian role (pauses only).
    pub(crate) guardian: Keypair,
}

impl Sol {
    pub(crate) async fn deploy() -> Self {
        let rt = Runtime::start().await;
        let payer = rt.payer().await.pubkey();
        let mint_authority = Keypair::new();
        let mint = rt.create_mint(&mint_authority.pubkey()).await;
        let creator = Keypair::new();
        rt.fund(&creator.pubkey()).await;
        let admin = Keypair::new();
        rt.fund(&admin.pubkey()).await;
        let guardian = Keypair::new();
        rt.fund(&guardian.pubkey()).await;
        let escrow = EscrowProgram::for_creator(&creator.pubkey());
        let ix = escrow
            .config_initialize(
                &creator.pubkey(),
                &mint,
                &pda::TOKEN_PROGRAM_ID,
                &sol::ConfigInitializeArgs {
                    authorities: sol::Authorities {
                        admin: admin.pubkey(),
                        guardian: guardian.pubkey(),
                        arbiter: admin.pubkey(),
                        dispatcher: Keypair::new().pubkey(),
                        compliance: Keypair::new().pubkey(),
                        treasury: admin.pubkey(),
                    },
                    fees: sol::FeeScheduleArgs {
                        merchant_tiers: vec![sol::FeeTier {
                            threshold: 0,
                            bps: 100,
                        }],
                        agent_tiers: vec![sol::FeeTier {
                            threshold: 0,
                            bps: 2_000,
                        }],
                        trader_reward_bps: 1_000,
                    },
                    limits: sol::LimitsArgs {
                        min_payment_window_secs: 60,
                        max_payment_window_secs: 86_400,
                        max_deal_amount: 1_000 * USDT,
                        min_kyc_level: 0,
                        blocked_regions: vec![],
                        withdrawal_delay_secs: DELAY,
                    },
                },
            )
            .unwrap();
        rt.setup(vec![ix], &[&creator]).await;
        // The treasury's account takes the fees of a release.
        rt.setup(vec![escrow.account_open(&payer, &admin.pubkey())], &[])
            .await;
        Self {
            rt,
            escrow,
            mint,
            mint_authority,
            admin,
            guardian,
        }
    }

    /// A funded wallet with an escrow account holding `deposit` of 100 minted
    /// USDT, and its token account.
    pub(crate) async fn wallet(&self, deposit: u64) -> (Keypair, Pubkey) {
        let kp = Keypair::new();
        self.rt.fund(&kp.pubkey()).await;
        let token = self.rt.create_ata(&kp.pubkey(), &self.mint).await;
        self.rt
            .mint_to(&self.mint, &self.mint_authority, &token, 100 * USDT)
            .await;
        let payer = self.rt.payer().await.pubkey();
        self.rt
            .setup(vec![self.escrow.account_open(&payer, &kp.pubkey())], &[])
            .await;
        let ix = self
            .escrow
            .deposit(
                &kp.pubkey(),
                &token,
                &self.mint,
                &pda::TOKEN_PROGRAM_ID,
                Amount::from_units(deposit),
            )
            .unwrap();
        self.rt.setup(vec![ix], &[&kp]).await;
        (kp, token)
    }

    /// `owner` names `co_signer` with a 1 USDT daily allowance through the program;
    /// a change of co-signer waits for the delay (the clock is moved), then is
    /// applied.
    async fn name(&self, owner: &Keypair, co_signer: Pubkey) {
        let args = sol::CoSignerSetArgs {
            co_signer: Some(co_signer),
            daily_allowance: USDT,
        };
        let ix = self
            .escrow
            .co_signer_set(&owner.pubkey(), &args, None)
            .unwrap();
        self.rt.setup(vec![ix], &[owner]).await;
        if self.account(&owner.pubkey()).await.co_signer != Some(co_signer) {
            self.rt.advance_clock(DELAY + 1).await;
            let ix = self.escrow.co_signer_apply(&owner.pubkey());
            self.rt.setup(vec![ix], &[]).await;
        }
        assert_eq!(
            self.account(&owner.pubkey()).await.co_signer,
            Some(co_signer)
        );
    }

    async fn account(&self, wallet: &Pubkey) -> sol::EscrowAccount {
        self.rt.decoded(&self.escrow.account(wallet)).await.unwrap()
    }

    /// `seller` sells 3 USDT into a buy order of a new merchant, who marks it paid;
    /// returns the deal id.
    async fn paid_deal(&self, seller: &Keypair) -> u64 {
        let (merchant, _) = self.wallet(USDT).await;
        let ix = self
            .escrow
            .account_set_roles(&self.admin.pubkey(), &merchant.pubkey(), Roles::MERCHANT)
            .unwrap();
        self.rt.setup(vec![ix], &[&self.admin]).await;
        let cfg: sol::Config = self.rt.decoded(&self.escrow.config).await.unwrap();
        let order = cfg.next_order_id;
        let args = sol::BuyOrderPostArgs {
            price_minor: 725,
            currency: *b"CNY",
            amount: 10 * USDT,
            min_fill: USDT,
            max_fill: 10 * USDT,
            expiry: self.rt.now().await + 86_400,
            payment_window_secs: 1_800,
        };
        let ix = self
            .escrow
            .buy_order_post(&merchant.pubkey(), order, &args)
            .unwrap();
        self.rt.setup(vec![ix], &[&merchant]).await;
        let deal = cfg.next_deal_id;
        let ix = self
            .escrow
            .buy_order_fill(
                &seller.pubkey(),
                order,
                &merchant.pubkey(),
                None,
                deal,
                &sol::BuyOrderFillArgs {
                    amount: 3 * USDT,
                    reference: [0; 32],
                },
            )
            .unwrap();
        self.rt.setup(vec![ix], &[seller]).await;
        let ix = self.escrow.deal_mark_paid(&merchant.pubkey(), deal);
        self.rt.setup(vec![ix], &[&merchant]).await;
        deal
    }

    /// What a refusal must leave untouched: every escrow account's balances and
    /// outflow counter, the vault and the liabilities, every token account.
    async fn state(&self, wallets: &[Pubkey]) -> State {
        let mut accounts = Vec::new();
        let mut tokens = Vec::new();
        for w in wallets {
            let a = self.account(w).await;
            accounts.push((a.available, a.locked, a.outflow_today));
            let ata = pda::associated_token_account(w, &self.mint, &pda::TOKEN_PROGRAM_ID);
            tokens.push(self.rt.token_balance(&ata).await);
        }
        let cfg: sol::Config = self.rt.decoded(&self.escrow.config).await.unwrap();
        let vault = self.rt.token_balance(&self.escrow.vault()).await;
        (accounts, vault, cfg.liabilities, tokens)
    }

    /// DESIGN §3: the vault holds exactly the liabilities, which are the escrow
    /// accounts' balances; the token accounts of the mint sum to what was minted.
    async fn check_conservation(&self, wallets: &[Pubkey], minted: u64) {
        let (accounts, vault, liabilities, _) = self.state(wallets).await;
        let held: u64 = accounts.iter().map(|(a, l, _)| a + l).sum();
        assert_eq!(
            (vault, liabilities),
            (held, held),
            "vault, liabilities, accounts"
        );
        let all: u64 = self
            .rt
            .token_accounts_of(&self.mint)
            .await
            .iter()
            .map(|(_, amount)| amount)
            .sum();
        assert_eq!(all, minted);
        assert_eq!(self.rt.supply(&self.mint).await, minted);
    }
}

/// A gateway without chain watchers whose indexed chains are a dummy EVM chain
/// and the runtime's Solana chain, with `key` as its Solana co-signer (and an EVM
/// co-signer key, so that an EVM session passes the key check).
async fn gateway(sol: &Sol, db: &TestDb, key: &Keypair, dir: &std::path::Path) -> Gateway {
    let evm_key_file = dir.join("co-signer.key");
    std::fs::write(
        &evm_key_file,
        hex::encode(PrivateKeySigner::random().to_bytes()),
    )
    .unwrap();
    let key_file = dir.join("co-signer-solana.json");
    std::fs::write(
        &key_file,
        serde_json::to_string(&key.to_bytes().to_vec()).unwrap(),
    )
    .unwrap();
    let text = format!(
        r#"
database_url = "{db}?mode=rwc"
listen = "127.0.0.1:0"

[dashboard]
co_signer_key_file = "{evm_key_file}"
co_signer_solana_key_file = "{key_file}"

[webhooks]
allow_private_targets = true

[chains.anvil]
chain_id = 31337

[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["http://127.0.0.1:9"]
usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
escrow = "0x00000000000000000000000000000000000000e5"

[indexer.chains.solana]
kind = "solana"
rpc_urls = ["{rpc}"]
usdt = "{mint}"
escrow = "{config}"
"#,
        db = db.url,
        key_file = key_file.display(),
        evm_key_file = evm_key_file.display(),
        rpc = sol.rt.url,
        mint = sol.mint,
        config = sol.escrow.config,
    );
    start_gateway(
        &text,
        GatewayOptions {
            indexer: false,
            watcher: false,
            sender: false,
        },
    )
    .await
}

/// Posts the co-signer form.
async fn ask(web: &mut Web, csrf: &str, chain: &str, outflow: (&str, &str), code: &str) -> Page {
    let (action, value) = outflow;
    let field = if action == "withdraw" {
        "amount"
    } else {
        "deal"
    };
    web.post(
        "/dashboard/co-signer",
        &[
            ("csrf", csrf),
            ("chain", chain),
            ("action", action),
            (field, value),
            ("code", code),
        ],
    )
    .await
}

/// The transaction, expiry and command of a co-signed answer.
fn handed_over(p: &Page) -> (String, u64, String) {
    assert_eq!(p.status, 200, "{}", p.body);
    let tx = between(&p.body, r#"<code id="co-transaction">"#, "</code>")
        .unwrap()
        .to_owned();
    let height: u64 = between(&p.body, r#"<span id="co-expires">"#, "</span>")
        .unwrap()
        .parse()
        .unwrap();
    let cmd = unescape(between(&p.body, r#"<code id="co-command">"#, "</code>").unwrap());
    (tx, height, cmd)
}

/// What `stablerail solana escrow co-signer send --send` does with `tx`: read it
/// back, add the owner's signature, send, confirm.
async fn owner_sends(rt: &Runtime, owner: &Keypair, tx: &str) -> sol::CoSignedOutflow {
    let outflow = CoSignedOutflow::read(decode_base64(tx).unwrap()).unwrap();
    let signed = outflow.clone().sign_as_owner(owner).unwrap();
    let rpc = SolanaRpc::new(&rt.url).unwrap();
    let sig = rpc.send_transaction(&signed).await.unwrap();
    rpc.confirm(
        &sig,
        std::time::Duration::from_secs(10),
        std::time::Duration::from_millis(50),
    )
    .await
    .unwrap();
    assert_eq!(rt.processed(&sig.to_string()).await.err, None);
    outflow
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_co_signs_solana_outflows() {
    let sol = Sol::deploy().await;
    let gateway_key = Keypair::new();
    let gw_addr = gateway_key.pubkey();
    // The owner first had another co-signer: naming the gateway waits for the delay.
    let (owner, owner_token) = sol.wallet(50 * USDT).await;
    sol.name(&owner, Keypair::new().pubkey()).await;
    sol.name(&owner, gw_addr).await;
    // Another wallet whose account names another co-signer.
    let (other, _) = sol.wallet(50 * USDT).await;
    sol.name(&other, Keypair::new().pubkey()).await;
    // A third wallet that names the gateway too, but sells no deal.
    let (third, _) = sol.wallet(50 * USDT).await;
    sol.name(&third, gw_addr).await;
    let deal = sol.paid_deal(&owner).await;
    let deal_of = |id: u64| {
        let rt = sol.rt.clone();
        let key = sol.escrow.deal(id);
        async move { rt.decoded::<sol::Deal>(&key).await.unwrap() }
    };
    let buyer = deal_of(deal).await.buyer;
    let wallets = [
        owner.pubkey(),
        other.pubkey(),
        third.pubkey(),
        sol.admin.pubkey(),
        buyer,
    ];
    // Setup minted 100 USDT to each of the four wallets.
    let minted = 4 * 100 * USDT;
    sol.check_conservation(&wallets, minted).await;

    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let gw = gateway(&sol, &db, &gateway_key, dir.path()).await;

    // The page shows the gateway's Solana address and the command naming it.
    let mut web = Web::new(&gw);
    web.sign_in_solana(&owner).await;
    let p = web.get("/dashboard/co-signer").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body
            .contains(&format!(r#"<code id="co-signer-address">{gw_addr}</code>"#)),
        "{}",
        p.body
    );
    assert!(p.body.contains(r#"<option value="solana">"#), "{}", p.body);
    assert!(!p.body.contains(r#"<option value="anvil">"#), "{}", p.body);
    assert!(
        unescape(&p.body).contains(&format!(
            "stablerail solana escrow co-signer set --rpc-url {} --config {} --key-file <your key file> --co-signer {gw_addr}",
            sol.rt.url, sol.escrow.config
        )),
        "{}",
        p.body
    );
    steady_totp_window().await;
    let (secret, _) = enrol(&mut web).await;
    let csrf = web.session_csrf().await;
    let before = sol.state(&wallets).await;

    // Refusals, each leaving the chain as it was: no code, a wrong code, no CSRF,
    // an amount with 7 decimals.
    let five = ("withdraw", "5");
    assert_eq!(ask(&mut web, &csrf, "solana", five, "").await.status, 403);
    assert_eq!(
        ask(&mut web, &csrf, "solana", five, "000000").await.status,
        403
    );
    assert_eq!(
        ask(&mut web, "", "solana", five, &code(&secret, 0))
            .await
            .status,
        403
    );
    let p = ask(
        &mut web,
        &csrf,
        "solana",
        ("withdraw", "5.0000001"),
        &code(&secret, 0),
    )
    .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("at most 6 decimals"), "{}", p.body);
    assert_eq!(sol.state(&wallets).await, before);

    // The withdrawal: 5 USDT beyond the 1 USDT allowance.
    let p = ask(&mut web, &csrf, "solana", five, &code(&secret, 0)).await;
    let (tx, height, cmd) = handed_over(&p);
    assert_eq!(
        cmd,
        format!(
            "stablerail solana escrow co-signer send --rpc-url {} --key-file <your key file> --last-valid-block-height {height} --send --transaction {tx}",
            sol.rt.url
        )
    );
    assert!(height > sol.rt.block_height().await, "{height}");
    // The same code again: nothing more.
    assert_eq!(
        ask(&mut web, &csrf, "solana", five, &code(&secret, 0))
            .await
            .status,
        403
    );
    // The gateway signed its own slot only, on a transaction the owner pays.
    let read = CoSignedOutflow::read(decode_base64(&tx).unwrap()).unwrap();
    assert_eq!((read.owner, read.co_signer), (owner.pubkey(), gw_addr));
    assert_eq!(read.config, sol.escrow.config);
    assert_eq!(
        read.action,
        CoSignedAction::Withdraw {
            amount: Amount::from_units(5 * USDT),
            destination: owner_token
        }
    );
    assert_eq!(sol.state(&wallets).await, before, "nothing moved yet");

    // Without the gateway's signature the program refuses the same withdrawal
    // (beyond the allowance), and the node refuses the transaction with the
    // gateway's slot emptied.
    let rpc = SolanaRpc::new(&sol.rt.url).unwrap();
    let plain = sol
        .escrow
        .withdraw(
            &owner.pubkey(),
            &owner_token,
            &sol.mint,
            &pda::TOKEN_PROGRAM_ID,
            Amount::from_units(5 * USDT),
        )
        .unwrap();
    let latest = rpc.latest_blockhash().await.unwrap();
    let alone = TransactionBuilder::new(owner.pubkey())
        .with_instruction(plain)
        .sign(latest.blockhash, &[&owner as &dyn Signer])
        .unwrap();
    let err = rpc.send_transaction(&alone).await.unwrap_err();
    assert!(err.to_string().contains("AllowanceExceeded"), "{err}");
    let mut emptied = read.clone().sign_as_owner(&owner).unwrap();
    emptied.signatures[1] = Default::default();
    let err = rpc.send_transaction(&emptied).await.unwrap_err();
    assert!(err.to_string().contains("-32003"), "{err}");
    assert_eq!(sol.state(&wallets).await, before);

    // The owner signs and sends it: 5 USDT from the escrow to its token account.
    owner_sends(&sol.rt, &owner, &tx).await;
    let after = sol.state(&wallets).await;
    assert_eq!(after.0[0].0, before.0[0].0 - 5 * USDT, "owner's available");
    assert_eq!(after.0[0].2, before.0[0].2, "the allowance is not used");
    assert_eq!(after.1, before.1 - 5 * USDT, "vault");
    assert_eq!(after.3[0], before.3[0] + 5 * USDT, "owner's token account");
    sol.check_conservation(&wallets, minted).await;

    // Within the allowance the owner needs no co-signer.
    let within = sol
        .escrow
        .withdraw(
            &owner.pubkey(),
            &owner_token,
            &sol.mint,
            &pda::TOKEN_PROGRAM_ID,
            Amount::from_units(USDT / 2),
        )
        .unwrap();
    let latest = rpc.latest_blockhash().await.unwrap();
    let alone = TransactionBuilder::new(owner.pubkey())
        .with_instruction(within)
        .sign(latest.blockhash, &[&owner as &dyn Signer])
        .unwrap();
    let sig = rpc.send_transaction(&alone).await.unwrap();
    assert_eq!(sol.rt.processed(&sig.to_string()).await.err, None);
    assert_eq!(sol.account(&owner.pubkey()).await.outflow_today, USDT / 2);
    sol.check_conservation(&wallets, minted).await;

    // The release of a deal another wallet sells: refused, nothing moves.
    let before = sol.state(&wallets).await;
    let mut web3 = Web::new(&gw);
    web3.sign_in_solana(&third).await;
    let (secret3, _) = enrol(&mut web3).await;
    let csrf3 = web3.session_csrf().await;
    let p = ask(
        &mut web3,
        &csrf3,
        "solana",
        ("release", &deal.to_string()),
        &code(&secret3, 0),
    )
    .await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("not by you"), "{}", p.body);
    assert_eq!(sol.state(&wallets).await, before);

    // The release of the deal it sells: 3 USDT beyond the allowance (the next code).
    let p = ask(
        &mut web,
        &csrf,
        "solana",
        ("release", &deal.to_string()),
        &code(&secret, 1),
    )
    .await;
    let (tx, _, _) = handed_over(&p);
    let locked = sol.account(&owner.pubkey()).await.locked;
    let read = owner_sends(&sol.rt, &owner, &tx).await;
    assert_eq!(
        read.action,
        CoSignedAction::Release {
            deal: sol.escrow.deal(deal)
        }
    );
    // Released, the deal account is closed (its rent back to its payer).
    assert!(sol.rt.account(&sol.escrow.deal(deal)).await.is_none());
    assert_eq!(sol.account(&owner.pubkey()).await.locked, locked - 3 * USDT);
    sol.check_conservation(&wallets, minted).await;

    // An account that names another co-signer gets nothing.
    let mut web2 = Web::new(&gw);
    web2.sign_in_solana(&other).await;
    steady_totp_window().await;
    let (secret2, _) = enrol(&mut web2).await;
    let csrf2 = web2.session_csrf().await;
    let before = sol.state(&wallets).await;
    let p = ask(&mut web2, &csrf2, "solana", five, &code(&secret2, 0)).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("did not co-sign"), "{}", p.body);
    assert!(p.body.contains("not this gateway"), "{}", p.body);

    // An EVM session is not offered the Solana chain.
    let mut evm = Web::new(&gw);
    evm.sign_in_evm(&PrivateKeySigner::random()).await;
    steady_totp_window().await;
    let (secret4, _) = enrol(&mut evm).await;
    let csrf4 = evm.session_csrf().await;
    let p = ask(&mut evm, &csrf4, "solana", five, &code(&secret4, 0)).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert_eq!(sol.state(&wallets).await, before);
}
