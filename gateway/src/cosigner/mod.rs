//! The gateway as an account's co-signer (DESIGN §4.1, docs/rules.md "Co-signer and
//! daily allowance"): the owner names the gateway's co-signer address on its escrow
//! account; an outflow beyond the day's allowance then needs the co-signer's EIP-712
//! approval, which the gateway gives only to the signed-in owner after a fresh TOTP
//! code (the dashboard's co-signer page). The key can only co-sign: it holds no funds
//! and sends no transaction. It is read from `dashboard.co_signer_key_file`.

use alloy::{
    primitives::{Address, Signature, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use stablerail_indexer::ChainKind;
use stablerail_sdk::{
    Amount,
    evm::{CoSignAction, EscrowClient},
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
    /// The chain is not an EVM chain with an escrow.
    #[error("chain {0} has no EVM escrow to co-sign for")]
    Chain(String),
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

    fn escrow(
        &self,
        chains: &stablerail_indexer::Config,
        chain: &str,
    ) -> Result<(EscrowClient<DynProvider>, DynProvider), CoSignError> {
        let c = chains
            .chains
            .get(chain)
            .filter(|c| c.kind == ChainKind::Evm)
            .ok_or_else(|| CoSignError::Chain(chain.to_owned()))?;
        let escrow: Address = c
            .escrow
            .as_deref()
            .and_then(|e| e.parse().ok())
            .ok_or_else(|| CoSignError::Chain(chain.to_owned()))?;
        let url = c
            .rpc_urls
            .first()
            .and_then(|u| u.parse().ok())
            .ok_or_else(|| CoSignError::Chain(chain.to_owned()))?;
        let provider = ProviderBuilder::new().connect_http(url).erased();
        Ok((EscrowClient::new(escrow, provider.clone()), provider))
    }

    /// Approves `owner`'s outflow on `chain` (a withdrawal of `amount`, or the
    /// release of deal `deal` as seller), valid for `valid_secs` of chain time, on the
    /// indexed chains' RPC endpoints (`chains`, the gateway's `[indexer]`). The
    /// SDK refuses when the account does not name this key as its co-signer.
    pub async fn approve(
        &self,
        chains: &stablerail_indexer::Config,
        chain: &str,
        owner: Address,
        outflow: Outflow,
        valid_secs: u64,
    ) -> Result<Approval, CoSignError> {
        let (escrow, provider) = self.escrow(chains, chain)?;
        let now = provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| CoSignError::Escrow(e.to_string()))?
            .map(|b| b.header.timestamp)
            .ok_or_else(|| CoSignError::Escrow("no latest block".into()))?;
        let deadline = now.saturating_add(valid_secs);
        let (action, subject) = match outflow {
            Outflow::Withdraw(amount) => (CoSignAction::Withdraw, U256::from(amount.units())),
            Outflow::Release(deal) => (CoSignAction::Release, U256::from(deal)),
        };
        let sig: Signature = escrow
            .co_sign(&self.key, owner, action, subject, deadline)
            .await
            .map_err(|e| CoSignError::Escrow(e.to_string()))?;
        tracing::info!(%owner, chain, ?action, %subject, deadline, "co-signed an outflow");
        Ok(Approval {
            signature: format!("0x{}", hex::encode(sig.as_bytes())),
            deadline,
        })
    }
}

/// An outflow to approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outflow {
    /// A withdrawal of this amount.
    Withdraw(Amount),
    /// The release of this deal, as seller.
    Release(u64),
}
