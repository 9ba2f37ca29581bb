//! `stablerail evm transfer`: sends USDT (or another ERC-20 token) from the key's
//! account — what a plain hot wallet runs to move funds back into the vault (the
//! gateway's treasury watch prints this command with its amount).

use std::path::PathBuf;

use alloy::primitives::U256;
use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;
use stablerail_sdk::{Amount, evm::IERC20};

use super::rpc::{fees, provider, show};
use crate::{inputs, keys, output::Output};

/// Arguments of `stablerail evm transfer`.
#[derive(Debug, Args)]
pub(crate) struct TransferArgs {
    /// JSON-RPC URL of the node.
    #[arg(long, env = "STABLERAIL_RPC_URL")]
    rpc_url: Option<String>,
    /// File holding the sender's private key (else STABLERAIL_EVM_KEY).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// The token contract (USDT).
    #[arg(long)]
    token: String,
    /// The recipient.
    #[arg(long)]
    to: String,
    /// The amount, decimal with at most 6 decimals (USDT's).
    #[arg(long)]
    amount: String,
    /// The account the key must be: refused before signing when it is another.
    #[arg(long)]
    from: Option<String>,
    /// Priority tip: low, normal, high, or a tip in gwei.
    #[arg(long, default_value = "normal")]
    priority: String,
}

#[derive(Serialize)]
struct TransferView {
    action: &'static str,
    from: String,
    to: String,
    token: String,
    amount: Amount,
    tx_hash: String,
    block_number: Option<u64>,
    gas_used: u64,
}

/// Runs `stablerail evm transfer`.
pub(crate) async fn run(out: &Output, args: TransferArgs) -> anyhow::Result<()> {
    // 1. Validate every input before the key is read.
    let rpc_url = args
        .rpc_url
        .as_deref()
        .context("--rpc-url (or STABLERAIL_RPC_URL) is required")?;
    let token = inputs::evm_address("--token", &args.token)?;
    let to = inputs::evm_address("--to", &args.to)?;
    let amount = inputs::amount("--amount", &args.amount)?;
    let expected = args
        .from
        .as_deref()
        .map(|f| inputs::evm_address("--from", f))
        .transpose()?;
    let level = inputs::priority(&args.priority)?;

    // 2. The key must be the named sender's; its balance must cover the amount.
    let signer = keys::load_signer(args.key_file.as_deref(), keys::EVM_KEY_ENV)?;
    let from = signer.address();
    if let Some(e) = expected
        && e != from
    {
        bail!(
            "--from {}: the key is the account {}, not this one",
            show(e),
            show(from)
        );
    }
    let p = provider(rpc_url, Some(signer))?;
    let erc20 = IERC20::new(token, p.clone());
    let units = U256::from(amount.units());
    let balance = erc20
        .balanceOf(from)
        .call()
        .await
        .context("reading the sender's token balance")?;
    if balance < units {
        bail!(
            "--amount {amount}: {} holds only {balance} units of {}",
            show(from),
            show(token)
        );
    }
    let f = fees(&p, level).await?;

    // 3. Send and wait for the receipt (Ethereum USDT's transfer returns nothing:
    //    the receipt's status and the balance change are what count).
    let _progress = out.progress("transfer: sending, waiting for the receipt");
    let receipt = erc20
        .transfer(to, units)
        .max_fee_per_gas(f.max_fee_per_gas)
        .max_priority_fee_per_gas(f.max_priority_fee_per_gas)
        .send()
        .await
        .context("sending the transfer")?
        .get_receipt()
        .await
        .context("waiting for the receipt")?;
    if !receipt.status() {
        bail!("the transfer reverted (tx {})", receipt.transaction_hash);
    }
    let after = erc20
        .balanceOf(from)
        .call()
        .await
        .context("reading the sender's token balance")?;
    if balance.saturating_sub(after) != units {
        bail!(
            "the transfer succeeded but the balance of {} fell by {} units, not {units}",
            show(from),
            balance.saturating_sub(after)
        );
    }
    let view = TransferView {
        action: "transfer",
        from: show(from),
        to: show(to),
        token: show(token),
        amount,
        tx_hash: receipt.transaction_hash.to_string(),
        block_number: receipt.block_number,
        gas_used: receipt.gas_used,
    };
    out.emit(&view, |v| {
        format!(
            "transfer of {} {} sent by {} to {}\ntx     {}\nblock  {} (gas {})",
            v.amount,
            v.token,
            v.from,
            v.to,
            v.tx_hash,
            v.block_number
                .map_or_else(|| "?".to_owned(), |b| b.to_string()),
            v.gas_used
        )
    })
}
