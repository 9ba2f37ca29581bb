//! `stablerail solana escrow`: deposit, withdraw, buy orders, deal actions,
//! and the protocol v2 calls: co-signer and daily allowance (co-signed
//! withdraw and release), acceptor limits, sweep of the vault's surplus.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::json;
use stablerail_sdk::solana::sdk::{Keypair, Pubkey, Signer};
use stablerail_sdk::solana::{
    self as sol, EscrowProgram, SolanaRpc, parse_currency, parse_reference, pda,
};

use super::{TxArgs, amount, finish, pubkey};
use crate::keys;
use crate::output::Output;

/// `stablerail solana escrow` subcommands: noun, then verb, as the program names
/// its instructions (and as `evm escrow` and `tron escrow` do).
#[derive(Debug, Subcommand)]
pub(crate) enum EscrowCommand {
    /// The signer's escrow account: deposit, withdraw.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Merchant buy orders: post, fill (trader).
    #[command(subcommand)]
    BuyOrder(BuyOrderCmd),
    /// Deals: mark-paid, release, cancel, dispute.
    #[command(subcommand)]
    Deal(DealCmd),
    /// The co-signer and daily outflow allowance: set, apply, cancel.
    #[command(subcommand)]
    CoSigner(CoSignerCmd),
    /// Acceptor: its online flag and own limits.
    #[command(subcommand)]
    Acceptor(AcceptorCmd),
    /// Admin: the vault's surplus over the liabilities.
    #[command(subcommand)]
    Surplus(SurplusCmd),
}

