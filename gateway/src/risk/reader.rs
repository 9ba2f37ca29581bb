//! Reading a chain's contracts for the monitor (treasury watch, escrow conservation):
//! EVM and TRON run the same contracts, so one reader serves both; they differ in
//! *when* a read can be taken. An EVM node answers a call at any block; a TRON node
//! answers `triggerconstantcontract` at its head only. Solana runs other programs
//! (accounts, not contract calls): its reader is the SDK's JSON-RPC client, read at
//! `finalized` by the treasury watch (`risk/treasury_solana.rs`); the 20-byte
//! address methods here refuse it.

use alloy::{
    eips::BlockId,
    primitives::{Address, U256},
    providers::DynProvider,
};
use stablerail_sdk::{
    evm::{
        Chain, DomainFields, EvmError, IERC20, MultiSigClient, MultiSigState, parse_evm_address,
    },
    solana::SolanaRpc,
    tron::{Address as TronAddress, TronClient, TronClientError, TronMultiSig},
};

/// What can go wrong reading a chain's contracts.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A configured address is not an address of the chain (the configuration check
    /// refuses this at start; kept for a caller that skipped it).
    #[error("address {0:?} is not an address of this chain")]
    Address(String),
    /// A contract read failed.
    #[error("read {what}: {message}")]
    Read {
        /// What was read.
        what: &'static str,
        /// The node's answer.
        message: String,
    },
    /// A multisig could not be read.
    #[error(transparent)]
    Multisig(#[from] EvmError),
    /// A TRON read failed.
    #[error("read on TRON: {0}")]
    Tron(String),
    /// A Solana read failed, or an account is not what it should be.
    #[error("read on Solana: {0}")]
    Solana(String),
    /// The read is one of the EVM/TRON contracts, asked of a Solana node.
    #[error("{0} is an EVM/TRON contract read; Solana has its own (treasury_solana)")]
    NotOnSolana(&'static str),
}

/// A failed EVM contract read of `what`.
pub fn read_error(what: &'static str) -> impl Fn(alloy::contract::Error) -> ReadError {
    move |e| ReadError::Read {
        what,
        message: e.to_string(),
    }
}

/// A failed TRON node request.
pub fn tron_error(e: TronClientError) -> ReadError {
    ReadError::Tron(e.to_string())
}

/// The node a chain's treasury and escrow balance are read from.
#[derive(Debug, Clone)]
pub enum Reader {
    /// An EVM node: reads at any block.
    Evm(DynProvider),
    /// A TRON full node: reads at its head.
    Tron(TronClient),
    /// A Solana node: accounts at `finalized`, from a slot the indexer reached.
    Solana(SolanaRpc),
}

impl Reader {
    /// The proposal-file chain of this reader (EVM and TRON; Solana writes its own
    /// proposal files).
    pub fn chain(&self) -> Result<Chain, ReadError> {
        match self {
            Self::Evm(_) => Ok(Chain::Evm),
            Self::Tron(_) => Ok(Chain::Tron),
            Self::Solana(_) => Err(ReadError::NotOnSolana("a proposal file of the EVM kind")),
        }
    }

    /// `text` as the 20 bytes the contracts use (`0x…` on EVM, base58 or `41…` on TRON).
    pub fn address(&self, text: &str) -> Result<Address, ReadError> {
        let bad = || ReadError::Address(text.to_owned());
        match self {
            Self::Evm(_) => parse_evm_address(text).ok_or_else(bad),
            Self::Tron(_) => text
                .parse::<TronAddress>()
                .map(|a| Address::from(a.evm_bytes()))
                .map_err(|_| bad()),
            Self::Solana(_) => Err(bad()),
        }
    }

    /// The form measurements and alerts name an address in: lowercase hex on EVM,
    /// base58 on TRON (where case matters).
    pub fn show(&self, a: Address) -> String {
        match self {
            Self::Evm(_) | Self::Solana(_) => format!("{a:#x}"),
            Self::Tron(_) => Chain::Tron.render(a),
        }
    }

    /// `who`'s balance of `token` at the indexer's block `at`. On TRON, whose node reads
    /// at its head only, that is possible only while the head *is* that block (same
    /// number and id before and after the read); otherwise `None`, to be measured
    /// at a later block.
    pub async fn balance_at(
        &self,
        token: Address,
        who: Address,
        at: (u64, &str),
    ) -> Result<Option<u128>, ReadError> {
        let to_u128 = |b: U256| u128::try_from(b).unwrap_or(u128::MAX);
        match self {
            Self::Evm(p) => IERC20::new(token, p.clone())
                .balanceOf(who)
                .block(BlockId::number(at.0))
                .call()
                .await
                .map(|b| Some(to_u128(b)))
                .map_err(read_error("balanceOf")),
            Self::Tron(c) => {
                let tron = tron_error;
                let is_at = |b: stablerail_sdk::tron::Block| {
                    b.id.number == at.0 && hex::encode(b.id.hash) == at.1
                };
                if !is_at(c.now_block().await.map_err(tron)?) {
                    return Ok(None);
                }
                let t = |a: Address| TronAddress::from_evm_bytes(a.into_array());
                let b = c
                    .read(t(who), t(token), &IERC20::balanceOfCall { owner: who })
                    .await
                    .map_err(tron)?;
                if !is_at(c.now_block().await.map_err(tron)?) {
                    return Ok(None);
                }
                Ok(Some(to_u128(b)))
            }
            Self::Solana(_) => Err(ReadError::NotOnSolana("balanceOf")),
        }
    }

    /// Whether `a` answers as a multisig (EIP-5267 domain).
    pub async fn is_multisig(&self, a: Address) -> bool {
        match self {
            Self::Evm(p) => MultiSigClient::connect(a, p.clone()).await.is_ok(),
            Self::Tron(c) => Self::tron_multisig(c, a).domain_fields().await.is_ok(),
            Self::Solana(_) => false,
        }
    }

    fn tron_multisig(client: &TronClient, a: Address) -> TronMultiSig {
        let t = TronAddress::from_evm_bytes(a.into_array());
        TronMultiSig::new(client.clone(), t, t)
    }

    /// The state and domain of the multisig at `a`.
    pub async fn multisig(&self, a: Address) -> Result<(MultiSigState, DomainFields), ReadError> {
        match self {
            Self::Evm(p) => {
                let client = MultiSigClient::connect(a, p.clone()).await?;
                Ok((client.state().await?, client.domain_fields().clone()))
            }
            Self::Tron(c) => {
                let m = Self::tron_multisig(c, a);
                let tron = |e: stablerail_sdk::Error| ReadError::Tron(e.to_string());
                Ok((
                    m.state().await.map_err(tron)?,
                    m.domain_fields().await.map_err(tron)?,
                ))
            }
            Self::Solana(_) => Err(ReadError::NotOnSolana("the multisig's state")),
        }
    }
}
