//! The multisig account: owners, threshold, time lock and proposal counters.

use anchor_lang::prelude::*;

use crate::errors::MultisigError;
use crate::state::seeds::{SEED_PREFIX, SEED_VAULT};

/// Most owners a multisig can have.
pub const MAX_OWNERS: usize = 16;

/// Longest time lock, in seconds (90 days, as Squads v4 caps it at about three months).
pub const MAX_TIME_LOCK: u32 = 90 * 24 * 60 * 60;

/// An M-of-N multisig. PDA `["multisig", create_key]`.
///
/// The account is allocated for [`MAX_OWNERS`] owners up front so that adding an
/// owner never needs a reallocation.
#[account]
#[derive(Debug, PartialEq, Eq)]
pub struct Multisig {
    /// The key whose signature created the multisig; seed of its address.
    pub create_key: Pubkey,
    /// Approvals needed for a proposal to become Approved (1..=owners).
    pub threshold: u16,
    /// Seconds that must pass between approval and execution (0 allowed).
    pub time_lock: u32,
    /// Index of the last proposal created (proposals start at 1).
    pub transaction_index: u64,
    /// Proposals with an index up to this value are stale: a config change
    /// sets it to `transaction_index`, so no proposal created before the
    /// change can be voted on or executed.
    pub stale_transaction_index: u64,
    /// Bump of the multisig PDA.
    pub bump: u8,
    /// Bump of the vault PDA `["multisig", multisig, "vault"]`.
    pub vault_bump: u8,
    /// Owners, sorted ascending and distinct.
    pub owners: Vec<Pubkey>,
}

impl Multisig {
    /// Account size in bytes, discriminator included.
    pub const SPACE: usize = 8 // discriminator
        + 32 // create_key
        + 2 // threshold
        + 4 // time_lock
        + 8 // transaction_index
        + 8 // stale_transaction_index
        + 1 // bump
        + 1 // vault_bump
        + 4 + MAX_OWNERS * 32; // owners

    /// Address and bump of the vault PDA of the multisig at `multisig`.
    pub fn vault_address(multisig: &Pubkey) -> (Pubkey, u8) {
        Pubkey::find_program_address(&[SEED_PREFIX, multisig.as_ref(), SEED_VAULT], &crate::ID)
    }

    /// Whether `key` is an owner.
    pub fn is_owner(&self, key: &Pubkey) -> bool {
        self.owners.binary_search(key).is_ok()
    }

    /// Index the next proposal gets.
    pub fn next_transaction_index(&self) -> Result<u64> {
        self.transaction_index
            .checked_add(1)
            .ok_or_else(|| error!(MultisigError::ArithmeticOverflow))
    }

    /// Whether the proposal with `index` was created before the last config change.
    pub fn is_stale(&self, index: u64) -> bool {
        index <= self.stale_transaction_index
    }

    /// Marks every proposal created so far as stale. Every config change calls it.
    pub fn invalidate_pending_proposals(&mut self) {
        self.stale_transaction_index = self.transaction_index;
    }

    /// Rejects keys that can never act as an owner: the default key and the
    /// multisig's own PDAs (which could otherwise sign through an execution).
    pub fn check_owner_key(multisig: &Pubkey, owner: &Pubkey) -> Result<()> {
        let (vault, _) = Self::vault_address(multisig);
        require!(
            *owner != Pubkey::default() && owner != multisig && *owner != vault,
            MultisigError::InvalidOwner
        );
        Ok(())
    }

    /// Sorts `owners` and checks count and distinctness; used at creation.
    pub fn normalize_owners(multisig: &Pubkey, mut owners: Vec<Pubkey>) -> Result<Vec<Pubkey>> {
        require!(!owners.is_empty(), MultisigError::NoOwners);
        require!(owners.len() <= MAX_OWNERS, MultisigError::TooManyOwners);
        for owner in &owners {
            Self::check_owner_key(multisig, owner)?;
        }
        owners.sort();
        require!(
            owners.windows(2).all(|pair| pair[0] != pair[1]),
            MultisigError::DuplicateOwner
        );
        Ok(owners)
    }

    /// Checks that `owner` can be added to the multisig at address `multisig`.
    pub fn check_add_owner(&self, multisig: &Pubkey, owner: &Pubkey) -> Result<()> {
        Self::check_owner_key(multisig, owner)?;
        require!(self.owners.len() < MAX_OWNERS, MultisigError::TooManyOwners);
        require!(!self.is_owner(owner), MultisigError::DuplicateOwner);
        Ok(())
    }

    /// Adds `owner` (a config change: pending proposals become stale).
    pub fn add_owner(&mut self, multisig: &Pubkey, owner: Pubkey) -> Result<()> {
        self.check_add_owner(multisig, &owner)?;
        let position = self.owners.partition_point(|key| *key < owner);
        self.owners.insert(position, owner);
        self.invalidate_pending_proposals();
        Ok(())
    }

