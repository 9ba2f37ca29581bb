//! A merchant asks for a fiat payout: a Payout deal locks the amount from
//! its own balance; the dispatcher assigns an acceptor later.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::DealOpened;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_DEAL};
use crate::state::{Config, Deal, DealKind, DealState, EscrowAccount, ROLE_MERCHANT};

/// Arguments of `deal_payout_open`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct DealPayoutOpenArgs {
    /// Amount to lock from the merchant.
    pub amount: u64,
    /// Reference to the off-chain payout request.
    pub reference: [u8; 32],
}

/// Accounts of `deal_payout_open`.
#[derive(Accounts)]
pub struct DealPayoutOpen<'info> {
    /// The merchant (seller); pays the deal's rent.
    #[account(mut)]
    pub merchant: Signer<'info>,
    /// The config (its deal counter advances).
    #[account(mut, seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The merchant's escrow account (amount locked from it).
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), merchant.key().as_ref()],
        bump = merchant_account.bump
    )]
    pub merchant_account: Account<'info, EscrowAccount>,
    /// The new deal, `["deal", config, next_deal_id]`.
    #[account(
        init,
        payer = merchant,
        space = 8 + Deal::INIT_SPACE,
        seeds = [SEED_DEAL, config.key().as_ref(), &config.next_deal_id.to_le_bytes()],
        bump
    )]
    pub deal: Account<'info, Deal>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl DealPayoutOpen<'_> {
    fn validate(&self, args: &DealPayoutOpenArgs) -> Result<()> {
        let config = &self.config;
        config.require_not_paused()?;
        self.merchant_account.require_role(ROLE_MERCHANT)?;
        config.check_party(&self.merchant_account)?;
        config.check_deal_amount(args.amount)?;
        require!(
            args.amount <= self.merchant_account.available,
            EscrowError::InsufficientBalance
        );
        Ok(())
    }

    /// Locks the merchant's USDT, opens the unassigned deal (buyer = default
    /// key, no deadline until assigned) and emits `DealOpened`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: DealPayoutOpenArgs) -> Result<()> {
        let accounts = ctx.accounts;
        accounts.merchant_account.lock(args.amount)?;
        let deal_id = accounts.config.take_deal_id()?;
        let deal = &mut accounts.deal;
        deal.config = accounts.config.key();
        deal.id = deal_id;
        deal.bump = ctx.bumps.deal;
        deal.kind = DealKind::Payout;
        deal.state = DealState::Open;
        deal.seller = accounts.merchant.key();
        deal.buyer = Pubkey::default();
        deal.merchant = accounts.merchant.key();
        deal.amount = args.amount;
        deal.deadline = 0;
        deal.reference = args.reference;
        deal.rent_payer = accounts.merchant.key();
        deal.order_id = None;
        emit!(DealOpened {
            config: deal.config,
            deal_id,
            kind: deal.kind,
            seller: deal.seller,
            buyer: deal.buyer,
            merchant: deal.merchant,
            amount: deal.amount,
            deadline: deal.deadline,
            reference: deal.reference,
            order_id: None,
        });
        Ok(())
    }
}
