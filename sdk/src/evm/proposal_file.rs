//! A multisig proposal as a JSON file that travels between owners: the call
//! (target, value, calldata), the nonce and deadline, the chain and the EIP-712
//! domain read from the contract, the owners and threshold at proposal time, and
//! the signatures collected so far.
//!
//! The same file serves Ethereum and TRON (the TRON multisig is the same Solidity;
//! its `eip712Domain()` carries TRON's chain id). Addresses are written in the
//! chain's own form: checksummed hex on EVM, base58 on TRON. Each signature is
//! checked to recover to an owner when added; the digest is recomputed on load, so
//! a file edited after signing began is refused.

use std::{collections::BTreeMap, path::Path};

use alloy::{
    primitives::{Address, B256, Bytes, Signature, U256},
    signers::SignerSync,
    sol_types::SolStruct,
};
use serde::{Deserialize, Serialize};

use super::chain::Chain;
use super::eip712::{DomainFields, Proposal};
use super::error::ProposalError;

/// The file format version this SDK writes and reads.
pub const PROPOSAL_FILE_VERSION: u32 = 2;

/// How a proposal was submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// `executed` or `scheduled`.
    pub kind: String,
    /// The submitting transaction (hash on EVM, txID on TRON).
    pub tx: String,
    /// For a scheduled proposal: when it becomes executable (unix seconds).
    pub eta: Option<u64>,
}

/// A proposal with its context and signatures; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalFile {
    /// The chain family.
    pub chain: Chain,
    /// The multisig.
    pub multisig: Address,
    /// Its EIP-712 domain, as read from the contract.
    pub domain: DomainFields,
    /// The call, nonce and deadline owners sign.
    pub proposal: Proposal,
    /// The owners when the proposal was made.
    pub owners: Vec<Address>,
    /// The threshold when the proposal was made.
    pub threshold: usize,
    /// The time lock (seconds) when the proposal was made.
    pub time_lock: u64,
    /// What the call does, for the owners reading the file (e.g. `resolve(7, 5000)`).
    pub description: Option<String>,
    /// How it was submitted, once it was.
    pub submitted: Vec<Submission>,
    signatures: BTreeMap<Address, Signature>,
}

#[derive(Serialize, Deserialize)]
struct DomainJson {
    fields: String,
    name: String,
    version: String,
    chain_id: String,
    verifying_contract: String,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct SignatureJson {
    signer: String,
    signature: String,
}

#[derive(Serialize, Deserialize)]
struct FileJson {
    version: u32,
    chain: String,
    multisig: String,
    to: String,
    value: String,
    data: String,
    nonce: String,
    deadline: String,
    config_version: String,
    min_gas: String,
    description: Option<String>,
    domain: DomainJson,
    owners: Vec<String>,
    threshold: usize,
    time_lock: u64,
    digest: String,
    signatures: Vec<SignatureJson>,
    #[serde(default)]
    submitted: Vec<Submission>,
}

impl ProposalFile {
    /// A new, unsigned proposal file.
    #[allow(clippy::too_many_arguments)] // every field is part of what owners sign or check
    pub fn new(
        chain: Chain,
        multisig: Address,
        domain: DomainFields,
        proposal: Proposal,
        owners: Vec<Address>,
        threshold: usize,
        time_lock: u64,
        description: Option<String>,
    ) -> Self {
        Self {
            chain,
            multisig,
            domain,
            proposal,
            owners,
            threshold,
            time_lock,
            description,
            submitted: Vec::new(),
            signatures: BTreeMap::new(),
        }
    }

    /// The EIP-712 digest owners sign (the multisig's `proposalHash`).
    pub fn digest(&self) -> B256 {
        self.proposal.eip712_signing_hash(&self.domain.domain())
    }

    /// The deadline in unix seconds (saturating).
    pub fn deadline(&self) -> u64 {
        u64::try_from(self.proposal.deadline).unwrap_or(u64::MAX)
    }

    /// Adds `signer`'s signature after checking that `signer` is an owner, has not
    /// signed yet, and that the signature recovers to it over this proposal's digest.
    pub fn add_signature(
        &mut self,
        signer: Address,
        signature: Signature,
    ) -> Result<(), ProposalError> {
        if !self.owners.contains(&signer) {
            return Err(ProposalError::NotOwner {
                signer: self.chain.render(signer),
            });
        }
        if self.signatures.contains_key(&signer) {
            return Err(ProposalError::DuplicateSigner {
                signer: self.chain.render(signer),
            });
        }
        self.check_signature(signer, &signature)?;
        self.signatures.insert(signer, signature);
        Ok(())
    }

