//! `stablerail pay-uri`: payment request URIs for a payer's wallet to scan.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;
use stablerail_sdk::{Amount, SolanaPayRequest, evm_transfer_uri, tron_uri};

use crate::output::Output;

/// `stablerail pay-uri` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum PayUriCommand {
    /// EIP-681 ERC20 transfer: `ethereum:<token>@<chain>/transfer?address=..&uint256=..`.
    Evm(EvmArgs),
    /// Solana Pay transfer request: `solana:<recipient>?amount=..&spl-token=..`.
    Solana(SolanaArgs),
    /// TRON: `tron:<address>?amount=..&token=..`.
    Tron(TronArgs),
}

/// Arguments of `stablerail pay-uri evm`.
#[derive(Debug, Args)]
pub(crate) struct EvmArgs {
    /// The ERC20 token contract (0x + 40 hex).
    #[arg(long)]
    token: String,
    /// The chain id (1 = Ethereum mainnet).
    #[arg(long)]
    chain_id: u64,
    /// The recipient (0x + 40 hex).
    #[arg(long)]
    to: String,
    /// The amount (decimal, 6 decimals).
    #[arg(long)]
    amount: String,
}

/// Arguments of `stablerail pay-uri solana`.
#[derive(Debug, Args)]
pub(crate) struct SolanaArgs {
    /// The recipient wallet (base58).
    #[arg(long)]
    to: String,
    /// The amount (decimal); omit to let the payer choose.
    #[arg(long)]
    amount: Option<String>,
    /// The SPL token mint (base58); omit for SOL.
    #[arg(long)]
    spl_token: Option<String>,
    /// A reference key to find the payment by (repeatable).
    #[arg(long)]
    reference: Vec<String>,
    /// Who requests the payment.
    #[arg(long)]
    label: Option<String>,
    /// What the payment is for.
    #[arg(long)]
    message: Option<String>,
    /// A memo for the transaction.
    #[arg(long)]
    memo: Option<String>,
}

/// Arguments of `stablerail pay-uri tron`.
#[derive(Debug, Args)]
pub(crate) struct TronArgs {
    /// The recipient (base58).
    #[arg(long)]
    to: String,
    /// The amount (decimal); omit to let the payer choose.
    #[arg(long)]
    amount: Option<String>,
    /// The TRC20 token contract (base58); omit for TRX.
    #[arg(long)]
    token: Option<String>,
}

#[derive(Serialize)]
struct UriView {
    uri: String,
}

fn amount(text: Option<&str>) -> anyhow::Result<Option<Amount>> {
    text.map(|t| t.parse::<Amount>().context("--amount"))
        .transpose()
}

/// Runs a `stablerail pay-uri` subcommand.
pub(crate) fn run(out: &Output, cmd: PayUriCommand) -> anyhow::Result<()> {
    let uri = match cmd {
        PayUriCommand::Evm(a) => {
            let value = a.amount.parse::<Amount>().context("--amount")?;
            evm_transfer_uri(&a.token, a.chain_id, &a.to, value)?
        }
        PayUriCommand::Solana(a) => SolanaPayRequest {
            recipient: a.to,
            amount: amount(a.amount.as_deref())?,
            spl_token: a.spl_token,
            references: a.reference,
            label: a.label,
            message: a.message,
            memo: a.memo,
        }
        .to_uri()?,
        PayUriCommand::Tron(a) => {
            tron_uri(&a.to, amount(a.amount.as_deref())?, a.token.as_deref())?
        }
    };
    out.emit(&UriView { uri }, |v| v.uri.clone())
}
