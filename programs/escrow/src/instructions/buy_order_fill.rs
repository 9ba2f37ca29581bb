//! A trader fills a buy order: a Trade deal opens, locking the amount from
//! the trader's available balance (seller trader, buyer merchant), with the
//! fee rates fixed now (docs/rules.md, fee rates fixed at open).

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::{BuyOrderFilled, DealOpened};
use crate::state::seeds::{SEED_ACCOUNT, SEED_BUY_ORDER, SEED_CONFIG, SEED_DEAL};
use crate::state::{
    merchant_agent, BuyOrder, Config, Deal, DealKind, DealState, EscrowAccount, ROLE_MERCHANT,
};
use crate::utils::create_program_account;

/// Arguments of `buy_order_fill`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct BuyOrderFillArgs {
    /// Amount to sell into the order.
    pub amount: u64,
    /// Reference to the off-chain order.
    pub reference: [u8; 32],
}

/// Accounts of `buy_order_fill`.
#[event_cpi]
#[derive(Accounts)]
pub struct BuyOrderFill<'info> {
    /// The trader (seller); pays the deal's rent.
    #[account(mut)]
    pub trader: Signer<'info>,
    /// The config (its deal counter advances).
    #[account(mut, seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    /// The order; stays open while its fills are open (freed when a final
    /// deal leaves nothing in it).
    #[account(
        mut,
        seeds = [SEED_BUY_ORDER, config.key().as_ref(), &buy_order.id.to_le_bytes()],
        bump = buy_order.bump
    )]
    pub buy_order: Account<'info, BuyOrder>,
    /// The trader's escrow account (amount locked from it).
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), trader.key().as_ref()],
        bump = trader_account.bump
    )]
    pub trader_account: Account<'info, EscrowAccount>,
    /// The merchant's escrow account.
    #[account(
        seeds = [SEED_ACCOUNT, config.key().as_ref(), buy_order.merchant.as_ref()],
        bump = merchant_account.bump
    )]
    pub merchant_account: Account<'info, EscrowAccount>,
    /// The merchant's agent's escrow account (its role and volume fix the
    /// agent's rate); omitted without agent or when the agent is the trader.
    pub agent_account: Option<Box<Account<'info, EscrowAccount>>>,
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

impl BuyOrderFill<'_> {
    fn validate(&self, args: &BuyOrderFillArgs) -> Result<()> {
        let config = &self.config;
        config.require_not_paused()?;
        require_keys_neq!(
            self.trader.key(),
            self.buy_order.merchant,
            EscrowError::SelfFill
        );
        // Both parties allowed to trade; the merchant still holds its role.
        self.merchant_account.require_role(ROLE_MERCHANT)?;
        config.check_party(&self.merchant_account)?;
        config.check_party(&self.trader_account)?;
        config.check_deal_amount(args.amount)?;
        config.check_payment_window(self.buy_order.payment_window_secs)
    }

    /// Takes the fill from the order, locks the trader's USDT, opens the
    /// deal with its rates and emits `BuyOrderFilled` and `DealOpened`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: BuyOrderFillArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let remaining = ctx.accounts.buy_order.fill(args.amount, now)?;
        let deal_id = ctx.accounts.config.take_deal_id()?;
        let deadline = Config::deadline(now, ctx.accounts.buy_order.payment_window_secs)?;
        let bump = ctx.bumps.deal;
        let mut deal = Deal {
            config: ctx.accounts.config.key(),
            id: deal_id,
            bump,
            kind: DealKind::Trade,
            state: DealState::Open,
            seller: ctx.accounts.trader.key(),
            buyer: ctx.accounts.buy_order.merchant,
            merchant: ctx.accounts.buy_order.merchant,
            amount: args.amount,
            deadline,
            reference: args.reference,
            rent_payer: ctx.accounts.trader.key(),
            order_id: Some(ctx.accounts.buy_order.id),
            fee_bps: 0,
            agent: None,
            agent_share_bps: 0,
            reward_bps: 0,
            disputed_at: 0,
        };
        let agent = merchant_agent(
            &ctx.accounts.merchant_account,
            &[&*ctx.accounts.trader_account],
            ctx.accounts.agent_account.as_deref().map(|a| &**a),
        )?;
        deal.fix_rates(
            &ctx.accounts.config.fees,
            &ctx.accounts.merchant_account,
            agent,
        )?;
        ctx.accounts.trader_account.lock(args.amount)?;
        create_program_account(
            &ctx.accounts.trader.to_account_info(),
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
        emit_cpi!(BuyOrderFilled {
            config: deal.config,
            order_id: ctx.accounts.buy_order.id,
            deal_id,
            trader: deal.seller,
            amount: args.amount,
            remaining,
        });
        emit_cpi!(DealOpened {
            config: deal.config,
            deal_id,
            kind: deal.kind,
            seller: deal.seller,
            buyer: deal.buyer,
            merchant: deal.merchant,
            amount: deal.amount,
            deadline,
            reference: deal.reference,
            order_id: deal.order_id,
            fee_bps: deal.fee_bps,
            agent: deal.agent,
            agent_share_bps: deal.agent_share_bps,
            reward_bps: deal.reward_bps,
        });
        ctx.accounts.buy_order.invariant()?;
        deal.invariant()?;
        ctx.accounts.trader_account.invariant()?;
        Ok(())
    }
}