    /// Signs the digest with `signer` (any synchronous alloy signer; on TRON the
    /// owner's secp256k1 key) and adds the signature.
    pub fn sign<S: SignerSync>(
        &mut self,
        signer: &S,
        address: Address,
    ) -> Result<(), ProposalError> {
        // Refuse before signing: a non-owner or a second signature never gets made.
        if !self.owners.contains(&address) {
            return Err(ProposalError::NotOwner {
                signer: self.chain.render(address),
            });
        }
        if self.signatures.contains_key(&address) {
            return Err(ProposalError::DuplicateSigner {
                signer: self.chain.render(address),
            });
        }
        let signature =
            signer
                .sign_hash_sync(&self.digest())
                .map_err(|e| ProposalError::Format {
                    message: format!("signing failed: {e}"),
                })?;
        self.add_signature(address, signature)
    }

    fn check_signature(&self, signer: Address, signature: &Signature) -> Result<(), ProposalError> {
        let recovered = signature.recover_address_from_prehash(&self.digest()).ok();
        if recovered != Some(signer) {
            return Err(ProposalError::BadSignature {
                signer: self.chain.render(signer),
                recovered: recovered.map(|a| self.chain.render(a)).unwrap_or_default(),
            });
        }
        Ok(())
    }

    /// Signers so far, ascending (the order the contract requires).
    pub fn signers(&self) -> Vec<Address> {
        self.signatures.keys().copied().collect()
    }

    /// The contract's `signatures` argument from the signatures of `owners` (the
    /// multisig's current owners): 65-byte r‖s‖v each, ascending by signer.
    pub fn encoded_signatures(&self, owners: &[Address]) -> Bytes {
        let mut out = Vec::with_capacity(65 * self.signatures.len());
        for (signer, signature) in &self.signatures {
            if owners.contains(signer) {
                out.extend_from_slice(&signature.as_bytes());
            }
        }
        out.into()
    }

    /// Checks the proposal can be submitted now: its nonce is the multisig's,
    /// it has not expired, and enough current owners signed. `owners`, `threshold`,
    /// `nonce` and `now` are read from the chain.
    pub fn check_ready(
        &self,
        owners: &[Address],
        threshold: usize,
        nonce: U256,
        now: u64,
    ) -> Result<(), ProposalError> {
        self.check_nonce(nonce)?;
        if self.deadline() <= now {
            return Err(ProposalError::Expired {
                deadline: self.deadline(),
                now,
            });
        }
        let have = self.signers().iter().filter(|s| owners.contains(s)).count();
        if have < threshold {
            return Err(ProposalError::BelowThreshold {
                have,
                need: threshold,
            });
        }
        Ok(())
    }

    /// The proposal's nonce is the multisig's current `nonce`.
    pub fn check_nonce(&self, nonce: U256) -> Result<(), ProposalError> {
        if self.proposal.nonce < nonce {
            return Err(ProposalError::NonceUsed {
                proposal: self.proposal.nonce,
                current: nonce,
            });
        }
        if self.proposal.nonce > nonce {
            return Err(ProposalError::NonceAhead {
                proposal: self.proposal.nonce,
                current: nonce,
            });
        }
        Ok(())
    }

    /// The proposal was made under the multisig's current configuration `version`.
    pub fn check_config_version(&self, version: U256) -> Result<(), ProposalError> {
        if self.proposal.configVersion != version {
            return Err(ProposalError::ConfigChanged {
                proposal: self.proposal.configVersion,
                current: version,
            });
        }
        Ok(())
    }

    /// Checks the file is for `chain`'s multisig at `multisig`.
    pub fn check_target(&self, chain: Chain, multisig: Address) -> Result<(), ProposalError> {
        if self.chain != chain || self.multisig != multisig {
            return Err(ProposalError::WrongMultisig {
                file: format!(
                    "{} {}",
                    self.chain.as_str(),
                    self.chain.render(self.multisig)
                ),
                given: format!("{} {}", chain.as_str(), chain.render(multisig)),
            });
        }
        Ok(())
    }

