//! A Solana block as JSON-RPC `getBlock` returns it with `encoding: "json"`,
//! `transactionDetails: "full"` and `maxSupportedTransactionVersion: 0`: only the fields
//! the indexer reads. Instruction data is base58; account indexes point into the
//! message's keys followed by the addresses loaded from lookup tables (v0).

use serde::Deserialize;

/// One produced block (a skipped slot has none).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolanaBlock {
    /// Block height (produced blocks only; below the slot number).
    #[serde(default)]
    pub block_height: Option<u64>,
    /// Estimated production time, Unix seconds (absent on very old blocks).
    #[serde(default)]
    pub block_time: Option<i64>,
    /// This block's hash, base58.
    pub blockhash: String,
    /// Slot of the parent block (lower than `slot − 1` after skipped slots).
    pub parent_slot: u64,
    /// The parent block's hash, base58.
    pub previous_blockhash: String,
    /// Every transaction, failed ones included, in block order.
    #[serde(default)]
    pub transactions: Vec<SolanaTransaction>,
}

/// A transaction with its status metadata.
#[derive(Debug, Clone, Deserialize)]
pub struct SolanaTransaction {
    /// The signed transaction.
    pub transaction: TransactionBody,
    /// What executing it did (absent only on nodes that dropped it).
    #[serde(default)]
    pub meta: Option<TransactionMeta>,
}

/// The signed part.
#[derive(Debug, Clone, Deserialize)]
pub struct TransactionBody {
    /// Signatures, base58; the first is the transaction's id.
    pub signatures: Vec<String>,
    /// The message.
    pub message: Message,
}

/// A transaction message (legacy or v0).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Static account keys, base58.
    pub account_keys: Vec<String>,
    /// Top-level instructions.
    pub instructions: Vec<CompiledInstruction>,
}

/// One instruction, accounts as indexes into the transaction's keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompiledInstruction {
    /// Index of the program's key.
    pub program_id_index: usize,
    /// Indexes of the instruction's accounts.
    pub accounts: Vec<usize>,
    /// Instruction data, base58.
    pub data: String,
}

/// Status metadata.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionMeta {
    /// `null` when the transaction succeeded; a failed one changed nothing but its fee.
    #[serde(default)]
    pub err: Option<serde_json::Value>,
    /// Instructions invoked by each top-level instruction (CPIs), in execution order.
    #[serde(default)]
    pub inner_instructions: Option<Vec<InnerInstructions>>,
    /// Token accounts before execution (mint and owner of each).
    #[serde(default)]
    pub pre_token_balances: Option<Vec<TokenBalance>>,
    /// Token accounts after execution.
    #[serde(default)]
    pub post_token_balances: Option<Vec<TokenBalance>>,
    /// Keys loaded from address lookup tables (v0 transactions).
    #[serde(default)]
    pub loaded_addresses: Option<LoadedAddresses>,
}

/// The inner instructions of one top-level instruction.
#[derive(Debug, Clone, Deserialize)]
pub struct InnerInstructions {
    /// Index of the top-level instruction.
    pub index: usize,
    /// Its CPIs, in execution order.
    pub instructions: Vec<CompiledInstruction>,
}

/// A token account's balance entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenBalance {
    /// Index of the token account among the transaction's keys.
    pub account_index: usize,
    /// The mint, base58.
    pub mint: String,
    /// The token account's owner (wallet), base58.
    #[serde(default)]
    pub owner: Option<String>,
}

/// Keys a v0 transaction loads from lookup tables, after the static keys.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LoadedAddresses {
    /// Writable keys.
    #[serde(default)]
    pub writable: Vec<String>,
    /// Read-only keys.
    #[serde(default)]
    pub readonly: Vec<String>,
}

impl SolanaTransaction {
    /// All keys an instruction's indexes refer to: static, then loaded writable, then
    /// loaded read-only (the order the runtime uses).
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .transaction
            .message
            .account_keys
            .iter()
            .map(String::as_str)
            .collect();
        if let Some(l) = self.meta.as_ref().and_then(|m| m.loaded_addresses.as_ref()) {
            keys.extend(l.writable.iter().map(String::as_str));
            keys.extend(l.readonly.iter().map(String::as_str));
        }
        keys
    }

    /// Whether the transaction succeeded (a missing meta counts as failed: nothing of it
    /// can be trusted).
    pub fn succeeded(&self) -> bool {
        self.meta.as_ref().is_some_and(|m| m.err.is_none())
    }

    /// Every instruction in execution order: each top-level one followed by its CPIs.
    pub fn instructions_in_order(&self) -> Vec<&CompiledInstruction> {
        let inner = self
            .meta
            .as_ref()
            .and_then(|m| m.inner_instructions.as_ref());
        let mut out = Vec::new();
        for (i, ix) in self.transaction.message.instructions.iter().enumerate() {
            out.push(ix);
            if let Some(groups) = inner {
                for g in groups.iter().filter(|g| g.index == i) {
                    out.extend(g.instructions.iter());
                }
            }
        }
        out
    }
}
