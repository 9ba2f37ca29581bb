//! The escrow's actions, shared by every chain that runs the Solidity escrow (the
//! EVM client and the TRON client): one function per action runs its pre-checks
//! (role, deal party and state, amounts, balances, the co-signer's allowance, the
//! acceptor's limits; docs/rules.md) and returns the contract call to make. A client
//! implements [`EscrowReads`] for its chain's reads and only sends what it gets
//! back (EVM: `eth_call` then a transaction; TRON: a TriggerSmartContract), so a bad
//! action is refused with the same error on both chains before anything is signed.

use alloy::{
    primitives::{Address, B256, Bytes, U256},
    signers::{Signature, Signer},
    sol_types::Eip712Domain,
};

use crate::{
    Amount, Roles,
    evm::{
        AccountView, BuyOrderView, CoSignAction, DealAction, DealState, DealView, Escrow,
        EscrowError, EvmError, co_sign_hash, currency_code,
    },
};

/// The parameters of a buy order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyOrderParams {
    /// Fiat minor units per USDT.
    pub price: u64,
    /// ISO 4217 code, e.g. `CNY`.
    pub currency: String,
    /// USDT wanted in total.
    pub amount: Amount,
    /// Smallest fill.
    pub min_fill: Amount,
    /// Largest fill.
    pub max_fill: Amount,
    /// Unix time after which it cannot be filled.
    pub expiry: u64,
    /// Seconds the merchant has to pay each fill.
    pub payment_window: u32,
}

fn units(amount: Amount) -> U256 {
    U256::from(amount.units())
}

/// A signature as the contract takes it (r ‖ s ‖ v, 65 bytes).
fn signature_bytes(signature: &Signature) -> Bytes {
    Bytes::from(signature.as_bytes().to_vec())
}

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

    /// The escrow's EIP-712 domain, as its `eip712Domain()` (EIP-5267) reports it.
    async fn read_domain(&self) -> Result<Eip712Domain, Self::Error>;
}

// ----- funds -----

/// A deposit of `amount` by `owner`: above zero and within the wallet's balance.
pub(crate) async fn deposit<R: EscrowReads>(
    r: &R,
    owner: Address,
    amount: Amount,
) -> Result<Escrow::depositCall, R::Error> {
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
    Ok(Escrow::depositCall { amount: needed })
}

/// `withdraw(amount)`: available, and within today's allowance.
pub(crate) async fn withdraw<R: EscrowReads>(
    r: &R,
    amount: Amount,
) -> Result<Escrow::withdrawCall, R::Error> {
    available(r, "withdraw", amount).await?;
    within_allowance(r, "withdraw", amount).await?;
    Ok(Escrow::withdrawCall {
        amount: units(amount),
    })
}

/// `withdrawCoSigned(...)`: available; the co-signer approved it (action withdraw),
/// so the daily allowance does not apply.
pub(crate) async fn withdraw_co_signed<R: EscrowReads>(
    r: &R,
    amount: Amount,
    deadline: u64,
    signature: &Signature,
) -> Result<Escrow::withdrawCoSignedCall, R::Error> {
    available(r, "withdraw", amount).await?;
    has_co_signer(r).await?;
    Ok(Escrow::withdrawCoSignedCall {
        amount: units(amount),
        deadline: U256::from(deadline),
        signature: signature_bytes(signature),
    })
}

/// `requestWithdrawalAddress(new_address)`: effective after the escrow's delay.
pub(crate) fn request_withdrawal_address(
    new_address: Address,
) -> Escrow::requestWithdrawalAddressCall {
    Escrow::requestWithdrawalAddressCall {
        newAddress: new_address,
    }
}

// ----- deal lifecycle -----

/// The buyer's (or, for a collection, the dispatcher's) `markPaid(deal_id)`.
pub(crate) async fn mark_paid<R: EscrowReads>(
    r: &R,
    deal_id: U256,
) -> Result<Escrow::markPaidCall, R::Error> {
    checked_deal(r, DealAction::MarkPaid, deal_id).await?;
    Ok(Escrow::markPaidCall { dealId: deal_id })
}

