//! A spending limit: an allowance named spenders may send from the vault
//! without a proposal.

use anchor_lang::prelude::*;

use crate::errors::MultisigError;

/// Most spenders of one spending limit.
pub const MAX_SPENDERS: usize = 16;
/// Most allowed destinations of one spending limit.
pub const MAX_DESTINATIONS: usize = 16;

/// How often the allowance refills.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// Never refills.
    OneTime,
    /// Every 24 hours.
    Day,
    /// Every 7 days.
    Week,
    /// Every 30 days.
    Month,
}

impl Period {
    /// Length of the period in seconds; `None` for [`Period::OneTime`].
    pub fn seconds(self) -> Option<i64> {
        match self {
            Period::OneTime => None,
            Period::Day => Some(24 * 60 * 60),
            Period::Week => Some(7 * 24 * 60 * 60),
            Period::Month => Some(30 * 24 * 60 * 60),
        }
    }
}

/// A spending limit of a multisig's vault for one mint.
/// PDA `["multisig", multisig, "spending_limit", create_key]`.
#[account]
#[derive(Debug, PartialEq, Eq)]
pub struct SpendingLimit {
    /// The multisig whose vault pays.
    pub multisig: Pubkey,
    /// Seed that makes the address unique.
    pub create_key: Pubkey,
    /// The token mint the limit applies to.
    pub mint: Pubkey,
    /// Allowance per period, in the mint's smallest units.
    pub amount: u64,
    /// The refill period.
    pub period: Period,
    /// What is left of the allowance in the current period.
    pub remaining: u64,
    /// Start of the current period (unix time). Periods stay aligned to the
    /// creation time: a refill moves this forward by whole periods.
    pub last_reset: i64,
    /// Bump of the spending-limit PDA.
    pub bump: u8,
    /// Keys allowed to spend (they need not be owners).
    pub spenders: Vec<Pubkey>,
    /// Owners of the token accounts that may receive; empty means any.
    pub destinations: Vec<Pubkey>,
}

impl SpendingLimit {
    /// Account size for the given list lengths.
    pub fn space(spender_count: usize, destination_count: usize) -> usize {
        8 // discriminator
            + 32 // multisig
            + 32 // create_key
            + 32 // mint
            + 8 // amount
            + 1 // period
            + 8 // remaining
            + 8 // last_reset
            + 1 // bump
            + 4 + spender_count * 32
            + 4 + destination_count * 32
    }

    /// Checks the parameters of a new spending limit.
    pub fn check_params(amount: u64, spenders: &[Pubkey], destinations: &[Pubkey]) -> Result<()> {
        require!(amount > 0, MultisigError::InvalidAmount);
        require!(!spenders.is_empty(), MultisigError::NoSpenders);
        require!(
            spenders.len() <= MAX_SPENDERS,
            MultisigError::TooManySpenders
        );
        require!(
            destinations.len() <= MAX_DESTINATIONS,
            MultisigError::TooManyDestinations
        );
        require!(all_distinct(spenders), MultisigError::DuplicateSpender);
        require!(
            all_distinct(destinations),
            MultisigError::DuplicateDestination
        );
        Ok(())
    }

    /// Whether `key` may spend.
    pub fn is_spender(&self, key: &Pubkey) -> bool {
        self.spenders.contains(key)
    }

    /// Whether tokens may go to a token account owned by `owner`.
    pub fn allows_destination(&self, owner: &Pubkey) -> bool {
        self.destinations.is_empty() || self.destinations.contains(owner)
    }

    /// Refills the allowance if at least one whole period passed since
    /// `last_reset`, moving `last_reset` forward by the whole periods passed.
    pub fn refill(&mut self, now: i64) -> Result<()> {
        let Some(period) = self.period.seconds() else {
            return Ok(());
        };
        let passed = now
            .checked_sub(self.last_reset)
            .ok_or_else(|| error!(MultisigError::ArithmeticOverflow))?;
        if passed >= period {
            let whole_periods = passed / period;
            let advance = whole_periods
                .checked_mul(period)
                .ok_or_else(|| error!(MultisigError::ArithmeticOverflow))?;
            self.last_reset = self
                .last_reset
                .checked_add(advance)
                .ok_or_else(|| error!(MultisigError::ArithmeticOverflow))?;
            self.remaining = self.amount;
        }
        Ok(())
    }

