//! Helpers shared by instructions.

use anchor_lang::prelude::*;
use anchor_lang::system_program::{
    allocate, assign, create_account, transfer, Allocate, Assign, CreateAccount, Transfer,
};

use crate::errors::MultisigError;

/// Creates the program-owned PDA `account` with `space` bytes, rent paid by
/// `payer` (a signer of the current instruction).
///
/// Anyone can send lamports to a PDA before it exists. The System program's
/// `create_account` refuses such an address, and Anchor 1.2's `init` then
/// uses `CreateAccountAllowPrefund`, which agave 3.1 does not have: a few
/// lamports sent to the next (predictable) proposal address would block the
/// multisig for good. A pre-funded address is therefore topped up to the
/// rent-exempt minimum, allocated and assigned instead.
pub fn create_pda_account<'info>(
    payer: &AccountInfo<'info>,
    account: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    space: usize,
    signer_seeds: &[&[u8]],
) -> Result<()> {
    let required = Rent::get()?.minimum_balance(space);
    let space_u64 = u64::try_from(space).map_err(|_| error!(MultisigError::ArithmeticOverflow))?;
    let signer = [signer_seeds];
    let current = account.lamports();
    if current == 0 {
        return create_account(
            CpiContext::new_with_signer(
                system_program.key(),
                CreateAccount {
                    from: payer.clone(),
                    to: account.clone(),
                },
                &signer,
            ),
            required,
            space_u64,
            &crate::ID,
        );
    }
    // Only lamports may be there: an account in use is never taken over.
    require!(
        account.owner == &anchor_lang::system_program::ID && account.data_is_empty(),
        MultisigError::AccountAlreadyInUse
    );
    let top_up = required.saturating_sub(current);
    if top_up > 0 {
        transfer(
            CpiContext::new(
                system_program.key(),
                Transfer {
                    from: payer.clone(),
                    to: account.clone(),
                },
            ),
            top_up,
        )?;
    }
    allocate(
        CpiContext::new_with_signer(
            system_program.key(),
            Allocate {
                account_to_allocate: account.clone(),
            },
            &signer,
        ),
        space_u64,
    )?;
    assign(
        CpiContext::new_with_signer(
            system_program.key(),
            Assign {
                account_to_assign: account.clone(),
            },
            &signer,
        ),
        &crate::ID,
    )
}

/// Writes `state` (discriminator and Borsh data) into the freshly created `account`.
pub fn write_account<T: AccountSerialize>(account: &AccountInfo<'_>, state: &T) -> Result<()> {
    let mut data = account.try_borrow_mut_data()?;
    let mut writer: &mut [u8] = &mut data;
    state.try_serialize(&mut writer)
}
