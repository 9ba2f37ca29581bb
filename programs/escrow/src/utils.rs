//! Creation of program accounts at PDAs that may already hold lamports.
//!
//! Deal and order ids are sequential and escrow accounts are seeded by the
//! wallet, so anyone can send lamports to such an address before it exists.
//! Anchor 1.2.2's `init` then calls the system program's
//! `CreateAccountAllowPrefund`, which agave 3.1 does not have, and creation
//! would fail for good. This helper tops up, allocates and assigns instead.

use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, Allocate, Assign, CreateAccount, Transfer};

use crate::errors::EscrowError;

/// Creates `target` (a PDA signed for by `seeds`, bump included) owned by
/// this program with room for `T`, paid by `payer`, and writes `value`
/// (discriminator first). A PDA that already holds lamports but no data is
/// topped up to the rent-exempt minimum and taken over.
pub fn create_program_account<'info, T>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    system: &AccountInfo<'info>,
    seeds: &[&[u8]],
    value: &T,
) -> Result<()>
where
    T: AccountSerialize + Space,
{
    let space = 8 + T::INIT_SPACE;
    let rent = Rent::get()?.minimum_balance(space);
    let signer = &[seeds];
    let program = system.key();
    let current = target.lamports();
    if current == 0 {
        system_program::create_account(
            CpiContext::new_with_signer(
                program,
                CreateAccount {
                    from: payer.clone(),
                    to: target.clone(),
                },
                signer,
            ),
            rent,
            space as u64,
            &crate::ID,
        )?;
    } else {
        // Only an untouched system account may be taken over.
        require_keys_eq!(*target.owner, system_program::ID, EscrowError::AddressInUse);
        require!(target.data_is_empty(), EscrowError::AddressInUse);
        let top_up = rent.saturating_sub(current);
        if top_up > 0 {
            system_program::transfer(
                CpiContext::new(
                    program,
                    Transfer {
                        from: payer.clone(),
                        to: target.clone(),
                    },
                ),
                top_up,
            )?;
        }
        system_program::allocate(
            CpiContext::new_with_signer(
                program,
                Allocate {
                    account_to_allocate: target.clone(),
                },
                signer,
            ),
            space as u64,
        )?;
        system_program::assign(
            CpiContext::new_with_signer(
                program,
                Assign {
                    account_to_assign: target.clone(),
                },
                signer,
            ),
            &crate::ID,
        )?;
    }
    let mut data = target.try_borrow_mut_data()?;
    let mut writer: &mut [u8] = &mut data;
    value.try_serialize(&mut writer)
}
