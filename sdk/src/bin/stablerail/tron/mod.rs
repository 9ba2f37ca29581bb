//! `stablerail tron`: addresses, decoding and transfers on TRON, and the escrow and
//! multisig commands.

pub(crate) mod escrow;
pub(crate) mod send;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde::Serialize;
use stablerail_sdk::Amount;
use stablerail_sdk::tron::{
    Address, Contract, FeeLimitPolicy, MAX_FEE_LIMIT_SUN, RefBlock, Transaction,
    TransactionBuilder, Transfer, TriggerSmartContract, TronClient, USDT_MAINNET,
};

use crate::keys;
use crate::output::Output;

/// `stablerail tron` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum TronCommand {
    /// Print the address of a key (from --key-file or STABLERAIL_TRON_KEY), or convert
    /// a given address between base58 and 41-hex.
    Address(AddressArgs),
    /// Decode a hex transaction (signed or raw_data): fields, txID and signers.
    Decode(DecodeArgs),
    /// Build and sign a TRX or TRC20 transfer; print it or broadcast it.
    Transfer(Box<TransferArgs>),
    /// Escrow actions, built and signed locally; printed or broadcast.
    Escrow(Box<escrow::TronEscrowArgs>),
    /// Multisig proposals: propose, sign (one owner per invocation), execute, show.
    Multisig(Box<crate::multisig::MultisigArgs>),
}

/// Arguments of `stablerail tron address`.
#[derive(Debug, Args)]
pub(crate) struct AddressArgs {
    /// An address to convert (base58 `T…` or hex `41…`); without it, the key's address.
    address: Option<String>,
    /// File holding the private key as 64 hex digits.
    #[arg(long, conflicts_with = "address")]
    key_file: Option<PathBuf>,
}

/// Arguments of `stablerail tron decode`.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The transaction protobuf in hex.
    hex: String,
}

/// Arguments of `stablerail tron transfer`.
#[derive(Debug, Args)]
pub(crate) struct TransferArgs {
    /// File holding the sender's private key (else STABLERAIL_TRON_KEY).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// The recipient (base58 or 41-hex).
    #[arg(long)]
    to: String,
    /// The account the key must be: refused before signing when it is another.
    #[arg(long)]
    from: Option<String>,
    /// The amount, decimal (6 decimals, for USDT and TRX alike).
    #[arg(long)]
    amount: String,
    /// A TRC20 token contract (or `usdt` for mainnet USDT); without it, TRX is sent.
    #[arg(long)]
    token: Option<String>,
    /// A memo stored in the transaction.
    #[arg(long)]
    memo: Option<String>,
    /// Fee limit in TRX; with --node it defaults to an energy estimate × price × margin.
    #[arg(long)]
    fee_limit: Option<String>,
    /// Cap on an estimated fee limit, in TRX (at most 15000).
    #[arg(long, default_value = "100")]
    max_fee_limit: String,
    /// Margin on the energy estimate, in bps (12000 = +20 %).
    #[arg(long, default_value_t = 12_000)]
    fee_margin_bps: u32,
    /// Reference block number (offline build, with --ref-block-id).
    #[arg(long, requires = "ref_block_id", conflicts_with = "node")]
    ref_block_num: Option<u64>,
    /// Reference block id, 64 hex digits (offline build, with --ref-block-num).
    #[arg(long, requires = "ref_block_num")]
    ref_block_id: Option<String>,
    /// Transaction timestamp in ms (offline build; default now).
    #[arg(long, conflicts_with = "node")]
    timestamp: Option<i64>,
    /// Seconds until the transaction expires (at most 86400).
    #[arg(long, default_value_t = 60)]
    expiration_secs: i64,
    /// A full node's HTTP URL, for the reference block, the fee estimate and broadcast.
    #[arg(
        long,
        env = "STABLERAIL_TRON_NODE",
        required_unless_present = "ref_block_num"
    )]
    node: Option<String>,
    /// Broadcast the signed transaction to --node.
    #[arg(long, requires = "node")]
    broadcast: bool,
    /// After broadcasting, wait up to this many seconds for the receipt.
    #[arg(long, requires = "broadcast")]
    wait_secs: Option<u64>,
}

#[derive(Serialize)]
struct AddressView {
    base58: String,
    hex: String,
}

#[derive(Serialize)]
struct ReceiptView {
    block_number: u64,
    succeeded: bool,
    fee_sun: i64,
    energy_usage_total: u64,
    contract_result: Option<String>,
    failure: Option<String>,
}

