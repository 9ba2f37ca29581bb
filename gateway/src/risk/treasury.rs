//! The treasury watch's chain side (the share itself is `rules::treasury`): reads
//! the vault's and the hot wallets' token balances and the vault's spending limits,
//! and turns a plan into what the operator carries out: proposal files that move
//! an excess back from a hot multisig or lower a spending limit on the vault — the
//! SDK's proposal file, so the owners take it through `stablerail evm multisig sign`
//! (or `tron multisig`) and `execute` like any other — and, for a plain hot
//! account, the exact `stablerail evm|tron transfer` command its key runs. After a
//! reorg the files of a withdrawn measurement are renamed `….withdrawn`
//! ([`withdraw_files`]).
//!
//! EVM and TRON run the same `MultiSig`, so one reading serves both; they differ in
//! *when* it can be read. An EVM node answers a call at any block, so the treasury
//! is read at the indexer's block. A TRON node answers `triggerconstantcontract` at
//! its head only, so there the treasury is read at the head, between two reads of
//! the head that must agree (else it is read again), and the measurement names
//! that block. Solana has programs, not these contracts: `risk/treasury_solana.rs`
//! reads and writes its treasury, and the functions here hand it over.

use std::collections::HashSet;

use alloy::{
    eips::BlockId,
    primitives::{Address, U256},
    providers::DynProvider,
    sol_types::SolCall,
};
use serde_json::{Value, json};
use stablerail_sdk::{
    evm::{Chain, IERC20, MultiSig, Proposal, ProposalFile},
    tron::{Address as TronAddress, TronClient},
};

use crate::risk::{
    config::{Treasury, TreasuryChain},
    reader::{Reader, read_error, tron_error},
    rules::treasury::{Action, Allowance, Measurement, Plan},
    usdt,
};

pub use crate::risk::treasury_common::{
    At, Target, TreasuryError, WITHDRAWN_SUFFIX, withdraw_files,
};
use crate::risk::treasury_common::{file_path, save};

/// A spending limit as the contract reports it (the same struct on both chains; a
/// macro, since the SDK does not export the binding's struct type).
macro_rules! allowance {
    ($reader:expr, $spender:expr, $l:expr) => {
        Allowance {
            spender: $spender,
            amount: $l.amount,
            spent: $l.spent,
            period_start: $l.periodStart,
            period: $l.period,
            destinations: $l.destinations.iter().map(|d| $reader.show(*d)).collect(),
        }
    };
}

/// The treasury `t`: balances of the chain's USDT (`usdt` as configured) and the
/// vault's limits — on EVM at block `at`, on TRON at the node's head, on Solana at
/// `finalized` from a slot at least `at.finalized` (the measurement names the
/// block read).
pub async fn measure(
    reader: &Reader,
    usdt: &str,
    t: &TreasuryChain,
    at: &At,
) -> Result<Measurement, TreasuryError> {
    match reader {
        Reader::Evm(provider) => measure_evm(reader, provider, reader.address(usdt)?, t, at).await,
        Reader::Tron(client) => measure_tron(reader, client, reader.address(usdt)?, t).await,
        Reader::Solana(rpc) => crate::risk::treasury_solana::measure(rpc, usdt, t, at).await,
    }
}

async fn measure_evm(
    reader: &Reader,
    provider: &DynProvider,
    token: Address,
    t: &TreasuryChain,
    at: &At,
) -> Result<Measurement, TreasuryError> {
    let block = BlockId::number(at.number);
    let erc20 = IERC20::new(token, provider.clone());
    let balance = |who: Address| {
        let erc20 = erc20.clone();
        async move {
            erc20
                .balanceOf(who)
                .block(block)
                .call()
                .await
                .map(|b| u128::try_from(b).unwrap_or(u128::MAX))
                .map_err(read_error("balanceOf"))
        }
    };
    let vault = reader.address(&t.vault)?;
    let vault_balance = balance(vault).await?;
    let multisig = MultiSig::new(vault, provider.clone());
    let mut allowances = Vec::new();
    for s in &t.spenders {
        let spender = reader.address(s)?;
        let l = multisig
            .spendingLimit(spender, token)
            .block(block)
            .call()
            .await
            .map_err(read_error("spendingLimit"))?;
        allowances.push(allowance!(reader, reader.show(spender), l));
    }
    let mut hot = Vec::new();
    for h in &t.hot_wallets {
        let a = reader.address(h)?;
        hot.push((reader.show(a), balance(a).await?));
    }
    Ok(Measurement {
        block_number: at.number,
        block_hash: at.hash.clone(),
        block_time: at.time,
        vault: reader.show(vault),
        vault_balance,
        allowances,
        hot,
    })
}

/// How often the TRON treasury is read again when the head moved meanwhile.
const TRON_ATTEMPTS: u32 = 3;

