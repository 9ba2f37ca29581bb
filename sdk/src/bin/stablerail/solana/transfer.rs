//! `stablerail solana transfer`: a token transfer signed by the key of `--from`
//! (what the treasury watch asks of a plain hot account: send its excess back to
//! the vault). The source is the signer's associated token account of the mint,
//! the destination `--to`'s (created first if missing, the signer paying); the
//! token program is the mint's owner, the decimals the mint's.

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;
use stablerail_sdk::solana::{
    self as sol, create_associated_token_account_idempotent, mint_decimals, pda, transfer_checked,
};

use super::{TxArgs, amount, finish, pubkey};
use crate::output::Output;

/// Arguments of `stablerail solana transfer`.
#[derive(Debug, Args)]
pub(crate) struct TransferArgs {
    /// The sending wallet: the command refuses any other key before signing.
    #[arg(long)]
    from: String,
    /// The token mint (USDT).
    #[arg(long)]
    mint: String,
    /// The receiving owner (a wallet or a multisig's vault); its associated token
    /// account receives.
    #[arg(long)]
    to: String,
    /// Amount in USDT (6 decimals), above zero.
    #[arg(long)]
    amount: String,
    #[command(flatten)]
    tx: TxArgs,
}

/// Runs `stablerail solana transfer`.
pub(crate) async fn run(out: &Output, a: &TransferArgs) -> anyhow::Result<()> {
    let from = pubkey("--from", &a.from)?;
    let mint = pubkey("--mint", &a.mint)?;
    let to = pubkey("--to", &a.to)?;
    let value = amount("--amount", &a.amount)?;
    if from == to {
        bail!("--to must differ from --from");
    }
    let session = a.tx.open()?;
    if session.signer() != from {
        bail!(
            "the key is {}, not --from {from}: nothing was signed",
            session.signer()
        );
    }
    let account = session
        .rpc
        .account(&mint)
        .await
        .context("reading the mint")?
        .with_context(|| format!("mint {mint} does not exist"))?;
    let token_program = account.owner;
    let decimals = mint_decimals(&token_program, &account.data)
        .with_context(|| format!("{mint} is not a token mint"))?;
    if decimals != 6 {
        bail!("mint {mint} has {decimals} decimals; USDT has 6");
    }
    let source = pda::associated_token_account(&from, &mint, &token_program);
    let destination = pda::associated_token_account(&to, &mint, &token_program);
    let held = session
        .rpc
        .account(&source)
        .await
        .context("reading the source token account")?
        .and_then(|a| sol::TokenAccount::decode(&a.owner, &a.data))
        .map_or(0, |t| t.amount);
    if held < value.units() {
        bail!(
            "{from} holds {} of this mint, less than --amount {value}: nothing was signed",
            stablerail_sdk::Amount::from_units(held)
        );
    }
    let ixs = vec![
        create_associated_token_account_idempotent(&from, &to, &mint, &token_program),
        transfer_checked(
            &token_program,
            &source,
            &mint,
            &destination,
            &from,
            value.units(),
            decimals,
        )?,
    ];
    let details = json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "mint": mint.to_string(),
        "source": source.to_string(),
        "destination": destination.to_string(),
        "amount": value.units().to_string(),
    });
    finish(out, session, "transfer_checked", ixs, details).await
}