#[derive(Serialize)]
struct TransferView {
    from: Address,
    to: Address,
    token: Option<Address>,
    amount: Amount,
    fee_limit_sun: i64,
    txid: String,
    raw_data_hex: String,
    signed_hex: String,
    broadcast: bool,
    receipt: Option<ReceiptView>,
}

/// Runs a `stablerail tron` subcommand.
pub(crate) fn run(out: &Output, cmd: TronCommand) -> anyhow::Result<()> {
    match cmd {
        TronCommand::Address(args) => address(out, &args),
        TronCommand::Decode(args) => decode(out, &args),
        TronCommand::Transfer(args) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(transfer(out, &args))
        }
        TronCommand::Escrow(args) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(escrow::run(out, *args)),
        TronCommand::Multisig(args) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(crate::multisig::run(
                out,
                *args,
                stablerail_sdk::evm::Chain::Tron,
            )),
    }
}

fn address(out: &Output, args: &AddressArgs) -> anyhow::Result<()> {
    let a = match &args.address {
        Some(text) => text.parse::<Address>().with_context(|| "address")?,
        None => keys::load(args.key_file.as_deref())?.address(),
    };
    out.emit(
        &AddressView {
            base58: a.to_base58(),
            hex: a.to_hex(),
        },
        |v| format!("{}\n{}", v.base58, v.hex),
    )
}

fn decode(out: &Output, args: &DecodeArgs) -> anyhow::Result<()> {
    let tx = Transaction::from_hex(&args.hex)?;
    let view = tx.view();
    out.emit(&view, |v| {
        let r = &v.raw_data;
        let mut s = format!(
            "txid        {}\nref block   {} {}\ntimestamp   {}\nexpiration  {}\nfee limit   {} sun\n",
            v.txid,
            hex::encode(r.ref_block.bytes),
            hex::encode(r.ref_block.hash),
            r.timestamp,
            r.expiration,
            r.fee_limit,
        );
        match &r.contract {
            Contract::Transfer(t) => s.push_str(&format!(
                "contract    TransferContract {} -> {} {} sun\n",
                t.owner, t.to, t.amount_sun
            )),
            Contract::TriggerSmartContract(t) => s.push_str(&format!(
                "contract    TriggerSmartContract {} calls {} value {} data {}\n",
                t.owner,
                t.contract,
                t.call_value,
                hex::encode(&t.data)
            )),
        }
        if let Some(t) = &v.trc20_transfer {
            s.push_str(&format!("trc20       transfer {} of {} to {}\n", t.amount, t.token, t.to));
        }
        if !r.memo.is_empty() {
            s.push_str(&format!(
                "memo        {}\n",
                v.memo_text.clone().unwrap_or_else(|| hex::encode(&r.memo))
            ));
        }
        for (sig, signer) in v.signatures.iter().zip(&v.signers) {
            let who = match (&signer.address, &signer.error) {
                (Some(a), _) => a.to_string(),
                (None, Some(e)) => format!("invalid: {e}"),
                (None, None) => String::new(),
            };
            s.push_str(&format!("signature   {sig}\nsigner      {who}\n"));
        }
        if v.signatures.is_empty() {
            s.push_str("unsigned\n");
        }
        s.trim_end().to_owned()
    })
}

/// TRX (6 decimals) to sun.
fn trx_to_sun(flag: &str, text: &str) -> anyhow::Result<i64> {
    let a: Amount = text.parse().with_context(|| flag.to_owned())?;
    i64::try_from(a.units()).with_context(|| format!("{flag} is too large"))
}

