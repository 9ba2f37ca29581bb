//! `MultiSig` proposals: EIP-712 hashing with the domain read from the contract
//! (EIP-5267, never a hard-coded chain id: TRON's differs), owner signatures
//! collected sorted and distinct, and submission (direct, or scheduled behind the
//! time lock).

use std::collections::BTreeMap;

use alloy::{
    primitives::{Address, B256, Bytes, FixedBytes, Signature, U256},
    providers::Provider,
    rpc::types::TransactionReceipt,
    signers::Signer,
    sol,
    sol_types::{Eip712Domain, SolStruct},
};

use super::bindings::MultiSig::{self, MultiSigInstance};
use crate::error::EvmError;

sol! {
    /// The EIP-712 struct owners sign; identical to `MultiSig.PROPOSAL_TYPEHASH`.
    #[derive(Debug, PartialEq, Eq)]
    struct Proposal {
        address to;
        uint256 value;
        bytes data;
        uint256 nonce;
        uint256 deadline;
    }

    /// The EIP-712 struct owners sign to cancel a scheduled proposal.
    #[derive(Debug)]
    struct Cancellation {
        bytes32 proposalHash;
    }
}

/// EIP-5267 field bits: which domain fields the contract uses.
const FIELD_NAME: u8 = 0x01;
const FIELD_VERSION: u8 = 0x02;
const FIELD_CHAIN_ID: u8 = 0x04;
const FIELD_VERIFYING_CONTRACT: u8 = 0x08;
const FIELD_SALT: u8 = 0x10;

/// Builds an EIP-712 domain from the fields `eip712Domain()` returned, honouring
/// its bitmask so a contract that omits a field is hashed the way it hashes itself.
pub fn domain_from_fields(
    fields: FixedBytes<1>,
    name: String,
    version: String,
    chain_id: U256,
    verifying_contract: Address,
    salt: B256,
) -> Eip712Domain {
    let bits = fields[0];
    let has = |bit: u8| bits & bit != 0;
    Eip712Domain::new(
        has(FIELD_NAME).then(|| name.into()),
        has(FIELD_VERSION).then(|| version.into()),
        has(FIELD_CHAIN_ID).then_some(chain_id),
        has(FIELD_VERIFYING_CONTRACT).then_some(verifying_contract),
        has(FIELD_SALT).then_some(salt),
    )
}

/// Owner signatures over one digest, kept sorted by signer and distinct, as the
/// contract requires.
#[derive(Debug, Clone)]
pub struct OwnerSignatures {
    digest: B256,
    by_signer: BTreeMap<Address, Signature>,
}

impl OwnerSignatures {
    /// An empty set for `digest`.
    pub fn new(digest: B256) -> Self {
        Self {
            digest,
            by_signer: BTreeMap::new(),
        }
    }

    /// Adds a signature after checking it recovers to `signer` over this digest,
    /// so a signature made for another chain, contract or nonce is caught here.
    pub fn add(&mut self, signer: Address, signature: Signature) -> Result<(), EvmError> {
        let recovered = signature
            .recover_address_from_prehash(&self.digest)
            .map_err(|_| EvmError::SignatureMismatch {
                expected: signer,
                recovered: Address::ZERO,
            })?;
        if recovered != signer {
            return Err(EvmError::SignatureMismatch {
                expected: signer,
                recovered,
            });
        }
        if self.by_signer.insert(signer, signature).is_some() {
            return Err(EvmError::DuplicateSigner { signer });
        }
        Ok(())
    }

    /// Signers collected so far, ascending.
    pub fn signers(&self) -> impl Iterator<Item = &Address> {
        self.by_signer.keys()
    }

    /// Number of signatures.
    pub fn len(&self) -> usize {
        self.by_signer.len()
    }

    /// True when no owner has signed.
    pub fn is_empty(&self) -> bool {
        self.by_signer.is_empty()
    }

    /// The `signatures` argument: 65-byte r‖s‖v signatures, ascending by signer.
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(65 * self.by_signer.len());
        for signature in self.by_signer.values() {
            out.extend_from_slice(&signature.as_bytes());
        }
        out.into()
    }
}

/// A connected `MultiSig` with its EIP-712 domain.
#[derive(Debug, Clone)]
pub struct MultiSigClient<P> {
    contract: MultiSigInstance<P>,
    domain: Eip712Domain,
}

