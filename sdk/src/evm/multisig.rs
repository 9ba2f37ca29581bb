//! `MultiSig` proposals: EIP-712 hashing with the domain read from the contract
//! (EIP-5267, never a hard-coded chain id: TRON's differs), owner signatures
//! collected sorted and distinct, and submission (direct, or scheduled behind the
//! time lock).

use std::collections::BTreeMap;

use alloy::{
    primitives::{Address, B256, Bytes, Signature, U256},
    providers::Provider,
    rpc::types::TransactionReceipt,
    signers::Signer,
    sol_types::{Eip712Domain, SolStruct},
};

use super::bindings::MultiSig::{self, MultiSigInstance};
use super::call::{read, send};
use super::chain::Chain;
use super::eip712::{Cancellation, DomainFields, Proposal};
use super::error::EvmError;
use super::fees::Eip1559Fees;
use super::proposal_file::ProposalFile;

/// A multisig's configuration and nonce as read from the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiSigState {
    /// The owners, in the order they were added.
    pub owners: Vec<Address>,
    /// Signatures needed.
    pub threshold: usize,
    /// The nonce the next proposal must carry.
    pub nonce: U256,
    /// Seconds between scheduling and execution (0: execute at once).
    pub time_lock: u64,
    /// The configuration version approvals are bound to (docs/rules.md, "Multisig").
    pub config_version: U256,
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
    domain_fields: DomainFields,
    fees: Option<Eip1559Fees>,
}

impl<P: Provider> MultiSigClient<P> {
    /// Connects to the multisig at `address`, reading its EIP-712 domain.
    pub async fn connect(address: Address, provider: P) -> Result<Self, EvmError> {
        let contract = MultiSig::new(address, provider);
        let d = read("eip712Domain", contract.eip712Domain()).await?;
        let domain_fields = DomainFields {
            fields: d.fields[0],
            name: d.name,
            version: d.version,
            chain_id: d.chainId,
            verifying_contract: d.verifyingContract,
            salt: d.salt,
        };
        Ok(Self {
            contract,
            domain: domain_fields.domain(),
            domain_fields,
            fees: None,
        })
    }

    /// Sends every transaction with these EIP-1559 fees (else the provider's filler decides).
    pub fn with_fees(mut self, fees: Eip1559Fees) -> Self {
        self.fees = Some(fees);
        self
    }

    /// The domain read from the contract.
    pub fn domain(&self) -> &Eip712Domain {
        &self.domain
    }

    /// The raw EIP-5267 fields the domain was built from (what a proposal file stores).
    pub fn domain_fields(&self) -> &DomainFields {
        &self.domain_fields
    }

    /// Owners, threshold, nonce and time lock, read from the contract.
    pub async fn state(&self) -> Result<MultiSigState, EvmError> {
        let c = &self.contract;
        let owners = read("getOwners", c.getOwners()).await?;
        let threshold = read("threshold", c.threshold()).await?;
        let nonce = read("nonce", c.nonce()).await?;
        let time_lock = read("timeLock", c.timeLock()).await?;
        let version = read("configVersion", c.configVersion()).await?;
        Ok(MultiSigState {
            owners,
            threshold: usize::try_from(threshold).unwrap_or(usize::MAX),
            nonce,
            time_lock: u64::try_from(time_lock).unwrap_or(u64::MAX),
            config_version: U256::from(version),
        })
    }

    /// The eta of scheduled proposal `digest` (`None` when it is not scheduled).
    pub async fn scheduled_eta(&self, digest: B256) -> Result<Option<u64>, EvmError> {
        let s = read("scheduled", self.contract.scheduled(digest)).await?;
        Ok((s.eta != 0).then_some(s.eta))
    }

    /// Submits a proposal file's proposal with its signatures: executes it, or, with
    /// a time lock, schedules it. Checks nonce, deadline and threshold against the
    /// chain first (`now` is the chain's time), so a replayed or under-signed file
    /// fails before anything is signed.
    pub async fn submit(
        &self,
        file: &ProposalFile,
        now: u64,
    ) -> Result<(TransactionReceipt, bool), EvmError> {
        file.check_target(Chain::Evm, self.address())?;
        let state = self.state().await?;
        file.check_ready(&state.owners, state.threshold, state.nonce, now)?;
        file.check_config_version(state.config_version)?;
        let p = &file.proposal;
        let signatures = file.encoded_signatures(&state.owners);
        if state.time_lock > 0 {
            let call = self.contract.schedule(
                p.to,
                p.value,
                p.data.clone(),
                p.nonce,
                p.deadline,
                p.minGas,
                signatures,
            );
            let receipt = send("schedule", call, self.fees).await?;
            Ok((receipt, true))
        } else {
            let call = self
                .contract
                .execute(
                    p.to,
                    p.value,
                    p.data.clone(),
                    p.nonce,
                    p.deadline,
                    p.minGas,
                    signatures,
                )
                .value(p.value);
            let receipt = send("execute", call, self.fees).await?;
            Ok((receipt, false))
        }
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
    /// nonce and configuration version, valid until `deadline` (unix seconds), with
    /// no minimum gas for the inner call (see [`Self::propose_with_min_gas`]).
    pub async fn propose(
        &self,
        to: Address,
        value: U256,
        data: Bytes,
        deadline: u64,
    ) -> Result<Proposal, EvmError> {
        self.propose_with_min_gas(to, value, data, deadline, 0)
            .await
    }

    /// As [`Self::propose`], with the least gas the inner call must get (the
    /// contract refuses to run it with less; docs/rules.md, "Multisig").
    pub async fn propose_with_min_gas(
        &self,
        to: Address,
        value: U256,
        data: Bytes,
        deadline: u64,
        min_gas: u64,
    ) -> Result<Proposal, EvmError> {
        let nonce = read("nonce", self.contract.nonce()).await?;
        let version = read("configVersion", self.contract.configVersion()).await?;
        Ok(Proposal {
            to,
            value,
            data,
            nonce,
            deadline: U256::from(deadline),
            configVersion: U256::from(version),
            minGas: U256::from(min_gas),
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
            proposal.minGas,
            signatures.encode(),
        );
        let call = call.value(proposal.value);
        send("execute", call, self.fees).await
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
            proposal.minGas,
            signatures.encode(),
        );
        send("schedule", call, self.fees).await
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
                proposal.minGas,
            )
            .value(proposal.value);
        send("executeScheduled", call, self.fees).await
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
        send("cancel", call, self.fees).await
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