async fn transfer(out: &Output, args: &TransferArgs) -> anyhow::Result<()> {
    // 1. Validate every input before touching the key or the network.
    let to: Address = args.to.parse().context("--to")?;
    let amount: Amount = args.amount.parse().context("--amount")?;
    if amount.is_zero() {
        bail!("--amount must be above zero");
    }
    let token: Option<Address> = match args.token.as_deref() {
        None => None,
        Some("usdt") => Some(USDT_MAINNET.parse()?),
        Some(t) => Some(t.parse().context("--token")?),
    };
    let fee_limit = args
        .fee_limit
        .as_deref()
        .map(|f| trx_to_sun("--fee-limit", f))
        .transpose()?;
    if fee_limit.is_some_and(|f| f > MAX_FEE_LIMIT_SUN) {
        bail!("--fee-limit must be at most 15000 TRX");
    }
    let policy = FeeLimitPolicy::new(
        args.fee_margin_bps,
        trx_to_sun("--max-fee-limit", &args.max_fee_limit)?,
    )?;
    if !(1..=86_400).contains(&args.expiration_secs) {
        bail!("--expiration-secs must be within 1..=86400");
    }
    let offline_ref = match (args.ref_block_num, &args.ref_block_id) {
        (Some(num), Some(id)) => {
            let mut hash = [0u8; 32];
            hex::decode_to_slice(id.trim_start_matches("0x"), &mut hash)
                .context("--ref-block-id must be 64 hex digits")?;
            // A block id starts with its block number.
            if hash[..8] != num.to_be_bytes() {
                bail!(
                    "--ref-block-id is not the id of block {num} (its first 8 bytes are the number)"
                );
            }
            Some(RefBlock::from_block(num, &hash))
        }
        _ => None,
    };
    let client = args.node.as_deref().map(TronClient::new).transpose()?;
    if token.is_some() && fee_limit.is_none() && client.is_none() {
        bail!("a TRC20 transfer needs --fee-limit, or --node to estimate it");
    }
    let expected: Option<Address> = args
        .from
        .as_deref()
        .map(|f| f.parse().context("--from"))
        .transpose()?;
    let key = keys::load(args.key_file.as_deref())?;
    let from = key.address();
    if let Some(e) = expected
        && e != from
    {
        bail!("--from {e}: the key is the account {from}, not this one");
    }
    let contract: Contract = match token {
        Some(t) => TriggerSmartContract::trc20_transfer(from, t, to, amount)?.into(),
        None => Transfer::trx(from, to, amount)?.into(),
    };

    // 2. Reference block and fee limit.
    let builder = match (offline_ref, &client) {
        (Some(r), _) => {
            let ts = match args.timestamp {
                Some(ts) => ts,
                None => i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis())?,
            };
            TransactionBuilder::new(r, ts)
        }
        (None, Some(c)) => c.builder().await.context("reference block from --node")?,
        (None, None) => bail!("give --node, or --ref-block-num with --ref-block-id"),
    };
    let fee_limit_sun = match (fee_limit, &contract, &client) {
        (Some(f), _, _) => f,
        (None, Contract::TriggerSmartContract(call), Some(c)) => {
            c.fee_limit(call, &policy)
                .await
                .context("estimating the fee limit")?
        }
        (None, _, _) => 0,
    };
    let timestamp = builder.timestamp();
    let mut builder = builder
        .with_fee_limit(fee_limit_sun)
        .with_expiration(timestamp.saturating_add(args.expiration_secs * 1000));
    if let Some(m) = &args.memo {
        builder = builder.with_memo(m.as_bytes());
    }
    let mut tx = builder.build(contract)?;

    // 3. Sign, then optionally broadcast.
    tx.sign(&key)?;
    drop(key);
    let mut receipt = None;
    if args.broadcast {
        let c = client.as_ref().context("--broadcast needs --node")?;
        let _progress = out.progress("transfer: broadcasting, waiting for the receipt");
        let txid = c.broadcast(&tx).await?;
        tracing::info!(%txid, "broadcast accepted");
        if let Some(secs) = args.wait_secs {
            let r = c
                .wait_for_receipt(
                    &txid,
                    Duration::from_secs(secs),
                    Duration::from_secs(3).min(Duration::from_secs(secs.max(1))),
                )
                .await?;
            receipt = Some(ReceiptView {
                block_number: r.block_number,
                succeeded: r.succeeded(),
                fee_sun: r.fee_sun,
                energy_usage_total: r.energy_usage_total,
                contract_result: r.contract_result.clone(),
                failure: r.failure.clone(),
            });
        }
    }
    let view = TransferView {
        from,
        to,
        token,
        amount,
        fee_limit_sun,
        txid: tx.txid_hex(),
        raw_data_hex: hex::encode(tx.raw_data_bytes()),
        signed_hex: tx.to_hex(),
        broadcast: args.broadcast,
        receipt,
    };
    out.emit(&view, |v| {
        let mut s = format!(
            "from       {}\nto         {}\nasset      {}\namount     {}\nfee limit  {} sun\ntxid       {}\nsigned     {}",
            v.from,
            v.to,
            v.token.map_or_else(|| "TRX".to_owned(), |t| t.to_string()),
            v.amount,
            v.fee_limit_sun,
            v.txid,
            v.signed_hex
        );
        if v.broadcast {
            s.push_str("\nbroadcast  accepted");
        }
        if let Some(r) = &v.receipt {
            s.push_str(&format!(
                "\nreceipt    block {} {} (fee {} sun)",
                r.block_number,
                if r.succeeded { "succeeded" } else { "FAILED" },
                r.fee_sun
            ));
        }
        s
    })
}
