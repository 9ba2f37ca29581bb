//! A typed client for the `Escrow` contract: every action a merchant, acceptor,
//! trader, agent, dispatcher, compliance key or arbiter takes, with amounts as
//! exact [`Amount`]s and the ids of new orders and deals read from the receipts.

use std::time::Duration;

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::Ethereum,
    primitives::{Address, B256, FixedBytes, U256},
    providers::Provider,
    rpc::types::TransactionReceipt,
    sol_types::SolEvent,
};

use super::bindings::{
    Escrow::{self, EscrowInstance},
    IERC20,
};
use super::fees::Eip1559Fees;
use super::rules::{AccountView, BuyOrderView, DealAction, DealView};
use crate::{
    Amount,
    error::{EscrowError, EvmError},
};

/// Deal kinds, numbered as in the contract's `DealKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealKind {
    /// A trader sells into a merchant's buy order.
    Trade = 0,
    /// The dispatcher assigns a customer payment to an acceptor's collateral.
    Collection = 1,
    /// A merchant's USDT goes to an acceptor who pays fiat to the merchant's bank.
    Payout = 2,
}

/// Role bits, as the contract's `ROLE_*` constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles(pub u8);

impl Roles {
    /// May post buy orders, open payouts and receive collections.
    pub const MERCHANT: Self = Self(1);
    /// May be assigned collections and payouts.
    pub const ACCEPTOR: Self = Self(2);
    /// May refer merchants and earn a commission.
    pub const AGENT: Self = Self(4);

    /// Both sets of roles.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// How long to wait for a sent transaction's receipt before giving up with an
/// error, so a dropped transaction never hangs the caller.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Reads `call` from the contract (`eth_call`), naming it in the error.
pub(crate) async fn read<P, D>(
    name: &'static str,
    call: CallBuilder<P, D, Ethereum>,
) -> Result<D::CallOutput, EvmError>
where
    P: Provider,
    D: CallDecoder,
{
    call.call().await.map_err(|e| EvmError::call(name, e))
}

/// Simulates a contract call, then sends it and waits for its receipt.
///
/// The simulation (`eth_call`) comes first so a call the contract would reject
/// fails with its decoded custom error before anything is signed: nothing is
/// broadcast and no nonce is used up.
pub(crate) async fn send<P, D>(
    name: &'static str,
    call: CallBuilder<P, D, Ethereum>,
    fees: Option<Eip1559Fees>,
) -> Result<TransactionReceipt, EvmError>
where
    P: Provider,
    D: CallDecoder,
{
    let call = match fees {
        Some(f) => call
            .max_fee_per_gas(f.max_fee_per_gas)
            .max_priority_fee_per_gas(f.max_priority_fee_per_gas),
        None => call,
    };
    call.call_raw().await.map_err(|e| EvmError::call(name, e))?;
    let pending = call.send().await.map_err(|e| EvmError::call(name, e))?;
    let receipt = pending
        .with_timeout(Some(RECEIPT_TIMEOUT))
        .get_receipt()
        .await
        .map_err(|e| EvmError::Rpc {
            call: name,
            message: e.to_string(),
        })?;
    if !receipt.status() {
        return Err(EvmError::Reverted {
            call: name,
            tx_hash: receipt.transaction_hash,
        });
    }
    Ok(receipt)
}

/// The first log of event `E` emitted by `emitter` in `receipt`.
fn event<E: SolEvent>(receipt: &TransactionReceipt, emitter: Address) -> Result<E, EvmError> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == emitter)
        .find_map(|log| E::decode_log(&log.inner).ok().map(|l| l.data))
        .ok_or(EvmError::MissingEvent {
            event: E::SIGNATURE,
        })
}

fn units(amount: Amount) -> U256 {
    U256::from(amount.units())
}

