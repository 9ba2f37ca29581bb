//! The platform acting through its multisig: every admin action on the escrow is
//! a proposal signed by `threshold` owners and executed in one transaction.

use alloy::{
    primitives::{Address, Bytes, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use stablerail_sdk::evm::{MultiSigClient, OwnerSignatures};

use crate::error::Result;

/// Proposal lifetime: one hour from the chain's current time.
const PROPOSAL_TTL_SECS: u64 = 3600;

/// Signs and executes multisig proposals with a quorum of owner keys.
#[derive(Debug)]
pub struct MultisigAdmin<P> {
    client: MultiSigClient<P>,
    signers: Vec<PrivateKeySigner>,
}

impl<P: Provider + Clone> MultisigAdmin<P> {
    /// Connects to the multisig at `address`; `signers` are the owners who will sign
    /// (at least the threshold).
    pub async fn connect(
        address: Address,
        provider: P,
        signers: Vec<PrivateKeySigner>,
    ) -> Result<Self> {
        let client = MultiSigClient::connect(address, provider).await?;
        Ok(Self { client, signers })
    }

    /// The underlying client.
    pub fn client(&self) -> &MultiSigClient<P> {
        &self.client
    }

    /// Proposes `to.call(data)`, collects the owners' signatures and executes it.
    pub async fn execute(
        &self,
        to: Address,
        data: Bytes,
    ) -> Result<alloy::rpc::types::TransactionReceipt> {
        let now = crate::devnet::chain_time(self.client.contract().provider()).await?;
        let proposal = self
            .client
            .propose(to, U256::ZERO, data, now + PROPOSAL_TTL_SECS)
            .await?;
        let digest = self.client.digest(&proposal);
        let mut signatures = OwnerSignatures::new(digest);
        for signer in &self.signers {
            let signature = MultiSigClient::<P>::sign(digest, signer).await?;
            signatures.add(signer.address(), signature)?;
        }
        Ok(self.client.execute(&proposal, &signatures).await?)
    }
}
