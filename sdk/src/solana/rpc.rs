//! A small async client for the Solana JSON-RPC API: blockhash, prioritization
//! fees, account data, send and signature statuses.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use solana_hash::Hash;
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction::Transaction;
use tracing::debug;

use super::error::{SolanaError, SolanaRpcError};
use crate::solana::compute_budget::{PrioritizationFee, PriorityFeePolicy};
use crate::solana::program_error::ProgramError;
use crate::solana::state::AnchorAccount;
use crate::solana::transaction::encode_base64;

/// How much of a non-JSON or error body an error keeps.
const BODY_SNIPPET: usize = 200;

/// The commitment every read and preflight uses.
pub const COMMITMENT: &str = "confirmed";

/// The commitment of reads that must not be rolled back (the treasury watch).
pub const FINALIZED: &str = "finalized";

/// An account read with the slot the node read it at (`context.slot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextAccount {
    /// The slot whose state the node answered from.
    pub slot: u64,
    /// The account; `None` if it does not exist there.
    pub account: Option<AccountData>,
}

/// A blockhash and the last block height at which transactions using it are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestBlockhash {
    /// The blockhash.
    pub blockhash: Hash,
    /// Last valid block height.
    pub last_valid_block_height: u64,
}

/// A transaction that touched an address, as `getSignaturesForAddress` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressSignature {
    /// The transaction's first signature.
    pub signature: Signature,
    /// The slot of its block.
    pub slot: u64,
    /// Whether it failed on chain (a failed transaction changes no account but
    /// its fee payer's lamports).
    pub failed: bool,
}

/// An account as `getAccountInfo` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountData {
    /// Lamports held.
    pub lamports: u64,
    /// Owning program.
    pub owner: Pubkey,
    /// Whether it is a program.
    pub executable: bool,
    /// The data.
    pub data: Vec<u8>,
}

/// A transaction's status from `getSignatureStatuses`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureStatus {
    /// Slot it was processed in.
    pub slot: u64,
    /// Confirmations; `None` once finalized.
    pub confirmations: Option<u64>,
    /// The runtime error as JSON text, if it failed.
    pub err: Option<String>,
    /// `processed`, `confirmed` or `finalized`.
    pub confirmation_status: Option<String>,
}

impl SignatureStatus {
    /// Whether the transaction reached `confirmed` or `finalized`.
    pub fn is_confirmed(&self) -> bool {
        matches!(
            self.confirmation_status.as_deref(),
            Some("confirmed" | "finalized")
        ) || self.confirmations.is_none()
    }
}

/// A Solana JSON-RPC client.
#[derive(Debug, Clone)]
pub struct SolanaRpc {
    url: String,
    http: reqwest::Client,
}