impl<P: Provider> MultiSigClient<P> {
    /// Connects to the multisig at `address`, reading its EIP-712 domain.
    pub async fn connect(address: Address, provider: P) -> Result<Self, EvmError> {
        let contract = MultiSig::new(address, provider);
        let d = contract
            .eip712Domain()
            .call()
            .await
            .map_err(|e| EvmError::call("eip712Domain", e))?;
        let domain = domain_from_fields(
            d.fields,
            d.name,
            d.version,
            d.chainId,
            d.verifyingContract,
            d.salt,
        );
        Ok(Self { contract, domain })
    }

    /// The domain read from the contract.
    pub fn domain(&self) -> &Eip712Domain {
        &self.domain
    }

    /// The contract's address.
    pub fn address(&self) -> Address {
        *self.contract.address()
    }

    /// The bound contract, for calls this client does not wrap.
    pub fn contract(&self) -> &MultiSigInstance<P> {
        &self.contract
    }

    /// A proposal calling `to` with `data` and `value`, at the contract's current
    /// nonce, valid until `deadline` (unix seconds).
    pub async fn propose(
        &self,
        to: Address,
        value: U256,
        data: Bytes,
        deadline: u64,
    ) -> Result<Proposal, EvmError> {
        let nonce = self
            .contract
            .nonce()
            .call()
            .await
            .map_err(|e| EvmError::call("nonce", e))?;
        Ok(Proposal {
            to,
            value,
            data,
            nonce,
            deadline: U256::from(deadline),
        })
    }

    /// The EIP-712 digest owners sign for `proposal`.
    pub fn digest(&self, proposal: &Proposal) -> B256 {
        proposal.eip712_signing_hash(&self.domain)
    }

    /// The EIP-712 digest owners sign to cancel the scheduled proposal `proposal_hash`.
    pub fn cancellation_digest(&self, proposal_hash: B256) -> B256 {
        Cancellation {
            proposalHash: proposal_hash,
        }
        .eip712_signing_hash(&self.domain)
    }

    /// Signs `digest` with one owner's signer (any alloy signer: local key, hardware, KMS).
    pub async fn sign<S: Signer + Sync>(digest: B256, signer: &S) -> Result<Signature, EvmError> {
        signer
            .sign_hash(&digest)
            .await
            .map_err(|e| EvmError::Signing {
                message: e.to_string(),
            })
    }

    /// Executes `proposal` at once (multisig without a time lock).
    pub async fn execute(
        &self,
        proposal: &Proposal,
        signatures: &OwnerSignatures,
    ) -> Result<TransactionReceipt, EvmError> {
        self.check_digest(proposal, signatures)?;
        let call = self.contract.execute(
            proposal.to,
            proposal.value,
            proposal.data.clone(),
            proposal.nonce,
            proposal.deadline,
            signatures.encode(),
        );
        let call = call.value(proposal.value);
        super::escrow::send("execute", call).await
    }

    /// Schedules `proposal` behind the time lock; returns the receipt (the
    /// proposal hash is [`Self::digest`]).
    pub async fn schedule(
        &self,
        proposal: &Proposal,
        signatures: &OwnerSignatures,
    ) -> Result<TransactionReceipt, EvmError> {
        self.check_digest(proposal, signatures)?;
        let call = self.contract.schedule(
            proposal.to,
            proposal.value,
            proposal.data.clone(),
            proposal.nonce,
            proposal.deadline,
            signatures.encode(),
        );
        super::escrow::send("schedule", call).await
    }

    /// Executes a scheduled proposal once its time lock has passed. Anyone may call.
    pub async fn execute_scheduled(
        &self,
        proposal: &Proposal,
    ) -> Result<TransactionReceipt, EvmError> {
        let call = self
            .contract
            .executeScheduled(
                proposal.to,
                proposal.value,
                proposal.data.clone(),
                proposal.nonce,
                proposal.deadline,
            )
            .value(proposal.value);
        super::escrow::send("executeScheduled", call).await
    }

    /// Cancels a scheduled proposal with owner signatures over its cancellation digest.
    pub async fn cancel(
        &self,
        proposal_hash: B256,
        signatures: &OwnerSignatures,
    ) -> Result<TransactionReceipt, EvmError> {
        if signatures.digest != self.cancellation_digest(proposal_hash) {
            return Err(EvmError::DigestMismatch);
        }
        let call = self.contract.cancel(proposal_hash, signatures.encode());
        super::escrow::send("cancel", call).await
    }

    fn check_digest(
        &self,
        proposal: &Proposal,
        signatures: &OwnerSignatures,
    ) -> Result<(), EvmError> {
        if signatures.digest != self.digest(proposal) {
            return Err(EvmError::DigestMismatch);
        }
        Ok(())
    }
}
