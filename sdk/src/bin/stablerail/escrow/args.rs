//! The inputs of escrow actions that are the same on EVM and TRON (a buy order
//! posted or filled, a payout opened), and their parsing; each chain's command adds
//! its own flags around them.

use alloy::primitives::{B256, U256};
use anyhow::Context as _;
use clap::Args;
use stablerail_sdk::Amount;

use crate::inputs;

/// `buy-order post`: a merchant's order.
#[derive(Debug, Args)]
pub(crate) struct PostArgs {
    /// Fiat minor units per USDT (e.g. 725 for 7.25 CNY).
    #[arg(long)]
    price: u64,
    /// ISO 4217 code, e.g. CNY.
    #[arg(long)]
    currency: String,
    /// Total USDT wanted.
    #[arg(long)]
    amount: String,
    /// Smallest fill.
    #[arg(long)]
    min_fill: String,
    /// Largest fill.
    #[arg(long)]
    max_fill: String,
    /// Seconds from now (the chain's time) until the order expires.
    #[arg(long, default_value_t = 86_400)]
    expires_in: u64,
    /// Seconds the merchant has to pay the fiat of each fill.
    #[arg(long, default_value_t = 3600)]
    payment_window: u32,
}

/// A buy order with every input parsed; the expiry is set from the chain's time later.
pub(crate) struct Post {
    pub(crate) price: u64,
    pub(crate) currency: String,
    pub(crate) amount: Amount,
    pub(crate) min_fill: Amount,
    pub(crate) max_fill: Amount,
    pub(crate) expires_in: u64,
    pub(crate) payment_window: u32,
}

impl PostArgs {
    /// Parses every input; a bad one names its flag.
    pub(crate) fn parse(&self) -> anyhow::Result<Post> {
        stablerail_sdk::evm::currency_code(&self.currency).context("--currency")?;
        Ok(Post {
            price: self.price,
            currency: self.currency.clone(),
            amount: inputs::amount("--amount", &self.amount)?,
            min_fill: inputs::amount("--min-fill", &self.min_fill)?,
            max_fill: inputs::amount("--max-fill", &self.max_fill)?,
            expires_in: self.expires_in,
            payment_window: self.payment_window,
        })
    }
}

/// `buy-order fill`: a trader sells into an order from the escrow balance.
#[derive(Debug, Args)]
pub(crate) struct FillArgs {
    /// The order id.
    #[arg(long)]
    order: String,
    /// USDT, decimal.
    #[arg(long)]
    amount: String,
    /// Off-chain reference: 0x + 64 hex digits, or text (hashed with keccak256).
    #[arg(long = "ref")]
    order_ref: Option<String>,
}

impl FillArgs {
    /// The order id, the amount and the reference.
    pub(crate) fn parse(&self) -> anyhow::Result<(U256, Amount, B256)> {
        Ok((
            inputs::id("--order", &self.order)?,
            inputs::amount("--amount", &self.amount)?,
            inputs::order_ref(self.order_ref.as_deref())?,
        ))
    }
}

/// The terms of a deal the caller opens (payout, collection): how long the buyer
/// has to pay, and the off-chain reference.
#[derive(Debug, Args)]
pub(crate) struct DealTermsArgs {
    /// Seconds the buyer (the acceptor of a payout, the customer of a collection)
    /// has to pay the fiat once the deal is open.
    #[arg(long, default_value_t = 3600)]
    payment_window: u32,
    /// Off-chain reference: 0x + 64 hex digits, or text (hashed with keccak256).
    #[arg(long = "ref")]
    order_ref: Option<String>,
}

impl DealTermsArgs {
    /// The payment window and the reference.
    pub(crate) fn parse(&self) -> anyhow::Result<(u32, B256)> {
        Ok((
            self.payment_window,
            inputs::order_ref(self.order_ref.as_deref())?,
        ))
    }
}

/// `payout open`: a merchant locks USDT for a payout to its bank.
#[derive(Debug, Args)]
pub(crate) struct PayoutArgs {
    /// USDT, decimal.
    #[arg(long)]
    amount: String,
    #[command(flatten)]
    terms: DealTermsArgs,
}

impl PayoutArgs {
    /// The amount, the payment window and the reference.
    pub(crate) fn parse(&self) -> anyhow::Result<(Amount, u32, B256)> {
        let (payment_window, order_ref) = self.terms.parse()?;
        Ok((
            inputs::amount("--amount", &self.amount)?,
            payment_window,
            order_ref,
        ))
    }
}
