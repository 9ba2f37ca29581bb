//! `stablerail solana`: escrow and multisig transactions on Solana.
//!
//! Every command validates its inputs first, then loads the key (file or
//! `STABLERAIL_SOLANA_KEY`, never printed), reads what it needs over JSON-RPC
//! (config, deal, proposal, blockhash, prioritization fees), signs, and prints
//! the signed transaction in base64, or sends it with `--send`.

mod co_signed;
mod escrow;
mod multisig;
mod transfer;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use stablerail_sdk::Amount;
use stablerail_sdk::solana::SolanaError;
use stablerail_sdk::solana::sdk::{Instruction, Keypair, Pubkey, Signer};
use stablerail_sdk::solana::{
    DEFAULT_CAP_MICRO_LAMPORTS, DEFAULT_COMPUTE_UNIT_LIMIT, DEFAULT_FLOOR_MICRO_LAMPORTS,
    PriorityFeePolicy, PriorityLevel, SolanaRpc, TransactionBuilder, encode_base64,
};

use crate::keys;
use crate::output::Output;

/// `stablerail solana` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum SolanaCommand {
    /// Print the public key of the keypair (--key-file or STABLERAIL_SOLANA_KEY).
    Address(AddressArgs),
    /// Escrow: deposits, withdrawals, buy orders and deals.
    #[command(subcommand)]
    Escrow(escrow::EscrowCommand),
    /// Multisig: propose escrow admin actions or a proposal file, approve, execute.
    #[command(subcommand)]
    Multisig(multisig::MultisigCommand),
    /// Send tokens from the signer's associated token account to another owner's
    /// (created if missing): `TransferChecked`.
    Transfer(transfer::TransferArgs),
}

/// Arguments of `stablerail solana address`.
#[derive(Debug, Args)]
pub(crate) struct AddressArgs {
    /// Keypair file (JSON byte array as solana-keygen writes it, or base58).
    #[arg(long)]
    key_file: Option<PathBuf>,
}

/// Priority of the transaction: the percentile of recent prioritization fees.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Priority {
    /// p25 of recent non-zero fees.
    Low,
    /// p50.
    Normal,
    /// p75.
    High,
}

/// Key, node, fee and send options every transaction command takes.
#[derive(Debug, Args)]
pub(crate) struct TxArgs {
    /// Keypair file of the signer (else STABLERAIL_SOLANA_KEY); it also pays the fee.
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Solana JSON-RPC URL: accounts, blockhash, fees, and sending with --send.
    #[arg(
        long,
        env = "STABLERAIL_SOLANA_RPC_URL",
        default_value = "http://127.0.0.1:8899"
    )]
    rpc_url: String,
    /// Send the signed transaction and wait for confirmation (else print it).
    #[arg(long)]
    send: bool,
    /// Seconds to wait for confirmation after --send.
    #[arg(long, default_value_t = 60)]
    wait_secs: u64,
    /// Priority level from recent prioritization fees.
    #[arg(long, value_enum, default_value = "normal")]
    priority: Priority,
    /// A fixed compute-unit price in micro-lamports per CU (skips the fee samples).
    #[arg(long)]
    compute_unit_price: Option<u64>,
    /// Floor of the estimated compute-unit price, micro-lamports per CU.
    #[arg(long, default_value_t = DEFAULT_FLOOR_MICRO_LAMPORTS)]
    min_compute_unit_price: u64,
    /// Cap of the estimated compute-unit price, micro-lamports per CU.
    #[arg(long, default_value_t = DEFAULT_CAP_MICRO_LAMPORTS)]
    max_compute_unit_price: u64,
    /// Compute-unit limit of the transaction.
    #[arg(long, default_value_t = DEFAULT_COMPUTE_UNIT_LIMIT)]
    compute_unit_limit: u32,
}

impl TxArgs {
    /// The fee policy (checked before anything is signed).
    fn policy(&self) -> anyhow::Result<PriorityFeePolicy> {
        let level = match self.priority {
            Priority::Low => PriorityLevel::Low,
            Priority::Normal => PriorityLevel::Normal,
            Priority::High => PriorityLevel::High,
        };
        let mut policy = PriorityFeePolicy::new()
            .with_level(level)
            .with_bounds(self.min_compute_unit_price, self.max_compute_unit_price)?;
        if let Some(price) = self.compute_unit_price {
            policy = policy.with_price(price);
        }
        Ok(policy)
    }

    /// The RPC client and the signer's key; validates the fee options first.
    fn open(&self) -> anyhow::Result<Session<'_>> {
        let policy = self.policy()?;
        if self.compute_unit_limit == 0 || self.compute_unit_limit > 1_400_000 {
            anyhow::bail!("--compute-unit-limit must be within 1..=1400000");
        }
        let rpc = SolanaRpc::new(&self.rpc_url).context("--rpc-url")?;
        let key = keys::load_solana(self.key_file.as_deref())?;
        Ok(Session {
            args: self,
            rpc,
            key,
            co_signers: Vec::new(),
            policy,
        })
    }
}

/// A command's connection, key and fee policy, once its inputs are valid.
pub(crate) struct Session<'a> {
    args: &'a TxArgs,
    /// The node.
    pub(crate) rpc: SolanaRpc,
    /// The signer (also the fee payer).
    pub(crate) key: Keypair,
    /// Further signers of the transaction (a co-signer approving an outflow).
    pub(crate) co_signers: Vec<Keypair>,
    policy: PriorityFeePolicy,
}

