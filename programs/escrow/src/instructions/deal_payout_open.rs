//! A merchant asks for a fiat payout: a Payout deal locks the amount from
//! its own balance; the dispatcher assigns an acceptor later.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::DealOpened;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_DEAL};
use crate::state::{
    merchant_agent, Config, Deal, DealKind, DealState, EscrowAccount, ROLE_MERCHANT,
};
use crate::utils::create_program_account;

/// Arguments of `deal_payout_open`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct DealPayoutOpenArgs {
    /// Amount to lock from the merchant.
    pub amount: u64,
    /// Reference to the off-chain payout request.
    pub reference: [u8; 32],
}

/// Accounts of `deal_payout_open`.
#[event_cpi]
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
    /// The merchant's agent's escrow account (its role and volume fix the
    /// agent's rate); omitted without agent or when the agent is a party.
    pub agent_account: Option<Account<'info, EscrowAccount>>,
    /// CHECK: the new deal, `["deal", config, next_deal_id]`; created by the
    /// handler (a PDA that already holds lamports is accepted).
    #[account(
        mut,
        seeds = [SEED_DEAL, config.key().as_ref(), &config.next_deal_id.to_le_bytes()],
        bump
    )]
    pub deal: UncheckedAccount<'info>,
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
        ctx.accounts.merchant_account.lock(args.amount)?;
        let deal_id = ctx.accounts.config.take_deal_id()?;
        let bump = ctx.bumps.deal;
        let mut deal = Deal {
            config: ctx.accounts.config.key(),
            id: deal_id,
            bump,
            kind: DealKind::Payout,
            state: DealState::Open,
            seller: ctx.accounts.merchant.key(),
            buyer: Pubkey::default(),
            merchant: ctx.accounts.merchant.key(),
            amount: args.amount,
            deadline: 0,
            reference: args.reference,
            rent_payer: ctx.accounts.merchant.key(),
            order_id: None,
            fee_bps: 0,
            agent: None,
            agent_share_bps: 0,
            reward_bps: 0,
            disputed_at: 0,
        };
        let agent = merchant_agent(
            &ctx.accounts.merchant_account,
            &[],
            ctx.accounts.agent_account.as_deref(),
        )?;
        deal.fix_rates(
            &ctx.accounts.config.fees,
            &ctx.accounts.merchant_account,
            agent,
        )?;
        create_program_account(
            &ctx.accounts.merchant.to_account_info(),
            &ctx.accounts.deal.to_account_info(),
            &ctx.accounts.system_program.to_account_info(),
            &[
                SEED_DEAL,
                deal.config.as_ref(),
                &deal_id.to_le_bytes(),
                &[bump],
            ],
            &deal,
        )?;
        emit_cpi!(DealOpened {
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
            fee_bps: deal.fee_bps,
            agent: deal.agent,
            agent_share_bps: deal.agent_share_bps,
            reward_bps: deal.reward_bps,
        });
        deal.invariant()?;
        ctx.accounts.merchant_account.invariant()?;
        Ok(())
    }
}
