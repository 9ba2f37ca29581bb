//! The dispatcher assigns an acceptor (buyer) to an open payout; the payment
//! window starts now. Blocked while paused, like opening a deal.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::PayoutAssigned;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_DEAL};
use crate::state::{Config, Deal, EscrowAccount, ROLE_ACCEPTOR};

/// Arguments of `deal_payout_assign`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct DealPayoutAssignArgs {
    /// Payment window, seconds.
    pub payment_window_secs: u32,
}

/// Accounts of `deal_payout_assign`.
#[event_cpi]
#[derive(Accounts)]
pub struct DealPayoutAssign<'info> {
    /// The dispatcher.
    pub dispatcher: Signer<'info>,
    /// The config.
    #[account(
        seeds = [SEED_CONFIG, config.creator.as_ref()],
        bump = config.bump,
        constraint = config.authorities.dispatcher == dispatcher.key() @ EscrowError::NotDispatcher
    )]
    pub config: Account<'info, Config>,
    /// The payout deal.
    #[account(
        mut,
        seeds = [SEED_DEAL, config.key().as_ref(), &deal.id.to_le_bytes()],
        bump = deal.bump
    )]
    pub deal: Account<'info, Deal>,
    /// The acceptor's escrow account.
    #[account(
        seeds = [SEED_ACCOUNT, config.key().as_ref(), acceptor_account.wallet.as_ref()],
        bump = acceptor_account.bump
    )]
    pub acceptor_account: Account<'info, EscrowAccount>,
}

impl DealPayoutAssign<'_> {
    fn validate(&self, args: &DealPayoutAssignArgs) -> Result<()> {
        let config = &self.config;
        config.require_not_paused()?;
        self.acceptor_account.require_role(ROLE_ACCEPTOR)?;
        config.check_party(&self.acceptor_account)?;
        // The acceptor's own consent: online, within its limits (docs/rules.md, acceptor limits).
        self.acceptor_account
            .check_acceptor_limits(self.deal.amount, false)?;
        config.check_payment_window(args.payment_window_secs)
    }

    /// Assigns the acceptor (state checks in `Deal::assign`) and emits
    /// `PayoutAssigned`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: DealPayoutAssignArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let deadline = Config::deadline(now, args.payment_window_secs)?;
        let acceptor = ctx.accounts.acceptor_account.wallet;
        let deal = &mut ctx.accounts.deal;
        deal.assign(acceptor, deadline)?;
        emit_cpi!(PayoutAssigned {
            config: deal.config,
            deal_id: deal.id,
            acceptor,
            deadline,
            reference: deal.reference,
        });
        ctx.accounts.deal.invariant()?;
        Ok(())
    }
}