impl Session<'_> {
    /// The signer's public key.
    pub(crate) fn signer(&self) -> Pubkey {
        self.key.pubkey()
    }
}

/// What a transaction command prints.
#[derive(Serialize)]
struct TxView {
    /// The program instruction the transaction runs (`buy_order_post`, `deal_release`,
    /// `proposal_create`…): named noun first as the programs name them, as the EVM and
    /// TRON output names the contract function called.
    action: &'static str,
    signer: String,
    signature: String,
    compute_unit_limit: u32,
    compute_unit_price: u64,
    transaction_base64: String,
    sent: bool,
    confirmation_status: Option<String>,
    slot: Option<u64>,
    details: serde_json::Value,
}

/// Parses a base58 public key, naming the flag in the error.
pub(crate) fn pubkey(flag: &str, text: &str) -> anyhow::Result<Pubkey> {
    text.trim()
        .parse::<Pubkey>()
        .map_err(|_| SolanaError::Pubkey {
            input: text.to_owned(),
        })
        .with_context(|| flag.to_owned())
}

/// Parses a USDT amount above zero, naming the flag in the error.
pub(crate) fn amount(flag: &str, text: &str) -> anyhow::Result<Amount> {
    let a: Amount = text.parse().with_context(|| flag.to_owned())?;
    if a.is_zero() {
        anyhow::bail!("{flag} must be above zero");
    }
    Ok(a)
}

/// Prices, signs and prints or sends one transaction of `ixs` signed by `key`.
/// Sends `tx` and waits up to `wait_secs` for its confirmation.
pub(crate) async fn send_and_confirm(
    rpc: &SolanaRpc,
    tx: &stablerail_sdk::solana::sdk::Transaction,
    wait_secs: u64,
) -> anyhow::Result<stablerail_sdk::solana::SignatureStatus> {
    let sent = rpc.send_transaction(tx).await.context("sendTransaction")?;
    tracing::info!(%sent, "transaction accepted");
    Ok(rpc
        .confirm(
            &sent,
            Duration::from_secs(wait_secs),
            Duration::from_millis(500),
        )
        .await?)
}

async fn finish(
    out: &Output,
    session: Session<'_>,
    action: &'static str,
    ixs: Vec<Instruction>,
    details: serde_json::Value,
) -> anyhow::Result<()> {
    let Session {
        args: tx_args,
        rpc,
        key,
        co_signers,
        policy,
    } = session;
    let writable: Vec<Pubkey> = ixs
        .iter()
        .flat_map(|ix| ix.accounts.iter())
        .filter(|m| m.is_writable)
        .map(|m| m.pubkey)
        .collect();
    let progress = out.progress(format!("{action}: fees, blockhash"));
    let price = rpc
        .compute_unit_price(&policy, &writable)
        .await
        .context("recent prioritization fees")?;
    let blockhash = rpc.latest_blockhash().await.context("latest blockhash")?;
    let tx = TransactionBuilder::new(key.pubkey())
        .with_compute_unit_limit(tx_args.compute_unit_limit)
        .with_compute_unit_price(price)
        .with_instructions(ixs)
        .sign(
            blockhash.blockhash,
            &std::iter::once(&key as &dyn Signer)
                .chain(co_signers.iter().map(|k| k as &dyn Signer))
                .collect::<Vec<_>>(),
        )?;
    let signer = key.pubkey().to_string();
    drop(key);
    drop(co_signers);
    let signature = tx.signatures[0];
    let mut view = TxView {
        action,
        signer,
        signature: signature.to_string(),
        compute_unit_limit: tx_args.compute_unit_limit,
        compute_unit_price: price,
        transaction_base64: encode_base64(&tx)?,
        sent: false,
        confirmation_status: None,
        slot: None,
        details,
    };
    if tx_args.send {
        progress.say(format!("{action}: sending, waiting for confirmation"));
        let status = send_and_confirm(&rpc, &tx, tx_args.wait_secs).await?;
        view.sent = true;
        view.confirmation_status = status.confirmation_status.clone();
        view.slot = Some(status.slot);
    }
    drop(progress);
    out.emit(&view, |v| {
        let mut s = format!(
            "action     {}\nsigner     {}\nsignature  {}\nCU         limit {} price {} micro-lamports\n",
            v.action, v.signer, v.signature, v.compute_unit_limit, v.compute_unit_price
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

/// Runs a `stablerail solana` subcommand.
pub(crate) fn run(out: &Output, cmd: SolanaCommand) -> anyhow::Result<()> {
    match cmd {
        SolanaCommand::Address(args) => {
            let key = keys::load_solana(args.key_file.as_deref())?;
            let address = key.pubkey().to_string();
            drop(key);
            out.emit(&serde_json::json!({ "address": address }), |_| {
                address.clone()
            })
        }
        SolanaCommand::Escrow(cmd) => block_on(escrow::run(out, cmd)),
        SolanaCommand::Multisig(cmd) => block_on(multisig::run(out, cmd)),
        SolanaCommand::Transfer(args) => block_on(transfer::run(out, &args)),
    }
}

fn block_on(f: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)
}
