//! Creation of program accounts at PDAs that may already hold lamports,
//! closing them, and the buy-order bookkeeping of a final Trade deal.
//!
//! Deal and order ids are sequential and escrow accounts are seeded by the
//! wallet, so anyone can send lamports to such an address before it exists.
//! Anchor 1.2.2's `init` then calls the system program's
//! `CreateAccountAllowPrefund`, which agave 3.1 does not have, and creation
//! would fail for good. This helper tops up, allocates and assigns instead.

use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, Allocate, Assign, CreateAccount, Transfer};

use crate::errors::EscrowError;
use crate::events::{BuyOrderClosed, BuyOrderRefilled};
use crate::state::seeds::SEED_BUY_ORDER;
use crate::state::{BuyOrder, Deal};

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
    create_pda(payer, target, system, seeds, 8 + T::INIT_SPACE, &crate::ID)?;
    let mut data = target.try_borrow_mut_data()?;
    let mut writer: &mut [u8] = &mut data;
    value.try_serialize(&mut writer)
}

/// Creates the PDA `target` (signed for by `seeds`, bump included) with
/// `space` bytes owned by `owner`, rent paid by `payer`. A PDA that already
/// holds lamports but no data is topped up, allocated and assigned instead.
pub fn create_pda<'info>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    system: &AccountInfo<'info>,
    seeds: &[&[u8]],
    space: usize,
    owner: &Pubkey,
) -> Result<()> {
    let rent = Rent::get()?.minimum_balance(space);
    let signer = &[seeds];
    let program = system.key();
    let current = target.lamports();
    if current == 0 {
        return system_program::create_account(
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
            owner,
        );
    }
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
        owner,
    )
}

/// Closes a program account: every lamport to `destination`, data freed,
/// owner back to the system program.
pub fn close_program_account<'info>(
    account: &AccountInfo<'info>,
    destination: &AccountInfo<'info>,
) -> Result<()> {
    let lamports = account.lamports();
    let total = destination
        .lamports()
        .checked_add(lamports)
        .ok_or(EscrowError::Overflow)?;
    **destination.try_borrow_mut_lamports()? = total;
    **account.try_borrow_mut_lamports()? = 0;
    account.assign(&system_program::ID);
    account.resize(0)?;
    Ok(())
}

/// The buy-order bookkeeping when a Trade deal becomes final
/// (docs/rules.md, buy orders): the fill stops counting as open, a
/// cancelled fill refills its still open and unexpired order, and an order
/// with nothing left and no open fill is closed, rent to its merchant.
///
/// A deal filled from an order must come with the order's address and the
/// merchant's wallet; an order its merchant already cancelled (closed) is
/// skipped. Other deals take neither.
///
/// Returns the order's events for the caller to emit by self-CPI
/// (`emit_cpi!` needs the instruction's context; docs/rules.md, "Events").
pub fn finish_order_fill<'info>(
    deal: &Deal,
    order: Option<AccountInfo<'info>>,
    merchant: Option<AccountInfo<'info>>,
    cancelled: bool,
    now: i64,
) -> Result<OrderFillEvents> {
    let mut events = OrderFillEvents::default();
    let Some(order_id) = deal.order_id else {
        require!(
            order.is_none() && merchant.is_none(),
            EscrowError::BuyOrderMismatch
        );
        return Ok(events);
    };
    let (Some(order_info), Some(merchant_info)) = (order, merchant) else {
        return err!(EscrowError::BuyOrderMismatch);
    };
    let (address, _) = Pubkey::find_program_address(
        &[
            SEED_BUY_ORDER,
            deal.config.as_ref(),
            &order_id.to_le_bytes(),
        ],
        &crate::ID,
    );
    require_keys_eq!(*order_info.key, address, EscrowError::BuyOrderMismatch);
    require_keys_eq!(
        *merchant_info.key,
        deal.merchant,
        EscrowError::BuyOrderMismatch
    );
    // Closed by its merchant: ids are never reused, so nothing can live here again.
    if order_info.owner != &crate::ID || order_info.data_is_empty() {
        return Ok(events);
    }
    let mut buy_order = {
        let data = order_info.try_borrow_data()?;
        BuyOrder::try_deserialize(&mut &data[..])?
    };
    let refilled = buy_order.finish_fill(deal.amount, cancelled, now)?;
    if refilled > 0 {
        events.refilled = Some(BuyOrderRefilled {
            config: deal.config,
            order_id,
            deal_id: deal.id,
            amount: refilled,
            remaining: buy_order.remaining,
        });
    }
    if buy_order.is_spent() {
        events.closed = Some(BuyOrderClosed {
            config: deal.config,
            order_id,
            merchant: buy_order.merchant,
        });
        close_program_account(&order_info, &merchant_info)?;
        return Ok(events);
    }
    buy_order.invariant()?;
    let mut data = order_info.try_borrow_mut_data()?;
    let mut writer: &mut [u8] = &mut data;
    buy_order.try_serialize(&mut writer)?;
    Ok(events)
}

/// The buy-order events of a final Trade deal, in the order they are
/// emitted: the refill, then the closing of the order.
#[derive(Default)]
pub struct OrderFillEvents {
    /// `BuyOrderRefilled`, when a cancelled fill went back to its order.
    pub refilled: Option<BuyOrderRefilled>,
    /// `BuyOrderClosed`, when the order was spent and closed.
    pub closed: Option<BuyOrderClosed>,
}
