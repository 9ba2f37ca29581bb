//! Instruction builders for every instruction of the multisig program
//! (`programs/multisig/src/instructions/`), and the proposal plumbing: storing
//! an instruction for the vault to sign, and the remaining accounts
//! `proposal_execute` needs to run it.

use borsh::{BorshDeserialize, BorshSerialize};
use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;

use super::error::SolanaError;
use crate::amount::Amount;
use crate::solana::codec::instruction_data;
use crate::solana::pda::{self, MULTISIG_PROGRAM_ID, SYSTEM_PROGRAM_ID};

/// Most owners of a multisig.
pub const MAX_OWNERS: usize = 16;
/// Longest time lock, seconds (90 days).
pub const MAX_TIME_LOCK: u32 = 90 * 24 * 60 * 60;
/// Most instructions of one proposal.
pub const MAX_INSTRUCTIONS: usize = 8;
/// Most accounts of one proposal instruction.
pub const MAX_INSTRUCTION_ACCOUNTS: usize = 32;
/// Longest instruction data of a proposal instruction, bytes.
pub const MAX_INSTRUCTION_DATA: usize = 1024;
/// Most spenders (and most destinations) of a spending limit.
pub const MAX_SPENDERS: usize = 16;

/// An account of a stored proposal instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ProposalAccountMeta {
    /// The account's address.
    pub pubkey: Pubkey,
    /// Whether it signs; only the vault may (by seeds, at execution).
    pub is_signer: bool,
    /// Whether it is written.
    pub is_writable: bool,
}

/// An instruction stored in a proposal, signed by the vault on execution.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ProposalInstruction {
    /// The program to invoke.
    pub program_id: Pubkey,
    /// Its accounts in order.
    pub accounts: Vec<ProposalAccountMeta>,
    /// Its data.
    pub data: Vec<u8>,
}

impl From<&Instruction> for ProposalInstruction {
    fn from(ix: &Instruction) -> Self {
        Self {
            program_id: ix.program_id,
            accounts: ix
                .accounts
                .iter()
                .map(|m| ProposalAccountMeta {
                    pubkey: m.pubkey,
                    is_signer: m.is_signer,
                    is_writable: m.is_writable,
                })
                .collect(),
            data: ix.data.clone(),
        }
    }
}

/// How often a spending limit refills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Period {
    /// Never.
    OneTime,
    /// Every 24 hours.
    Day,
    /// Every 7 days.
    Week,
    /// Every 30 days.
    Month,
}

/// Arguments of `spending_limit_add`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SpendingLimitAddArgs {
    /// Seed of the spending-limit address (any unused key).
    pub create_key: Pubkey,
    /// The token mint.
    pub mint: Pubkey,
    /// Allowance per period, smallest units.
    pub amount: u64,
    /// Refill period.
    pub period: Period,
    /// Who may spend (1..=16, distinct).
    pub spenders: Vec<Pubkey>,
    /// Owners of token accounts that may receive (0..=16; empty = any).
    pub destinations: Vec<Pubkey>,
}

fn bad(what: &'static str, reason: &'static str) -> SolanaError {
    SolanaError::Multisig { what, reason }
}

/// Checks owners and threshold as `multisig_create` does.
pub fn validate_owners(
    owners: &[Pubkey],
    threshold: u16,
    time_lock: u32,
) -> Result<(), SolanaError> {
    if owners.is_empty() || owners.len() > MAX_OWNERS {
        return Err(bad("owners", "1 to 16 owners are allowed"));
    }
    if owners.contains(&Pubkey::default()) {
        return Err(bad("owners", "the default key cannot be an owner"));
    }
    let mut sorted = owners.to_vec();
    sorted.sort();
    if sorted.windows(2).any(|p| p[0] == p[1]) {
        return Err(bad("owners", "owners must be distinct"));
    }
    if threshold == 0 || usize::from(threshold) > owners.len() {
        return Err(bad("threshold", "must be between 1 and the owner count"));
    }
    if time_lock > MAX_TIME_LOCK {
        return Err(bad("time lock", "at most 90 days"));
    }
    Ok(())
}

/// Checks a proposal's instructions as `proposal_create` does: 1..=8, bounded
/// accounts and data, and no signer but `vault`.
pub fn validate_proposal(
    instructions: &[ProposalInstruction],
    vault: &Pubkey,
) -> Result<(), SolanaError> {
    if instructions.is_empty() || instructions.len() > MAX_INSTRUCTIONS {
        return Err(bad("proposal", "a proposal carries 1 to 8 instructions"));
    }
    for (index, ix) in instructions.iter().enumerate() {
        let reason = if ix.accounts.len() > MAX_INSTRUCTION_ACCOUNTS {
            Some("more than 32 accounts")
        } else if ix.data.len() > MAX_INSTRUCTION_DATA {
            Some("more than 1024 bytes of data")
        } else if ix
            .accounts
            .iter()
            .any(|m| m.is_signer && m.pubkey != *vault)
        {
            Some("only the multisig's vault may sign")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(SolanaError::ProposalInstruction { index, reason });
        }
    }
    Ok(())
}

