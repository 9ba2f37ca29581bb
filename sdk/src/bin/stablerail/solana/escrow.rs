//! `stablerail solana escrow`: deposit, withdraw, buy orders and deal actions.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::json;
use stablerail_sdk::solana::sdk::Pubkey;
use stablerail_sdk::solana::{
    self as sol, EscrowProgram, SolanaRpc, parse_currency, parse_reference, pda,
};

use super::{TxArgs, amount, finish, pubkey};
use crate::output::Output;

/// `stablerail solana escrow` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum EscrowCommand {
    /// Deposit USDT from the signer's token account into its escrow balance.
    Deposit(AmountArgs),
    /// Withdraw available USDT to a token account of the withdrawal address.
    Withdraw(AmountArgs),
    /// Merchant: post a buy order.
    BuyOrderPost(BuyOrderPostArgs),
    /// Trader: sell into a buy order (opens a Trade deal).
    BuyOrderFill(BuyOrderFillArgs),
    /// Buyer: mark the fiat of a deal paid.
    MarkPaid(DealArgs),
    /// Seller: release a deal (settles with the fee split).
    Release(DealArgs),
    /// Buyer any time, seller after the deadline: cancel a deal.
    Cancel(DealArgs),
    /// Buyer or seller: dispute a paid deal.
    Dispute(DealArgs),
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

/// Arguments of `deposit` and `withdraw`.
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
}

/// Arguments of `buy-order-post`.
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

/// Arguments of `buy-order-fill`.
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
}

/// Runs a `stablerail solana escrow` subcommand.
pub(crate) async fn run(out: &Output, cmd: EscrowCommand) -> anyhow::Result<()> {
    match cmd {
        EscrowCommand::Deposit(a) => funds(out, &a, true).await,
        EscrowCommand::Withdraw(a) => funds(out, &a, false).await,
        EscrowCommand::BuyOrderPost(a) => buy_order_post(out, &a).await,
        EscrowCommand::BuyOrderFill(a) => buy_order_fill(out, &a).await,
        EscrowCommand::MarkPaid(a) => deal_action(out, &a, "mark-paid").await,
        EscrowCommand::Release(a) => deal_action(out, &a, "release").await,
        EscrowCommand::Cancel(a) => deal_action(out, &a, "cancel").await,
        EscrowCommand::Dispute(a) => deal_action(out, &a, "dispute").await,
    }
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
    let session = a.escrow.tx.open()?;
    let rpc = &session.rpc;
    let owner = session.signer();
    let cfg = config(rpc, &escrow).await?;
    let (action, ix, account) = if deposit {
        let source = token_account.unwrap_or_else(|| {
            pda::associated_token_account(&owner, &cfg.usdt_mint, &cfg.token_program)
        });
        let ix = escrow.deposit(&owner, &source, &cfg.usdt_mint, &cfg.token_program, value)?;
        ("deposit", ix, source)
    } else {
        let destination = match token_account {
            Some(t) => t,
            None => {
                let account: sol::EscrowAccount = rpc
                    .decoded(&escrow.account(&owner), "escrow account")
                    .await?;
                pda::associated_token_account(
                    &account.withdrawal_address,
                    &cfg.usdt_mint,
                    &cfg.token_program,
                )
            }
        };
        let ix = escrow.withdraw(
            &owner,
            &destination,
            &cfg.usdt_mint,
            &cfg.token_program,
            value,
        )?;
        ("withdraw", ix, destination)
    };
    let details =
        json!({"amount": value, "units": value.units(), "token_account": account.to_string()});
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
    finish(out, session, "buy-order-post", vec![ix], details).await
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
    finish(out, session, "buy-order-fill", vec![ix], details).await
}

async fn deal_action(out: &Output, a: &DealArgs, action: &'static str) -> anyhow::Result<()> {
    let escrow = EscrowProgram::new(pubkey("--config", &a.escrow.config)?);
    let session = a.escrow.tx.open()?;
    let rpc = &session.rpc;
    let signer: Pubkey = session.signer();
    let deal: sol::Deal = rpc
        .decoded(&escrow.deal(a.deal), "deal")
        .await
        .with_context(|| format!("deal {}", a.deal))?;
    let ix = match action {
        "mark-paid" => escrow.deal_mark_paid(&signer, a.deal),
        "dispute" => escrow.deal_dispute(&signer, a.deal),
        "cancel" => {
            let cfg = config(rpc, &escrow).await?;
            escrow.deal_cancel(&signer, a.deal, &deal.settlement(&cfg))
        }
        _ => {
            let cfg = config(rpc, &escrow).await?;
            escrow.deal_release(&signer, a.deal, &deal.settlement(&cfg))
        }
    };
    let details = json!({"deal": a.deal, "state": format!("{:?}", deal.state), "amount": deal.amount, "seller": deal.seller.to_string(), "buyer": deal.buyer.to_string()});
    finish(out, session, action, vec![ix], details).await
}
