//! Every call the gateway makes to the escrow contract, in one place (the contract's
//! ABI may change: protocol v2 adds acceptor limits and an online switch). The
//! dispatcher's key can only assign deals.
//!
//! The same Solidity runs on EVM chains and on TRON (docs/rules.md, "Chain notes"),
//! and the dispatcher key is one secp256k1 key on both (an EVM key is a TRON key):
//! on an EVM chain the calls go through the SDK's `EscrowClient` with the key in the
//! provider's wallet; on TRON they are built by the SDK's `TronEscrow` (the same
//! pre-checks), signed here, broadcast, and the deal id is read from the receipt's
//! `DealOpened` log. Addresses are the chain's own form: `0x` hex on EVM, base58check
//! on TRON.

use std::time::Duration;

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use stablerail_indexer::ChainKind;
use stablerail_sdk::{
    Amount,
    evm::EscrowClient,
    tron::{Address as TronAddress, FeeLimitPolicy, PrivateKey, TronClient, TronEscrow},
};

use crate::config::Config;

/// Why a chain call failed.
#[derive(Debug, thiserror::Error)]
pub enum EscrowCallError {
    /// The chain has no escrow and node URL configured.
    #[error("chain {0} has no escrow configured")]
    NoEscrow(String),
    /// The dispatcher assigns on EVM and TRON chains only.
    #[error("the dispatcher assigns on EVM and TRON chains; chain {0} is neither")]
    NotSupported(String),
    /// The dispatcher key is unset or malformed.
    #[error("the dispatcher key is not configured")]
    NoKey,
    /// An address does not parse as the chain's form (EVM: `0x` hex; TRON: base58check).
    #[error("bad address {0}")]
    Address(String),
    /// A receipt's event names another deal or acceptor than the call that was sent.
    #[error("transaction {txid} assigned deal {deal} to {acceptor}, not what was sent")]
    Mismatch {
        /// The transaction (TRON txID).
        txid: String,
        /// The deal its event names.
        deal: U256,
        /// The acceptor its event names.
        acceptor: String,
    },
    /// The EVM client refused or the node failed.
    #[error(transparent)]
    Sdk(#[from] stablerail_sdk::evm::EvmError),
    /// The TRON client refused (a pre-check), the node failed, or the transaction
    /// failed in its block (with its message).
    #[error(transparent)]
    Tron(#[from] stablerail_sdk::Error),
}

/// How long a TRON assignment is waited for in a block (a TRON block is 3 s).
const TRON_WAIT: Duration = Duration::from_secs(60);

/// The escrow of one chain as the dispatcher.
pub struct DispatcherEscrow {
    chain: Chain,
}

/// The escrow as each kind of chain reaches it.
enum Chain {
    /// An EVM escrow: the dispatcher key in the provider's wallet.
    Evm(EscrowClient<DynProvider>),
    /// A TRON escrow acting as the dispatcher's address: transactions built by the
    /// SDK, signed with `key` here (boxed: the client is much larger than the EVM one).
    Tron {
        escrow: Box<TronEscrow>,
        key: PrivateKey,
    },
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

/// A TRON address in base58check (the form the gateway stores and shows).
fn tron_addr(s: &str) -> Result<TronAddress, EscrowCallError> {
    TronAddress::from_base58(s).map_err(|_| EscrowCallError::Address(s.to_owned()))
}

impl DispatcherEscrow {
    /// Connects to `chain`'s escrow (EVM or TRON, by the chain's kind) with the
    /// dispatcher key from the file or the environment (never logged).
    pub fn connect(config: &Config, chain: &str) -> Result<Self, EscrowCallError> {
        let no_escrow = || EscrowCallError::NoEscrow(chain.to_owned());
        let c = config.indexer.chains.get(chain).ok_or_else(no_escrow)?;
        let escrow = c.escrow.as_deref().ok_or_else(no_escrow)?;
        let url = c.rpc_urls.first().ok_or_else(no_escrow)?;
        let chain = match c.kind {
            ChainKind::Evm => {
                let url = url.parse().map_err(|_| no_escrow())?;
                let key = key_text(config).ok_or(EscrowCallError::NoKey)?;
                let signer: PrivateKeySigner = key.parse().map_err(|_| EscrowCallError::NoKey)?;
                let provider = ProviderBuilder::new()
                    .wallet(EthereumWallet::from(signer))
                    .connect_http(url)
                    .erased();
                Chain::Evm(EscrowClient::new(addr(escrow)?, provider))
            }
            ChainKind::Tron => {
                let client = TronClient::new(url).map_err(|_| no_escrow())?;
                let key = key_text(config).ok_or(EscrowCallError::NoKey)?;
                let key = PrivateKey::from_hex(&key).map_err(|_| EscrowCallError::NoKey)?;
                let escrow = TronEscrow::new(client, tron_addr(escrow)?, key.address());
                Chain::Tron {
                    escrow: Box::new(escrow),
                    key,
                }
            }
            ChainKind::Solana => return Err(EscrowCallError::NotSupported(chain.to_owned())),
        };
        Ok(Self { chain })
    }

    /// Opens a Collection: `acceptor`'s collateral locked for `merchant`; returns
    /// the new deal's id (from its `DealOpened` event).
    pub async fn assign_collection(
        &self,
        acceptor: &str,
        merchant: &str,
        amount: Amount,
        window: u32,
        order_ref: B256,
    ) -> Result<u64, EscrowCallError> {
        let id = match &self.chain {
            Chain::Evm(client) => {
                client
                    .assign_collection(addr(acceptor)?, addr(merchant)?, amount, window, order_ref)
                    .await?
            }
            Chain::Tron { escrow, key } => {
                let (acceptor, merchant) = (tron_addr(acceptor)?, tron_addr(merchant)?);
                let call = escrow
                    .assign_collection(acceptor, merchant, amount, window, order_ref)
                    .await?;
                let receipt = escrow
                    .client()
                    .send(call, key, &FeeLimitPolicy::default(), TRON_WAIT)
                    .await?;
                escrow.opened_deal(&receipt)?
            }
        };
        Ok(u64::try_from(id).unwrap_or(u64::MAX))
    }

    /// Assigns `acceptor` to the merchant's unassigned Payout `deal_id`.
    pub async fn assign_payout(&self, deal_id: u64, acceptor: &str) -> Result<(), EscrowCallError> {
        match &self.chain {
            Chain::Evm(client) => {
                client
                    .assign_payout(U256::from(deal_id), addr(acceptor)?)
                    .await?;
            }
            Chain::Tron { escrow, key } => {
                let acceptor = tron_addr(acceptor)?;
                let call = escrow.assign_payout(U256::from(deal_id), acceptor).await?;
                let receipt = escrow
                    .client()
                    .send(call, key, &FeeLimitPolicy::default(), TRON_WAIT)
                    .await?;
                // The receipt's `DealAssigned` names this deal and this acceptor.
                let (assigned, to) = escrow.assigned_payout(&receipt)?;
                if assigned != U256::from(deal_id) || to != acceptor {
                    return Err(EscrowCallError::Mismatch {
                        txid: receipt.id,
                        deal: assigned,
                        acceptor: to.to_base58(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The chain's head (to know when the indexer has seen a sent transaction):
    /// `eth_blockNumber` on EVM, the number of `getnowblock` on TRON.
    pub async fn head(&self) -> Result<u64, EscrowCallError> {
        match &self.chain {
            Chain::Evm(client) => client
                .contract()
                .provider()
                .get_block_number()
                .await
                .map_err(|e| {
                    EscrowCallError::Sdk(stablerail_sdk::evm::EvmError::Rpc {
                        call: "eth_blockNumber",
                        message: e.to_string(),
                    })
                }),
            Chain::Tron { escrow, .. } => Ok(escrow
                .client()
                .now_block()
                .await
                .map_err(stablerail_sdk::Error::from)?
                .id
                .number),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_the_chain_form() {
        let b58 = "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC";
        assert_eq!(tron_addr(b58).unwrap().to_base58(), b58);
        // A changed character breaks the checksum; hex and EVM forms are not taken.
        for bad in [
            "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HD",
            "417e5f4552091a69125d5dfcb7b8c2659029395bdf",
            "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf",
            "",
        ] {
            assert!(
                matches!(tron_addr(bad), Err(EscrowCallError::Address(a)) if a == bad),
                "{bad}"
            );
        }
        assert!(addr("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf").is_ok());
        assert!(matches!(addr(b58), Err(EscrowCallError::Address(_))));
    }
}