async fn measure_tron(
    reader: &Reader,
    client: &TronClient,
    token: Address,
    t: &TreasuryChain,
) -> Result<Measurement, TreasuryError> {
    let tron = |e| TreasuryError::Read(tron_error(e));
    let vault = reader.address(&t.vault)?;
    let vault_t = TronAddress::from_evm_bytes(vault.into_array());
    let token_t = TronAddress::from_evm_bytes(token.into_array());
    for _ in 0..TRON_ATTEMPTS {
        let before = client.now_block().await.map_err(tron)?;
        let balance = |who: Address| async move {
            client
                .read(vault_t, token_t, &IERC20::balanceOfCall { owner: who })
                .await
                .map(|b| u128::try_from(b).unwrap_or(u128::MAX))
                .map_err(tron)
        };
        let vault_balance = balance(vault).await?;
        let mut allowances = Vec::new();
        for s in &t.spenders {
            let spender = reader.address(s)?;
            let l = client
                .read(
                    vault_t,
                    vault_t,
                    &MultiSig::spendingLimitCall { spender, token },
                )
                .await
                .map_err(tron)?;
            allowances.push(allowance!(reader, reader.show(spender), l));
        }
        let mut hot = Vec::new();
        for h in &t.hot_wallets {
            let a = reader.address(h)?;
            hot.push((reader.show(a), balance(a).await?));
        }
        let after = client.now_block().await.map_err(tron)?;
        if after.id != before.id {
            continue;
        }
        return Ok(Measurement {
            block_number: before.id.number,
            block_hash: hex::encode(before.id.hash),
            // TRON block times are milliseconds.
            block_time: u64::try_from(before.timestamp.div_euclid(1000)).unwrap_or(0),
            vault: reader.show(vault),
            vault_balance,
            allowances,
            hot,
        });
    }
    Err(TreasuryError::HeadMoving(TRON_ATTEMPTS))
}

/// The hot wallets of `m` that are multisigs (they answer EIP-5267): only these
/// can send by proposal.
pub async fn hot_multisigs(reader: &Reader, m: &Measurement) -> HashSet<String> {
    if let Reader::Solana(rpc) = reader {
        return crate::risk::treasury_solana::hot_multisigs(rpc, m).await;
    }
    let mut out = HashSet::new();
    for (a, _) in &m.hot {
        let Ok(addr) = reader.address(a) else {
            continue;
        };
        if reader.is_multisig(addr).await {
            out.insert(a.clone());
        }
    }
    out
}

