//! The merchant cancels a buy order; the account closes, rent back to it.
//! Allowed while paused (it only frees the merchant's own rent).

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::BuyOrderCancelled;
use crate::state::seeds::{SEED_BUY_ORDER, SEED_CONFIG};
use crate::state::{BuyOrder, Config};

/// Accounts of `buy_order_cancel`.
#[event_cpi]
#[derive(Accounts)]
pub struct BuyOrderCancel<'info> {
    /// The order's merchant; receives the rent.
    #[account(mut)]
    pub merchant: Signer<'info>,
    /// The config.
    #[account(seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The order, closed to the merchant.
    #[account(
        mut,
        seeds = [SEED_BUY_ORDER, config.key().as_ref(), &buy_order.id.to_le_bytes()],
        bump = buy_order.bump,
        has_one = merchant @ EscrowError::NotOrderMerchant,
        close = merchant
    )]
    pub buy_order: Account<'info, BuyOrder>,
}

impl BuyOrderCancel<'_> {
    /// Emits `BuyOrderCancelled`; Anchor closes the account on exit.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let order = &ctx.accounts.buy_order;
        emit_cpi!(BuyOrderCancelled {
            config: order.config,
            order_id: order.id,
            merchant: order.merchant,
            remaining: order.remaining,
        });
        Ok(())
    }
}
