//! The escrow's pre-checks, one function per action, shared by every chain that runs
//! the Solidity escrow (the EVM client and the TRON client): role, deal party and
//! state, amounts, balances, the co-signer's allowance and the acceptor's limits
//! (docs/rules.md). A client implements [`EscrowReads`] for its chain's reads; the
//! decisions live here once, so a bad action is refused with the same error on both
//! chains before anything is signed.

use alloy::primitives::{Address, U256};

use crate::{
    Amount,
    error::EscrowError,
    evm::{AccountView, BuyOrderView, DealAction, DealState, DealView, Roles},
};

/// The reads the pre-checks need, as one chain's client makes them. Addresses are
/// the 20-byte form the contract uses; [`EscrowReads::show`] prints them as the
/// chain does (checksummed hex, TRON base58).
pub(crate) trait EscrowReads {
    /// The client's error, which carries an [`EscrowError`].
    type Error: From<EscrowError>;

    /// Who will sign (`None`: unknown, so the caller-specific checks are left to
    /// the contract's simulation).
    fn caller(&self) -> Option<Address>;

    /// An address as the chain prints it.
    fn show(&self, address: Address) -> String;

    /// `owner`'s escrow account.
    async fn read_account(&self, owner: Address) -> Result<AccountView, Self::Error>;

    /// Live deal `deal_id` ([`EscrowError::DealNotFound`] otherwise).
    async fn read_deal(&self, deal_id: U256) -> Result<DealView, Self::Error>;

    /// Open buy order `order_id` ([`EscrowError::OrderNotFound`] otherwise).
    async fn read_buy_order(&self, order_id: U256) -> Result<BuyOrderView, Self::Error>;

    /// The dispatcher's address.
    async fn read_dispatcher(&self) -> Result<Address, Self::Error>;

    /// `owner`'s wallet balance of the escrow's token.
    async fn read_token_balance(&self, owner: Address) -> Result<U256, Self::Error>;

    /// The escrow's own token balance and its liabilities (available + locked of all).
    async fn read_holdings(&self) -> Result<(U256, U256), Self::Error>;

    /// The chain's time (the latest block's timestamp, unix seconds).
    async fn read_chain_time(&self) -> Result<u64, Self::Error>;
}

/// A deposit of `amount` by `owner`: above zero and within the wallet's balance.
pub(crate) async fn deposit<R: EscrowReads>(
    r: &R,
    owner: Address,
    amount: Amount,
) -> Result<(), R::Error> {
    nonzero("deposit", amount)?;
    let balance = r.read_token_balance(owner).await?;
    let needed = U256::from(amount.units());
    if balance < needed {
        return Err(EscrowError::InsufficientTokenBalance {
            account: r.show(owner),
            balance,
            needed,
        }
        .into());
    }
    Ok(())
}

/// A withdrawal of `amount`: available, and within today's allowance unless co-signed
/// (a co-signed one needs a co-signer).
pub(crate) async fn withdraw<R: EscrowReads>(
    r: &R,
    amount: Amount,
    co_signed: bool,
) -> Result<(), R::Error> {
    available(r, "withdraw", amount).await?;
    if co_signed {
        has_co_signer(r).await
    } else {
        within_allowance(r, "withdraw", amount).await
    }
}

/// A deal action by the caller: the deal exists, the caller is the right party and
/// the state allows it; a release is an outflow, so it is held to today's
/// allowance unless co-signed. Returns the deal.
pub(crate) async fn deal_action<R: EscrowReads>(
    r: &R,
    action: DealAction,
    deal_id: U256,
    co_signed: bool,
) -> Result<DealView, R::Error> {
    let deal = r.read_deal(deal_id).await?;
    if let Some(caller) = r.caller() {
        let dispatcher = r.read_dispatcher().await?;
        action.check(&deal, caller, dispatcher, |a| r.show(a))?;
    }
    if action == DealAction::Release {
        if co_signed {
            has_co_signer(r).await?;
        } else {
            within_allowance(r, "release", deal.amount).await?;
        }
    }
    Ok(deal)
}

/// The arbiter's decision: a share of at most 100 % on a live deal.
pub(crate) async fn resolve<R: EscrowReads>(
    r: &R,
    deal_id: U256,
    buyer_share_bps: u16,
) -> Result<(), R::Error> {
    if buyer_share_bps > 10_000 {
        return Err(EscrowError::ShareTooHigh {
            bps: buyer_share_bps.into(),
        }
        .into());
    }
    r.read_deal(deal_id).await.map(drop)
}

/// A buy order of `amount`: above zero, posted by a merchant.
pub(crate) async fn post_buy_order<R: EscrowReads>(r: &R, amount: Amount) -> Result<(), R::Error> {
    nonzero("postBuyOrder", amount)?;
    caller_has_role(r, "postBuyOrder", Roles::MERCHANT).await
}

