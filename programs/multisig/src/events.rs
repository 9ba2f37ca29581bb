//! Events for indexers, emitted in the order the state changes happen.
// With `idl-build`, Anchor's macros add undocumented IDL functions.
#![cfg_attr(not(feature = "idl-build"), warn(missing_docs))]

use anchor_lang::prelude::*;

use crate::state::Period;

/// A multisig was created.
#[event]
pub struct MultisigCreated {
    /// The multisig account.
    pub multisig: Pubkey,
    /// Its vault.
    pub vault: Pubkey,
    /// Owners, sorted.
    pub owners: Vec<Pubkey>,
    /// Approvals needed.
    pub threshold: u16,
    /// Seconds between approval and execution.
    pub time_lock: u32,
}

/// A proposal was created.
#[event]
pub struct ProposalCreated {
    /// The multisig.
    pub multisig: Pubkey,
    /// The proposal account.
    pub proposal: Pubkey,
    /// Its index.
    pub index: u64,
    /// The owner who created it.
    pub creator: Pubkey,
    /// When it expires.
    pub expires_at: i64,
}

/// What an owner's vote was.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    /// Approve.
    Approve,
    /// Reject.
    Reject,
    /// Cancel (after approval).
    Cancel,
}

/// An owner voted on a proposal.
#[event]
pub struct ProposalVoted {
    /// The multisig.
    pub multisig: Pubkey,
    /// The proposal index.
    pub index: u64,
    /// The voting owner.
    pub owner: Pubkey,
    /// The vote.
    pub vote: Vote,
    /// The status after the vote, as its Borsh variant index
    /// (0 Active, 1 Approved, 2 Rejected, 3 Cancelled, 4 Executed).
    pub status: u8,
}

/// A proposal was executed.
#[event]
pub struct ProposalExecuted {
    /// The multisig.
    pub multisig: Pubkey,
    /// The proposal index.
    pub index: u64,
    /// The owner who executed it.
    pub executor: Pubkey,
}

/// A proposal account was closed and its rent returned.
#[event]
pub struct ProposalClosed {
    /// The multisig.
    pub multisig: Pubkey,
    /// The proposal index.
    pub index: u64,
}

/// The owners, threshold or time lock changed (all pending proposals became stale).
#[event]
pub struct ConfigChanged {
    /// The multisig.
    pub multisig: Pubkey,
    /// Owners after the change.
    pub owners: Vec<Pubkey>,
    /// Threshold after the change.
    pub threshold: u16,
    /// Time lock after the change.
    pub time_lock: u32,
    /// Proposals up to this index are now stale.
    pub stale_transaction_index: u64,
}

/// A spending limit was added.
#[event]
pub struct SpendingLimitAdded {
    /// The multisig.
    pub multisig: Pubkey,
    /// The spending-limit account.
    pub spending_limit: Pubkey,
    /// Its mint.
    pub mint: Pubkey,
    /// Allowance per period.
    pub amount: u64,
    /// The period.
    pub period: Period,
}

/// A spending limit was removed.
#[event]
pub struct SpendingLimitRemoved {
    /// The multisig.
    pub multisig: Pubkey,
    /// The spending-limit account.
    pub spending_limit: Pubkey,
}

/// A spender used a spending limit.
#[event]
pub struct SpendingLimitUsed {
    /// The multisig.
    pub multisig: Pubkey,
    /// The spending-limit account.
    pub spending_limit: Pubkey,
    /// Who spent.
    pub spender: Pubkey,
    /// Receiving token account.
    pub destination: Pubkey,
    /// Amount sent.
    pub amount: u64,
    /// Left in the current period.
    pub remaining: u64,
}

impl ConfigChanged {
    /// The event for `multisig` (at address `key`) after a change.
    pub fn of(key: Pubkey, multisig: &crate::state::Multisig) -> Self {
        Self {
            multisig: key,
            owners: multisig.owners.clone(),
            threshold: multisig.threshold,
            time_lock: multisig.time_lock,
            stale_transaction_index: multisig.stale_transaction_index,
        }
    }
}