/// The seller's `release(deal_id)`: an outflow, so held to today's allowance.
pub(crate) async fn release<R: EscrowReads>(
    r: &R,
    deal_id: U256,
) -> Result<Escrow::releaseCall, R::Error> {
    let deal = checked_deal(r, DealAction::Release, deal_id).await?;
    within_allowance(r, "release", deal.amount).await?;
    Ok(Escrow::releaseCall { dealId: deal_id })
}

/// `cancel(deal_id)` by the buyer, or the seller of an unpaid deal.
pub(crate) async fn cancel<R: EscrowReads>(
    r: &R,
    deal_id: U256,
) -> Result<Escrow::cancelCall, R::Error> {
    checked_deal(r, DealAction::Cancel, deal_id).await?;
    Ok(Escrow::cancelCall { dealId: deal_id })
}

/// `dispute(deal_id)` by the buyer or seller of a paid deal.
pub(crate) async fn dispute<R: EscrowReads>(
    r: &R,
    deal_id: U256,
) -> Result<Escrow::disputeCall, R::Error> {
    checked_deal(r, DealAction::Dispute, deal_id).await?;
    Ok(Escrow::disputeCall { dealId: deal_id })
}

/// `releaseCoSigned(...)`: the seller releases with the co-signer's approval
/// (action release, subject the deal id), so the daily allowance does not apply.
pub(crate) async fn release_co_signed<R: EscrowReads>(
    r: &R,
    deal_id: U256,
    deadline: u64,
    signature: &Signature,
) -> Result<Escrow::releaseCoSignedCall, R::Error> {
    checked_deal(r, DealAction::Release, deal_id).await?;
    has_co_signer(r).await?;
    Ok(Escrow::releaseCoSignedCall {
        dealId: deal_id,
        deadline: U256::from(deadline),
        signature: signature_bytes(signature),
    })
}

/// The arbiter's `resolve(...)`: a share of at most 100 % on a live deal.
pub(crate) async fn resolve<R: EscrowReads>(
    r: &R,
    deal_id: U256,
    buyer_share_bps: u16,
) -> Result<Escrow::resolveCall, R::Error> {
    if buyer_share_bps > 10_000 {
        return Err(EscrowError::InvalidBuyerShare {
            bps: buyer_share_bps.into(),
        }
        .into());
    }
    r.read_deal(deal_id).await?;
    Ok(Escrow::resolveCall {
        dealId: deal_id,
        buyerShareBps: buyer_share_bps,
    })
}

// ----- buy orders -----

/// `postBuyOrder(...)`: a currency code, an amount above zero, a merchant.
pub(crate) async fn post_buy_order<R: EscrowReads>(
    r: &R,
    p: &BuyOrderParams,
) -> Result<Escrow::postBuyOrderCall, R::Error>
where
    R::Error: From<EvmError>,
{
    let currency = currency_code(&p.currency)?;
    nonzero("postBuyOrder", p.amount)?;
    caller_has_role(r, "postBuyOrder", Roles::MERCHANT).await?;
    Ok(Escrow::postBuyOrderCall {
        price: p.price,
        currency,
        amount: units(p.amount),
        minFill: units(p.min_fill),
        maxFill: units(p.max_fill),
        expiry: p.expiry,
        paymentWindow: p.payment_window,
    })
}

/// `cancelBuyOrder(order_id)`: it is open and the caller posted it.
pub(crate) async fn cancel_buy_order<R: EscrowReads>(
    r: &R,
    order_id: U256,
) -> Result<Escrow::cancelBuyOrderCall, R::Error> {
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
    Ok(Escrow::cancelBuyOrderCall { orderId: order_id })
}