/// Cancelling buy order `order_id`: it is open and the caller posted it.
pub(crate) async fn cancel_buy_order<R: EscrowReads>(
    r: &R,
    order_id: U256,
) -> Result<(), R::Error> {
    let order = r.read_buy_order(order_id).await?;
    if let Some(caller) = r.caller()
        && caller != order.merchant
    {
        return Err(EscrowError::NotOrderMerchant {
            order_id,
            merchant: r.show(order.merchant),
            caller: r.show(caller),
        }
        .into());
    }
    Ok(())
}

/// Filling buy order `order_id` with `amount`: the order is open and the caller
/// has the amount available.
pub(crate) async fn fill_buy_order<R: EscrowReads>(
    r: &R,
    order_id: U256,
    amount: Amount,
) -> Result<(), R::Error> {
    r.read_buy_order(order_id).await?;
    available(r, "fillBuyOrder", amount).await
}

/// Opening a payout of `amount`: a merchant with the amount available.
pub(crate) async fn open_payout<R: EscrowReads>(r: &R, amount: Amount) -> Result<(), R::Error> {
    available(r, "openPayout", amount).await?;
    caller_has_role(r, "openPayout", Roles::MERCHANT).await
}

/// The dispatcher opens a collection of `amount` on `acceptor`'s collateral for
/// `merchant`: above zero, both hold their roles, the acceptor is online and
/// within its limits (docs/rules.md, "Acceptor limits").
pub(crate) async fn assign_collection<R: EscrowReads>(
    r: &R,
    acceptor: Address,
    merchant: Address,
    amount: Amount,
) -> Result<(), R::Error> {
    const ACTION: &str = "assignCollection";
    nonzero(ACTION, amount)?;
    caller_is_dispatcher(r, ACTION).await?;
    has_role(r, ACTION, merchant, Roles::MERCHANT).await?;
    acceptor_may_take(r, ACTION, acceptor, amount, true).await
}

/// The dispatcher assigns `acceptor` to payout `deal_id`: the deal waits for an
/// acceptor, and the acceptor holds the role, is online and within its limits.
pub(crate) async fn assign_payout<R: EscrowReads>(
    r: &R,
    deal_id: U256,
    acceptor: Address,
) -> Result<(), R::Error> {
    const ACTION: &str = "assignPayout";
    let deal = r.read_deal(deal_id).await?;
    if deal.state != DealState::Unassigned {
        return Err(EscrowError::WrongDealState {
            action: ACTION,
            deal_id,
            state: deal.state.as_str(),
        }
        .into());
    }
    caller_is_dispatcher(r, ACTION).await?;
    acceptor_may_take(r, ACTION, acceptor, deal.amount, false).await
}

/// `co_signer` approving an action of `owner`: it is `owner`'s co-signer.
pub(crate) async fn co_sign<R: EscrowReads>(
    r: &R,
    owner: Address,
    co_signer: Address,
) -> Result<(), R::Error> {
    let account = r.read_account(owner).await?;
    if account.co_signer.is_zero() || account.co_signer != co_signer {
        return Err(EscrowError::NotCoSigner {
            account: r.show(owner),
            co_signer: (!account.co_signer.is_zero()).then(|| r.show(account.co_signer)),
            signer: r.show(co_signer),
        }
        .into());
    }
    Ok(())
}

/// Changing the co-signer at once with the current co-signer's approval: there is one.
pub(crate) async fn set_co_signer_co_signed<R: EscrowReads>(r: &R) -> Result<(), R::Error> {
    has_co_signer(r).await
}

/// Applying `owner`'s pending co-signer change at chain time `now`: one is pending
/// and its time has come.
pub(crate) async fn apply_co_signer<R: EscrowReads>(
    r: &R,
    owner: Address,
    now: u64,
) -> Result<(), R::Error> {
    let account = r.read_account(owner).await?;
    let Some((_, _, at)) = account.pending_co_signer else {
        return Err(EscrowError::NoPendingCoSignerChange {
            account: r.show(owner),
        }
        .into());
    };
    if now < at {
        return Err(EscrowError::CoSignerChangeNotDue {
            account: r.show(owner),
            effective_at: at,
            now,
        }
        .into());
    }
    Ok(())
}

/// Cancelling the caller's pending co-signer change: one is pending.
pub(crate) async fn cancel_co_signer_change<R: EscrowReads>(r: &R) -> Result<(), R::Error> {
    if let Some(caller) = r.caller()
        && r.read_account(caller).await?.pending_co_signer.is_none()
    {
        return Err(EscrowError::NoPendingCoSignerChange {
            account: r.show(caller),
        }
        .into());
    }
    Ok(())
}