/// Carries `plan` out on paper: for each action its view (kind, amounts, how much
/// of the excess it covers) and what to run. A hot multisig's transfer and the
/// vault's limit changes are proposal files (nonce, owners, threshold, time lock and
/// domain read from the multisig; deadline `deadline_secs` after the block, plus
/// the vault's time lock once per limit change, so each can still be executed after
/// its lock). Every limit change bumps the vault's config version, so the k-th
/// change carries nonce and config version k above the vault's: the owners sign all
/// of them at once and execute them in order (`step`). A plain hot account's
/// transfer is the `stablerail` command its key runs.
pub async fn write_actions(
    reader: &Reader,
    config: &Treasury,
    target: &Target<'_>,
    plan: &Plan,
) -> Result<Vec<Value>, TreasuryError> {
    if let Reader::Solana(rpc) = reader {
        return crate::risk::treasury_solana::write_actions(rpc, config, target, plan).await;
    }
    let m = target.measurement;
    let kind = reader.chain()?;
    let vault = reader.address(&m.vault)?;
    let token = reader.address(target.token)?;
    let deadline = m.block_time.saturating_add(config.deadline_secs);
    let limits = plan
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Limit { .. }))
        .count();
    let mut vault_state = None;
    let mut step = 0u64;
    let mut out = Vec::new();
    for action in &plan.actions {
        let view = match action {
            Action::MultisigTransfer { from, amount, .. } => {
                let hot = reader.address(from)?;
                let (state, domain) = reader.multisig(hot).await?;
                let data = IERC20::transferCall {
                    to: vault,
                    amount: U256::from(*amount),
                }
                .abi_encode();
                let proposal = Proposal {
                    to: token,
                    value: U256::ZERO,
                    data: data.into(),
                    nonce: state.nonce,
                    deadline: U256::from(deadline),
                    configVersion: state.config_version,
                    minGas: U256::from(config.min_gas),
                };
                let description = format!(
                    "treasury watch: move {} USDT from hot multisig {} back to the vault {} (transfer({}, {}) on {})",
                    usdt(*amount),
                    kind.render(hot),
                    kind.render(vault),
                    kind.render(vault),
                    amount,
                    kind.render(token),
                );
                let file = ProposalFile::new(
                    kind,
                    hot,
                    domain,
                    proposal,
                    state.owners,
                    state.threshold,
                    state.time_lock,
                    Some(description),
                );
                let path = file_path(config, target, &format!("transfer-{from}"));
                save(&file, &path)?;
                json!({
                    "kind": "multisig_transfer",
                    "multisig": from,
                    "to": m.vault,
                    "amount": amount.to_string(),
                    "covers": action.covers().to_string(),
                    "file": path.display().to_string(),
                    "nonce": state.nonce.to_string(),
                    "digest": format!("{:#x}", file.digest()),
                    "threshold": state.threshold,
                    "time_lock": state.time_lock,
                })
            }
            Action::AccountTransfer { from, amount, .. } => {
                let (cli, env) = match kind {
                    Chain::Tron => (
                        "tron",
                        "STABLERAIL_TRON_NODE (the node's URL) and STABLERAIL_TRON_KEY (or --key-file)",
                    ),
                    _ => (
                        "evm",
                        "STABLERAIL_RPC_URL (the node's URL) and STABLERAIL_EVM_KEY (or --key-file)",
                    ),
                };
                let wait = if kind == Chain::Tron {
                    " --broadcast --wait-secs 60"
                } else {
                    ""
                };
                json!({
                    "kind": "account_transfer",
                    "from": from,
                    "to": m.vault,
                    "token": reader.show(token),
                    "amount": amount.to_string(),
                    "covers": action.covers().to_string(),
                    "command": format!(
                        "stablerail {cli} transfer --from {from} --token {} --to {} --amount {}{wait}",
                        reader.show(token),
                        m.vault,
                        usdt(*amount),
                    ),
                    "env": format!("{env}: the key of {from}"),
                })
            }
            Action::Limit {
                spender,
                remaining,
                new_limit,
                ..
            } => {
                let (state, domain) = match &vault_state {
                    Some(s) => s,
                    None => vault_state.insert(reader.multisig(vault).await?),
                };
                let k = step;
                step += 1;
                let who = reader.address(spender)?;
                let limit = m.allowances.iter().find(|l| &l.spender == spender);
                let (data, call) = if *new_limit == 0 {
                    (
                        MultiSig::removeSpendingLimitCall {
                            spender: who,
                            token,
                        }
                        .abi_encode(),
                        "removeSpendingLimit",
                    )
                } else {
                    let destinations = limit
                        .map(|l| {
                            l.destinations
                                .iter()
                                .map(|d| reader.address(d))
                                .collect::<Result<Vec<_>, _>>()
                        })
                        .transpose()?
                        .unwrap_or_default();
                    (
                        MultiSig::setSpendingLimitCall {
                            spender: who,
                            token,
                            amount: *new_limit,
                            period: limit.map_or(0, |l| l.period),
                            destinations,
                        }
                        .abi_encode(),
                        "setSpendingLimit",
                    )
                };
                let lock_wait = state.time_lock.saturating_mul(k + 1);
                let proposal = Proposal {
                    to: vault,
                    value: U256::ZERO,
                    data: data.into(),
                    nonce: state.nonce + U256::from(k),
                    deadline: U256::from(deadline.saturating_add(lock_wait)),
                    configVersion: state.config_version + U256::from(k),
                    minGas: U256::from(config.min_gas),
                };
                let what = if *new_limit == 0 {
                    format!("remove the spending limit of {}", kind.render(who))
                } else {
                    format!(
                        "lower the spending limit of {} to {} USDT per period",
                        kind.render(who),
                        usdt(*new_limit)
                    )
                };
                let description = format!(
                    "treasury watch: {what} on the vault {} (it could still send {} USDT); step {} of {limits}: execute after the earlier steps (each limit change bumps the config version)",
                    kind.render(vault),
                    usdt(*remaining),
                    k + 1,
                );
                let file = ProposalFile::new(
                    kind,
                    vault,
                    domain.clone(),
                    proposal,
                    state.owners.clone(),
                    state.threshold,
                    state.time_lock,
                    Some(description),
                );
                let path = file_path(config, target, &format!("limit-{}-{spender}", k + 1));
                save(&file, &path)?;
                json!({
                    "kind": "spending_limit",
                    "multisig": m.vault,
                    "spender": spender,
                    "call": call,
                    "remaining": remaining.to_string(),
                    "new_limit": new_limit.to_string(),
                    "covers": action.covers().to_string(),
                    "step": k + 1,
                    "steps": limits,
                    "file": path.display().to_string(),
                    "nonce": (state.nonce + U256::from(k)).to_string(),
                    "config_version": (state.config_version + U256::from(k)).to_string(),
                    "digest": format!("{:#x}", file.digest()),
                    "threshold": state.threshold,
                    "time_lock": state.time_lock,
                })
            }
        };
        out.push(view);
    }
    Ok(out)
}