    /// The file's JSON text.
    pub fn to_json(&self) -> String {
        let c = self.chain;
        let d = &self.domain;
        let json = FileJson {
            version: PROPOSAL_FILE_VERSION,
            chain: c.as_str().to_owned(),
            multisig: c.render(self.multisig),
            to: c.render(self.proposal.to),
            value: self.proposal.value.to_string(),
            data: self.proposal.data.to_string(),
            nonce: self.proposal.nonce.to_string(),
            deadline: self.proposal.deadline.to_string(),
            config_version: self.proposal.configVersion.to_string(),
            min_gas: self.proposal.minGas.to_string(),
            description: self.description.clone(),
            domain: DomainJson {
                fields: format!("0x{:02x}", d.fields),
                name: d.name.clone(),
                version: d.version.clone(),
                chain_id: d.chain_id.to_string(),
                verifying_contract: c.render(d.verifying_contract),
                salt: d.salt.to_string(),
            },
            owners: self.owners.iter().map(|&a| c.render(a)).collect(),
            threshold: self.threshold,
            time_lock: self.time_lock,
            digest: self.digest().to_string(),
            signatures: self
                .signatures
                .iter()
                .map(|(&signer, sig)| SignatureJson {
                    signer: c.render(signer),
                    signature: Bytes::from(sig.as_bytes().to_vec()).to_string(),
                })
                .collect(),
            submitted: self.submitted.clone(),
        };
        // Serializing plain strings and numbers cannot fail.
        serde_json::to_string_pretty(&json).unwrap_or_default()
    }

