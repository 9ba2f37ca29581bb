//! The Solana escrow as the monitor reads it for conservation (docs/rules.md,
//! "Liabilities": the token balance held by the escrow `>= liabilities`): every unit
//! the escrow owes sits in one token account, the vault PDA `["vault", config]`,
//! whose balance is compared with the liabilities the indexer counted at its block.
//!
//! A node answers `getAccountInfo` at its latest slot of a commitment, not at a
//! slot of our choosing. The read asks for `finalized` from at least the indexer's
//! block (`minContextSlot`); when the node answers from a later slot, the balance it
//! gives is the balance at the indexer's block only if no transaction touched the
//! vault in between, which `getSignaturesForAddress` tells (every transaction that
//! moves tokens in or out of the vault names it). Otherwise the measurement waits
//! for a later block, as on TRON, whose node also reads at its head only.

use stablerail_sdk::solana::{
    EscrowProgram, FINALIZED, SolanaRpc, SolanaRpcError, TokenAccount, sdk::Pubkey,
};

use crate::risk::reader::ReadError;

/// The node's answer to a read that asks for a slot it has not reached
/// (`minContextSlot` above its slot for the commitment).
const MIN_CONTEXT_SLOT_NOT_REACHED: i64 = -32016;

/// The vault's balance at the indexer's block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultBalance {
    /// The vault token account, base58.
    pub vault: String,
    /// Its balance in the mint's smallest units.
    pub balance: u128,
}

fn solana(e: impl ToString) -> ReadError {
    ReadError::Solana(e.to_string())
}

fn key(text: &str) -> Result<Pubkey, ReadError> {
    text.parse()
        .map_err(|_| ReadError::Address(text.to_owned()))
}

/// The balance of the vault of the escrow whose config is `config`, in `mint`, at
/// the indexer's block `block`; `None` while it cannot be known there (the node
/// has not finalized that block, or the vault moved after it), to be measured at a
/// later block. A vault that is missing, not a token account, of another mint or
/// not owned by the config is an error.
pub async fn vault_balance_at(
    rpc: &SolanaRpc,
    config: &str,
    mint: &str,
    block: u64,
) -> Result<Option<VaultBalance>, ReadError> {
    let config = key(config)?;
    let mint = key(mint)?;
    let vault = EscrowProgram::new(config).vault();
    let read = match rpc.account_at(&vault, FINALIZED, Some(block)).await {
        Ok(read) => read,
        Err(SolanaRpcError::Rpc { code, .. }) if code == MIN_CONTEXT_SLOT_NOT_REACHED => {
            return Ok(None);
        }
        Err(e) => return Err(solana(e)),
    };
    let account = read
        .account
        .ok_or_else(|| solana(format!("the escrow vault {vault} does not exist")))?;
    let token = TokenAccount::decode(&account.owner, &account.data)
        .ok_or_else(|| solana(format!("the escrow vault {vault} is not a token account")))?;
    if token.mint != mint || token.owner != config {
        return Err(solana(format!(
            "{vault} is not the escrow's vault of {mint} (mint {}, owner {})",
            token.mint, token.owner
        )));
    }
    if read.slot > block && moved_after(rpc, &vault, block).await? {
        return Ok(None);
    }
    Ok(Some(VaultBalance {
        vault: vault.to_string(),
        balance: u128::from(token.amount),
    }))
}

/// Whether a transaction that named `vault` landed after `block` (asked after the
/// balance was read, so the list reaches at least the read's slot). Failed
/// transactions count too: a list that is cheap to read beats reasoning about
/// which failures could not have moved tokens.
async fn moved_after(rpc: &SolanaRpc, vault: &Pubkey, block: u64) -> Result<bool, ReadError> {
    let newest = rpc
        .signatures_for_address(vault, FINALIZED, 1)
        .await
        .map_err(solana)?;
    Ok(newest.first().is_some_and(|s| s.slot > block))
}