/// `fillBuyOrder(...)`: the order is open and the caller has the amount available.
pub(crate) async fn fill_buy_order<R: EscrowReads>(
    r: &R,
    order_id: U256,
    amount: Amount,
    order_ref: B256,
) -> Result<Escrow::fillBuyOrderCall, R::Error> {
    r.read_buy_order(order_id).await?;
    available(r, "fillBuyOrder", amount).await?;
    Ok(Escrow::fillBuyOrderCall {
        orderId: order_id,
        amount: units(amount),
        orderRef: order_ref,
    })
}

// ----- collections and payouts -----

/// `openPayout(...)`: a merchant with the amount available.
pub(crate) async fn open_payout<R: EscrowReads>(
    r: &R,
    amount: Amount,
    payment_window: u32,
    order_ref: B256,
) -> Result<Escrow::openPayoutCall, R::Error> {
    available(r, "openPayout", amount).await?;
    caller_has_role(r, "openPayout", Roles::MERCHANT).await?;
    Ok(Escrow::openPayoutCall {
        amount: units(amount),
        paymentWindow: payment_window,
        orderRef: order_ref,
    })
}

/// The dispatcher's `assignCollection(...)` of `amount` on `acceptor`'s collateral
/// for `merchant`: above zero, both hold their roles, the acceptor is online and
/// within its limits (docs/rules.md, "Acceptor limits").
pub(crate) async fn assign_collection<R: EscrowReads>(
    r: &R,
    acceptor: Address,
    merchant: Address,
    amount: Amount,
    payment_window: u32,
    order_ref: B256,
) -> Result<Escrow::assignCollectionCall, R::Error> {
    const ACTION: &str = "assignCollection";
    nonzero(ACTION, amount)?;
    caller_is_dispatcher(r, ACTION).await?;
    has_role(r, ACTION, merchant, Roles::MERCHANT).await?;
    acceptor_may_take(r, ACTION, acceptor, amount, true).await?;
    Ok(Escrow::assignCollectionCall {
        acceptor,
        merchant,
        amount: units(amount),
        paymentWindow: payment_window,
        orderRef: order_ref,
    })
}

/// The dispatcher's `assignPayout(deal_id, acceptor)`: the deal waits for an
/// acceptor, and the acceptor holds the role, is online and within its limits.
pub(crate) async fn assign_payout<R: EscrowReads>(
    r: &R,
    deal_id: U256,
    acceptor: Address,
) -> Result<Escrow::assignPayoutCall, R::Error> {
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
    acceptor_may_take(r, ACTION, acceptor, deal.amount, false).await?;
    Ok(Escrow::assignPayoutCall {
        dealId: deal_id,
        acceptor,
    })
}

/// The acceptor's `setAcceptorLimits(...)`.
pub(crate) fn set_acceptor_limits(
    online: bool,
    max_per_deal: Amount,
    max_locked: Amount,
) -> Escrow::setAcceptorLimitsCall {
    Escrow::setAcceptorLimitsCall {
        online,
        maxPerDeal: max_per_deal.units(),
        maxLocked: max_locked.units(),
    }
}

// ----- co-signer (docs/rules.md, "Co-signer and daily allowance") -----

/// The digest `owner`'s co-signer signs to approve `action` on `subject`, at the
/// account's current co-sign nonce, valid until `deadline`, under the escrow's domain.
pub(crate) async fn co_sign_digest<R: EscrowReads>(
    r: &R,
    owner: Address,
    action: CoSignAction,
    subject: U256,
    deadline: u64,
) -> Result<B256, R::Error> {
    let nonce = r.read_account(owner).await?.co_sign_nonce;
    let domain = r.read_domain().await?;
    Ok(co_sign_hash(
        &domain, owner, action, subject, nonce, deadline,
    ))
}

