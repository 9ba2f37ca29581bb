//! The circuit breaker (DESIGN §4 pause, §9 narrow keys): on an alert of a rule listed
//! in `[risk.breaker] rules`, the gateway pauses the chain's escrow with the
//! guardian's key (docs/rules.md, "Pause"): `pause()` on EVM and TRON, the program's
//! `config_pause` on Solana. The guardian can only pause; unpausing stays the
//! multisig's decision. Every attempt is recorded in `gw_risk_actions` with its reason.

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use stablerail_indexer::ChainKind;
use stablerail_sdk::{
    evm::Escrow,
    solana::{
        Config as SolanaConfig, EscrowProgram, PriorityFeePolicy, SolanaRpc, TransactionBuilder,
        keypair_from_text,
        sdk::{Keypair, Pubkey, Signer},
    },
    tron::{Address as TronAddress, FeeLimitPolicy, PrivateKey, TriggerSmartContract, TronClient},
};
use std::time::Duration;

use crate::config::Config;

/// Why the breaker could not act.
#[derive(Debug, thiserror::Error)]
pub enum BreakerError {
    /// No guardian key file is configured for the chain, or it does not hold a key
    /// of the chain's kind.
    #[error("no usable guardian key (risk.breaker.guardian_key_file or guardian_key_files)")]
    NoKey,
    /// The chain has no escrow or RPC URL.
    #[error("chain {0} has no escrow configured")]
    NoEscrow(String),
    /// The node refused or the call reverted.
    #[error("pause failed: {0}")]
    Call(String),
}

/// The escrow of one chain as the guardian.
pub struct Guardian {
    escrow: GuardedEscrow,
}

/// The escrow as each chain reaches it.
enum GuardedEscrow {
    /// An EVM escrow: the guardian's key in the provider's wallet.
    Evm(Escrow::EscrowInstance<DynProvider>),
    /// A TRON escrow: transactions built and signed here, broadcast to the node
    /// (boxed: the client is much larger than the EVM instance).
    Tron {
        client: Box<TronClient>,
        escrow: TronAddress,
        key: PrivateKey,
    },
    /// A Solana escrow: the program's `config_pause` signed by the guardian's
    /// keypair, which also pays the fee (boxed: the keypair is large).
    Solana {
        rpc: SolanaRpc,
        escrow: EscrowProgram,
        key: Box<Keypair>,
    },
}

impl std::fmt::Debug for Guardian {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Guardian(..)")
    }
}

/// Whether a guardian key file is configured for `chain`.
pub fn configured(config: &Config, chain: &str) -> bool {
    config.risk.breaker.key_file(chain).is_some()
}

/// How long a TRON or Solana pause is waited for before the breaker reports it
/// unconfirmed.
const PAUSE_WAIT: Duration = Duration::from_secs(60);

impl Guardian {
    /// Connects to `chain`'s escrow with the guardian key (read from its file each
    /// time, never logged): hex of the secp256k1 key on EVM and TRON, the keypair as
    /// `solana-keygen` writes it (JSON array of 64 bytes) or base58 on Solana.
    pub fn connect(config: &Config, chain: &str) -> Result<Self, BreakerError> {
        let path = config
            .risk
            .breaker
            .key_file(chain)
            .ok_or(BreakerError::NoKey)?;
        let text = std::fs::read_to_string(path).map_err(|_| BreakerError::NoKey)?;
        let c = config
            .indexer
            .chains
            .get(chain)
            .ok_or_else(|| BreakerError::NoEscrow(chain.to_owned()))?;
        let no_escrow = || BreakerError::NoEscrow(chain.to_owned());
        let escrow_text = c.escrow.as_deref().ok_or_else(no_escrow)?;
        let url = c.rpc_urls.first().ok_or_else(no_escrow)?;
        let escrow = match c.kind {
            ChainKind::Evm => {
                let signer: PrivateKeySigner =
                    text.trim().parse().map_err(|_| BreakerError::NoKey)?;
                let escrow: Address = escrow_text.parse().map_err(|_| no_escrow())?;
                let url = url.parse().map_err(|_| no_escrow())?;
                let provider = ProviderBuilder::new()
                    .wallet(EthereumWallet::from(signer))
                    .connect_http(url)
                    .erased();
                GuardedEscrow::Evm(Escrow::new(escrow, provider))
            }
            ChainKind::Tron => GuardedEscrow::Tron {
                client: Box::new(TronClient::new(url).map_err(|_| no_escrow())?),
                escrow: escrow_text.parse().map_err(|_| no_escrow())?,
                key: PrivateKey::from_hex(text.trim()).map_err(|_| BreakerError::NoKey)?,
            },
            ChainKind::Solana => GuardedEscrow::Solana {
                rpc: SolanaRpc::new(url).map_err(|_| no_escrow())?,
                escrow: EscrowProgram::new(escrow_text.parse::<Pubkey>().map_err(|_| no_escrow())?),
                key: Box::new(keypair_from_text(&text).map_err(|_| BreakerError::NoKey)?),
            },
        };
        Ok(Self { escrow })
    }

