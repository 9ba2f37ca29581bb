//! `stablerail solana escrow co-signer send`: the owner's half of an outflow its
//! co-signer built and signed (the gateway's co-signer page; docs/rules.md
//! "Co-signer and daily allowance"). The transaction is read back first and refused
//! unless it is one co-signed `withdraw` or `deal_release` of the escrow program
//! paid by this key; what it does is printed, then the owner's signature is added
//! and, with `--send`, it is sent and confirmed.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use stablerail_sdk::Amount;
use stablerail_sdk::solana::sdk::Signer;
use stablerail_sdk::solana::{
    self as sol, CoSignedAction, CoSignedOutflow, DEFAULT_CAP_MICRO_LAMPORTS, SolanaRpc,
    decode_base64, encode_base64, pda,
};

use crate::keys;
use crate::output::Output;

/// Largest compute-unit limit of a transaction.
const MAX_COMPUTE_UNIT_LIMIT: u32 = 1_400_000;

/// Arguments of `co-signer send`.
#[derive(Debug, Args)]
pub(crate) struct CoSignedSendArgs {
    /// The transaction the co-signer built and signed, base64, the owner's
    /// signature slot empty.
    #[arg(long)]
    transaction: String,
    /// Keypair file of the account's owner, who pays the fee (else
    /// STABLERAIL_SOLANA_KEY).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Solana JSON-RPC URL.
    #[arg(long, default_value = "http://127.0.0.1:8899")]
    rpc_url: String,
    /// The block height the transaction expires at, as the co-signer gave it:
    /// refused before signing once the chain is past it.
    #[arg(long)]
    last_valid_block_height: Option<u64>,
    /// Refuse a compute-unit price above this, micro-lamports per CU (the owner
    /// pays it).
    #[arg(long, default_value_t = DEFAULT_CAP_MICRO_LAMPORTS)]
    max_compute_unit_price: u64,
    /// Send the signed transaction and wait for confirmation (else print it).
    #[arg(long)]
    send: bool,
    /// Seconds to wait for confirmation after --send.
    #[arg(long, default_value_t = 60)]
    wait_secs: u64,
}

/// What the command prints.
#[derive(Serialize)]
struct View {
    action: &'static str,
    program: String,
    config: String,
    signer: String,
    co_signer: String,
    amount: Amount,
    /// The token account credited (withdraw).
    destination: Option<String>,
    /// The deal released.
    deal: Option<u64>,
    compute_unit_limit: Option<u32>,
    compute_unit_price: u64,
    signature: String,
    transaction_base64: String,
    sent: bool,
    confirmation_status: Option<String>,
    slot: Option<u64>,
}

/// Runs `co-signer send`.
pub(crate) async fn send(out: &Output, a: &CoSignedSendArgs) -> anyhow::Result<()> {
    let tx = decode_base64(&a.transaction).context("--transaction")?;
    let outflow = CoSignedOutflow::read(tx).context("--transaction")?;
    if outflow.compute_unit_price > a.max_compute_unit_price {
        anyhow::bail!(
            "--transaction: its compute-unit price {} exceeds --max-compute-unit-price {}",
            outflow.compute_unit_price,
            a.max_compute_unit_price
        );
    }
    if outflow
        .compute_unit_limit
        .is_some_and(|u| u > MAX_COMPUTE_UNIT_LIMIT)
    {
        anyhow::bail!("--transaction: its compute-unit limit exceeds {MAX_COMPUTE_UNIT_LIMIT}");
    }
    let rpc = SolanaRpc::new(&a.rpc_url).context("--rpc-url")?;
    let key = keys::load_solana(a.key_file.as_deref())?;
    if key.pubkey() != outflow.owner {
        anyhow::bail!(
            "--key-file: {} is not the transaction's owner and fee payer {}",
            key.pubkey(),
            outflow.owner
        );
    }
    let progress = out.progress(format!("{}: reading the account", outflow.instruction()));
    // The account must name this co-signer, else the program refuses it anyway.
    let account: sol::EscrowAccount = rpc
        .decoded(
            &pda::escrow_account(&outflow.config, &outflow.owner),
            "escrow account",
        )
        .await
        .context("reading the owner's escrow account")?;
    if account.co_signer != Some(outflow.co_signer) {
        anyhow::bail!(
            "the account's co-signer is {}, not the transaction's {}",
            account
                .co_signer
                .map_or_else(|| "none".to_owned(), |k| k.to_string()),
            outflow.co_signer
        );
    }
    let (amount, destination, deal) = match outflow.action {
        CoSignedAction::Withdraw {
            amount,
            destination,
        } => (amount, Some(destination.to_string()), None),
        CoSignedAction::Release { deal } => {
            let d: sol::Deal = rpc
                .decoded(&deal, "deal")
                .await
                .context("reading the deal")?;
            (Amount::from_units(d.amount), None, Some(d.id))
        }
    };
    if let Some(last) = a.last_valid_block_height {
        let height = rpc.block_height().await.context("block height")?;
        if height > last {
            anyhow::bail!(
                "the transaction expired at block height {last} (the chain is at {height}): ask the co-signer for a new one"
            );
        }
    }
    let mut view = View {
        action: outflow.instruction(),
        program: pda::ESCROW_PROGRAM_ID.to_string(),
        config: outflow.config.to_string(),
        signer: outflow.owner.to_string(),
        co_signer: outflow.co_signer.to_string(),
        amount,
        destination,
        deal,
        compute_unit_limit: outflow.compute_unit_limit,
        compute_unit_price: outflow.compute_unit_price,
        signature: String::new(),
        transaction_base64: String::new(),
        sent: false,
        confirmation_status: None,
        slot: None,
    };
    let tx = outflow.sign_as_owner(&key)?;
    drop(key);
    view.signature = tx.signatures[0].to_string();
    view.transaction_base64 = encode_base64(&tx)?;
    if a.send {
        progress.say(format!(
            "{}: sending, waiting for confirmation",
            view.action
        ));
        let status = super::send_and_confirm(&rpc, &tx, a.wait_secs).await?;
        view.sent = true;
        view.confirmation_status = status.confirmation_status.clone();
        view.slot = Some(status.slot);
    }
    drop(progress);
    out.emit(&view, |v| {
        let what = match (&v.destination, v.deal) {
            (Some(to), _) => format!("{} USDT to token account {to}", v.amount),
            (_, Some(deal)) => format!("deal {deal} ({} USDT)", v.amount),
            _ => String::new(),
        };
        let mut s = format!(
            "action     {} {what}\nprogram    {} (config {})\nsigner     {}\nco-signer  {}\nsignature  {}\n",
            v.action, v.program, v.config, v.signer, v.co_signer, v.signature
        );
        if v.sent {
            s.push_str(&format!(
                "sent       {} in slot {}",
                v.confirmation_status.as_deref().unwrap_or("confirmed"),
                v.slot.unwrap_or_default()
            ));
        } else {
            s.push_str(&format!("signed     {}", v.transaction_base64));
        }
        s
    })
}
