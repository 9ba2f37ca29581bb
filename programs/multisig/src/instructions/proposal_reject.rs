//! `proposal_reject`: an owner rejects an Active proposal.

use anchor_lang::prelude::*;

use crate::errors::MultisigError;
use crate::events::{ProposalVoted, Vote};
use crate::state::{Multisig, Proposal, SEED_PREFIX, SEED_PROPOSAL};

/// Arguments of `proposal_reject` (none; kept for a stable interface).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
pub struct ProposalRejectArgs {}

/// Accounts of `proposal_reject`.
#[event_cpi]
#[derive(Accounts)]
pub struct ProposalReject<'info> {
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
    /// The rejecting owner.
    pub owner: Signer<'info>,
}

impl ProposalReject<'_> {
    /// Checks role, staleness and expiry (the status is checked by `Proposal::reject`).
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

    /// Records the rejection.
    pub fn proposal_reject(ctx: Context<Self>, _args: ProposalRejectArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let owner = ctx.accounts.owner.key();
        let threshold = ctx.accounts.multisig.threshold;
        let owner_count = ctx.accounts.multisig.owners.len();
        let proposal = &mut ctx.accounts.proposal;
        proposal.reject(owner, threshold, owner_count, now)?;
        proposal.invariant()?;
        emit_cpi!(ProposalVoted {
            multisig: proposal.multisig,
            index: proposal.index,
            owner,
            vote: Vote::Reject,
            status: proposal.status.index(),
        });
        Ok(())
    }
}