/// An `Escrow` contract, connected through a provider whose wallet signs as the caller.
///
/// With [`EscrowClient::with_caller`] the client knows who signs and checks the
/// deal rules (party, state, balances) before sending; without it the contract's
/// simulation still rejects a bad call before anything is signed.
#[derive(Debug, Clone)]
pub struct EscrowClient<P> {
    contract: EscrowInstance<P>,
    fees: Option<Eip1559Fees>,
    caller: Option<Address>,
}

impl<P: Provider + Clone> EscrowClient<P> {
    /// The escrow at `address`.
    pub fn new(address: Address, provider: P) -> Self {
        Self {
            contract: Escrow::new(address, provider),
            fees: None,
            caller: None,
        }
    }

    /// Sends every transaction with these EIP-1559 fees (else the provider's filler decides).
    pub fn with_fees(mut self, fees: Eip1559Fees) -> Self {
        self.fees = Some(fees);
        self
    }

    /// The address the provider's wallet signs as, for the pre-checks.
    pub fn with_caller(mut self, caller: Address) -> Self {
        self.caller = Some(caller);
        self
    }

    async fn send<D: CallDecoder>(
        &self,
        name: &'static str,
        call: CallBuilder<&P, D, Ethereum>,
    ) -> Result<TransactionReceipt, EvmError> {
        send(name, call, self.fees).await
    }

    /// The bound contract, for reads and for calls this client does not wrap.
    pub fn contract(&self) -> &EscrowInstance<P> {
        &self.contract
    }

    /// The contract's address.
    pub fn address(&self) -> Address {
        *self.contract.address()
    }

    // ----- funds -----

    /// Approves the escrow for `amount` of USDT (resetting a non-zero allowance to
    /// zero first, which Ethereum USDT requires) and deposits it.
    ///
    /// Refuses a zero amount and an amount above the wallet's token balance before
    /// anything is signed; an allowance that already covers `amount` is used as is.
    pub async fn deposit(
        &self,
        owner: Address,
        amount: Amount,
    ) -> Result<TransactionReceipt, EvmError> {
        if amount.is_zero() {
            return Err(EscrowError::ZeroAmount { action: "deposit" }.into());
        }
        let token = IERC20::new(self.token().await?, self.contract.provider().clone());
        let balance = read("balanceOf", token.balanceOf(owner)).await?;
        if balance < units(amount) {
            return Err(EscrowError::InsufficientTokenBalance {
                account: owner.to_string(),
                balance,
                needed: units(amount),
            }
            .into());
        }
        let allowance = read("allowance", token.allowance(owner, self.address())).await?;
        if allowance < units(amount) {
            if !allowance.is_zero() {
                send(
                    "approve",
                    token.approve(self.address(), U256::ZERO),
                    self.fees,
                )
                .await?;
            }
            send(
                "approve",
                token.approve(self.address(), units(amount)),
                self.fees,
            )
            .await?;
        }
        self.send("deposit", self.contract.deposit(units(amount)))
            .await
    }

    /// Sends `amount` of the caller's available balance to its withdrawal address.
    pub async fn withdraw(&self, amount: Amount) -> Result<TransactionReceipt, EvmError> {
        self.check_available("withdraw", amount).await?;
        self.send("withdraw", self.contract.withdraw(units(amount)))
            .await
    }

    /// Cancels the caller's pending withdrawal address change.
    pub async fn cancel_withdrawal_address_change(&self) -> Result<TransactionReceipt, EvmError> {
        self.send(
            "cancelWithdrawalAddressChange",
            self.contract.cancelWithdrawalAddressChange(),
        )
        .await
    }

    /// Asks to change the withdrawal address; it takes effect after the configured delay.
    pub async fn request_withdrawal_address(
        &self,
        new_address: Address,
    ) -> Result<TransactionReceipt, EvmError> {
        self.send(
            "requestWithdrawalAddress",
            self.contract.requestWithdrawalAddress(new_address),
        )
        .await
    }

    // ----- buy orders and trades -----

