//! Building, signing and (optionally) broadcasting TRON contract calls: shared by
//! `tron escrow` and `tron multisig execute`. The options are global, so they may
//! follow the subcommand (`tron escrow deal release --deal 7 --broadcast`).

use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;
use stablerail_sdk::evm::{Escrow, IERC20, MultiSig};
use stablerail_sdk::tron::{
    Address, FeeLimitPolicy, MAX_FEE_LIMIT_SUN, PrivateKey, TriggerSmartContract, TronClient,
};

/// Fee and broadcast options of a TRON contract call.
#[derive(Debug, Clone, Args)]
pub(crate) struct TronSendArgs {
    /// Fee limit in TRX; by default the node's energy estimate × price × margin.
    #[arg(long, global = true)]
    fee_limit: Option<String>,
    /// Cap on an estimated fee limit, in TRX (at most 15000).
    #[arg(long, global = true, default_value = "100")]
    max_fee_limit: String,
    /// Margin on the energy estimate, in bps (12000 = +20 %).
    #[arg(long, global = true, default_value_t = 12_000)]
    fee_margin_bps: u32,
    /// Seconds until the transaction expires (at most 86400).
    #[arg(long, global = true, default_value_t = 60)]
    expiration_secs: i64,
    /// Broadcast the signed transactions to --node (else they are only printed).
    #[arg(long, global = true)]
    broadcast: bool,
    /// After broadcasting, wait up to this many seconds for each receipt (a deposit's
    /// approve is confirmed before its deposit is estimated).
    #[arg(long, global = true, requires = "broadcast")]
    wait_secs: Option<u64>,
}

/// Checked fee options.
pub(crate) struct SendPlan {
    fee_limit: Option<i64>,
    policy: FeeLimitPolicy,
    expiration_ms: i64,
    broadcast: bool,
    wait: Option<Duration>,
}

impl TronSendArgs {
    /// Validates the options (before any key is read).
    pub(crate) fn plan(&self) -> anyhow::Result<SendPlan> {
        let fee_limit = self
            .fee_limit
            .as_deref()
            .map(|f| trx_to_sun("--fee-limit", f))
            .transpose()?;
        if fee_limit.is_some_and(|f| !(1..=MAX_FEE_LIMIT_SUN).contains(&f)) {
            bail!("--fee-limit must be above 0 and at most 15000 TRX");
        }
        let policy = FeeLimitPolicy::new(
            self.fee_margin_bps,
            trx_to_sun("--max-fee-limit", &self.max_fee_limit)?,
        )?;
        if !(1..=86_400).contains(&self.expiration_secs) {
            bail!("--expiration-secs must be within 1..=86400");
        }
        Ok(SendPlan {
            fee_limit,
            policy,
            expiration_ms: self.expiration_secs * 1000,
            broadcast: self.broadcast,
            wait: self.wait_secs.map(Duration::from_secs),
        })
    }
}

/// TRX (6 decimals) to sun.
fn trx_to_sun(flag: &str, text: &str) -> anyhow::Result<i64> {
    let a: stablerail_sdk::Amount = text.parse().with_context(|| flag.to_owned())?;
    i64::try_from(a.units()).with_context(|| format!("{flag} is too large"))
}

/// One built (and maybe broadcast) transaction.
#[derive(Serialize)]
pub(crate) struct TronTxView {
    /// The contract function called.
    pub(crate) function: String,
    /// Who signed.
    pub(crate) from: Address,
    /// The contract called.
    pub(crate) contract: Address,
    /// The calldata (hex).
    pub(crate) data: String,
    /// The fee limit, in sun.
    pub(crate) fee_limit_sun: i64,
    /// The txID.
    pub(crate) txid: String,
    /// The signed transaction protobuf (hex), as `broadcasthex` takes it.
    pub(crate) signed_hex: String,
    /// Whether the node accepted it.
    pub(crate) broadcast: bool,
    /// Whether its receipt reported success (after --wait-secs).
    pub(crate) succeeded: Option<bool>,
}

/// The signature of the escrow, multisig or token function `data` calls.
pub(crate) fn function_name(data: &[u8]) -> String {
    let Some(selector) = data.get(..4).and_then(|s| <[u8; 4]>::try_from(s).ok()) else {
        return "(no calldata)".to_owned();
    };
    Escrow::EscrowCalls::signature_by_selector(selector)
        .or_else(|| MultiSig::MultiSigCalls::signature_by_selector(selector))
        .or_else(|| IERC20::IERC20Calls::signature_by_selector(selector))
        .map_or_else(|| format!("0x{}", hex::encode(selector)), ToOwned::to_owned)
}

/// Builds, signs and, with `--broadcast`, sends `calls` in order. Without a
/// confirmed receipt of the previous call a later call cannot be simulated (a
/// deposit before its approve is mined), so it gets the fee-limit cap instead of an
/// estimate.
pub(crate) async fn send_all(
    client: &TronClient,
    key: &PrivateKey,
    calls: Vec<TriggerSmartContract>,
    plan: &SendPlan,
) -> anyhow::Result<Vec<TronTxView>> {
    let mut views = Vec::new();
    for (i, call) in calls.into_iter().enumerate() {
        let previous_confirmed = plan.broadcast && plan.wait.is_some();
        let fee_limit = match plan.fee_limit {
            Some(f) => Some(f),
            None if i > 0 && !previous_confirmed => Some(plan.policy.max_sun()),
            None => None,
        };
        let function = function_name(&call.data);
        let (from, contract, data) = (call.owner, call.contract, hex::encode(&call.data));
        let mut tx = client
            .prepare(call, fee_limit, &plan.policy, plan.expiration_ms)
            .await
            .with_context(|| format!("preparing {function}"))?;
        tx.sign(key)?;
        let mut view = TronTxView {
            function,
            from,
            contract,
            data,
            fee_limit_sun: tx.raw_data().fee_limit,
            txid: tx.txid_hex(),
            signed_hex: tx.to_hex(),
            broadcast: false,
            succeeded: None,
        };
        if plan.broadcast {
            let txid = client.broadcast(&tx).await?;
            view.broadcast = true;
            if let Some(wait) = plan.wait {
                let r = client
                    .wait_for_receipt(&txid, wait, Duration::from_secs(3).min(wait))
                    .await?;
                view.succeeded = Some(r.succeeded());
                if !r.succeeded() {
                    views.push(view);
                    bail!(
                        "transaction {txid} failed: {}",
                        r.failure.or(r.contract_result).unwrap_or_default()
                    );
                }
            }
        }
        views.push(view);
    }
    Ok(views)
}

/// Text form of built transactions.
pub(crate) fn render(views: &[TronTxView]) -> String {
    views
        .iter()
        .map(|v| {
            let mut s = format!(
                "{} on {} by {}\nfee limit  {} sun\ntxid       {}\nsigned     {}",
                v.function, v.contract, v.from, v.fee_limit_sun, v.txid, v.signed_hex
            );
            if v.broadcast {
                s.push_str("\nbroadcast  accepted");
            }
            if let Some(ok) = v.succeeded {
                s.push_str(if ok {
                    "\nreceipt    succeeded"
                } else {
                    "\nreceipt    FAILED"
                });
            }
            s
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}