/// The remaining accounts `proposal_execute` needs: every account the stored
/// instructions name (never as signer: the vault signs by seeds) and every
/// invoked program, deduplicated, the vault left out (it is a named account).
pub fn execute_remaining_accounts(
    vault: &Pubkey,
    instructions: &[ProposalInstruction],
) -> Vec<AccountMeta> {
    let mut metas: Vec<AccountMeta> = Vec::new();
    let mut add = |pubkey: Pubkey, writable: bool| {
        if pubkey == *vault {
            return;
        }
        match metas.iter_mut().find(|m| m.pubkey == pubkey) {
            Some(m) => m.is_writable |= writable,
            None => metas.push(AccountMeta {
                pubkey,
                is_signer: false,
                is_writable: writable,
            }),
        }
    };
    for ix in instructions {
        for m in &ix.accounts {
            add(m.pubkey, m.is_writable);
        }
        add(ix.program_id, false);
    }
    metas
}

/// One multisig and builders for its instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultisigProgram {
    /// The multisig account.
    pub multisig: Pubkey,
}

impl MultisigProgram {
    /// The multisig at `multisig`.
    pub fn new(multisig: Pubkey) -> Self {
        Self { multisig }
    }

    /// The multisig created (or to be created) with `create_key`.
    pub fn for_create_key(create_key: &Pubkey) -> Self {
        Self::new(pda::multisig(create_key))
    }

    /// Its vault: signs executed proposals.
    pub fn vault(&self) -> Pubkey {
        pda::multisig_vault(&self.multisig)
    }

    /// Proposal `index`.
    pub fn proposal(&self, index: u64) -> Pubkey {
        pda::proposal(&self.multisig, index)
    }

    /// The spending limit created with `create_key`.
    pub fn spending_limit(&self, create_key: &Pubkey) -> Pubkey {
        pda::spending_limit(&self.multisig, create_key)
    }

    fn ix<A: BorshSerialize>(
        &self,
        name: &str,
        mut accounts: Vec<AccountMeta>,
        args: &A,
    ) -> Instruction {
        // `#[event_cpi]` appends the event authority and the program itself
        // (docs/rules.md, "Events").
        accounts.push(AccountMeta::new_readonly(
            pda::event_authority(&MULTISIG_PROGRAM_ID),
            false,
        ));
        accounts.push(AccountMeta::new_readonly(MULTISIG_PROGRAM_ID, false));
        Instruction {
            program_id: MULTISIG_PROGRAM_ID,
            accounts,
            data: instruction_data(name, args),
        }
    }

    /// `multisig_create`: `create_key` signs (it seeds the address), `creator` pays.
    pub fn multisig_create(
        &self,
        create_key: &Pubkey,
        creator: &Pubkey,
        owners: &[Pubkey],
        threshold: u16,
        time_lock: u32,
    ) -> Result<Instruction, SolanaError> {
        validate_owners(owners, threshold, time_lock)?;
        if pda::multisig(create_key) != self.multisig {
            return Err(bad("create key", "does not derive this multisig's address"));
        }
        let accounts = vec![
            AccountMeta::new(self.multisig, false),
            AccountMeta::new_readonly(*create_key, true),
            AccountMeta::new(*creator, true),
            AccountMeta::new_readonly(SYSTEM_PROGRAM_ID, false),
        ];
        Ok(self.ix(
            "multisig_create",
            accounts,
            &(owners.to_vec(), threshold, time_lock),
        ))
    }

    /// `proposal_create` (owner): proposal `index` (the multisig's transaction
    /// index + 1) carrying `instructions`, expiring at `expires_at`.
    pub fn proposal_create(
        &self,
        creator: &Pubkey,
        index: u64,
        instructions: &[ProposalInstruction],
        expires_at: i64,
    ) -> Result<Instruction, SolanaError> {
        validate_proposal(instructions, &self.vault())?;
        // Protected accounts (docs/rules.md, Multisig): the program refuses an
        // instruction for another program that takes the multisig as writable.
        if let Some(index) = instructions.iter().position(|ix| {
            ix.program_id != MULTISIG_PROGRAM_ID
                && ix
                    .accounts
                    .iter()
                    .any(|m| m.is_writable && m.pubkey == self.multisig)
        }) {
            return Err(SolanaError::ProposalInstruction {
                index,
                reason: "another program may not take the multisig as writable",
            });
        }
        let accounts = vec![
            AccountMeta::new(self.multisig, false),
            AccountMeta::new(self.proposal(index), false),
            AccountMeta::new(*creator, true),
            AccountMeta::new_readonly(SYSTEM_PROGRAM_ID, false),
        ];
        Ok(self.ix(
            "proposal_create",
            accounts,
            &(instructions.to_vec(), expires_at),
        ))
    }

