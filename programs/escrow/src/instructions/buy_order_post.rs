//! A merchant posts a buy order for USDT at a fiat price.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::BuyOrderPosted;
use crate::state::seeds::{SEED_ACCOUNT, SEED_BUY_ORDER, SEED_CONFIG};
use crate::state::{BuyOrder, Config, EscrowAccount, ROLE_MERCHANT};
use crate::utils::create_program_account;

/// Arguments of `buy_order_post`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct BuyOrderPostArgs {
    /// Fiat price of one USDT in the currency's minor units.
    pub price_minor: u64,
    /// ISO 4217 code.
    pub currency: [u8; 3],
    /// Total amount to buy.
    pub amount: u64,
    /// Smallest fill.
    pub min_fill: u64,
    /// Largest fill (at most the config's maximum deal amount).
    pub max_fill: u64,
    /// Unix time after which the order cannot be filled.
    pub expiry: i64,
    /// Payment window of the deals it opens, seconds.
    pub payment_window_secs: u32,
}

/// Accounts of `buy_order_post`.
#[event_cpi]
#[derive(Accounts)]
pub struct BuyOrderPost<'info> {
    /// The merchant; pays the rent.
    #[account(mut)]
    pub merchant: Signer<'info>,
    /// The config (its order counter advances).
    #[account(mut, seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The merchant's escrow account.
    #[account(
        seeds = [SEED_ACCOUNT, config.key().as_ref(), merchant.key().as_ref()],
        bump = merchant_account.bump
    )]
    pub merchant_account: Account<'info, EscrowAccount>,
    /// CHECK: the new order, `["buy_order", config, next_order_id]`; created
    /// by the handler (a PDA that already holds lamports is accepted).
    #[account(
        mut,
        seeds = [SEED_BUY_ORDER, config.key().as_ref(), &config.next_order_id.to_le_bytes()],
        bump
    )]
    pub buy_order: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl BuyOrderPost<'_> {
    fn validate(&self, args: &BuyOrderPostArgs) -> Result<()> {
        let config = &self.config;
        config.require_not_paused()?;
        // The merchant must hold the role and be allowed to trade.
        self.merchant_account.require_role(ROLE_MERCHANT)?;
        config.check_party(&self.merchant_account)?;
        // Price, currency and amounts.
        require!(args.price_minor > 0, EscrowError::InvalidPrice);
        BuyOrder::validate_currency(&args.currency)?;
        require!(args.amount > 0, EscrowError::ZeroAmount);
        require!(
            args.min_fill > 0 && args.min_fill <= args.max_fill && args.min_fill <= args.amount,
            EscrowError::InvalidFillBounds
        );
        require!(
            args.max_fill <= config.limits.max_deal_amount,
            EscrowError::DealAmountTooLarge
        );
        // Timing.
        require!(
            args.expiry > Clock::get()?.unix_timestamp,
            EscrowError::InvalidExpiry
        );
        config.check_payment_window(args.payment_window_secs)
    }

    /// Stores the order and emits `BuyOrderPosted`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: BuyOrderPostArgs) -> Result<()> {
        let config = &mut ctx.accounts.config;
        let id = config.take_order_id()?;
        let bump = ctx.bumps.buy_order;
        let order = BuyOrder {
            config: config.key(),
            id,
            bump,
            merchant: ctx.accounts.merchant.key(),
            price_minor: args.price_minor,
            currency: args.currency,
            remaining: args.amount,
            min_fill: args.min_fill,
            max_fill: args.max_fill,
            expiry: args.expiry,
            payment_window_secs: args.payment_window_secs,
            open: true,
            open_fills: 0,
        };
        create_program_account(
            &ctx.accounts.merchant.to_account_info(),
            &ctx.accounts.buy_order.to_account_info(),
            &ctx.accounts.system_program.to_account_info(),
            &[
                SEED_BUY_ORDER,
                order.config.as_ref(),
                &id.to_le_bytes(),
                &[bump],
            ],
            &order,
        )?;
        emit_cpi!(BuyOrderPosted {
            config: order.config,
            order_id: id,
            merchant: order.merchant,
            price_minor: args.price_minor,
            currency: args.currency,
            amount: args.amount,
            min_fill: args.min_fill,
            max_fill: args.max_fill,
            expiry: args.expiry,
            payment_window_secs: args.payment_window_secs,
        });
        order.invariant()?;
        Ok(())
    }
}