#[derive(Debug, Subcommand)]
pub(crate) enum AccountCmd {
    /// Deposit USDT from the signer's token account into its escrow balance.
    Deposit(AmountArgs),
    /// Withdraw available USDT to a token account of the withdrawal address.
    Withdraw(AmountArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum BuyOrderCmd {
    /// Merchant: post a buy order.
    Post(BuyOrderPostArgs),
    /// Trader: sell into a buy order (opens a Trade deal).
    Fill(BuyOrderFillArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum DealCmd {
    /// Buyer: mark the fiat of a deal paid.
    MarkPaid(DealArgs),
    /// Seller: release a deal (settles with the fee split).
    Release(DealArgs),
    /// Buyer any time, seller after the deadline: cancel a deal.
    Cancel(DealArgs),
    /// Buyer or seller: dispute a paid deal.
    Dispute(DealArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum CoSignerCmd {
    /// Owner: name a co-signer and a daily outflow allowance (or remove it).
    Set(CoSignerSetArgs),
    /// Anyone: apply a pending co-signer change after the withdrawal delay.
    Apply(CoSignerApplyArgs),
    /// Owner: cancel a pending co-signer change.
    Cancel(EscrowArgs),
    /// Owner: sign (and with --send, send) an outflow its co-signer built and
    /// signed, e.g. the gateway's; anything else is refused.
    Send(super::co_signed::CoSignedSendArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum AcceptorCmd {
    /// Set the online flag and the limits the dispatcher must respect.
    SetLimits(AcceptorLimitsArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum SurplusCmd {
    /// Credit the vault's surplus over the liabilities to the treasury.
    Sweep(EscrowArgs),
}

/// The co-signer approving an outflow or a co-signer change.
#[derive(Debug, Args)]
pub(crate) struct CoSignArgs {
    /// Keypair file of the account's co-signer, signing too (an outflow beyond
    /// today's allowance; an immediate co-signer change).
    #[arg(long)]
    co_signer_key_file: Option<std::path::PathBuf>,
}

impl CoSignArgs {
    /// The co-signer's key, refused for an action that takes none and when it
    /// is the signer itself.
    fn load(
        &self,
        action: &str,
        allowed: bool,
        signer: &Pubkey,
    ) -> anyhow::Result<Option<Keypair>> {
        let Some(path) = &self.co_signer_key_file else {
            return Ok(None);
        };
        if !allowed {
            anyhow::bail!(
                "--co-signer-key-file: {action} is not an outflow; only withdraw and release take a co-signer"
            );
        }
        let key = keys::load_solana(Some(path)).context("--co-signer-key-file")?;
        if key.pubkey() == *signer {
            anyhow::bail!(
                "--co-signer-key-file: the co-signer must be another key than the signer"
            );
        }
        Ok(Some(key))
    }
}

/// Arguments of `co-signer set`.
#[derive(Debug, Args)]
pub(crate) struct CoSignerSetArgs {
    #[command(flatten)]
    escrow: EscrowArgs,
    /// The new co-signer's address (base58); with --remove, none.
    #[arg(long, required_unless_present = "remove", conflicts_with = "remove")]
    co_signer: Option<String>,
    /// Remove the co-signer (outflows unlimited again).
    #[arg(long)]
    remove: bool,
    /// USDT the owner alone may move out per UTC day, decimal (0 allowed).
    #[arg(long, default_value = "0")]
    daily_allowance: String,
    #[command(flatten)]
    approval: CoSignArgs,
}

/// Arguments of `co-signer apply`.
#[derive(Debug, Args)]
pub(crate) struct CoSignerApplyArgs {
    #[command(flatten)]
    escrow: EscrowArgs,
    /// The account's wallet (default: the signer).
    #[arg(long)]
    wallet: Option<String>,
}

/// Arguments of `acceptor set-limits`.
#[derive(Debug, Args)]
pub(crate) struct AcceptorLimitsArgs {
    #[command(flatten)]
    escrow: EscrowArgs,
    /// Go offline: the dispatcher can assign nothing.
    #[arg(long)]
    offline: bool,
    /// Largest deal the dispatcher may assign, decimal USDT.
    #[arg(long, required_unless_present = "offline")]
    max_per_deal: Option<String>,
    /// Largest total the acceptor's collections may keep locked, decimal USDT.
    #[arg(long, required_unless_present = "offline")]
    max_locked: Option<String>,
}

/// The escrow deployment.
#[derive(Debug, Args)]
pub(crate) struct EscrowArgs {
    /// The escrow config address (base58).
    #[arg(long)]
    config: String,
    #[command(flatten)]
    tx: TxArgs,
}

/// Arguments of `account deposit` and `account withdraw`.
#[derive(Debug, Args)]
pub(crate) struct AmountArgs {
    #[command(flatten)]
    escrow: EscrowArgs,
    /// Amount of USDT, decimal (at most 6 decimals).
    #[arg(long)]
    amount: String,
    /// The token account to move from (deposit) or to (withdraw); default: the
    /// associated token account of the signer (deposit) or of the withdrawal address.
    #[arg(long)]
    token_account: Option<String>,
    #[command(flatten)]
    co_sign: CoSignArgs,
}

/// Arguments of `buy-order post`.
#[derive(Debug, Args)]
pub(crate) struct BuyOrderPostArgs {
    #[command(flatten)]
    escrow: EscrowArgs,
    /// Total USDT to buy, decimal.
    #[arg(long)]
    amount: String,
    /// Fiat price of one USDT in the currency's minor units (7.25 CNY = 725).
    #[arg(long)]
    price_minor: u64,
    /// ISO 4217 currency code, e.g. CNY.
    #[arg(long)]
    currency: String,
    /// Smallest fill, decimal (default: 1 USDT or the amount if smaller).
    #[arg(long)]
    min_fill: Option<String>,
    /// Largest fill, decimal (default: the amount).
    #[arg(long)]
    max_fill: Option<String>,
    /// Seconds until the order expires.
    #[arg(long, default_value_t = 86_400)]
    expires_in_secs: u32,
    /// Payment window of the deals it opens, seconds.
    #[arg(long, default_value_t = 1_800)]
    window_secs: u32,
}

/// Arguments of `buy-order fill`.
#[derive(Debug, Args)]
pub(crate) struct BuyOrderFillArgs {
    #[command(flatten)]
    escrow: EscrowArgs,
    /// The buy order id.
    #[arg(long)]
    order: u64,
    /// USDT to sell, decimal.
    #[arg(long)]
    amount: String,
    /// 32-byte reference of the off-chain order, 64 hex digits (default zeros).
    #[arg(long)]
    reference: Option<String>,
}

/// Arguments of the deal actions.
#[derive(Debug, Args)]
pub(crate) struct DealArgs {
    #[command(flatten)]
    escrow: EscrowArgs,
    /// The deal id.
    #[arg(long)]
    deal: u64,
    #[command(flatten)]
    co_sign: CoSignArgs,
}

/// Runs a `stablerail solana escrow` subcommand.
pub(crate) async fn run(out: &Output, cmd: EscrowCommand) -> anyhow::Result<()> {
    use EscrowCommand as C;
    match cmd {
        C::Account(AccountCmd::Deposit(a)) => funds(out, &a, true).await,
        C::Account(AccountCmd::Withdraw(a)) => funds(out, &a, false).await,
        C::BuyOrder(BuyOrderCmd::Post(a)) => buy_order_post(out, &a).await,
        C::BuyOrder(BuyOrderCmd::Fill(a)) => buy_order_fill(out, &a).await,
        C::Deal(DealCmd::MarkPaid(a)) => deal_action(out, &a, "deal_mark_paid").await,
        C::Deal(DealCmd::Release(a)) => deal_action(out, &a, "deal_release").await,
        C::Deal(DealCmd::Cancel(a)) => deal_action(out, &a, "deal_cancel").await,
        C::Deal(DealCmd::Dispute(a)) => deal_action(out, &a, "deal_dispute").await,
        C::CoSigner(CoSignerCmd::Set(a)) => co_signer_set(out, &a).await,
        C::CoSigner(CoSignerCmd::Apply(a)) => co_signer_apply(out, &a).await,
        C::CoSigner(CoSignerCmd::Cancel(a)) => co_signer_cancel(out, &a).await,
        C::CoSigner(CoSignerCmd::Send(a)) => super::co_signed::send(out, &a).await,
        C::Acceptor(AcceptorCmd::SetLimits(a)) => acceptor_limits(out, &a).await,
        C::Surplus(SurplusCmd::Sweep(a)) => sweep_surplus(out, &a).await,
    }
}

/// Unix time of this machine (the chain's clock is close enough for a pre-check).
fn unix_now() -> anyhow::Result<i64> {
    Ok(i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?)
}

/// The pre-check of an outflow (`docs/rules.md`, co-signer and daily
/// allowance): a co-signer key must be the account's co-signer; without one,
/// the amount must fit what is left of today's allowance.
fn check_outflow(
    account: &sol::EscrowAccount,
    amount: u64,
    co_signer: Option<&Keypair>,
    now: i64,
) -> anyhow::Result<()> {
    match (co_signer, account.co_signer) {
        (Some(key), Some(expected)) if key.pubkey() == expected => Ok(()),
        (Some(key), expected) => anyhow::bail!(
            "--co-signer-key-file: {} is not the account's co-signer ({})",
            key.pubkey(),
            expected.map_or_else(|| "none set".to_owned(), |k| k.to_string())
        ),
        (None, _) => match account.allowance_left(now) {
            Some(left) if amount > left => anyhow::bail!(
                "{} exceeds what is left of today's allowance ({}); the co-signer must sign too (--co-signer-key-file)",
                stablerail_sdk::Amount::from_units(amount),
                stablerail_sdk::Amount::from_units(left)
            ),
            _ => Ok(()),
        },
    }
}

async fn co_signer_set(out: &Output, a: &CoSignerSetArgs) -> anyhow::Result<()> {
    let escrow = EscrowProgram::new(pubkey("--config", &a.escrow.config)?);
    let co_signer = a
        .co_signer
        .as_deref()
        .map(|k| pubkey("--co-signer", k))
        .transpose()?;
    let allowance: stablerail_sdk::Amount =
        a.daily_allowance.parse().context("--daily-allowance")?;
    if a.remove && !allowance.is_zero() {
        anyhow::bail!("--daily-allowance: removing the co-signer leaves no allowance");
    }
    let mut session = a.escrow.tx.open()?;
    let owner = session.signer();
    if co_signer == Some(owner) {
        anyhow::bail!("--co-signer: the co-signer must be another key than the owner");
    }
    let approver = a.approval.load("co_signer_set", true, &owner)?;
    let rpc = &session.rpc;
    let account: sol::EscrowAccount = rpc
        .decoded(&escrow.account(&owner), "escrow account")
        .await?;
    if let Some(key) = approver
        .as_ref()
        .filter(|key| account.co_signer != Some(key.pubkey()))
    {
        anyhow::bail!(
            "--co-signer-key-file: {} is not the current co-signer",
            key.pubkey()
        );
    }
    let args = sol::CoSignerSetArgs {
        co_signer,
        daily_allowance: allowance.units(),
    };
    let approver_key = approver.as_ref().map(Signer::pubkey);
    let ix = escrow.co_signer_set(&owner, &args, approver_key.as_ref())?;
    // Immediate or pending, as the program decides (docs/rules.md, co-signer).
    let immediate = account.co_signer.is_none()
        || approver.is_some()
        || (co_signer == account.co_signer && allowance.units() <= account.daily_allowance);
    let details = json!({
        "co_signer": co_signer.map(|k| k.to_string()),
        "daily_allowance": allowance,
        "immediate": immediate,
    });
    session.co_signers.extend(approver);
    finish(out, session, "co_signer_set", vec![ix], details).await
}

async fn co_signer_apply(out: &Output, a: &CoSignerApplyArgs) -> anyhow::Result<()> {
    let escrow = EscrowProgram::new(pubkey("--config", &a.escrow.config)?);
    let wallet = a
        .wallet
        .as_deref()
        .map(|w| pubkey("--wallet", w))
        .transpose()?;
    let session = a.escrow.tx.open()?;
    let wallet = wallet.unwrap_or_else(|| session.signer());
    let account: sol::EscrowAccount = session
        .rpc
        .decoded(&escrow.account(&wallet), "escrow account")
        .await?;
    if account.pending_co_signer_at == 0 {
        anyhow::bail!("{wallet} has no pending co-signer change");
    }
    let now = unix_now()?;
    if now < account.pending_co_signer_at {
        anyhow::bail!(
            "the co-signer change of {wallet} takes effect at unix time {} ({} s from now)",
            account.pending_co_signer_at,
            account.pending_co_signer_at - now
        );
    }
    let ix = escrow.co_signer_apply(&wallet);
    let details = json!({
        "wallet": wallet.to_string(),
        "co_signer": account.pending_co_signer.map(|k| k.to_string()),
        "daily_allowance": stablerail_sdk::Amount::from_units(account.pending_daily_allowance),
    });
    finish(out, session, "co_signer_apply", vec![ix], details).await
}

async fn co_signer_cancel(out: &Output, a: &EscrowArgs) -> anyhow::Result<()> {
    let escrow = EscrowProgram::new(pubkey("--config", &a.config)?);
    let session = a.tx.open()?;
    let owner = session.signer();
    let account: sol::EscrowAccount = session
        .rpc
        .decoded(&escrow.account(&owner), "escrow account")
        .await?;
    if account.pending_co_signer_at == 0 {
        anyhow::bail!("{owner} has no pending co-signer change");
    }
    let ix = escrow.co_signer_cancel(&owner);
    finish(out, session, "co_signer_cancel", vec![ix], json!({})).await
}

async fn acceptor_limits(out: &Output, a: &AcceptorLimitsArgs) -> anyhow::Result<()> {
    let escrow = EscrowProgram::new(pubkey("--config", &a.escrow.config)?);
    let limit = |flag: &str, v: &Option<String>| -> anyhow::Result<u64> {
        match v {
            Some(t) => Ok(t
                .parse::<stablerail_sdk::Amount>()
                .with_context(|| flag.to_owned())?
                .units()),
            None => Ok(0),
        }
    };
    let max_per_deal = limit("--max-per-deal", &a.max_per_deal)?;
    let max_locked = limit("--max-locked", &a.max_locked)?;
    if !a.offline && (max_per_deal == 0 || max_locked == 0) {
        anyhow::bail!(
            "--max-per-deal and --max-locked must be above zero to go online (or pass --offline)"
        );
    }
    if max_per_deal > max_locked && !a.offline {
        anyhow::bail!(
            "--max-per-deal exceeds --max-locked: no collection of that size could be assigned"
        );
    }
    let session = a.escrow.tx.open()?;
    let args = sol::AcceptorSetLimitsArgs {
        online: !a.offline,
        max_per_deal,
        max_locked,
    };
    let ix = escrow.acceptor_set_limits(&session.signer(), &args);
    let details = json!({
        "online": args.online,
        "max_per_deal": stablerail_sdk::Amount::from_units(max_per_deal),
        "max_locked": stablerail_sdk::Amount::from_units(max_locked),
    });
    finish(out, session, "acceptor_set_limits", vec![ix], details).await
}

/// The vault's balance: an initialised token account of the config's mint, owned
/// by the config (anything else is not this escrow's vault).
fn vault_amount(
    escrow: &EscrowProgram,
    cfg: &sol::Config,
    vault: &sol::AccountData,
) -> anyhow::Result<u64> {
    let token = sol::TokenAccount::decode(&vault.owner, &vault.data)
        .context("the vault is not an initialised token account")?;
    if token.mint != cfg.usdt_mint || token.owner != escrow.config {
        anyhow::bail!(
            "the vault is a token account of mint {} owned by {}; expected mint {} owned by the config {}",
            token.mint,
            token.owner,
            cfg.usdt_mint,
            escrow.config
        );
    }
    Ok(token.amount)
}

async fn sweep_surplus(out: &Output, a: &EscrowArgs) -> anyhow::Result<()> {
    let escrow = EscrowProgram::new(pubkey("--config", &a.config)?);
    let session = a.tx.open()?;
    let rpc = &session.rpc;
    let admin = session.signer();
    let cfg = config(rpc, &escrow).await?;
    if cfg.authorities.admin != admin {
        anyhow::bail!(
            "the signer {admin} is not the escrow's admin ({}); a multisig admin sweeps through a proposal",
            cfg.authorities.admin
        );
    }
    let vault = rpc
        .account(&escrow.vault())
        .await?
        .context("the escrow vault does not exist")?;
    let held = vault_amount(&escrow, &cfg, &vault)?;
    let surplus = held.saturating_sub(cfg.liabilities);
    if surplus == 0 {
        anyhow::bail!(
            "no surplus: the vault holds {} against liabilities of {}",
            stablerail_sdk::Amount::from_units(held),
            stablerail_sdk::Amount::from_units(cfg.liabilities)
        );
    }
    let treasury = cfg.authorities.treasury;
    let ix = escrow.sweep_surplus(&admin, &treasury);
    let details = json!({
        "surplus": stablerail_sdk::Amount::from_units(surplus),
        "treasury": treasury.to_string(),
    });
    finish(out, session, "sweep_surplus", vec![ix], details).await
}

async fn config(rpc: &SolanaRpc, escrow: &EscrowProgram) -> anyhow::Result<sol::Config> {
    rpc.decoded::<sol::Config>(&escrow.config, "escrow config")
        .await
        .context("reading the escrow config")
}

async fn funds(out: &Output, a: &AmountArgs, deposit: bool) -> anyhow::Result<()> {
    let escrow = EscrowProgram::new(pubkey("--config", &a.escrow.config)?);
    let value = amount("--amount", &a.amount)?;
    let token_account = a
        .token_account
        .as_deref()
        .map(|t| pubkey("--token-account", t))
        .transpose()?;
    let mut session = a.escrow.tx.open()?;
    let owner = session.signer();
    let co_signer = a.co_sign.load(
        if deposit { "deposit" } else { "withdraw" },
        !deposit,
        &owner,
    )?;
    let rpc = &session.rpc;
    let cfg = config(rpc, &escrow).await?;
    let (action, ix, account) = if deposit {
        let source = token_account.unwrap_or_else(|| {
            pda::associated_token_account(&owner, &cfg.usdt_mint, &cfg.token_program)
        });
        let ix = escrow.deposit(&owner, &source, &cfg.usdt_mint, &cfg.token_program, value)?;
        ("deposit", ix, source)
    } else {
        let account: sol::EscrowAccount = rpc
            .decoded(&escrow.account(&owner), "escrow account")
            .await?;
        check_outflow(&account, value.units(), co_signer.as_ref(), unix_now()?)?;
        let destination = token_account.unwrap_or_else(|| {
            pda::associated_token_account(
                &account.withdrawal_address,
                &cfg.usdt_mint,
                &cfg.token_program,
            )
        });
        let ix = match &co_signer {
            Some(key) => escrow.withdraw_cosigned(
                &owner,
                &destination,
                &cfg.usdt_mint,
                &cfg.token_program,
                value,
                &key.pubkey(),
            )?,
            None => escrow.withdraw(
                &owner,
                &destination,
                &cfg.usdt_mint,
                &cfg.token_program,
                value,
            )?,
        };
        ("withdraw", ix, destination)
    };
    let co_signed = co_signer.is_some();
    session.co_signers.extend(co_signer);
    let details = json!({"amount": value, "units": value.units(), "token_account": account.to_string(), "co_signed": co_signed});
    finish(out, session, action, vec![ix], details).await
}

async fn buy_order_post(out: &Output, a: &BuyOrderPostArgs) -> anyhow::Result<()> {
    let escrow = EscrowProgram::new(pubkey("--config", &a.escrow.config)?);
    let total = amount("--amount", &a.amount)?;
    let currency = parse_currency(&a.currency).context("--currency")?;
    let max_fill = match &a.max_fill {
        Some(t) => amount("--max-fill", t)?,
        None => total,
    };
    let min_fill = match &a.min_fill {
        Some(t) => amount("--min-fill", t)?,
        None => total.min(stablerail_sdk::Amount::from_units(1_000_000)),
    };
    let mut args = sol::BuyOrderPostArgs {
        price_minor: a.price_minor,
        currency,
        amount: total.units(),
        min_fill: min_fill.units(),
        max_fill: max_fill.units(),
        expiry: 0,
        payment_window_secs: a.window_secs,
    };
    args.validate()?;
    let session = a.escrow.tx.open()?;
    let rpc = &session.rpc;
    let cfg = config(rpc, &escrow).await?;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    args.expiry = now + i64::from(a.expires_in_secs);
    let order = cfg.next_order_id;
    let ix = escrow.buy_order_post(&session.signer(), order, &args)?;
    let details = json!({"order": order, "amount": total, "price_minor": a.price_minor, "currency": a.currency, "expiry": args.expiry});
    finish(out, session, "buy_order_post", vec![ix], details).await
}

async fn buy_order_fill(out: &Output, a: &BuyOrderFillArgs) -> anyhow::Result<()> {
    let escrow = EscrowProgram::new(pubkey("--config", &a.escrow.config)?);
    let value = amount("--amount", &a.amount)?;
    let reference = match &a.reference {
        Some(r) => parse_reference(r).context("--reference")?,
        None => [0; 32],
    };
    let session = a.escrow.tx.open()?;
    let rpc = &session.rpc;
    let cfg = config(rpc, &escrow).await?;
    let order: sol::BuyOrder = rpc
        .decoded(&escrow.buy_order(a.order), "buy order")
        .await
        .with_context(|| format!("buy order {}", a.order))?;
    let merchant: sol::EscrowAccount = rpc
        .decoded(&escrow.account(&order.merchant), "merchant escrow account")
        .await?;
    let deal = cfg.next_deal_id;
    let ix = escrow.buy_order_fill(
        &session.signer(),
        a.order,
        &order.merchant,
        merchant.agent.as_ref(),
        deal,
        &sol::BuyOrderFillArgs {
            amount: value.units(),
            reference,
        },
    )?;
    let details = json!({"order": a.order, "deal": deal, "amount": value, "merchant": order.merchant.to_string()});
    finish(out, session, "buy_order_fill", vec![ix], details).await
}

async fn deal_action(out: &Output, a: &DealArgs, action: &'static str) -> anyhow::Result<()> {
    let escrow = EscrowProgram::new(pubkey("--config", &a.escrow.config)?);
    let mut session = a.escrow.tx.open()?;
    let signer: Pubkey = session.signer();
    let co_signer = a.co_sign.load(action, action == "deal_release", &signer)?;
    let rpc = &session.rpc;
    let deal: sol::Deal = rpc
        .decoded(&escrow.deal(a.deal), "deal")
        .await
        .with_context(|| format!("deal {}", a.deal))?;
    let ix = match action {
        "deal_mark_paid" => escrow.deal_mark_paid(&signer, a.deal),
        "deal_dispute" => escrow.deal_dispute(&signer, a.deal),
        "deal_cancel" => {
            let cfg = config(rpc, &escrow).await?;
            escrow.deal_cancel(&signer, a.deal, &deal.settlement(&cfg))
        }
        _ => {
            // A release is an outflow of the seller.
            let seller: sol::EscrowAccount = rpc
                .decoded(&escrow.account(&signer), "escrow account")
                .await?;
            check_outflow(&seller, deal.amount, co_signer.as_ref(), unix_now()?)?;
            let cfg = config(rpc, &escrow).await?;
            let parties = deal.settlement(&cfg);
            match &co_signer {
                Some(key) => escrow.deal_release_cosigned(&signer, a.deal, &parties, &key.pubkey()),
                None => escrow.deal_release(&signer, a.deal, &parties),
            }
        }
    };
    session.co_signers.extend(co_signer);
    let details = json!({"deal": a.deal, "state": format!("{:?}", deal.state), "amount": deal.amount, "seller": deal.seller.to_string(), "buyer": deal.buyer.to_string()});
    finish(out, session, action, vec![ix], details).await
}
