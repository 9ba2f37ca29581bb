//! A Solana proposal written down before it is on chain: the multisig, what it
//! is for, and the exact instructions its vault is to sign. A service that holds
//! no owner key (the gateway's treasury watch) writes one; an owner proposes it
//! with `stablerail solana multisig propose --multisig <m> file --path <file>`,
//! the owners approve it and one executes it, as any other proposal. JSON, with
//! addresses in base58 and instruction data in base64, so an owner can read what
//! they propose.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use solana_pubkey::Pubkey;

use super::error::SolanaError;
use super::multisig::{ProposalAccountMeta, ProposalInstruction, validate_proposal};
use crate::solana::pda;

/// The file format's version.
pub const PROPOSAL_FILE_VERSION: u32 = 1;

/// One account of an instruction in a proposal file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileAccount {
    /// Its address, base58.
    pub pubkey: String,
    /// Whether it signs (only the vault may).
    pub is_signer: bool,
    /// Whether it is written.
    pub is_writable: bool,
}

/// One instruction of a proposal file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInstruction {
    /// The program, base58.
    pub program_id: String,
    /// Its accounts in order.
    pub accounts: Vec<FileAccount>,
    /// Its data, base64.
    pub data: String,
}

/// A proposal for a Solana multisig, not yet on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SolanaProposalFile {
    /// [`PROPOSAL_FILE_VERSION`].
    pub version: u32,
    /// The multisig account, base58.
    pub multisig: String,
    /// What the proposal does, for the owners.
    pub description: String,
    /// What the multisig's vault signs on execution.
    pub instructions: Vec<FileInstruction>,
}

fn file_error(path: &Path, reason: impl ToString) -> SolanaError {
    SolanaError::ProposalFile {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

impl SolanaProposalFile {
    /// A file for `multisig` carrying `instructions` (checked as
    /// `proposal_create` checks them).
    pub fn new(
        multisig: &Pubkey,
        description: String,
        instructions: &[ProposalInstruction],
    ) -> Result<Self, SolanaError> {
        validate_proposal(instructions, &pda::multisig_vault(multisig))?;
        Ok(Self {
            version: PROPOSAL_FILE_VERSION,
            multisig: multisig.to_string(),
            description,
            instructions: instructions
                .iter()
                .map(|ix| FileInstruction {
                    program_id: ix.program_id.to_string(),
                    accounts: ix
                        .accounts
                        .iter()
                        .map(|m| FileAccount {
                            pubkey: m.pubkey.to_string(),
                            is_signer: m.is_signer,
                            is_writable: m.is_writable,
                        })
                        .collect(),
                    data: BASE64.encode(&ix.data),
                })
                .collect(),
        })
    }

    /// The multisig.
    pub fn multisig(&self) -> Result<Pubkey, SolanaError> {
        parse(&self.multisig)
    }

    /// The instructions, decoded and checked as `proposal_create` checks them.
    pub fn instructions(&self) -> Result<Vec<ProposalInstruction>, SolanaError> {
        let out = self
            .instructions
            .iter()
            .map(|ix| {
                Ok(ProposalInstruction {
                    program_id: parse(&ix.program_id)?,
                    accounts: ix
                        .accounts
                        .iter()
                        .map(|m| {
                            Ok(ProposalAccountMeta {
                                pubkey: parse(&m.pubkey)?,
                                is_signer: m.is_signer,
                                is_writable: m.is_writable,
                            })
                        })
                        .collect::<Result<_, SolanaError>>()?,
                    data: BASE64.decode(&ix.data).map_err(|_| {
                        SolanaError::ProposalInstruction {
                            index: 0,
                            reason: "data is not base64",
                        }
                    })?,
                })
            })
            .collect::<Result<Vec<_>, SolanaError>>()?;
        validate_proposal(&out, &pda::multisig_vault(&self.multisig()?))?;
        Ok(out)
    }

    /// Reads a file (and checks its version, multisig and instructions).
    pub fn load(path: &Path) -> Result<Self, SolanaError> {
        let text = std::fs::read_to_string(path).map_err(|e| file_error(path, e))?;
        let file: Self = serde_json::from_str(&text).map_err(|e| file_error(path, e))?;
        if file.version != PROPOSAL_FILE_VERSION {
            return Err(file_error(
                path,
                format!(
                    "version {} (this client reads {PROPOSAL_FILE_VERSION})",
                    file.version
                ),
            ));
        }
        file.instructions().map_err(|e| file_error(path, e))?;
        Ok(file)
    }

    /// Writes the file (pretty JSON).
    pub fn save(&self, path: &Path) -> Result<(), SolanaError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| file_error(path, e))?;
        std::fs::write(path, text + "\n").map_err(|e| file_error(path, e))
    }
}

fn parse(text: &str) -> Result<Pubkey, SolanaError> {
    text.parse().map_err(|_| SolanaError::Pubkey {
        input: text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solana::MultisigProgram;

    #[test]
    fn round_trip_and_refusals() {
        let m = MultisigProgram::new(Pubkey::new_from_array([3; 32]));
        let ix =
            ProposalInstruction::from(&m.spending_limit_remove(&Pubkey::new_from_array([4; 32])));
        let file = SolanaProposalFile::new(&m.multisig, "remove".into(), std::slice::from_ref(&ix))
            .unwrap();
        let dir = std::env::temp_dir().join(format!("sol-proposal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.json");
        file.save(&path).unwrap();
        let back = SolanaProposalFile::load(&path).unwrap();
        assert_eq!(back, file);
        assert_eq!(back.instructions().unwrap(), vec![ix.clone()]);
        assert_eq!(back.multisig().unwrap(), m.multisig);
        // Another multisig's vault cannot sign: refused when written and when read.
        let other = Pubkey::new_from_array([5; 32]);
        assert!(SolanaProposalFile::new(&other, "x".into(), &[ix]).is_err());
        let mut bad = file.clone();
        bad.multisig = other.to_string();
        bad.save(&path).unwrap();
        assert!(SolanaProposalFile::load(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
