//! The circuit breaker (DESIGN §4 pause, §9 narrow keys): on an alert of a rule listed
//! in `[risk.breaker] rules`, the gateway pauses the chain's escrow with the
//! guardian's key. The guardian can only pause; unpausing stays the multisig's
//! decision. Every attempt is recorded in `gw_risk_actions` with its reason.

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use stablerail_sdk::evm::Escrow;

use crate::config::Config;

/// Why the breaker could not act.
#[derive(Debug, thiserror::Error)]
pub enum BreakerError {
    /// No guardian key file is configured, or it does not hold a key.
    #[error("no usable guardian key (risk.breaker.guardian_key_file)")]
    NoKey,
    /// The chain has no escrow or RPC URL.
    #[error("chain {0} has no escrow configured")]
    NoEscrow(String),
    /// The breaker pauses EVM escrows only (on TRON and Solana the alert stands and
    /// the pause is the guardian's by hand).
    #[error("the breaker pauses EVM escrows; chain {0} is not EVM")]
    NotEvm(String),
    /// The node refused or the call reverted.
    #[error("pause failed: {0}")]
    Call(String),
}

/// The escrow of one chain as the guardian.
pub struct Guardian {
    escrow: Escrow::EscrowInstance<DynProvider>,
}

impl std::fmt::Debug for Guardian {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Guardian(..)")
    }
}

/// Whether a guardian key file is configured.
pub fn configured(config: &Config) -> bool {
    config.risk.breaker.guardian_key_file.is_some()
}

impl Guardian {
    /// Connects to `chain`'s escrow with the guardian key (read from its file each
    /// time, never logged).
    pub fn connect(config: &Config, chain: &str) -> Result<Self, BreakerError> {
        let path = config
            .risk
            .breaker
            .guardian_key_file
            .as_ref()
            .ok_or(BreakerError::NoKey)?;
        let text = std::fs::read_to_string(path).map_err(|_| BreakerError::NoKey)?;
        let signer: PrivateKeySigner = text.trim().parse().map_err(|_| BreakerError::NoKey)?;
        let c = config
            .indexer
            .chains
            .get(chain)
            .ok_or_else(|| BreakerError::NoEscrow(chain.to_owned()))?;
        if c.kind != stablerail_indexer::ChainKind::Evm {
            return Err(BreakerError::NotEvm(chain.to_owned()));
        }
        let escrow: Address = c
            .escrow
            .as_deref()
            .and_then(|e| e.parse().ok())
            .ok_or_else(|| BreakerError::NoEscrow(chain.to_owned()))?;
        let url = c
            .rpc_urls
            .first()
            .and_then(|u| u.parse().ok())
            .ok_or_else(|| BreakerError::NoEscrow(chain.to_owned()))?;
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url)
            .erased();
        Ok(Self {
            escrow: Escrow::new(escrow, provider),
        })
    }

    /// Sends `pause()` and waits for its receipt; returns the transaction hash and
    /// its block.
    pub async fn pause(&self) -> Result<(String, u64), BreakerError> {
        let pending = self
            .escrow
            .pause()
            .send()
            .await
            .map_err(|e| BreakerError::Call(e.to_string()))?;
        let receipt = pending
            .get_receipt()
            .await
            .map_err(|e| BreakerError::Call(e.to_string()))?;
        if !receipt.status() {
            return Err(BreakerError::Call("the pause transaction reverted".into()));
        }
        Ok((
            format!("{:#x}", receipt.transaction_hash),
            receipt.block_number.unwrap_or_default(),
        ))
    }

    /// Whether the escrow is paused now.
    pub async fn paused(&self) -> Result<bool, BreakerError> {
        self.escrow
            .paused()
            .call()
            .await
            .map_err(|e| BreakerError::Call(e.to_string()))
    }

    /// The node behind the key.
    pub fn provider(&self) -> &DynProvider {
        self.escrow.provider()
    }
}