    /// Sends `pause()` and waits for its receipt; returns the transaction hash (TRON:
    /// the txID) and its block.
    pub async fn pause(&self) -> Result<(String, u64), BreakerError> {
        let call = |e: String| BreakerError::Call(e);
        match &self.escrow {
            GuardedEscrow::Evm(escrow) => {
                let pending = escrow
                    .pause()
                    .send()
                    .await
                    .map_err(|e| call(e.to_string()))?;
                let receipt = pending
                    .get_receipt()
                    .await
                    .map_err(|e| call(e.to_string()))?;
                if !receipt.status() {
                    return Err(call("the pause transaction reverted".into()));
                }
                Ok((
                    format!("{:#x}", receipt.transaction_hash),
                    receipt.block_number.unwrap_or_default(),
                ))
            }
            GuardedEscrow::Tron {
                client,
                escrow,
                key,
            } => {
                let pause =
                    TriggerSmartContract::call(key.address(), *escrow, &Escrow::pauseCall {});
                let mut tx = client
                    .prepare(pause, None, &FeeLimitPolicy::default(), 60_000)
                    .await
                    .map_err(|e| call(e.to_string()))?;
                tx.sign(key).map_err(|e| call(e.to_string()))?;
                let txid = client
                    .broadcast(&tx)
                    .await
                    .map_err(|e| call(e.to_string()))?;
                let started = tokio::time::Instant::now();
                loop {
                    let info = client
                        .transaction_info(&txid)
                        .await
                        .map_err(|e| call(e.to_string()))?;
                    if let Some(r) = info {
                        if !r.succeeded() {
                            return Err(call(format!("the pause transaction {txid} failed")));
                        }
                        return Ok((txid, r.block_number));
                    }
                    if started.elapsed() > PAUSE_WAIT {
                        return Err(call(format!(
                            "the pause transaction {txid} was broadcast but not seen in a block within {} s",
                            PAUSE_WAIT.as_secs()
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            GuardedEscrow::Solana { rpc, escrow, key } => {
                Self::pause_solana(rpc, escrow, key).await
            }
        }
    }

    /// `config_pause` signed by the guardian, priced by the recent fees of the
    /// config it writes (a pause must land when the chain is busy); returns the
    /// signature and the slot it landed in.
    async fn pause_solana(
        rpc: &SolanaRpc,
        escrow: &EscrowProgram,
        key: &Keypair,
    ) -> Result<(String, u64), BreakerError> {
        let call = |e: String| BreakerError::Call(e);
        let price = rpc
            .compute_unit_price(&PriorityFeePolicy::default(), &[escrow.config])
            .await
            .map_err(|e| call(e.to_string()))?;
        let blockhash = rpc
            .latest_blockhash()
            .await
            .map_err(|e| call(e.to_string()))?;
        let tx = TransactionBuilder::new(key.pubkey())
            .with_compute_unit_price(price)
            .with_instruction(escrow.config_pause(&key.pubkey()))
            .sign(blockhash.blockhash, &[key as &dyn Signer])
            .map_err(|e| call(e.to_string()))?;
        let signature = rpc
            .send_transaction(&tx)
            .await
            .map_err(|e| call(e.to_string()))?;
        let status = rpc
            .confirm(&signature, PAUSE_WAIT, Duration::from_millis(400))
            .await
            .map_err(|e| call(e.to_string()))?;
        Ok((signature.to_string(), status.slot))
    }

    /// Whether the escrow is paused now.
    pub async fn paused(&self) -> Result<bool, BreakerError> {
        match &self.escrow {
            GuardedEscrow::Evm(escrow) => escrow
                .paused()
                .call()
                .await
                .map_err(|e| BreakerError::Call(e.to_string())),
            GuardedEscrow::Tron {
                client,
                escrow,
                key,
            } => client
                .read(key.address(), *escrow, &Escrow::pausedCall {})
                .await
                .map_err(|e| BreakerError::Call(e.to_string())),
            GuardedEscrow::Solana { rpc, escrow, .. } => rpc
                .decoded::<SolanaConfig>(&escrow.config, "escrow config")
                .await
                .map(|c| c.paused)
                .map_err(|e| BreakerError::Call(e.to_string())),
        }
    }
}
