//! The `MultiSig` contract on TRON: reads through `triggerconstantcontract`
//! (owners, threshold, nonce, time lock, and the EIP-712 domain, whose chain id is
//! TRON's), and the `execute`/`schedule`/`executeScheduled` calls for a
//! [`ProposalFile`], built locally as `TriggerSmartContract`s.

use alloy::primitives::B256;

use crate::{
    Error,
    evm::{Chain, DomainFields, MultiSig, MultiSigState, ProposalFile},
    tron::{Address, TriggerSmartContract, TronClient},
};

/// The multisig at `address` on the node behind `client`, used by `caller`.
#[derive(Debug, Clone)]
pub struct TronMultiSig {
    client: TronClient,
    address: Address,
    caller: Address,
}

impl TronMultiSig {
    /// The multisig `address`; `caller` is the account reads and submissions come from.
    pub fn new(client: TronClient, address: Address, caller: Address) -> Self {
        Self {
            client,
            address,
            caller,
        }
    }

    /// Its address in the 20-byte form the ABI and the proposal file use.
    pub fn evm_address(&self) -> alloy::primitives::Address {
        alloy::primitives::Address::from(self.address.evm_bytes())
    }

    /// The EIP-712 domain fields the contract reports (EIP-5267).
    pub async fn domain_fields(&self) -> Result<DomainFields, Error> {
        let d = self
            .client
            .read(self.caller, self.address, &MultiSig::eip712DomainCall {})
            .await?;
        Ok(DomainFields {
            fields: d.fields[0],
            name: d.name,
            version: d.version,
            chain_id: d.chainId,
            verifying_contract: d.verifyingContract,
            salt: d.salt,
        })
    }

    /// Owners, threshold, nonce and time lock.
    pub async fn state(&self) -> Result<MultiSigState, Error> {
        let (c, a) = (self.caller, self.address);
        let owners = self.client.read(c, a, &MultiSig::getOwnersCall {}).await?;
        let threshold = self.client.read(c, a, &MultiSig::thresholdCall {}).await?;
        let nonce = self.client.read(c, a, &MultiSig::nonceCall {}).await?;
        let time_lock = self.client.read(c, a, &MultiSig::timeLockCall {}).await?;
        let version = self
            .client
            .read(c, a, &MultiSig::configVersionCall {})
            .await?;
        Ok(MultiSigState {
            owners,
            threshold: usize::try_from(threshold).unwrap_or(usize::MAX),
            nonce,
            time_lock: u64::try_from(time_lock).unwrap_or(u64::MAX),
            config_version: alloy::primitives::U256::from(version),
        })
    }

    /// The eta of scheduled proposal `digest` (`None` when it is not scheduled).
    pub async fn scheduled_eta(&self, digest: B256) -> Result<Option<u64>, Error> {
        let s = self
            .client
            .read(
                self.caller,
                self.address,
                &MultiSig::scheduledCall { digest },
            )
            .await?;
        Ok((s.eta != 0).then_some(s.eta))
    }

    /// The call that submits `file`'s proposal: `execute`, or `schedule` when the
    /// multisig has a time lock (the flag says which). Nonce, deadline (against the
    /// chain time `now`) and threshold are checked first.
    pub async fn submit_call(
        &self,
        file: &ProposalFile,
        now: u64,
    ) -> Result<(TriggerSmartContract, bool), Error> {
        file.check_target(Chain::Tron, self.evm_address())?;
        let state = self.state().await?;
        file.check_ready(&state.owners, state.threshold, state.nonce, now)?;
        file.check_config_version(state.config_version)?;
        let p = &file.proposal;
        let signatures = file.encoded_signatures(&state.owners);
        if state.time_lock > 0 {
            let call = MultiSig::scheduleCall {
                to: p.to,
                value: p.value,
                data: p.data.clone(),
                nonce_: p.nonce,
                deadline: p.deadline,
                minGas: p.minGas,
                signatures,
            };
            Ok((
                TriggerSmartContract::call(self.caller, self.address, &call),
                true,
            ))
        } else {
            let call = MultiSig::executeCall {
                to: p.to,
                value: p.value,
                data: p.data.clone(),
                nonce_: p.nonce,
                deadline: p.deadline,
                minGas: p.minGas,
                signatures,
            };
            let value = i64::try_from(p.value).unwrap_or(i64::MAX);
            Ok((
                TriggerSmartContract::call(self.caller, self.address, &call).with_call_value(value),
                false,
            ))
        }
    }

    /// The `executeScheduled` call for a scheduled `file`, after checking its time
    /// lock has passed at chain time `now`.
    pub async fn execute_scheduled_call(
        &self,
        file: &ProposalFile,
        now: u64,
    ) -> Result<TriggerSmartContract, Error> {
        file.check_target(Chain::Tron, self.evm_address())?;
        let eta = self
            .scheduled_eta(file.digest())
            .await?
            .ok_or(crate::evm::ProposalError::NotScheduled)?;
        if eta > now {
            return Err(crate::evm::ProposalError::TimeLockPending { eta, now }.into());
        }
        let p = &file.proposal;
        let call = MultiSig::executeScheduledCall {
            to: p.to,
            value: p.value,
            data: p.data.clone(),
            nonce_: p.nonce,
            deadline: p.deadline,
            minGas: p.minGas,
        };
        let value = i64::try_from(p.value).unwrap_or(i64::MAX);
        Ok(TriggerSmartContract::call(self.caller, self.address, &call).with_call_value(value))
    }
}