    /// Posts a buy order; returns its id. `price` is fiat minor units per USDT,
    /// `currency` an ISO 4217 code such as `"CNY"`.
    #[allow(clippy::too_many_arguments)] // mirrors the contract call one to one
    pub async fn post_buy_order(
        &self,
        price: u64,
        currency: &str,
        amount: Amount,
        min_fill: Amount,
        max_fill: Amount,
        expiry: u64,
        payment_window: u32,
    ) -> Result<U256, EvmError> {
        self.post_buy_order_sent(
            price,
            currency,
            amount,
            min_fill,
            max_fill,
            expiry,
            payment_window,
        )
        .await
        .map(|(id, _)| id)
    }

    /// [`Self::post_buy_order`], also returning the receipt.
    #[allow(clippy::too_many_arguments)] // mirrors the contract call one to one
    pub async fn post_buy_order_sent(
        &self,
        price: u64,
        currency: &str,
        amount: Amount,
        min_fill: Amount,
        max_fill: Amount,
        expiry: u64,
        payment_window: u32,
    ) -> Result<(U256, TransactionReceipt), EvmError> {
        let code = currency_code(currency)?;
        let call = self.contract.postBuyOrder(
            price,
            code,
            units(amount),
            units(min_fill),
            units(max_fill),
            expiry,
            payment_window,
        );
        if amount.is_zero() {
            return Err(EscrowError::ZeroAmount {
                action: "postBuyOrder",
            }
            .into());
        }
        let receipt = self.send("postBuyOrder", call).await?;
        let id = event::<Escrow::BuyOrderPosted>(&receipt, self.address())?.orderId;
        Ok((id, receipt))
    }

    /// Cancels one of the caller's buy orders.
    pub async fn cancel_buy_order(&self, order_id: U256) -> Result<TransactionReceipt, EvmError> {
        let order = self.buy_order(order_id).await?;
        if let Some(caller) = self.caller
            && caller != order.merchant
        {
            return Err(EscrowError::NotOrderMerchant {
                order_id,
                merchant: order.merchant.to_string(),
                caller: caller.to_string(),
            }
            .into());
        }
        self.send("cancelBuyOrder", self.contract.cancelBuyOrder(order_id))
            .await
    }

    /// Sells `amount` into buy order `order_id` from the caller's available balance;
    /// returns the new Trade deal's id.
    pub async fn fill_buy_order(
        &self,
        order_id: U256,
        amount: Amount,
        order_ref: B256,
    ) -> Result<U256, EvmError> {
        self.fill_buy_order_sent(order_id, amount, order_ref)
            .await
            .map(|(id, _)| id)
    }

    /// [`Self::fill_buy_order`], also returning the receipt.
    pub async fn fill_buy_order_sent(
        &self,
        order_id: U256,
        amount: Amount,
        order_ref: B256,
    ) -> Result<(U256, TransactionReceipt), EvmError> {
        self.buy_order(order_id).await?;
        self.check_available("fillBuyOrder", amount).await?;
        let receipt = self
            .send(
                "fillBuyOrder",
                self.contract
                    .fillBuyOrder(order_id, units(amount), order_ref),
            )
            .await?;
        let id = event::<Escrow::DealOpened>(&receipt, self.address())?.dealId;
        Ok((id, receipt))
    }

    // ----- collections and payouts -----

    /// Dispatcher: opens a Collection locking `amount` of `acceptor`'s collateral for `merchant`.
    pub async fn assign_collection(
        &self,
        acceptor: Address,
        merchant: Address,
        amount: Amount,
        payment_window: u32,
        order_ref: B256,
    ) -> Result<U256, EvmError> {
        self.assign_collection_sent(acceptor, merchant, amount, payment_window, order_ref)
            .await
            .map(|(id, _)| id)
    }

    /// [`Self::assign_collection`], also returning the receipt.
    pub async fn assign_collection_sent(
        &self,
        acceptor: Address,
        merchant: Address,
        amount: Amount,
        payment_window: u32,
        order_ref: B256,
    ) -> Result<(U256, TransactionReceipt), EvmError> {
        if amount.is_zero() {
            return Err(EscrowError::ZeroAmount {
                action: "assignCollection",
            }
            .into());
        }
        let call = self.contract.assignCollection(
            acceptor,
            merchant,
            units(amount),
            payment_window,
            order_ref,
        );
        let receipt = self.send("assignCollection", call).await?;
        let id = event::<Escrow::DealOpened>(&receipt, self.address())?.dealId;
        Ok((id, receipt))
    }