/// Sweeping the surplus: the escrow holds more than it owes.
pub(crate) async fn sweep_surplus<R: EscrowReads>(r: &R) -> Result<(), R::Error> {
    let (balance, liabilities) = r.read_holdings().await?;
    if balance <= liabilities {
        return Err(EscrowError::NoSurplus {
            balance,
            liabilities,
        }
        .into());
    }
    Ok(())
}

// ----- the single rules the actions combine -----

/// `amount` is above zero.
pub(crate) fn nonzero(action: &'static str, amount: Amount) -> Result<(), EscrowError> {
    if amount.is_zero() {
        return Err(EscrowError::ZeroAmount { action });
    }
    Ok(())
}

/// The caller's available balance covers `amount` (and `amount` is not zero).
async fn available<R: EscrowReads>(
    r: &R,
    action: &'static str,
    amount: Amount,
) -> Result<(), R::Error> {
    nonzero(action, amount)?;
    let Some(caller) = r.caller() else {
        return Ok(());
    };
    let account = r.read_account(caller).await?;
    if account.available < amount {
        return Err(EscrowError::InsufficientAvailable {
            action,
            account: r.show(caller),
            available: account.available.units(),
            needed: amount.units(),
        }
        .into());
    }
    Ok(())
}

/// An outflow of `amount` without co-signature fits what is left of the caller's
/// allowance today (no limit without a co-signer).
async fn within_allowance<R: EscrowReads>(
    r: &R,
    action: &'static str,
    amount: Amount,
) -> Result<(), R::Error> {
    let Some(caller) = r.caller() else {
        return Ok(());
    };
    let account = r.read_account(caller).await?;
    if account.co_signer.is_zero() {
        return Ok(());
    }
    let now = r.read_chain_time().await?;
    if let Some(left) = account.allowance_left(now)
        && amount > left
    {
        return Err(EscrowError::AllowanceExceeded {
            action,
            account: r.show(caller),
            amount: amount.units(),
            left: left.units(),
        }
        .into());
    }
    Ok(())
}

/// The caller has a co-signer (a co-signed call needs one).
async fn has_co_signer<R: EscrowReads>(r: &R) -> Result<(), R::Error> {
    if let Some(caller) = r.caller()
        && r.read_account(caller).await?.co_signer.is_zero()
    {
        return Err(EscrowError::NoCoSigner {
            account: r.show(caller),
        }
        .into());
    }
    Ok(())
}

/// The caller holds `role`.
async fn caller_has_role<R: EscrowReads>(
    r: &R,
    action: &'static str,
    role: Roles,
) -> Result<(), R::Error> {
    match r.caller() {
        Some(caller) => has_role(r, action, caller, role).await,
        None => Ok(()),
    }
}

/// `account` holds `role`.
async fn has_role<R: EscrowReads>(
    r: &R,
    action: &'static str,
    account: Address,
    role: Roles,
) -> Result<(), R::Error> {
    let roles = r.read_account(account).await?.roles;
    if roles.0 & role.0 == 0 {
        return Err(EscrowError::MissingRole {
            action,
            account: r.show(account),
            role: role.name(),
        }
        .into());
    }
    Ok(())
}

/// The caller is the escrow's dispatcher.
async fn caller_is_dispatcher<R: EscrowReads>(r: &R, action: &'static str) -> Result<(), R::Error> {
    let Some(caller) = r.caller() else {
        return Ok(());
    };
    let dispatcher = r.read_dispatcher().await?;
    if caller != dispatcher {
        return Err(EscrowError::NotDispatcher {
            action,
            caller: r.show(caller),
            dispatcher: r.show(dispatcher),
        }
        .into());
    }
    Ok(())
}

/// The dispatcher may assign `acceptor` a deal of `amount`: it holds the acceptor
/// role, is online, within its maximum per deal and, for a collection, its maximum
/// locked.
async fn acceptor_may_take<R: EscrowReads>(
    r: &R,
    action: &'static str,
    acceptor: Address,
    amount: Amount,
    collection: bool,
) -> Result<(), R::Error> {
    let a = r.read_account(acceptor).await?;
    if a.roles.0 & Roles::ACCEPTOR.0 == 0 {
        return Err(EscrowError::MissingRole {
            action,
            account: r.show(acceptor),
            role: Roles::ACCEPTOR.name(),
        }
        .into());
    }
    let reason = if !a.online {
        Some("offline")
    } else if amount > a.max_per_deal {
        Some("above max per deal")
    } else if collection && a.locked.units().saturating_add(amount.units()) > a.max_locked.units() {
        Some("above max locked")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(EscrowError::AcceptorUnavailable {
            acceptor: r.show(acceptor),
            amount: amount.units(),
            reason,
        }
        .into()),
        None => Ok(()),
    }
}