    fn vote(&self, name: &str, owner: &Pubkey, index: u64) -> Instruction {
        let accounts = vec![
            AccountMeta::new_readonly(self.multisig, false),
            AccountMeta::new(self.proposal(index), false),
            AccountMeta::new_readonly(*owner, true),
        ];
        self.ix(name, accounts, &())
    }

    /// `proposal_approve` (owner).
    pub fn proposal_approve(&self, owner: &Pubkey, index: u64) -> Instruction {
        self.vote("proposal_approve", owner, index)
    }

    /// `proposal_reject` (owner).
    pub fn proposal_reject(&self, owner: &Pubkey, index: u64) -> Instruction {
        self.vote("proposal_reject", owner, index)
    }

    /// `proposal_cancel` (owner, on an Approved proposal).
    pub fn proposal_cancel(&self, owner: &Pubkey, index: u64) -> Instruction {
        self.vote("proposal_cancel", owner, index)
    }

    /// `proposal_execute` (owner): runs the stored `instructions` (as read from the
    /// proposal, or as proposed) signed by the vault.
    pub fn proposal_execute(
        &self,
        executor: &Pubkey,
        index: u64,
        instructions: &[ProposalInstruction],
    ) -> Instruction {
        let vault = self.vault();
        let accounts = vec![
            AccountMeta::new_readonly(self.multisig, false),
            AccountMeta::new(self.proposal(index), false),
            AccountMeta::new(vault, false),
            AccountMeta::new_readonly(*executor, true),
        ];
        // The remaining accounts come after the named ones, the event
        // authority and the program included.
        let mut ix = self.ix("proposal_execute", accounts, &());
        ix.accounts
            .extend(execute_remaining_accounts(&vault, instructions));
        ix
    }

    /// `proposal_close` (anyone): the rent goes back to the proposal's `creator`.
    pub fn proposal_close(&self, index: u64, creator: &Pubkey) -> Instruction {
        let accounts = vec![
            AccountMeta::new_readonly(self.multisig, false),
            AccountMeta::new(self.proposal(index), false),
            AccountMeta::new(*creator, false),
        ];
        self.ix("proposal_close", accounts, &())
    }

    fn config_change(&self) -> Vec<AccountMeta> {
        vec![
            AccountMeta::new(self.multisig, false),
            AccountMeta::new_readonly(self.vault(), true),
        ]
    }

    /// `config_owner_add`, for a proposal (the vault signs).
    pub fn config_owner_add(&self, owner: &Pubkey) -> Result<Instruction, SolanaError> {
        if *owner == Pubkey::default() || *owner == self.multisig || *owner == self.vault() {
            return Err(bad("owner", "the default key or the multisig's own PDAs"));
        }
        Ok(self.ix("config_owner_add", self.config_change(), owner))
    }

    /// `config_owner_remove`, for a proposal (the vault signs).
    pub fn config_owner_remove(&self, owner: &Pubkey) -> Instruction {
        self.ix("config_owner_remove", self.config_change(), owner)
    }

    /// `config_threshold_change`, for a proposal (the vault signs).
    pub fn config_threshold_change(&self, threshold: u16) -> Result<Instruction, SolanaError> {
        if threshold == 0 || usize::from(threshold) > MAX_OWNERS {
            return Err(bad("threshold", "must be between 1 and the owner count"));
        }
        Ok(self.ix("config_threshold_change", self.config_change(), &threshold))
    }

    /// `config_time_lock_set`, for a proposal (the vault signs).
    pub fn config_time_lock_set(&self, time_lock: u32) -> Result<Instruction, SolanaError> {
        if time_lock > MAX_TIME_LOCK {
            return Err(bad("time lock", "at most 90 days"));
        }
        Ok(self.ix("config_time_lock_set", self.config_change(), &time_lock))
    }

