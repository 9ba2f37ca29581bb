//! `proposal_approve`: an owner approves an Active proposal.

use anchor_lang::prelude::*;

use crate::errors::MultisigError;
use crate::events::{ProposalVoted, Vote};
use crate::state::{Multisig, Proposal, SEED_PREFIX, SEED_PROPOSAL};

/// Arguments of `proposal_approve` (none; kept for a stable interface).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
pub struct ProposalApproveArgs {}

/// Accounts of `proposal_approve`.
#[event_cpi]
#[derive(Accounts)]
pub struct ProposalApprove<'info> {
    /// The multisig.
    #[account(
        seeds = [SEED_PREFIX, multisig.create_key.as_ref()],
        bump = multisig.bump
    )]
    pub multisig: Account<'info, Multisig>,
    /// The proposal voted on.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_PROPOSAL, &proposal.index.to_le_bytes()],
        bump = proposal.bump,
        has_one = multisig
    )]
    pub proposal: Account<'info, Proposal>,
    /// The approving owner.
    pub owner: Signer<'info>,
}

impl ProposalApprove<'_> {
    /// Checks role, staleness and expiry (the status is checked by `Proposal::approve`).
    pub fn validate(&self) -> Result<()> {
        require!(
            self.multisig.is_owner(&self.owner.key()),
            MultisigError::NotAnOwner
        );
        require!(
            !self.multisig.is_stale(self.proposal.index),
            MultisigError::ProposalStale
        );
        let now = Clock::get()?.unix_timestamp;
        require!(
            !self.proposal.is_expired(now),
            MultisigError::ProposalExpired
        );
        Ok(())
    }

    /// Records the approval.
    pub fn proposal_approve(ctx: Context<Self>, _args: ProposalApproveArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let owner = ctx.accounts.owner.key();
        let threshold = ctx.accounts.multisig.threshold;
        let proposal = &mut ctx.accounts.proposal;
        proposal.approve(owner, threshold, now)?;
        proposal.invariant()?;
        emit_cpi!(ProposalVoted {
            multisig: proposal.multisig,
            index: proposal.index,
            owner,
            vote: Vote::Approve,
            status: proposal.status.index(),
        });
        Ok(())
    }
}
