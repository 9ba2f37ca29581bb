//! The treasury watch's chain side (the share itself is `rules::treasury`): reads
//! the vault's and the hot wallets' token balances and the vault's spending limits
//! at the indexer's block, and writes the proposal files that move an excess back
//! into the vault — the SDK's proposal file, so the owners take it through
//! `stablerail evm multisig sign` and `execute` like any other.

use std::path::{Path, PathBuf};

use alloy::{
    eips::BlockId,
    primitives::{Address, U256},
    providers::DynProvider,
    sol_types::SolCall,
};
use serde_json::{Value, json};
use stablerail_sdk::evm::{
    Chain, EvmError, IERC20, MultiSig, MultiSigClient, Proposal, ProposalError, ProposalFile,
    parse_evm_address,
};

use crate::risk::{
    config::{Treasury, TreasuryChain},
    rules::treasury::{Allowance, Measurement},
    usdt,
};

/// What can go wrong reading a treasury or writing its proposal.
#[derive(Debug, thiserror::Error)]
pub enum TreasuryError {
    /// A configured address is not an EVM address (the configuration check refuses
    /// this at start; kept for a caller that skipped it).
    #[error("treasury address {0:?} is not an EVM address")]
    Address(String),
    /// A contract read failed.
    #[error("treasury read {what}: {message}")]
    Read {
        /// What was read.
        what: &'static str,
        /// The node's answer.
        message: String,
    },
    /// The hot multisig could not be read.
    #[error(transparent)]
    Multisig(#[from] EvmError),
    /// The proposal file could not be written.
    #[error(transparent)]
    Proposal(#[from] ProposalError),
}

fn address(text: &str) -> Result<Address, TreasuryError> {
    parse_evm_address(text).ok_or_else(|| TreasuryError::Address(text.to_owned()))
}

fn read_error(what: &'static str) -> impl Fn(alloy::contract::Error) -> TreasuryError {
    move |e| TreasuryError::Read {
        what,
        message: e.to_string(),
    }
}

/// Where a block's treasury is read.
#[derive(Debug, Clone)]
pub struct At {
    /// Block height.
    pub number: u64,
    /// Its hash.
    pub hash: String,
    /// Its time, Unix seconds.
    pub time: u64,
}

/// The treasury `t` at block `at`: balances of `token` and the vault's limits.
pub async fn measure(
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
    let vault = address(&t.vault)?;
    let vault_balance = balance(vault).await?;
    let multisig = MultiSig::new(vault, provider.clone());
    let mut allowances = Vec::new();
    for s in &t.spenders {
        let l = multisig
            .spendingLimit(address(s)?, token)
            .block(block)
            .call()
            .await
            .map_err(read_error("spendingLimit"))?;
        allowances.push(Allowance {
            spender: s.to_lowercase(),
            amount: l.amount,
            spent: l.spent,
            period_start: l.periodStart,
            period: l.period,
        });
    }
    let mut hot = Vec::new();
    for h in &t.hot_wallets {
        hot.push((h.to_lowercase(), balance(address(h)?).await?));
    }
    Ok(Measurement {
        block_number: at.number,
        block_hash: at.hash.clone(),
        block_time: at.time,
        vault: t.vault.to_lowercase(),
        vault_balance,
        allowances,
        hot,
    })
}

/// The hot wallets of `m` that are multisigs (they answer EIP-5267), with their
/// balances: only these can be emptied by a proposal.
pub async fn hot_multisigs(provider: &DynProvider, m: &Measurement) -> Vec<(String, u128)> {
    let mut out = Vec::new();
    for (a, b) in &m.hot {
        let Ok(addr) = address(a) else { continue };
        if MultiSigClient::connect(addr, provider.clone())
            .await
            .is_ok()
        {
            out.push((a.clone(), *b));
        }
    }
    out
}

/// Writes, for each move (hot multisig, amount), a proposal file in which the hot
/// multisig transfers `amount` of `token` to the vault; nonce, owners, threshold,
/// time lock and domain are read from the multisig, the deadline is
/// `deadline_secs` after `now` (chain time). Returns what each file is.
pub async fn write_proposals(
    provider: &DynProvider,
    token: Address,
    config: &Treasury,
    (chain, vault): (&str, &str),
    moves: &[(String, u128)],
    (block, now): (u64, u64),
) -> Result<Vec<Value>, TreasuryError> {
    let vault_address = address(vault)?;
    let mut out = Vec::new();
    for (hot, amount) in moves {
        let hot_address = address(hot)?;
        let client = MultiSigClient::connect(hot_address, provider.clone()).await?;
        let state = client.state().await?;
        let data = IERC20::transferCall {
            to: vault_address,
            amount: U256::from(*amount),
        }
        .abi_encode();
        let proposal = Proposal {
            to: token,
            value: U256::ZERO,
            data: data.into(),
            nonce: state.nonce,
            deadline: U256::from(now.saturating_add(config.deadline_secs)),
            configVersion: state.config_version,
            minGas: U256::from(config.min_gas),
        };
        let description = format!(
            "treasury watch: move {} USDT from hot multisig {} back to the vault {} (transfer({}, {}) on {})",
            usdt(*amount),
            Chain::Evm.render(hot_address),
            Chain::Evm.render(vault_address),
            Chain::Evm.render(vault_address),
            amount,
            Chain::Evm.render(token),
        );
        let file = ProposalFile::new(
            Chain::Evm,
            hot_address,
            client.domain_fields().clone(),
            proposal,
            state.owners,
            state.threshold,
            state.time_lock,
            Some(description),
        );
        let path = file_path(&config.proposal_dir, chain, block, hot);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ProposalError::Io {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
        }
        file.save(&path)?;
        out.push(json!({
            "file": path.display().to_string(),
            "multisig": hot,
            "amount": amount.to_string(),
            "nonce": state.nonce.to_string(),
            "digest": format!("{:#x}", file.digest()),
            "threshold": state.threshold,
        }));
    }
    Ok(out)
}

/// `<dir>/treasury-<chain>-<block>-<hot multisig>.json`.
fn file_path(dir: &Path, chain: &str, block: u64, hot: &str) -> PathBuf {
    dir.join(format!("treasury-{chain}-{block}-{hot}.json"))
}
