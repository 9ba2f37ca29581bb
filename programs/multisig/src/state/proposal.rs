//! A proposal: the instructions the vault will sign, and the owners' votes.

use anchor_lang::prelude::*;

use crate::errors::MultisigError;

/// Most instructions one proposal may carry.
pub const MAX_INSTRUCTIONS: usize = 8;
/// Most accounts one proposal instruction may name.
pub const MAX_INSTRUCTION_ACCOUNTS: usize = 32;
/// Longest instruction data, in bytes.
pub const MAX_INSTRUCTION_DATA: usize = 1024;

/// An account an instruction of a proposal reads or writes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposalAccountMeta {
    /// The account's address.
    pub pubkey: Pubkey,
    /// Whether the account signs; only the vault may (its PDA signature is added at execution).
    pub is_signer: bool,
    /// Whether the account is written.
    pub is_writable: bool,
}

/// One instruction the vault signs when the proposal executes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposalInstruction {
    /// The program to invoke.
    pub program_id: Pubkey,
    /// The accounts, in the order the program expects them.
    pub accounts: Vec<ProposalAccountMeta>,
    /// The instruction data.
    pub data: Vec<u8>,
}

impl ProposalInstruction {
    /// Serialized size in bytes.
    pub fn size(&self) -> usize {
        32 + 4 + self.accounts.len() * (32 + 1 + 1) + 4 + self.data.len()
    }
}

/// Where a proposal is in its life. Timestamps are the unix time of the transition.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Open for approvals and rejections.
    Active,
    /// Reached the threshold; executable once the time lock has passed.
    Approved {
        /// When the threshold was reached.
        timestamp: i64,
    },
    /// So many owners rejected that the threshold cannot be reached.
    Rejected {
        /// When the last needed rejection arrived.
        timestamp: i64,
    },
    /// Cancelled by threshold owners after approval.
    Cancelled {
        /// When the last needed cancel vote arrived.
        timestamp: i64,
    },
    /// Executed; final.
    Executed {
        /// When it was executed.
        timestamp: i64,
    },
}

impl ProposalStatus {
    /// The Borsh variant index (0 Active, 1 Approved, 2 Rejected, 3 Cancelled, 4 Executed).
    pub fn index(self) -> u8 {
        match self {
            ProposalStatus::Active => 0,
            ProposalStatus::Approved { .. } => 1,
            ProposalStatus::Rejected { .. } => 2,
            ProposalStatus::Cancelled { .. } => 3,
            ProposalStatus::Executed { .. } => 4,
        }
    }
}

/// A proposal of a multisig. PDA `["multisig", multisig, "proposal", index LE]`.
#[account]
#[derive(Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The multisig the proposal belongs to.
    pub multisig: Pubkey,
    /// Index of the proposal within the multisig (1, 2, ...).
    pub index: u64,
    /// The owner who created it and paid its rent; gets the rent back on close.
    pub creator: Pubkey,
    /// Unix time of creation.
    pub created_at: i64,
    /// Unix time from which the proposal can no longer be voted on or executed.
    pub expires_at: i64,
    /// Life-cycle state.
    pub status: ProposalStatus,
    /// Bump of the proposal PDA.
    pub bump: u8,
    /// Owner count at creation: the most votes of each kind the account holds
    /// (any later owner change makes the proposal stale).
    pub vote_capacity: u16,
    /// Owners who approved.
    pub approved: Vec<Pubkey>,
    /// Owners who rejected.
    pub rejected: Vec<Pubkey>,
    /// Owners who voted to cancel the approved proposal.
    pub cancelled: Vec<Pubkey>,
    /// The instructions the vault signs on execution, in order.
    pub instructions: Vec<ProposalInstruction>,
}

impl Proposal {
    /// Fixed part of the account size (votes and instructions excluded).
    const FIXED_SPACE: usize = 8 // discriminator
        + 32 // multisig
        + 8 // index
        + 32 // creator
        + 8 // created_at
        + 8 // expires_at
        + 1 + 8 // status
        + 1 // bump
        + 2; // vote_capacity

