//! What the treasury watch's two chain sides share (`treasury.rs` for EVM and TRON,
//! `treasury_solana.rs` for Solana): the error, the block a treasury is read at,
//! the target an action list is written for, and the proposal files — where they
//! go, how they are saved, and how a reorg withdraws them.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use stablerail_sdk::evm::{ProposalError, ProposalFile};

use crate::risk::{config::Treasury, reader::ReadError, rules::treasury::Measurement};

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
    /// The Solana node's finalized slot moved during every attempt to read the
    /// treasury's accounts at one slot.
    #[error("the Solana node's slot moved during each of {0} readings")]
    SlotMoving(u32),
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
    /// The indexer's finalized block (Solana reads no older state).
    pub finalized: u64,
}

/// The chain, token and measurement an action list is written for.
pub struct Target<'a> {
    /// The chain's name in the configuration.
    pub chain: &'a str,
    /// Its USDT contract (Solana: mint), as configured.
    pub token: &'a str,
    /// The measurement that showed the excess.
    pub measurement: &'a Measurement,
}

pub(crate) fn save(file: &ProposalFile, path: &Path) -> Result<(), TreasuryError> {
    create_dir(path)?;
    file.save(path)?;
    Ok(())
}

fn create_dir(path: &Path) -> Result<(), TreasuryError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ProposalError::Io {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
    }
    Ok(())
}

/// Writes a Solana proposal file at `path` (its directory created).
pub(crate) fn save_solana(
    file: &stablerail_sdk::solana::SolanaProposalFile,
    path: &Path,
) -> Result<(), TreasuryError> {
    create_dir(path)?;
    file.save(path)
        .map_err(|e| TreasuryError::Read(ReadError::Solana(e.to_string())))
}

/// `<dir>/treasury-<chain>-<block>-<first 8 hex of its hash>-<what>.json`: the hash
/// keeps the files of two branches at one height apart.
pub(crate) fn file_path(config: &Treasury, target: &Target<'_>, what: &str) -> PathBuf {
    let m = target.measurement;
    let hash: String = m
        .block_hash
        .trim_start_matches("0x")
        .chars()
        .take(8)
        .collect();
    config.proposal_dir.join(format!(
        "treasury-{}-{}-{hash}-{what}.json",
        target.chain, m.block_number
    ))
}

/// What a withdrawn file is renamed to: no longer a `.json` an owner picks up.
pub const WITHDRAWN_SUFFIX: &str = ".withdrawn";

/// Marks the actions of a treasury alert's `details` withdrawn (its measurement was
/// rolled back by a reorg): each proposal file is renamed `<file>.withdrawn`, so
/// `sign`/`execute --file <file>` no longer find it, and its view says
/// `"state": "withdrawn"` with the new name. Idempotent (a file already renamed, or
/// gone, is left as it is). Returns whether anything changed.
pub fn withdraw_files(details: &mut Value) -> bool {
    let Some(actions) = details.get_mut("actions").and_then(Value::as_array_mut) else {
        return false;
    };
    let mut changed = false;
    for a in actions {
        if a.get("state").and_then(Value::as_str) == Some("withdrawn") {
            continue;
        }
        a["state"] = json!("withdrawn");
        changed = true;
        let Some(file) = a.get("file").and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        let renamed = format!("{file}{WITHDRAWN_SUFFIX}");
        match std::fs::rename(&file, &renamed) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(file, "treasury watch: withdrawn proposal file already gone");
            }
            Err(e) => {
                tracing::warn!(file, error = %e, "treasury watch: withdrawn proposal file not renamed");
                a["rename_error"] = json!(e.to_string());
                continue;
            }
        }
        a["file"] = json!(renamed);
    }
    changed
}