/// The co-signer's approval: checks `co_signer` is `owner`'s co-signer, then signs
/// [`co_sign_digest`] (any alloy signer: a local key, a TRON key, a KMS key).
pub(crate) async fn co_sign<R: EscrowReads, S: Signer + Sync>(
    r: &R,
    co_signer: &S,
    owner: Address,
    action: CoSignAction,
    subject: U256,
    deadline: u64,
) -> Result<Signature, R::Error>
where
    R::Error: From<EvmError>,
{
    let account = r.read_account(owner).await?;
    if account.co_signer.is_zero() || account.co_signer != co_signer.address() {
        return Err(EscrowError::NotCoSigner {
            account: r.show(owner),
            co_signer: (!account.co_signer.is_zero()).then(|| r.show(account.co_signer)),
            signer: r.show(co_signer.address()),
        }
        .into());
    }
    let digest = co_sign_digest(r, owner, action, subject, deadline).await?;
    co_signer.sign_hash(&digest).await.map_err(|e| {
        EvmError::Signing {
            message: e.to_string(),
        }
        .into()
    })
}

/// `setCoSigner(co_signer, allowance)`: immediate when none is set or when only
/// lowering the allowance, otherwise pending for the withdrawal delay.
pub(crate) fn set_co_signer(co_signer: Address, allowance: Amount) -> Escrow::setCoSignerCall {
    Escrow::setCoSignerCall {
        newCoSigner: co_signer,
        newDailyAllowance: allowance.units(),
    }
}

/// `setCoSignerCoSigned(...)`: at once, with the current co-signer's approval
/// (action change); the caller must have a co-signer.
pub(crate) async fn set_co_signer_co_signed<R: EscrowReads>(
    r: &R,
    co_signer: Address,
    allowance: Amount,
    deadline: u64,
    signature: &Signature,
) -> Result<Escrow::setCoSignerCoSignedCall, R::Error> {
    has_co_signer(r).await?;
    Ok(Escrow::setCoSignerCoSignedCall {
        newCoSigner: co_signer,
        newDailyAllowance: allowance.units(),
        deadline: U256::from(deadline),
        signature: signature_bytes(signature),
    })
}

/// `applyCoSigner(owner)` at chain time `now`: a change is pending and its time
/// has come. Anyone may call.
pub(crate) async fn apply_co_signer<R: EscrowReads>(
    r: &R,
    owner: Address,
    now: u64,
) -> Result<Escrow::applyCoSignerCall, R::Error> {
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
    Ok(Escrow::applyCoSignerCall { owner })
}

/// `cancelCoSignerChange()` of the caller's pending change: one is pending.
pub(crate) async fn cancel_co_signer_change<R: EscrowReads>(
    r: &R,
) -> Result<Escrow::cancelCoSignerChangeCall, R::Error> {
    if let Some(caller) = r.caller()
        && r.read_account(caller).await?.pending_co_signer.is_none()
    {
        return Err(EscrowError::NoPendingCoSignerChange {
            account: r.show(caller),
        }
        .into());
    }
    Ok(Escrow::cancelCoSignerChangeCall {})
}

/// The admin's `sweepSurplus()`: the escrow holds more than it owes.
pub(crate) async fn sweep_surplus<R: EscrowReads>(
    r: &R,
) -> Result<Escrow::sweepSurplusCall, R::Error> {
    let (balance, liabilities) = r.read_holdings().await?;
    if balance <= liabilities {
        return Err(EscrowError::NoSurplus {
            balance,
            liabilities,
        }
        .into());
    }
    Ok(Escrow::sweepSurplusCall {})
}

// ----- the single rules the actions combine -----

/// The deal exists and the caller may take `action` on it now.
async fn checked_deal<R: EscrowReads>(
    r: &R,
    action: DealAction,
    deal_id: U256,
) -> Result<DealView, R::Error> {
    let deal = r.read_deal(deal_id).await?;
    if let Some(caller) = r.caller() {
        let dispatcher = r.read_dispatcher().await?;
        action.check(&deal, caller, dispatcher, |a| r.show(a))?;
    }
    Ok(deal)
}

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