    /// Merchant: opens a Payout locking `amount` of its own balance; returns the deal id.
    pub async fn open_payout(
        &self,
        amount: Amount,
        payment_window: u32,
        order_ref: B256,
    ) -> Result<U256, EvmError> {
        self.open_payout_sent(amount, payment_window, order_ref)
            .await
            .map(|(id, _)| id)
    }

    /// [`Self::open_payout`], also returning the receipt.
    pub async fn open_payout_sent(
        &self,
        amount: Amount,
        payment_window: u32,
        order_ref: B256,
    ) -> Result<(U256, TransactionReceipt), EvmError> {
        self.check_available("openPayout", amount).await?;
        let receipt = self
            .send(
                "openPayout",
                self.contract
                    .openPayout(units(amount), payment_window, order_ref),
            )
            .await?;
        let id = event::<Escrow::DealOpened>(&receipt, self.address())?.dealId;
        Ok((id, receipt))
    }

    /// Dispatcher: assigns `acceptor` to an unassigned Payout.
    pub async fn assign_payout(
        &self,
        deal_id: U256,
        acceptor: Address,
    ) -> Result<TransactionReceipt, EvmError> {
        let deal = self.deal(deal_id).await?;
        if deal.state != super::DealState::Unassigned {
            return Err(EscrowError::WrongDealState {
                action: "assignPayout",
                deal_id,
                state: deal.state.as_str(),
            }
            .into());
        }
        self.send(
            "assignPayout",
            self.contract.assignPayout(deal_id, acceptor),
        )
        .await
    }

    // ----- deal lifecycle -----

    /// Buyer (or the dispatcher, for a Collection): the fiat was sent.
    pub async fn mark_paid(&self, deal_id: U256) -> Result<TransactionReceipt, EvmError> {
        self.check_deal(DealAction::MarkPaid, deal_id).await?;
        self.send("markPaid", self.contract.markPaid(deal_id)).await
    }

    /// Seller: the fiat arrived; settle the deal with the fee split.
    pub async fn release(&self, deal_id: U256) -> Result<TransactionReceipt, EvmError> {
        self.check_deal(DealAction::Release, deal_id).await?;
        self.send("release", self.contract.release(deal_id)).await
    }

    /// Buyer at any time before release, or seller after the payment deadline of an unpaid deal.
    pub async fn cancel(&self, deal_id: U256) -> Result<TransactionReceipt, EvmError> {
        self.check_deal(DealAction::Cancel, deal_id).await?;
        self.send("cancel", self.contract.cancel(deal_id)).await
    }

    /// Buyer or seller of a paid deal: ask the arbiter to decide.
    pub async fn dispute(&self, deal_id: U256) -> Result<TransactionReceipt, EvmError> {
        self.check_deal(DealAction::Dispute, deal_id).await?;
        self.send("dispute", self.contract.dispute(deal_id)).await
    }

    /// Arbiter: settle `buyer_share_bps` of a disputed deal to the buyer, the rest back to the seller.
    pub async fn resolve(
        &self,
        deal_id: U256,
        buyer_share_bps: u16,
    ) -> Result<TransactionReceipt, EvmError> {
        if buyer_share_bps > 10_000 {
            return Err(EscrowError::ShareTooHigh {
                bps: buyer_share_bps.into(),
            }
            .into());
        }
        self.deal(deal_id).await?;
        self.send("resolve", self.contract.resolve(deal_id, buyer_share_bps))
            .await
    }

    // ----- pre-checks -----