    /// Account size for a proposal of a multisig with `owner_count` owners
    /// carrying `instructions`.
    pub fn space(owner_count: usize, instructions: &[ProposalInstruction]) -> usize {
        Self::FIXED_SPACE
            + 3 * (4 + owner_count * 32)
            + 4
            + instructions
                .iter()
                .map(ProposalInstruction::size)
                .sum::<usize>()
    }

    /// Checks the instructions' bounds, and that no account but `vault` is
    /// marked as a signer (an executor's signature is never passed on).
    pub fn check_instructions(instructions: &[ProposalInstruction], vault: &Pubkey) -> Result<()> {
        require!(!instructions.is_empty(), MultisigError::NoInstructions);
        require!(
            instructions.len() <= MAX_INSTRUCTIONS,
            MultisigError::TooManyInstructions
        );
        for instruction in instructions {
            require!(
                instruction.accounts.len() <= MAX_INSTRUCTION_ACCOUNTS,
                MultisigError::TooManyInstructionAccounts
            );
            require!(
                instruction.data.len() <= MAX_INSTRUCTION_DATA,
                MultisigError::InstructionDataTooLong
            );
            require!(
                instruction
                    .accounts
                    .iter()
                    .all(|meta| !meta.is_signer || meta.pubkey == *vault),
                MultisigError::UnauthorizedSigner
            );
        }
        Ok(())
    }

    /// Whether the proposal can no longer be voted on or executed at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }

    /// Records `owner`'s approval (moving a previous rejection) and moves the
    /// proposal to Approved once `threshold` owners approved.
    pub fn approve(&mut self, owner: Pubkey, threshold: u16, now: i64) -> Result<()> {
        require!(
            self.status == ProposalStatus::Active,
            MultisigError::ProposalNotActive
        );
        require!(
            !self.approved.contains(&owner),
            MultisigError::AlreadyApproved
        );
        self.rejected.retain(|key| *key != owner);
        self.approved.push(owner);
        if self.approved.len() >= usize::from(threshold) {
            self.status = ProposalStatus::Approved { timestamp: now };
        }
        Ok(())
    }

    /// Records `owner`'s rejection (moving a previous approval) and moves the
    /// proposal to Rejected once the threshold can no longer be reached.
    pub fn reject(
        &mut self,
        owner: Pubkey,
        threshold: u16,
        owner_count: usize,
        now: i64,
    ) -> Result<()> {
        require!(
            self.status == ProposalStatus::Active,
            MultisigError::ProposalNotActive
        );
        require!(
            !self.rejected.contains(&owner),
            MultisigError::AlreadyRejected
        );
        self.approved.retain(|key| *key != owner);
        self.rejected.push(owner);
        // With more than `owner_count - threshold` rejections fewer than
        // `threshold` owners are left to approve.
        let cutoff = owner_count
            .checked_sub(usize::from(threshold))
            .ok_or_else(|| error!(MultisigError::InvalidThreshold))?;
        if self.rejected.len() > cutoff {
            self.status = ProposalStatus::Rejected { timestamp: now };
        }
        Ok(())
    }

    /// Records `owner`'s vote to cancel the approved proposal; Cancelled once
    /// `threshold` owners voted so.
    pub fn cancel(&mut self, owner: Pubkey, threshold: u16, now: i64) -> Result<()> {
        require!(
            matches!(self.status, ProposalStatus::Approved { .. }),
            MultisigError::ProposalNotApproved
        );
        require!(
            !self.cancelled.contains(&owner),
            MultisigError::AlreadyCancelled
        );
        self.cancelled.push(owner);
        if self.cancelled.len() >= usize::from(threshold) {
            self.status = ProposalStatus::Cancelled { timestamp: now };
        }
        Ok(())
    }

    /// Moves an Approved proposal whose time lock has passed to Executed.
    pub fn mark_executed(&mut self, time_lock: u32, now: i64) -> Result<()> {
        let ProposalStatus::Approved { timestamp } = self.status else {
            return err!(MultisigError::ProposalNotApproved);
        };
        let release = timestamp
            .checked_add(i64::from(time_lock))
            .ok_or_else(|| error!(MultisigError::ArithmeticOverflow))?;
        require!(now >= release, MultisigError::TimeLockNotReleased);
        self.status = ProposalStatus::Executed { timestamp: now };
        Ok(())
    }