    /// `spending_limit_add`, for a proposal (the vault signs and pays the rent).
    pub fn spending_limit_add(
        &self,
        args: &SpendingLimitAddArgs,
    ) -> Result<Instruction, SolanaError> {
        if args.amount == 0 {
            return Err(SolanaError::ZeroAmount {
                field: "spending limit amount",
            });
        }
        if args.spenders.is_empty() || args.spenders.len() > MAX_SPENDERS {
            return Err(bad("spenders", "1 to 16 spenders are allowed"));
        }
        if args.destinations.len() > MAX_SPENDERS {
            return Err(bad("destinations", "at most 16 destinations"));
        }
        let accounts = vec![
            AccountMeta::new(self.multisig, false),
            AccountMeta::new(self.vault(), true),
            AccountMeta::new(self.spending_limit(&args.create_key), false),
            AccountMeta::new_readonly(SYSTEM_PROGRAM_ID, false),
        ];
        Ok(self.ix("spending_limit_add", accounts, args))
    }

    /// `spending_limit_remove`, for a proposal (the vault signs and gets the rent).
    pub fn spending_limit_remove(&self, create_key: &Pubkey) -> Instruction {
        let accounts = vec![
            AccountMeta::new(self.multisig, false),
            AccountMeta::new(self.vault(), true),
            AccountMeta::new(self.spending_limit(create_key), false),
        ];
        self.ix("spending_limit_remove", accounts, &())
    }

    /// `spending_limit_use` (spender): sends `amount` from the vault's token
    /// account to `destination` within the limit created with `create_key`.
    #[allow(clippy::too_many_arguments)] // one per account the program names
    pub fn spending_limit_use(
        &self,
        spender: &Pubkey,
        create_key: &Pubkey,
        mint: &Pubkey,
        vault_token_account: &Pubkey,
        destination: &Pubkey,
        token_program: &Pubkey,
        amount: Amount,
    ) -> Result<Instruction, SolanaError> {
        if amount.is_zero() {
            return Err(SolanaError::ZeroAmount {
                field: "spend amount",
            });
        }
        let accounts = vec![
            AccountMeta::new_readonly(self.multisig, false),
            AccountMeta::new(self.spending_limit(create_key), false),
            AccountMeta::new_readonly(*spender, true),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(self.vault(), false),
            AccountMeta::new(*vault_token_account, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(*token_program, false),
        ];
        Ok(self.ix("spending_limit_use", accounts, &amount.units()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Pubkey {
        Pubkey::new_from_array([n; 32])
    }

    #[test]
    fn owners_and_proposals_are_checked() {
        assert!(validate_owners(&[key(1), key(2)], 2, 0).is_ok());
        assert!(validate_owners(&[key(1), key(1)], 1, 0).is_err());
        assert!(validate_owners(&[key(1)], 2, 0).is_err());
        assert!(validate_owners(&[key(1)], 1, MAX_TIME_LOCK + 1).is_err());
        let m = MultisigProgram::for_create_key(&key(9));
        let ix = ProposalInstruction {
            program_id: key(3),
            accounts: vec![ProposalAccountMeta {
                pubkey: key(4),
                is_signer: true,
                is_writable: false,
            }],
            data: vec![],
        };
        assert_eq!(
            m.proposal_create(&key(1), 1, &[ix], 10),
            Err(SolanaError::ProposalInstruction {
                index: 0,
                reason: "only the multisig's vault may sign"
            })
        );
        assert!(m.proposal_create(&key(1), 1, &[], 10).is_err());
        // Protected accounts: another program never gets the multisig writable.
        let relay = ProposalInstruction {
            program_id: key(3),
            accounts: vec![ProposalAccountMeta {
                pubkey: m.multisig,
                is_signer: false,
                is_writable: true,
            }],
            data: vec![],
        };
        assert_eq!(
            m.proposal_create(&key(1), 1, std::slice::from_ref(&relay), 10),
            Err(SolanaError::ProposalInstruction {
                index: 0,
                reason: "another program may not take the multisig as writable"
            })
        );
        let own = ProposalInstruction {
            program_id: MULTISIG_PROGRAM_ID,
            ..relay
        };
        assert!(m.proposal_create(&key(1), 1, &[own], 10).is_ok());
    }

    #[test]
    fn execute_accounts_are_deduplicated_without_the_vault() {
        let m = MultisigProgram::for_create_key(&key(9));
        let vault = m.vault();
        let stored = ProposalInstruction {
            program_id: key(3),
            accounts: vec![
                ProposalAccountMeta {
                    pubkey: vault,
                    is_signer: true,
                    is_writable: false,
                },
                ProposalAccountMeta {
                    pubkey: key(4),
                    is_signer: false,
                    is_writable: false,
                },
                ProposalAccountMeta {
                    pubkey: key(4),
                    is_signer: false,
                    is_writable: true,
                },
            ],
            data: vec![1],
        };
        let metas = execute_remaining_accounts(&vault, &[stored]);
        assert_eq!(
            metas,
            vec![
                AccountMeta::new(key(4), false),
                AccountMeta::new_readonly(key(3), false)
            ]
        );
    }
}
