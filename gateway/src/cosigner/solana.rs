//! The gateway as a Solana account's co-signer (DESIGN §4.1, docs/rules.md
//! "Co-signer and daily allowance"). On Solana the co-signer is a signer of the
//! outflow transaction itself, so the gateway builds the owner's `withdraw` or
//! `deal_release` with the SDK's builders (the owner pays the fee; the owner and the
//! gateway sign), checks on chain that the account names this key as its co-signer,
//! signs it with its own key only and hands it back with the owner's signature slot
//! empty. It never signs a transaction it did not build. The key (ed25519, a
//! solana-keygen JSON file) is read from `dashboard.co_signer_solana_key_file`.

use stablerail_indexer::{ChainConfig, ChainKind};
use stablerail_sdk::{
    Amount,
    solana::{
        self as sol, DEFAULT_COMPUTE_UNIT_LIMIT, EscrowProgram, PriorityFeePolicy, SolanaRpc,
        TransactionBuilder, encode_base64, keypair_from_text, pda,
        sdk::{Keypair, Pubkey, Signer},
    },
};

use super::{CoSignError, Outflow};

/// The gateway's Solana co-signer key.
pub struct SolanaCoSigner {
    key: Keypair,
}

impl std::fmt::Debug for SolanaCoSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SolanaCoSigner")
            .field("address", &self.key.pubkey())
            .finish()
    }
}

/// A co-signed outflow to hand to the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoSignedTransaction {
    /// The wire transaction in base64: the gateway's signature in place, the
    /// owner's slot empty.
    pub transaction_base64: String,
    /// The last block height at which it can land (its blockhash's).
    pub last_valid_block_height: u64,
    /// The node it was built against.
    pub rpc_url: String,
}

/// Whether the gateway co-signs on this indexed Solana chain: one with an escrow.
pub fn co_signs_on_solana(c: &ChainConfig) -> bool {
    c.kind == ChainKind::Solana && c.escrow.is_some()
}

