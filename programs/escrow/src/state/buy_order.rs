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
    /// Whether the order is listed: true while the account exists (the
    /// merchant's cancel closes it).
    pub open: bool,
    /// Fills whose deals are not final yet (docs/rules.md, buy orders).
    pub open_fills: u32,
}

impl BuyOrder {
    /// Checks what every handler that writes the order must leave true.
    pub fn invariant(&self) -> Result<()> {
        require!(
            self.min_fill > 0 && self.min_fill <= self.max_fill,
            EscrowError::InvalidFillBounds
        );
        require!(self.open, EscrowError::OrderClosed);
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

    /// Takes `amount` from the order at time `now` and counts the open fill;
    /// returns the remaining amount. A fill must lie in [min_fill, max_fill]
    /// unless it takes the whole remainder, which may be smaller than min_fill.
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
        self.open_fills = self
            .open_fills
            .checked_add(1)
            .ok_or(EscrowError::Overflow)?;
        Ok(self.remaining)
    }

    /// A fill's deal became final at `now` (docs/rules.md, buy orders): the
    /// fill no longer counts as open and, for a cancelled deal, its amount
    /// returns to the order while the order is unexpired. Returns the
    /// refilled amount.
    pub fn finish_fill(&mut self, amount: u64, cancelled: bool, now: i64) -> Result<u64> {
        self.open_fills = self
            .open_fills
            .checked_sub(1)
            .ok_or(EscrowError::Overflow)?;
        if !(cancelled && self.open && now < self.expiry) {
            return Ok(0);
        }
        self.remaining = self
            .remaining
            .checked_add(amount)
            .ok_or(EscrowError::Overflow)?;
        Ok(amount)
    }

    /// Whether the order's storage is to be freed: nothing remains and no
    /// fill is open.
    pub fn is_spent(&self) -> bool {
        self.remaining == 0 && self.open_fills == 0
    }
}