    /// The caller's available balance covers `amount` (and `amount` is not zero).
    async fn check_available(&self, action: &'static str, amount: Amount) -> Result<(), EvmError> {
        if amount.is_zero() {
            return Err(EscrowError::ZeroAmount { action }.into());
        }
        let Some(caller) = self.caller else {
            return Ok(());
        };
        let account = self.account(caller).await?;
        if account.available < amount {
            return Err(EscrowError::InsufficientAvailable {
                action,
                account: caller.to_string(),
                available: account.available.units(),
                needed: amount.units(),
            }
            .into());
        }
        Ok(())
    }

    /// The deal exists and the caller may take `action` on it now.
    async fn check_deal(&self, action: DealAction, deal_id: U256) -> Result<(), EvmError> {
        let deal = self.deal(deal_id).await?;
        if let Some(caller) = self.caller {
            let dispatcher = read("dispatcher", self.contract.dispatcher()).await?;
            action.check(&deal, caller, dispatcher, |a| a.to_string())?;
        }
        Ok(())
    }

    // ----- reads -----

    /// The USDT token the escrow holds.
    pub async fn token(&self) -> Result<Address, EvmError> {
        read("token", self.contract.token()).await
    }

    /// `owner`'s wallet balance of the escrow's token (smallest units).
    pub async fn token_balance(&self, owner: Address) -> Result<U256, EvmError> {
        let token = IERC20::new(self.token().await?, self.contract.provider().clone());
        read("balanceOf", token.balanceOf(owner)).await
    }

    /// `owner`'s escrow account (all zero for a wallet that never used the escrow).
    pub async fn account(&self, owner: Address) -> Result<AccountView, EvmError> {
        let account = read("account", self.contract.account(owner)).await?;
        Ok(AccountView::from(&account))
    }

    /// Where `owner`'s withdrawals go now (a pending change counts once its time has come).
    pub async fn withdrawal_address(&self, owner: Address) -> Result<Address, EvmError> {
        read(
            "withdrawalAddressOf",
            self.contract.withdrawalAddressOf(owner),
        )
        .await
    }

    /// Live deal `deal_id`; [`EscrowError::DealNotFound`] when it never existed or is final.
    pub async fn deal(&self, deal_id: U256) -> Result<DealView, EvmError> {
        let deal = read("deal", self.contract.deal(deal_id)).await?;
        Ok(DealView::from_contract(deal_id, &deal)?)
    }

    /// Open buy order `order_id`; [`EscrowError::OrderNotFound`] when filled, cancelled or never posted.
    pub async fn buy_order(&self, order_id: U256) -> Result<BuyOrderView, EvmError> {
        let order = read("buyOrder", self.contract.buyOrder(order_id)).await?;
        Ok(BuyOrderView::from_contract(order_id, &order)?)
    }

    /// Available and locked balance of `owner`'s escrow account.
    pub async fn balances(&self, owner: Address) -> Result<(Amount, Amount), EvmError> {
        let account = read("account", self.contract.account(owner)).await?;
        let to_amount = |v: alloy::primitives::Uint<96, 2>| {
            u64::try_from(v)
                .map(Amount::from_units)
                .map_err(|_| EvmError::AmountOutOfRange)
        };
        Ok((to_amount(account.available)?, to_amount(account.locked)?))
    }
}

/// An ISO 4217 code (three uppercase letters) as the contract's `bytes3`.
pub fn currency_code(code: &str) -> Result<FixedBytes<3>, EvmError> {
    let bytes = code.as_bytes();
    if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_uppercase) {
        return Err(EvmError::Currency {
            code: code.to_owned(),
        });
    }
    Ok(FixedBytes([bytes[0], bytes[1], bytes[2]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_three_uppercase_letters() {
        assert_eq!(currency_code("CNY").unwrap(), FixedBytes(*b"CNY"));
        for bad in ["cny", "CN", "CNYY", "C1Y", ""] {
            assert!(
                matches!(currency_code(bad), Err(EvmError::Currency { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn role_bits_match_the_contract() {
        assert_eq!(Roles::MERCHANT.union(Roles::AGENT), Roles(5));
        assert_eq!(Roles::ACCEPTOR.0, 2);
    }
}
