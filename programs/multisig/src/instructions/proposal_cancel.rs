//! `proposal_cancel`: owners cancel an Approved proposal before it executes
//! (typically during the time lock); Cancelled once threshold owners voted so.

use anchor_lang::prelude::*;

use crate::errors::MultisigError;
use crate::events::{ProposalVoted, Vote};
use crate::state::{Multisig, Proposal, SEED_PREFIX, SEED_PROPOSAL};

/// Arguments of `proposal_cancel` (none; kept for a stable interface).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
pub struct ProposalCancelArgs {}

/// Accounts of `proposal_cancel`.
#[event_cpi]
#[derive(Accounts)]
pub struct ProposalCancel<'info> {
    /// The multisig.
    #[account(
        seeds = [SEED_PREFIX, multisig.create_key.as_ref()],
        bump = multisig.bump
    )]
    pub multisig: Account<'info, Multisig>,
    /// The approved proposal.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_PROPOSAL, &proposal.index.to_le_bytes()],
        bump = proposal.bump,
        has_one = multisig
    )]
    pub proposal: Account<'info, Proposal>,
    /// The owner voting to cancel.
    pub owner: Signer<'info>,
}

impl ProposalCancel<'_> {
    /// Checks role and staleness (the status is checked by `Proposal::cancel`).
    pub fn validate(&self) -> Result<()> {
        require!(
            self.multisig.is_owner(&self.owner.key()),
            MultisigError::NotAnOwner
        );
        // A stale proposal can never execute; it is closed instead.
        require!(
            !self.multisig.is_stale(self.proposal.index),
            MultisigError::ProposalStale
        );
        Ok(())
    }

    /// Records the cancel vote.
    pub fn proposal_cancel(ctx: Context<Self>, _args: ProposalCancelArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let owner = ctx.accounts.owner.key();
        let threshold = ctx.accounts.multisig.threshold;
        let proposal = &mut ctx.accounts.proposal;
        proposal.cancel(owner, threshold, now)?;
        proposal.invariant()?;
        emit_cpi!(ProposalVoted {
            multisig: proposal.multisig,
            index: proposal.index,
            owner,
            vote: Vote::Cancel,
            status: proposal.status.index(),
        });
        Ok(())
    }
}