    /// Refills if due, then takes `amount` from the allowance.
    pub fn spend(&mut self, amount: u64, now: i64) -> Result<()> {
        require!(amount > 0, MultisigError::InvalidAmount);
        self.refill(now)?;
        self.remaining = self
            .remaining
            .checked_sub(amount)
            .ok_or_else(|| error!(MultisigError::SpendingLimitExceeded))?;
        Ok(())
    }

    /// Holds after every state change of the account.
    pub fn invariant(&self) -> Result<()> {
        Self::check_params(self.amount, &self.spenders, &self.destinations)?;
        require!(
            self.remaining <= self.amount,
            MultisigError::InvariantViolated
        );
        Ok(())
    }
}

fn all_distinct(keys: &[Pubkey]) -> bool {
    keys.iter()
        .enumerate()
        .all(|(position, key)| !keys[position + 1..].contains(key))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn limit(period: Period, amount: u64, start: i64) -> SpendingLimit {
        SpendingLimit {
            multisig: Pubkey::new_unique(),
            create_key: Pubkey::new_unique(),
            mint: Pubkey::new_unique(),
            amount,
            period,
            remaining: amount,
            last_reset: start,
            bump: 255,
            spenders: vec![Pubkey::new_unique()],
            destinations: vec![],
        }
    }

    #[test]
    fn day_refills_at_the_boundary_not_before() {
        let day = Period::Day.seconds().unwrap();
        let mut l = limit(Period::Day, 100, 1_000);
        l.spend(100, 1_000).unwrap();
        assert_eq!(
            l.spend(1, 1_000 + day - 1).unwrap_err(),
            MultisigError::SpendingLimitExceeded.into()
        );
        l.spend(100, 1_000 + day).unwrap();
        assert_eq!(l.last_reset, 1_000 + day);
        assert_eq!(l.remaining, 0);
    }

    #[test]
    fn one_time_never_refills() {
        let mut l = limit(Period::OneTime, 10, 0);
        l.spend(10, 0).unwrap();
        assert_eq!(
            l.spend(1, i64::MAX / 2).unwrap_err(),
            MultisigError::SpendingLimitExceeded.into()
        );
        assert_eq!(l.last_reset, 0);
    }

    #[test]
    fn zero_amount_is_refused() {
        let mut l = limit(Period::Week, 10, 0);
        assert_eq!(
            l.spend(0, 0).unwrap_err(),
            MultisigError::InvalidAmount.into()
        );
        assert_eq!(l.remaining, 10);
    }

    proptest! {
        /// Whatever the spending times, periods stay aligned to the start,
        /// the current period contains `now`, and no period pays out more
        /// than `amount`.
        #[test]
        fn periods_stay_aligned_and_capped(
            period in prop_oneof![Just(Period::Day), Just(Period::Week), Just(Period::Month)],
            amount in 1u64..1_000_000,
            steps in proptest::collection::vec((0i64..5_000_000, 0u64..1_000_000), 1..40),
        ) {
            let length = period.seconds().unwrap();
            let start = 1_700_000_000;
            let mut l = limit(period, amount, start);
            let mut now = start;
            let mut spent_in_period: std::collections::BTreeMap<i64, u64> = Default::default();
            for (advance, want) in steps {
                now += advance;
                let before = l.clone();
                match l.spend(want, now) {
                    Ok(()) => {
                        *spent_in_period.entry(l.last_reset).or_default() += want;
                    }
                    Err(_) => {
                        // A failed spend may only have refilled.
                        prop_assert!(want == 0 || want > l.remaining);
                        prop_assert_eq!(l.amount, before.amount);
                    }
                }
                prop_assert_eq!((l.last_reset - start) % length, 0);
                prop_assert!(l.last_reset <= now && now - l.last_reset < length);
                prop_assert!(l.remaining <= l.amount);
                l.invariant().unwrap();
            }
            for total in spent_in_period.values() {
                prop_assert!(*total <= amount);
            }
        }
    }
}
