//! The gateway as an account's co-signer (DESIGN §4.1, docs/rules.md "Co-signer and
//! daily allowance"): the owner names the gateway's co-signer address on its escrow
//! account; an outflow beyond the day's allowance then needs the co-signer's EIP-712
//! approval, which the gateway gives only to the signed-in owner after a fresh TOTP
//! code (the dashboard's co-signer page). The key can only co-sign: it holds no funds
//! and sends no transaction. It is read from `dashboard.co_signer_key_file`.
//!
//! EVM and TRON run the same escrow, so one secp256k1 key co-signs on both: the
//! digest is the same EIP-712 hash under each escrow's own domain, read from the
//! chain (`eth_call` on EVM, `triggerconstantcontract` on TRON).
//!
//! On Solana the co-signer signs the outflow transaction itself: the gateway builds
//! it and signs it with its own ed25519 key (`solana`).

mod solana;

pub use solana::{CoSignedTransaction, SolanaCoSigner, co_signs_on_solana};

use alloy::{
    primitives::{Address, Signature, U256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use stablerail_indexer::ChainKind;
use stablerail_sdk::{
    Amount,
    evm::{CoSignAction, EscrowClient},
    tron::{Address as TronAddress, TronClient, TronEscrow},
};

/// Why the gateway does not co-sign.
#[derive(Debug, thiserror::Error)]
pub enum CoSignError {
    /// No co-signer key configured.
    #[error("this gateway has no co-signer key (dashboard.co_signer_key_file)")]
    NoKey,
    /// The key file is not a key.
    #[error("dashboard.co_signer_key_file: {0}")]
    BadKey(String),
    /// The Solana key file is not a keypair (the message never holds key material).
    #[error("dashboard.co_signer_solana_key_file: {0}")]
    BadSolanaKey(String),
    /// The chain is not a chain with an escrow the key co-signs for.
    #[error("chain {0} has no escrow this co-signer key serves")]
    Chain(String),
    /// The owner is not an address of the chain's kind.
    #[error("{0:?} is not an address of this chain")]
    Owner(String),
    /// The chain refused or could not be reached (including: the account does not
    /// name this gateway as its co-signer).
    #[error("{0}")]
    Escrow(String),
}

/// The gateway's co-signer key.
#[derive(Clone)]
pub struct CoSigner {
    key: PrivateKeySigner,
}

impl std::fmt::Debug for CoSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoSigner")
            .field("address", &self.key.address())
            .finish()
    }
}

/// An approval to hand to the owner (`--co-signature`, `--co-deadline`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// 0x + 130 hex digits.
    pub signature: String,
    /// Unix seconds.
    pub deadline: u64,
}

impl CoSigner {
    /// The key in `key_file` (`dashboard.co_signer_key_file`), if one is configured.
    pub fn from_key_file(key_file: Option<&std::path::Path>) -> Result<Option<Self>, CoSignError> {
        let Some(path) = key_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| CoSignError::BadKey(format!("{}: {e}", path.display())))?;
        let key: PrivateKeySigner = text
            .trim()
            .parse()
            .map_err(|_| CoSignError::BadKey("not a secp256k1 private key (hex)".into()))?;
        Ok(Some(Self { key }))
    }

    /// The address owners name as their co-signer.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The address owners name as their co-signer, in `kind`'s form (`0x…` on EVM,
    /// base58 on TRON).
    pub fn address_on(&self, kind: ChainKind) -> String {
        match kind {
            ChainKind::Tron => TronAddress::from_evm_bytes(self.address().into_array()).to_base58(),
            _ => format!("{:#x}", self.address()),
        }
    }

    /// Approves `owner`'s outflow on `chain` (a withdrawal of `amount`, or the
    /// release of deal `deal` as seller), valid for `valid_secs` of chain time, on the
    /// indexed chains' RPC endpoints (`chains`, the gateway's `[indexer]`). `owner` is
    /// in the chain's address form. The SDK refuses when the account does not name
    /// this key as its co-signer.
    pub async fn approve(
        &self,
        chains: &stablerail_indexer::Config,
        chain: &str,
        owner: &str,
        outflow: Outflow,
        valid_secs: u64,
    ) -> Result<Approval, CoSignError> {
        let c = chains
            .chains
            .get(chain)
            .filter(|c| co_signs_on(c))
            .ok_or_else(|| CoSignError::Chain(chain.to_owned()))?;
        let unreachable = || CoSignError::Chain(chain.to_owned());
        let url = c.rpc_urls.first().ok_or_else(unreachable)?;
        let escrow = c.escrow.as_deref().ok_or_else(unreachable)?;
        let (action, subject) = match outflow {
            Outflow::Withdraw(amount) => (CoSignAction::Withdraw, U256::from(amount.units())),
            Outflow::Release(deal) => (CoSignAction::Release, U256::from(deal)),
        };
        let (sig, deadline): (Signature, u64) = match c.kind {
            ChainKind::Tron => {
                let owner: TronAddress = owner
                    .parse()
                    .map_err(|_| CoSignError::Owner(owner.to_owned()))?;
                let escrow: TronAddress = escrow.parse().map_err(|_| unreachable())?;
                let client =
                    TronClient::new(url).map_err(|e| CoSignError::Escrow(e.to_string()))?;
                // TRON block times are milliseconds.
                let now = client
                    .now_block()
                    .await
                    .map_err(|e| CoSignError::Escrow(e.to_string()))?
                    .timestamp
                    .div_euclid(1000);
                let deadline = u64::try_from(now)
                    .map_err(|_| CoSignError::Escrow("the head block's time is negative".into()))?
                    .saturating_add(valid_secs);
                let escrow = TronEscrow::new(client, escrow, owner);
                let sig = escrow
                    .co_sign(&self.key, owner, action, subject, deadline)
                    .await
                    .map_err(|e| CoSignError::Escrow(e.to_string()))?;
                (sig, deadline)
            }
            _ => {
                let owner: Address = owner
                    .parse()
                    .map_err(|_| CoSignError::Owner(owner.to_owned()))?;
                let escrow: Address = escrow.parse().map_err(|_| unreachable())?;
                let url = url.parse().map_err(|_| unreachable())?;
                let provider = ProviderBuilder::new().connect_http(url).erased();
                let now = provider
                    .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                    .await
                    .map_err(|e| CoSignError::Escrow(e.to_string()))?
                    .map(|b| b.header.timestamp)
                    .ok_or_else(|| CoSignError::Escrow("no latest block".into()))?;
                let deadline = now.saturating_add(valid_secs);
                let sig = EscrowClient::new(escrow, provider)
                    .co_sign(&self.key, owner, action, subject, deadline)
                    .await
                    .map_err(|e| CoSignError::Escrow(e.to_string()))?;
                (sig, deadline)
            }
        };
        tracing::info!(owner, chain, ?action, %subject, deadline, "co-signed an outflow");
        Ok(Approval {
            signature: format!("0x{}", hex::encode(sig.as_bytes())),
            deadline,
        })
    }
}

/// Whether the gateway's secp256k1 key co-signs on this indexed chain: an EVM or
/// TRON chain with an escrow (Solana: [`co_signs_on_solana`], another key).
pub fn co_signs_on(c: &stablerail_indexer::ChainConfig) -> bool {
    matches!(c.kind, ChainKind::Evm | ChainKind::Tron) && c.escrow.is_some()
}

/// An outflow to approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outflow {
    /// A withdrawal of this amount.
    Withdraw(Amount),
    /// The release of this deal, as seller.
    Release(u64),
}
