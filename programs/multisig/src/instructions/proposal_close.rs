//! `proposal_close`: closes a proposal that can no longer execute (Executed,
//! Rejected, Cancelled, stale or expired) and returns its rent to the creator.

use anchor_lang::prelude::*;

use crate::errors::MultisigError;
use crate::events::ProposalClosed;
use crate::state::{Multisig, Proposal, SEED_PREFIX, SEED_PROPOSAL};

/// Arguments of `proposal_close` (none; kept for a stable interface).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
pub struct ProposalCloseArgs {}

/// Accounts of `proposal_close`. Anyone may call it: the rent only ever goes
/// back to the creator.
#[event_cpi]
#[derive(Accounts)]
pub struct ProposalClose<'info> {
    /// The multisig.
    #[account(
        seeds = [SEED_PREFIX, multisig.create_key.as_ref()],
        bump = multisig.bump
    )]
    pub multisig: Account<'info, Multisig>,
    /// The proposal to close.
    #[account(
        mut,
        close = creator,
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_PROPOSAL, &proposal.index.to_le_bytes()],
        bump = proposal.bump,
        has_one = multisig,
        has_one = creator @ MultisigError::WrongRentCollector
    )]
    pub proposal: Account<'info, Proposal>,
    /// The proposal's creator, who receives the rent.
    /// CHECK: must equal `proposal.creator` (has_one above); only receives lamports.
    #[account(mut)]
    pub creator: UncheckedAccount<'info>,
}

impl ProposalClose<'_> {
    /// Only proposals that can never execute may be closed.
    pub fn validate(&self) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        require!(
            self.proposal.is_final()
                || self.multisig.is_stale(self.proposal.index)
                || self.proposal.is_expired(now),
            MultisigError::ProposalNotClosable
        );
        Ok(())
    }

    /// Closes the account (Anchor's `close` moves the lamports on exit).
    pub fn proposal_close(ctx: Context<Self>, _args: ProposalCloseArgs) -> Result<()> {
        emit_cpi!(ProposalClosed {
            multisig: ctx.accounts.multisig.key(),
            index: ctx.accounts.proposal.index,
        });
        Ok(())
    }
}
