//! The seller releases an Open or Paid deal: the whole amount settles to the
//! buyer with the fee split; the deal closes, rent back to whoever paid it.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::DealSettled;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_DEAL};
use crate::state::{Config, Deal, EscrowAccount, BPS_DENOMINATOR};

/// Accounts of `deal_release`.
#[derive(Accounts)]
pub struct DealRelease<'info> {
    /// The seller.
    pub seller: Signer<'info>,
    /// The config.
    #[account(seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The deal, closed to its rent payer.
    #[account(
        mut,
        seeds = [SEED_DEAL, config.key().as_ref(), &deal.id.to_le_bytes()],
        bump = deal.bump,
        close = rent_payer
    )]
    pub deal: Account<'info, Deal>,
    /// The seller's escrow account.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), deal.seller.as_ref()],
        bump = seller_account.bump
    )]
    pub seller_account: Account<'info, EscrowAccount>,
    /// The buyer's escrow account.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), deal.buyer.as_ref()],
        bump = buyer_account.bump
    )]
    pub buyer_account: Account<'info, EscrowAccount>,
    /// The merchant's agent's escrow account; omitted when the merchant has
    /// no agent or the agent is the seller or the buyer.
    #[account(mut)]
    pub agent_account: Option<Account<'info, EscrowAccount>>,
    /// The treasury's escrow account.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), config.authorities.treasury.as_ref()],
        bump = treasury_account.bump
    )]
    pub treasury_account: Account<'info, EscrowAccount>,
    /// CHECK: whoever paid the deal's rent; only receives lamports.
    #[account(mut, address = deal.rent_payer @ EscrowError::WrongRentPayer)]
    pub rent_payer: UncheckedAccount<'info>,
}

impl DealRelease<'_> {
    /// Releases (checks in `Deal::release`), settles with the fee split and
    /// emits `DealSettled`.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        let deal = &mut accounts.deal;
        deal.release(accounts.seller.key())?;
        let agent = deal.agent_slot(
            &accounts.seller_account,
            &accounts.buyer_account,
            accounts.agent_account.as_deref_mut(),
        )?;
        let agent_wallet = agent.wallet(&accounts.seller_account, &accounts.buyer_account);
        let settlement = deal.settle(
            &accounts.config.fees,
            deal.amount,
            &mut accounts.seller_account,
            &mut accounts.buyer_account,
            agent,
            &mut accounts.treasury_account,
        )?;
        let split = settlement.split;
        emit!(DealSettled {
            config: deal.config,
            deal_id: deal.id,
            kind: deal.kind,
            outcome: deal.state,
            buyer_share_bps: BPS_DENOMINATOR,
            seller: deal.seller,
            buyer: deal.buyer,
            merchant: deal.merchant,
            agent: agent_wallet,
            treasury: accounts.treasury_account.wallet,
            amount: deal.amount,
            gross: split.gross,
            fee_bps: split.fee_bps,
            fee: split.fee,
            agent_cut: split.agent_cut,
            reward: split.reward,
            platform: split.platform,
            buyer_net: split.buyer_net,
            refund: settlement.refund,
            reference: deal.reference,
        });
        accounts.seller_account.invariant()?;
        accounts.buyer_account.invariant()?;
        accounts.treasury_account.invariant()?;
        Ok(())
    }
}