impl SolanaCoSigner {
    /// The key in `key_file` (`dashboard.co_signer_solana_key_file`: a
    /// solana-keygen JSON array, or base58), if one is configured.
    pub fn from_key_file(key_file: Option<&std::path::Path>) -> Result<Option<Self>, CoSignError> {
        let Some(path) = key_file else {
            return Ok(None);
        };
        let bad = |why: String| CoSignError::BadSolanaKey(format!("{}: {why}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        // The error names what is wrong, never the key.
        let key = keypair_from_text(&text).map_err(|e| bad(e.to_string()))?;
        Ok(Some(Self { key }))
    }

    /// The address owners name as their co-signer (base58).
    pub fn address(&self) -> Pubkey {
        self.key.pubkey()
    }

    /// Builds `owner`'s co-signed outflow on `chain` (one of the indexed chains
    /// `chains`, the gateway's `[indexer]`) and signs it as co-signer: a withdrawal
    /// of `amount` to the token account of the account's withdrawal address, or the
    /// release of a deal `owner` sells. Refused (`CoSignError::Escrow`) when the
    /// account does not name this key as its co-signer, when it cannot cover the
    /// withdrawal, or when the deal is not the owner's.
    pub async fn co_sign(
        &self,
        chains: &stablerail_indexer::Config,
        chain: &str,
        owner: &str,
        outflow: Outflow,
    ) -> Result<CoSignedTransaction, CoSignError> {
        let c = chains
            .chains
            .get(chain)
            .filter(|c| co_signs_on_solana(c))
            .ok_or_else(|| CoSignError::Chain(chain.to_owned()))?;
        let unusable = || CoSignError::Chain(chain.to_owned());
        let url = c.rpc_urls.first().ok_or_else(unusable)?;
        let config: Pubkey = c
            .escrow
            .as_deref()
            .and_then(|e| e.parse().ok())
            .ok_or_else(unusable)?;
        let mint: Pubkey = c.usdt.parse().map_err(|_| unusable())?;
        let owner_key: Pubkey = owner
            .parse()
            .map_err(|_| CoSignError::Owner(owner.to_owned()))?;
        let refused = CoSignError::Escrow;
        let rpc = SolanaRpc::new(url).map_err(|e| refused(e.to_string()))?;
        let escrow = EscrowProgram::new(config);
        let cfg: sol::Config = rpc
            .decoded(&config, "escrow config")
            .await
            .map_err(|e| refused(e.to_string()))?;
        if cfg.usdt_mint != mint {
            return Err(refused(format!(
                "the escrow's mint {} is not this chain's usdt {mint}",
                cfg.usdt_mint
            )));
        }
        let account: sol::EscrowAccount = rpc
            .decoded(&escrow.account(&owner_key), "escrow account")
            .await
            .map_err(|e| refused(e.to_string()))?;
        if account.co_signer != Some(self.address()) {
            return Err(refused(format!(
                "your account names {} as its co-signer, not this gateway ({})",
                account
                    .co_signer
                    .map_or_else(|| "no one".to_owned(), |k| k.to_string()),
                self.address()
            )));
        }
        let gateway = self.address();
        let ix = match outflow {
            Outflow::Withdraw(amount) => {
                if amount.units() > account.available {
                    return Err(refused(format!(
                        "your account has {} USDT available, less than {amount}",
                        Amount::from_units(account.available)
                    )));
                }
                let destination = pda::associated_token_account(
                    &account.withdrawal_address,
                    &cfg.usdt_mint,
                    &cfg.token_program,
                );
                if rpc
                    .account(&destination)
                    .await
                    .map_err(|e| refused(e.to_string()))?
                    .is_none()
                {
                    return Err(refused(format!(
                        "the withdrawal address {} has no token account {destination} for USDT yet",
                        account.withdrawal_address
                    )));
                }
                escrow
                    .withdraw_cosigned(
                        &owner_key,
                        &destination,
                        &cfg.usdt_mint,
                        &cfg.token_program,
                        amount,
                        &gateway,
                    )
                    .map_err(|e| refused(e.to_string()))?
            }
            Outflow::Release(id) => {
                let deal: sol::Deal = rpc
                    .decoded(&escrow.deal(id), "deal")
                    .await
                    .map_err(|e| refused(format!("deal {id}: {e}")))?;
                if deal.seller != owner_key {
                    return Err(refused(format!(
                        "deal {id} is sold by {}, not by you",
                        deal.seller
                    )));
                }
                escrow.deal_release_cosigned(&owner_key, id, &deal.settlement(&cfg), &gateway)
            }
        };
        let writable: Vec<Pubkey> = ix
            .accounts
            .iter()
            .filter(|m| m.is_writable)
            .map(|m| m.pubkey)
            .collect();
        let price = rpc
            .compute_unit_price(&PriorityFeePolicy::new(), &writable)
            .await
            .map_err(|e| refused(e.to_string()))?;
        let latest = rpc
            .latest_blockhash()
            .await
            .map_err(|e| refused(e.to_string()))?;
        // The owner pays and signs later; the gateway signs its own slot only.
        let tx = TransactionBuilder::new(owner_key)
            .with_compute_unit_limit(DEFAULT_COMPUTE_UNIT_LIMIT)
            .with_compute_unit_price(price)
            .with_instruction(ix)
            .partial_sign(latest.blockhash, &[&self.key as &dyn Signer])
            .map_err(|e| refused(e.to_string()))?;
        let transaction_base64 = encode_base64(&tx).map_err(|e| refused(e.to_string()))?;
        tracing::info!(
            owner,
            chain,
            ?outflow,
            last_valid_block_height = latest.last_valid_block_height,
            "co-signed a Solana outflow"
        );
        Ok(CoSignedTransaction {
            transaction_base64,
            last_valid_block_height: latest.last_valid_block_height,
            rpc_url: url.clone(),
        })
    }
}