impl SolanaRpc {
    /// A client for the node at `url` (http or https), with a 30 s timeout.
    pub fn new(url: &str) -> Result<Self, SolanaRpcError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| SolanaRpcError::Url {
            url: url.to_owned(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(SolanaRpcError::Url {
                url: url.to_owned(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|source| SolanaRpcError::Transport {
                method: "client",
                source,
            })?;
        Ok(Self {
            url: url.to_owned(),
            http,
        })
    }

    /// Calls `method` with `params`; returns the `result` member.
    async fn call(&self, method: &'static str, params: Value) -> Result<Value, SolanaRpcError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        debug!(method, "solana rpc");
        let response = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|source| SolanaRpcError::Transport { method, source })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|source| SolanaRpcError::Transport { method, source })?;
        let snippet = || text.chars().take(BODY_SNIPPET).collect::<String>();
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        // A JSON-RPC error object is reported as such, whatever the HTTP status.
        if let Some(error) = parsed.as_ref().and_then(|v| v.get("error")) {
            return Err(rpc_error(method, error));
        }
        if !status.is_success() {
            return Err(SolanaRpcError::Status {
                method,
                status: status.as_u16(),
                body: snippet(),
            });
        }
        let Some(mut value) = parsed else {
            return Err(SolanaRpcError::NotJson {
                method,
                body: snippet(),
            });
        };
        match value.get_mut("result") {
            Some(result) => Ok(result.take()),
            None => Err(SolanaRpcError::Shape {
                method,
                field: "result",
            }),
        }
    }

    /// `getLatestBlockhash` at `confirmed`.
    pub async fn latest_blockhash(&self) -> Result<LatestBlockhash, SolanaRpcError> {
        const M: &str = "getLatestBlockhash";
        let r = self.call(M, json!([{"commitment": COMMITMENT}])).await?;
        let value = &r["value"];
        let blockhash = value["blockhash"]
            .as_str()
            .and_then(|s| s.parse::<Hash>().ok())
            .ok_or(shape(M, "value.blockhash"))?;
        let last_valid_block_height = value["lastValidBlockHeight"]
            .as_u64()
            .ok_or(shape(M, "value.lastValidBlockHeight"))?;
        Ok(LatestBlockhash {
            blockhash,
            last_valid_block_height,
        })
    }

    /// `getBlockHeight` at `confirmed`: a transaction whose blockhash's last valid
    /// block height is below it can no longer land.
    pub async fn block_height(&self) -> Result<u64, SolanaRpcError> {
        const M: &str = "getBlockHeight";
        let r = self.call(M, json!([{"commitment": COMMITMENT}])).await?;
        r.as_u64().ok_or(shape(M, "result"))
    }

    /// `getRecentPrioritizationFees` for transactions writing `accounts`.
    pub async fn recent_prioritization_fees(
        &self,
        accounts: &[Pubkey],
    ) -> Result<Vec<PrioritizationFee>, SolanaRpcError> {
        const M: &str = "getRecentPrioritizationFees";
        let keys: Vec<String> = accounts.iter().map(ToString::to_string).collect();
        let r = self.call(M, json!([keys])).await?;
        r.as_array()
            .ok_or(shape(M, "result"))?
            .iter()
            .map(|s| {
                Ok(PrioritizationFee {
                    slot: s["slot"].as_u64().ok_or(shape(M, "slot"))?,
                    prioritization_fee: s["prioritizationFee"]
                        .as_u64()
                        .ok_or(shape(M, "prioritizationFee"))?,
                })
            })
            .collect()
    }

    /// The compute-unit price `policy` chooses for a transaction writing
    /// `accounts`; no request when the policy has a fixed price.
    pub async fn compute_unit_price(
        &self,
        policy: &PriorityFeePolicy,
        accounts: &[Pubkey],
    ) -> Result<u64, SolanaRpcError> {
        if policy.is_fixed() {
            return Ok(policy.price(&[]));
        }
        let samples = self.recent_prioritization_fees(accounts).await?;
        Ok(policy.price(&samples))
    }

    /// `getAccountInfo` (base64); `None` if the account does not exist.
    pub async fn account(&self, address: &Pubkey) -> Result<Option<AccountData>, SolanaRpcError> {
        Ok(self.account_info(address, COMMITMENT, None).await?.1)
    }

    /// `getAccountInfo` (base64) at `commitment`, answered from a slot at least
    /// `min_context_slot` (the node refuses otherwise), with that slot.
    pub async fn account_at(
        &self,
        address: &Pubkey,
        commitment: &str,
        min_context_slot: Option<u64>,
    ) -> Result<ContextAccount, SolanaRpcError> {
        let (slot, account) = self
            .account_info(address, commitment, min_context_slot)
            .await?;
        Ok(ContextAccount {
            slot: slot.ok_or(shape("getAccountInfo", "context.slot"))?,
            account,
        })
    }

    /// `getAccountInfo`: the context slot, if the node gave one, and the account.
    async fn account_info(
        &self,
        address: &Pubkey,
        commitment: &str,
        min_context_slot: Option<u64>,
    ) -> Result<(Option<u64>, Option<AccountData>), SolanaRpcError> {
        const M: &str = "getAccountInfo";
        let mut config = json!({"encoding": "base64", "commitment": commitment});
        if let Some(slot) = min_context_slot {
            config["minContextSlot"] = json!(slot);
        }
        let r = self.call(M, json!([address.to_string(), config])).await?;
        let slot = r["context"]["slot"].as_u64();
        let value = &r["value"];
        if value.is_null() {
            return Ok((slot, None));
        }
        let data = value["data"][0]
            .as_str()
            .and_then(|b64| BASE64.decode(b64).ok())
            .ok_or(shape(M, "value.data"))?;
        Ok((
            slot,
            Some(AccountData {
                lamports: value["lamports"]
                    .as_u64()
                    .ok_or(shape(M, "value.lamports"))?,
                owner: value["owner"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or(shape(M, "value.owner"))?,
                executable: value["executable"].as_bool().unwrap_or(false),
                data,
            }),
        ))
    }

    /// `getSignaturesForAddress` at `commitment`: the newest `limit` (1..=1000)
    /// transactions that named `address` among their accounts, newest first.
    pub async fn signatures_for_address(
        &self,
        address: &Pubkey,
        commitment: &str,
        limit: u16,
    ) -> Result<Vec<AddressSignature>, SolanaRpcError> {
        const M: &str = "getSignaturesForAddress";
        let r = self
            .call(
                M,
                json!([address.to_string(), {"commitment": commitment, "limit": limit}]),
            )
            .await?;
        r.as_array()
            .ok_or(shape(M, "result"))?
            .iter()
            .map(|s| {
                Ok(AddressSignature {
                    signature: s["signature"]
                        .as_str()
                        .and_then(|t| t.parse().ok())
                        .ok_or(shape(M, "signature"))?,
                    slot: s["slot"].as_u64().ok_or(shape(M, "slot"))?,
                    failed: !s["err"].is_null(),
                })
            })
            .collect()
    }

    /// Reads and decodes a program account; a missing account or a wrong type is
    /// an error naming `what`.
    pub async fn decoded<T: AnchorAccount>(
        &self,
        address: &Pubkey,
        what: &'static str,
    ) -> Result<T, crate::Error> {
        let account = self
            .account(address)
            .await?
            .ok_or_else(|| SolanaError::AccountMissing {
                what,
                address: address.to_string(),
            })?;
        Ok(T::decode(&account.data)?)
    }

    /// `sendTransaction` (base64, with preflight at `confirmed`); returns the
    /// signature the node reports.
    pub async fn send_transaction(&self, tx: &Transaction) -> Result<Signature, crate::Error> {
        const M: &str = "sendTransaction";
        let wire = encode_base64(tx)?;
        let r = self
            .call(
                M,
                json!([wire, {"encoding": "base64", "preflightCommitment": COMMITMENT}]),
            )
            .await?;
        Ok(r.as_str()
            .and_then(|s| s.parse::<Signature>().ok())
            .ok_or(shape(M, "result"))?)
    }

    /// `getSignatureStatuses` (searching history); `None` for unknown signatures.
    pub async fn signature_statuses(
        &self,
        signatures: &[Signature],
    ) -> Result<Vec<Option<SignatureStatus>>, SolanaRpcError> {
        const M: &str = "getSignatureStatuses";
        let sigs: Vec<String> = signatures.iter().map(ToString::to_string).collect();
        let r = self
            .call(M, json!([sigs, {"searchTransactionHistory": true}]))
            .await?;
        r["value"]
            .as_array()
            .ok_or(shape(M, "value"))?
            .iter()
            .map(|s| {
                if s.is_null() {
                    return Ok(None);
                }
                Ok(Some(SignatureStatus {
                    slot: s["slot"].as_u64().ok_or(shape(M, "slot"))?,
                    confirmations: s["confirmations"].as_u64(),
                    err: match &s["err"] {
                        Value::Null => None,
                        e => Some(e.to_string()),
                    },
                    confirmation_status: s["confirmationStatus"].as_str().map(str::to_owned),
                }))
            })
            .collect()
    }

    /// Polls `getSignatureStatuses` until `signature` is confirmed, fails, or
    /// `timeout` passes.
    pub async fn confirm(
        &self,
        signature: &Signature,
        timeout: Duration,
        poll: Duration,
    ) -> Result<SignatureStatus, SolanaRpcError> {
        let start = Instant::now();
        loop {
            let status = self
                .signature_statuses(std::slice::from_ref(signature))
                .await?
                .into_iter()
                .next()
                .flatten();
            if let Some(status) = status {
                if let Some(error) = &status.err {
                    return Err(SolanaRpcError::TransactionFailed {
                        signature: signature.to_string(),
                        error: error.clone(),
                    });
                }
                if status.is_confirmed() {
                    return Ok(status);
                }
            }
            if start.elapsed() >= timeout {
                return Err(SolanaRpcError::ConfirmTimeout {
                    signature: signature.to_string(),
                    waited_ms: start.elapsed().as_millis(),
                });
            }
            tokio::time::sleep(poll).await;
        }
    }
}

fn shape(method: &'static str, field: &'static str) -> SolanaRpcError {
    SolanaRpcError::Shape { method, field }
}

fn rpc_error(method: &'static str, error: &Value) -> SolanaRpcError {
    let logs: Vec<String> = error["data"]["logs"]
        .as_array()
        .map(|logs| {
            logs.iter()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    SolanaRpcError::Rpc {
        method,
        code: error["code"].as_i64().unwrap_or(0),
        message: error["message"].as_str().unwrap_or_default().to_owned(),
        program_error: ProgramError::from_logs(&logs).map(Box::new),
        logs,
    }
}
