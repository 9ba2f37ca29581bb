//! Every call the gateway makes to the escrow contract, in one place (the contract's
//! ABI may change: protocol v2 adds acceptor limits and an online switch). The
//! dispatcher's key can only assign deals.

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use stablerail_sdk::{Amount, evm::EscrowClient};

use crate::config::Config;

/// Why a chain call failed.
#[derive(Debug, thiserror::Error)]
pub enum EscrowCallError {
    /// The chain is not an EVM chain with an escrow and an RPC URL.
    #[error("chain {0} has no escrow configured")]
    NoEscrow(String),
    /// The dispatcher key is unset or malformed.
    #[error("the dispatcher key is not configured")]
    NoKey,
    /// An address does not parse.
    #[error("bad address {0}")]
    Address(String),
    /// The SDK refused or the node failed.
    #[error(transparent)]
    Sdk(#[from] stablerail_sdk::evm::EvmError),
}

/// The escrow of one chain as the dispatcher.
pub struct DispatcherEscrow {
    client: EscrowClient<DynProvider>,
}

impl std::fmt::Debug for DispatcherEscrow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DispatcherEscrow(..)")
    }
}

/// The dispatcher key's text (from `key_file`, else the `key_env` variable).
fn key_text(config: &Config) -> Option<String> {
    let text = match &config.dispatcher.key_file {
        Some(path) => std::fs::read_to_string(path).ok()?,
        None => std::env::var(&config.dispatcher.key_env).ok()?,
    };
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Whether a dispatcher key is configured.
pub fn has_key(config: &Config) -> bool {
    key_text(config).is_some()
}

fn addr(s: &str) -> Result<Address, EscrowCallError> {
    s.parse()
        .map_err(|_| EscrowCallError::Address(s.to_owned()))
}

impl DispatcherEscrow {
    /// Connects to `chain`'s escrow with the dispatcher key from the environment.
    pub fn connect(config: &Config, chain: &str) -> Result<Self, EscrowCallError> {
        let c = config
            .indexer
            .chains
            .get(chain)
            .ok_or_else(|| EscrowCallError::NoEscrow(chain.to_owned()))?;
        let escrow = c
            .escrow
            .as_deref()
            .ok_or_else(|| EscrowCallError::NoEscrow(chain.to_owned()))?;
        let url = c
            .rpc_urls
            .first()
            .and_then(|u| u.parse().ok())
            .ok_or_else(|| EscrowCallError::NoEscrow(chain.to_owned()))?;
        let key = key_text(config).ok_or(EscrowCallError::NoKey)?;
        let signer: PrivateKeySigner = key.parse().map_err(|_| EscrowCallError::NoKey)?;
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url)
            .erased();
        Ok(Self {
            client: EscrowClient::new(addr(escrow)?, provider),
        })
    }

    /// Opens a Collection: `acceptor`'s collateral locked for `merchant`.
    pub async fn assign_collection(
        &self,
        acceptor: &str,
        merchant: &str,
        amount: Amount,
        window: u32,
        order_ref: B256,
    ) -> Result<u64, EscrowCallError> {
        let id = self
            .client
            .assign_collection(addr(acceptor)?, addr(merchant)?, amount, window, order_ref)
            .await?;
        Ok(u64::try_from(id).unwrap_or(u64::MAX))
    }

    /// Assigns `acceptor` to the merchant's unassigned Payout `deal_id`.
    pub async fn assign_payout(&self, deal_id: u64, acceptor: &str) -> Result<(), EscrowCallError> {
        self.client
            .assign_payout(U256::from(deal_id), addr(acceptor)?)
            .await?;
        Ok(())
    }

    /// The chain's head (to know when the indexer has seen a sent transaction).
    pub async fn head(&self) -> Result<u64, EscrowCallError> {
        self.client
            .contract()
            .provider()
            .get_block_number()
            .await
            .map_err(|e| {
                EscrowCallError::Sdk(stablerail_sdk::evm::EvmError::Rpc {
                    call: "eth_blockNumber",
                    message: e.to_string(),
                })
            })
    }
}
