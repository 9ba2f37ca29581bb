//! A merchant's standing offer to buy USDT for fiat.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;

/// A merchant's buy order; traders fill it, each fill opens a Trade deal.
#[account]
#[derive(InitSpace, Debug)]
pub struct BuyOrder {
    /// The config this order belongs to.
    pub config: Pubkey,
    /// Order id (PDA seed).
    pub id: u64,
    /// PDA bump.
    pub bump: u8,
    /// The merchant's wallet (also paid the rent).
    pub merchant: Pubkey,
    /// Fiat price of one USDT in the currency's minor units.
    pub price_minor: u64,
    /// ISO 4217 currency code, e.g. `*b"EUR"`.
    pub currency: [u8; 3],
    /// Amount still to be bought (smallest USDT units).
    pub remaining: u64,
    /// Smallest fill (a smaller `remaining` may still be filled whole).
    pub min_fill: u64,
    /// Largest fill.
    pub max_fill: u64,
    /// Unix time after which the order cannot be filled.
    pub expiry: i64,
    /// Payment window of the Trade deals it opens, seconds.
    pub payment_window_secs: u32,
    /// Whether the order can be filled.
    pub open: bool,
}

impl BuyOrder {
    /// Checks what every handler that writes the order must leave true.
    pub fn invariant(&self) -> Result<()> {
        require!(
            self.min_fill > 0 && self.min_fill <= self.max_fill,
            EscrowError::InvalidFillBounds
        );
        require!(self.open == (self.remaining > 0), EscrowError::OrderClosed);
        Self::validate_currency(&self.currency)
    }

    /// Validates a currency code: three upper-case ASCII letters.
    pub fn validate_currency(currency: &[u8; 3]) -> Result<()> {
        require!(
            currency.iter().all(u8::is_ascii_uppercase),
            EscrowError::InvalidCurrency
        );
        Ok(())
    }

    /// Takes `amount` from the order at time `now`; returns the remaining
    /// amount. A fill must lie in [min_fill, max_fill] unless it takes the
    /// whole remainder, which may be smaller than min_fill.
    pub fn fill(&mut self, amount: u64, now: i64) -> Result<u64> {
        require!(self.open, EscrowError::OrderClosed);
        require!(now < self.expiry, EscrowError::OrderExpired);
        require!(amount > 0, EscrowError::ZeroAmount);
        require!(amount <= self.remaining, EscrowError::FillOutOfBounds);
        require!(amount <= self.max_fill, EscrowError::FillOutOfBounds);
        require!(
            amount >= self.min_fill || amount == self.remaining,
            EscrowError::FillOutOfBounds
        );
        self.remaining -= amount;
        if self.remaining == 0 {
            self.open = false;
        }
        Ok(self.remaining)
    }
}