    /// Parses a file's JSON text, recomputing the digest and re-checking every signature.
    pub fn from_json(text: &str) -> Result<Self, ProposalError> {
        let j: FileJson = serde_json::from_str(text).map_err(|e| ProposalError::Format {
            message: e.to_string(),
        })?;
        if j.version != PROPOSAL_FILE_VERSION {
            return Err(ProposalError::Format {
                message: format!("version {} is not {PROPOSAL_FILE_VERSION}", j.version),
            });
        }
        let c: Chain = j.chain.parse()?;
        let field = |field: &'static str, value: &str| ProposalError::Field {
            field,
            value: value.to_owned(),
        };
        let addr = |field: &'static str, value: &str| {
            c.parse_address(value).map_err(|_| ProposalError::Field {
                field,
                value: value.to_owned(),
            })
        };
        let uint =
            |name: &'static str, value: &str| value.parse::<U256>().map_err(|_| field(name, value));
        let fields_hex = j.domain.fields.trim_start_matches("0x");
        let fields = u8::from_str_radix(fields_hex, 16)
            .map_err(|_| field("domain.fields", &j.domain.fields))?;
        let domain = DomainFields {
            fields,
            name: j.domain.name,
            version: j.domain.version,
            chain_id: uint("domain.chain_id", &j.domain.chain_id)?,
            verifying_contract: addr("domain.verifying_contract", &j.domain.verifying_contract)?,
            salt: j
                .domain
                .salt
                .parse()
                .map_err(|_| field("domain.salt", &j.domain.salt))?,
        };
        let proposal = Proposal {
            to: addr("to", &j.to)?,
            value: uint("value", &j.value)?,
            data: j.data.parse().map_err(|_| field("data", &j.data))?,
            nonce: uint("nonce", &j.nonce)?,
            deadline: uint("deadline", &j.deadline)?,
            configVersion: uint("config_version", &j.config_version)?,
            minGas: uint("min_gas", &j.min_gas)?,
        };
        let owners = j
            .owners
            .iter()
            .map(|o| addr("owners", o))
            .collect::<Result<Vec<_>, _>>()?;
        let mut file = Self::new(
            c,
            addr("multisig", &j.multisig)?,
            domain,
            proposal,
            owners,
            j.threshold,
            j.time_lock,
            j.description,
        );
        file.submitted = j.submitted;
        let computed = file.digest().to_string();
        if computed != j.digest {
            return Err(ProposalError::DigestMismatch {
                stored: j.digest,
                computed,
            });
        }
        for s in &j.signatures {
            let signer = addr("signatures.signer", &s.signer)?;
            let bytes: Bytes = s
                .signature
                .parse()
                .map_err(|_| field("signatures.signature", &s.signature))?;
            let signature = Signature::from_raw(&bytes)
                .map_err(|_| field("signatures.signature", &s.signature))?;
            file.add_signature(signer, signature)?;
        }
        Ok(file)
    }

    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ProposalError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProposalError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_json(&text)
    }

    /// Writes the file to `path` atomically (a temporary file renamed over it), so an
    /// interrupted write never leaves half a proposal.
    pub fn save(&self, path: &Path) -> Result<(), ProposalError> {
        let io = |e: std::io::Error| ProposalError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, self.to_json() + "\n").map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::local::PrivateKeySigner;

    fn key(n: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
    }

    fn file(chain: Chain, owners: Vec<Address>) -> ProposalFile {
        ProposalFile::new(
            chain,
            Address::repeat_byte(0xaa),
            DomainFields {
                fields: 0x0f,
                name: "stablerail MultiSig".into(),
                version: "1".into(),
                chain_id: U256::from(0x2b6653dcu64),
                verifying_contract: Address::repeat_byte(0xaa),
                salt: B256::ZERO,
            },
            Proposal {
                to: Address::repeat_byte(0xbb),
                value: U256::ZERO,
                data: Bytes::from(vec![1, 2, 3]),
                nonce: U256::from(4),
                deadline: U256::from(1_000),
                configVersion: U256::from(1),
                minGas: U256::from(50_000),
            },
            owners,
            2,
            0,
            Some("test".into()),
        )
    }

    #[test]
    fn round_trip_with_signatures_sorted_and_checked() {
        let (a, b, outsider) = (key(1), key(2), key(3));
        for chain in [Chain::Evm, Chain::Tron] {
            let mut f = file(chain, vec![a.address(), b.address()]);
            f.sign(&b, b.address()).unwrap();
            f.sign(&a, a.address()).unwrap();
            assert!(matches!(
                f.sign(&a, a.address()),
                Err(ProposalError::DuplicateSigner { .. })
            ));
            assert!(matches!(
                f.sign(&outsider, outsider.address()),
                Err(ProposalError::NotOwner { .. })
            ));
            // A signature listed under the wrong owner is refused.
            let mut g = file(chain, vec![a.address(), b.address()]);
            let sig = a.sign_hash_sync(&g.digest()).unwrap();
            assert!(matches!(
                g.add_signature(b.address(), sig),
                Err(ProposalError::BadSignature { .. })
            ));
            let text = f.to_json();
            if chain == Chain::Tron {
                assert!(text.contains("\"multisig\": \"T"), "{text}");
            }
            let back = ProposalFile::from_json(&text).unwrap();
            assert_eq!(back, f);
            let mut sorted = vec![a.address(), b.address()];
            sorted.sort();
            assert_eq!(back.signers(), sorted);
            assert_eq!(back.encoded_signatures(&sorted).len(), 130);
            // Editing the call after signing is caught.
            let edited = text.replace("0x010203", "0x010204");
            assert!(matches!(
                ProposalFile::from_json(&edited),
                Err(ProposalError::DigestMismatch { .. })
            ));
        }
    }

    #[test]
    fn readiness() {
        let (a, b) = (key(1), key(2));
        let owners = vec![a.address(), b.address()];
        let mut f = file(Chain::Evm, owners.clone());
        f.sign(&a, a.address()).unwrap();
        assert!(matches!(
            f.check_ready(&owners, 2, U256::from(4), 10),
            Err(ProposalError::BelowThreshold { have: 1, need: 2 })
        ));
        f.sign(&b, b.address()).unwrap();
        assert!(f.check_ready(&owners, 2, U256::from(4), 10).is_ok());
        assert!(matches!(
            f.check_ready(&owners, 2, U256::from(5), 10),
            Err(ProposalError::NonceUsed { .. })
        ));
        assert!(matches!(
            f.check_ready(&owners, 2, U256::from(3), 10),
            Err(ProposalError::NonceAhead { .. })
        ));
        assert!(matches!(
            f.check_ready(&owners, 2, U256::from(4), 1_000),
            Err(ProposalError::Expired { .. })
        ));
        // An owner removed since signing no longer counts.
        assert!(f.check_ready(&owners[..1], 2, U256::from(4), 10).is_err());
    }
}
