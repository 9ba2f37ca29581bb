//! The treasury watch's chain side (the share itself is `rules::treasury`): reads
//! the vault's and the hot wallets' token balances and the vault's spending limits,
//! and writes the proposal files that move an excess back into the vault — the
//! SDK's proposal file, so the owners take it through `stablerail evm multisig sign`
//! (or `tron multisig`) and `execute` like any other.
//!
//! EVM and TRON run the same `MultiSig`, so one reading serves both; they differ in
//! *when* it can be read. An EVM node answers a call at any block, so the treasury
//! is read at the indexer's block. A TRON node answers `triggerconstantcontract` at
//! its head only, so there the treasury is read at the head, between two reads of
//! the head that must agree (else it is read again), and the measurement names
//! that block.

use std::path::{Path, PathBuf};

use alloy::{
    eips::BlockId,
    primitives::{Address, U256},
    providers::DynProvider,
    sol_types::SolCall,
};
use serde_json::{Value, json};
use stablerail_sdk::{
    evm::{IERC20, MultiSig, Proposal, ProposalError, ProposalFile},
    tron::{Address as TronAddress, TronClient},
};

use crate::risk::{
    config::{Treasury, TreasuryChain},
    reader::{ReadError, Reader, read_error, tron_error},
    rules::treasury::{Allowance, Measurement},
    usdt,
};

/// A spending limit as the contract reports it (the same struct on both chains; a
/// macro, since the SDK does not export the binding's struct type).
macro_rules! allowance {
    ($spender:expr, $l:expr) => {
        Allowance {
            spender: $spender,
            amount: $l.amount,
            spent: $l.spent,
            period_start: $l.periodStart,
            period: $l.period,
        }
    };
}

/// What can go wrong reading a treasury or writing its proposal.
#[derive(Debug, thiserror::Error)]
pub enum TreasuryError {
    /// A read failed (or a configured address is not the chain's).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The TRON node's head moved during every attempt to read the treasury at one
    /// block.
    #[error("the TRON node's head moved during each of {0} readings")]
    HeadMoving(u32),
    /// The proposal file could not be written.
    #[error(transparent)]
    Proposal(#[from] ProposalError),
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

/// The treasury `t`: balances of `token` and the vault's limits — on EVM at block
/// `at`, on TRON at the node's head (the measurement names the block read).
pub async fn measure(
    reader: &Reader,
    token: Address,
    t: &TreasuryChain,
    at: &At,
) -> Result<Measurement, TreasuryError> {
    match reader {
        Reader::Evm(provider) => measure_evm(reader, provider, token, t, at).await,
        Reader::Tron(client) => measure_tron(reader, client, token, t).await,
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
        allowances.push(allowance!(reader.show(spender), l));
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
            allowances.push(allowance!(reader.show(spender), l));
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

/// The hot wallets of `m` that are multisigs (they answer EIP-5267), with their
/// balances: only these can be emptied by a proposal.
pub async fn hot_multisigs(reader: &Reader, m: &Measurement) -> Vec<(String, u128)> {
    let mut out = Vec::new();
    for (a, b) in &m.hot {
        let Ok(addr) = reader.address(a) else {
            continue;
        };
        if reader.is_multisig(addr).await {
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
    reader: &Reader,
    token: Address,
    config: &Treasury,
    (chain, vault): (&str, &str),
    moves: &[(String, u128)],
    (block, now): (u64, u64),
) -> Result<Vec<Value>, TreasuryError> {
    let vault_address = reader.address(vault)?;
    let chain_kind = reader.chain();
    let mut out = Vec::new();
    for (hot, amount) in moves {
        let hot_address = reader.address(hot)?;
        let (state, domain) = reader.multisig(hot_address).await?;
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
            chain_kind.render(hot_address),
            chain_kind.render(vault_address),
            chain_kind.render(vault_address),
            amount,
            chain_kind.render(token),
        );
        let file = ProposalFile::new(
            chain_kind,
            hot_address,
            domain,
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