    /// Whether the proposal reached a final state (its rent can be reclaimed).
    pub fn is_final(&self) -> bool {
        matches!(
            self.status,
            ProposalStatus::Rejected { .. }
                | ProposalStatus::Cancelled { .. }
                | ProposalStatus::Executed { .. }
        )
    }

    /// Holds after every state change of the account.
    pub fn invariant(&self) -> Result<()> {
        let capacity = usize::from(self.vote_capacity);
        for votes in [&self.approved, &self.rejected, &self.cancelled] {
            require!(votes.len() <= capacity, MultisigError::InvariantViolated);
            for (position, key) in votes.iter().enumerate() {
                require!(
                    !votes[position + 1..].contains(key),
                    MultisigError::InvariantViolated
                );
            }
        }
        require!(
            self.approved.iter().all(|key| !self.rejected.contains(key)),
            MultisigError::InvariantViolated
        );
        require!(
            self.expires_at > self.created_at,
            MultisigError::InvariantViolated
        );
        require!(
            !self.instructions.is_empty() && self.instructions.len() <= MAX_INSTRUCTIONS,
            MultisigError::InvariantViolated
        );
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn proposal(owner_count: u16) -> Proposal {
        Proposal {
            multisig: Pubkey::new_unique(),
            index: 1,
            creator: Pubkey::new_unique(),
            created_at: 0,
            expires_at: 100,
            status: ProposalStatus::Active,
            bump: 255,
            vote_capacity: owner_count,
            approved: vec![],
            rejected: vec![],
            cancelled: vec![],
            instructions: vec![ProposalInstruction {
                program_id: Pubkey::new_unique(),
                accounts: vec![],
                data: vec![],
            }],
        }
    }

    #[test]
    fn time_lock_counts_from_approval() {
        let owners: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
        let mut p = proposal(3);
        p.approve(owners[0], 2, 10).unwrap();
        assert_eq!(
            p.mark_executed(0, 10).unwrap_err(),
            MultisigError::ProposalNotApproved.into()
        );
        p.approve(owners[1], 2, 20).unwrap();
        assert_eq!(p.status, ProposalStatus::Approved { timestamp: 20 });
        assert_eq!(
            p.mark_executed(30, 49).unwrap_err(),
            MultisigError::TimeLockNotReleased.into()
        );
        p.mark_executed(30, 50).unwrap();
        assert_eq!(p.status, ProposalStatus::Executed { timestamp: 50 });
        assert_eq!(
            p.mark_executed(30, 60).unwrap_err(),
            MultisigError::ProposalNotApproved.into()
        );
    }

    proptest! {
        /// Over any sequence of votes from `n` owners with threshold `t`: the
        /// proposal is Approved exactly when `t` owners approve, Rejected
        /// exactly when more than `n - t` reject, and votes stay distinct.
        #[test]
        fn status_follows_the_vote_counts(
            n in 1usize..=16,
            t_seed in 0usize..16,
            votes in proptest::collection::vec((0usize..16, any::<bool>()), 0..64),
        ) {
            let t = 1 + t_seed % n;
            let threshold = u16::try_from(t).unwrap();
            let owners: Vec<Pubkey> = (0..n).map(|_| Pubkey::new_unique()).collect();
            let mut p = proposal(u16::try_from(n).unwrap());
            for (who, approve) in votes {
                let owner = owners[who % n];
                let was_active = p.status == ProposalStatus::Active;
                let result = if approve {
                    p.approve(owner, threshold, 1)
                } else {
                    p.reject(owner, threshold, n, 1)
                };
                if !was_active {
                    prop_assert_eq!(result.unwrap_err(), MultisigError::ProposalNotActive.into());
                    continue;
                }
                p.invariant().unwrap();
                let approved = p.approved.len();
                let rejected = p.rejected.len();
                match p.status {
                    ProposalStatus::Active => prop_assert!(approved < t && rejected <= n - t),
                    ProposalStatus::Approved { .. } => prop_assert!(approved >= t),
                    ProposalStatus::Rejected { .. } => prop_assert!(rejected > n - t),
                    other => prop_assert!(false, "unexpected status {:?}", other),
                }
            }
        }
    }
}