    /// Checks that `owner` can be removed: an owner, and at least `threshold`
    /// owners remain (lower the threshold first, in the same proposal).
    pub fn check_remove_owner(&self, owner: &Pubkey) -> Result<()> {
        require!(self.is_owner(owner), MultisigError::NotAnOwner);
        require!(
            self.owners.len() > usize::from(self.threshold),
            MultisigError::ThresholdUnreachable
        );
        Ok(())
    }

    /// Removes `owner` (a config change: pending proposals become stale).
    pub fn remove_owner(&mut self, owner: &Pubkey) -> Result<()> {
        self.check_remove_owner(owner)?;
        self.owners.retain(|key| key != owner);
        self.invalidate_pending_proposals();
        Ok(())
    }

    /// Sets the threshold (1..=owners).
    pub fn set_threshold(&mut self, threshold: u16) -> Result<()> {
        Self::check_threshold(threshold, self.owners.len())?;
        self.threshold = threshold;
        self.invalidate_pending_proposals();
        Ok(())
    }

    /// Checks a time lock value (at most [`MAX_TIME_LOCK`]).
    pub fn check_time_lock(time_lock: u32) -> Result<()> {
        require!(time_lock <= MAX_TIME_LOCK, MultisigError::TimeLockTooLong);
        Ok(())
    }

    /// Sets the time lock (at most [`MAX_TIME_LOCK`]).
    pub fn set_time_lock(&mut self, time_lock: u32) -> Result<()> {
        Self::check_time_lock(time_lock)?;
        self.time_lock = time_lock;
        self.invalidate_pending_proposals();
        Ok(())
    }

    /// Checks `threshold` against `owner_count`.
    pub fn check_threshold(threshold: u16, owner_count: usize) -> Result<()> {
        require!(
            threshold >= 1 && usize::from(threshold) <= owner_count,
            MultisigError::InvalidThreshold
        );
        Ok(())
    }

    /// Holds after every state change of the account.
    pub fn invariant(&self) -> Result<()> {
        require!(!self.owners.is_empty(), MultisigError::NoOwners);
        require!(
            self.owners.len() <= MAX_OWNERS,
            MultisigError::TooManyOwners
        );
        require!(
            self.owners.windows(2).all(|pair| pair[0] < pair[1]),
            MultisigError::DuplicateOwner
        );
        Self::check_threshold(self.threshold, self.owners.len())?;
        Self::check_time_lock(self.time_lock)?;
        require!(
            self.stale_transaction_index <= self.transaction_index,
            MultisigError::InvariantViolated
        );
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn multisig(owner_count: usize, threshold: u16) -> (Pubkey, Multisig) {
        let key = Pubkey::new_unique();
        let owners = Multisig::normalize_owners(
            &key,
            (0..owner_count).map(|_| Pubkey::new_unique()).collect(),
        )
        .unwrap();
        let m = Multisig {
            create_key: Pubkey::new_unique(),
            threshold,
            time_lock: 0,
            transaction_index: 5,
            stale_transaction_index: 0,
            bump: 255,
            vault_bump: 255,
            owners,
        };
        m.invariant().unwrap();
        (key, m)
    }

    #[test]
    fn every_change_makes_pending_proposals_stale() {
        let (key, mut m) = multisig(3, 2);
        assert!(!m.is_stale(1));
        m.add_owner(&key, Pubkey::new_unique()).unwrap();
        assert!(m.is_stale(5) && !m.is_stale(6));
        m.transaction_index = 7;
        m.set_threshold(3).unwrap();
        assert!(m.is_stale(7));
        m.transaction_index = 8;
        m.set_time_lock(60).unwrap();
        assert!(m.is_stale(8));
        m.transaction_index = 9;
        let owner = m.owners[0];
        m.remove_owner(&owner).unwrap();
        assert!(m.is_stale(9));
        m.invariant().unwrap();
    }

    #[test]
    fn failed_changes_leave_the_multisig_unchanged() {
        let (key, mut m) = multisig(2, 2);
        let before = m.clone();
        let owner = m.owners[0];
        assert_eq!(
            m.remove_owner(&owner).unwrap_err(),
            MultisigError::ThresholdUnreachable.into()
        );
        assert_eq!(
            m.add_owner(&key, owner).unwrap_err(),
            MultisigError::DuplicateOwner.into()
        );
        assert_eq!(
            m.set_threshold(3).unwrap_err(),
            MultisigError::InvalidThreshold.into()
        );
        assert_eq!(
            m.set_time_lock(MAX_TIME_LOCK + 1).unwrap_err(),
            MultisigError::TimeLockTooLong.into()
        );
        assert_eq!(m, before);
        let (_, mut full) = multisig(MAX_OWNERS, 1);
        assert_eq!(
            full.add_owner(&key, Pubkey::new_unique()).unwrap_err(),
            MultisigError::TooManyOwners.into()
        );
    }
}
