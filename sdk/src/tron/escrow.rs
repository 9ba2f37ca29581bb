//! The `Escrow` contract on TRON: the same Solidity as on Ethereum, so the calldata
//! comes from the same `sol!` bindings. Every action returns the
//! `TriggerSmartContract` to build, sign and broadcast locally; reads go through
//! `triggerconstantcontract`. The deal rules and balances are checked first, with
//! the same errors as the EVM client, so a bad action is never signed.

use alloy::primitives::{B256, U256};

use crate::{
    Amount, Error,
    error::EscrowError,
    evm::{AccountView, BuyOrderView, DealAction, DealView, Escrow, IERC20, escrow::currency_code},
    tron::{Address, TriggerSmartContract, TronClient, trc20::evm_address},
};

fn units(amount: Amount) -> U256 {
    U256::from(amount.units())
}

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

/// The escrow at `escrow` on the node behind `client`, acting as `caller`.
#[derive(Debug, Clone)]
pub struct TronEscrow {
    client: TronClient,
    escrow: Address,
    caller: Address,
}

impl TronEscrow {
    /// The escrow `escrow`, used by `caller` (the account that will sign).
    pub fn new(client: TronClient, escrow: Address, caller: Address) -> Self {
        Self {
            client,
            escrow,
            caller,
        }
    }

    /// The node client.
    pub fn client(&self) -> &TronClient {
        &self.client
    }

    /// The escrow's address.
    pub fn address(&self) -> Address {
        self.escrow
    }

    fn call<C: alloy::sol_types::SolCall>(&self, call: &C) -> TriggerSmartContract {
        TriggerSmartContract::call(self.caller, self.escrow, call)
    }

    fn render(a: alloy::primitives::Address) -> String {
        Address::from_evm_bytes(a.into_array()).to_base58()
    }

    // ----- reads -----

    /// The USDT token the escrow holds.
    pub async fn token(&self) -> Result<Address, Error> {
        let t = self
            .client
            .read(self.caller, self.escrow, &Escrow::tokenCall {})
            .await?;
        Ok(Address::from_evm_bytes(t.into_array()))
    }

    /// `owner`'s wallet balance of the escrow's token and its allowance to the escrow.
    pub async fn token_balance_and_allowance(&self, owner: Address) -> Result<(U256, U256), Error> {
        let token = self.token().await?;
        let balance = self
            .client
            .read(
                self.caller,
                token,
                &IERC20::balanceOfCall {
                    owner: evm_address(&owner),
                },
            )
            .await?;
        let allowance = self
            .client
            .read(
                self.caller,
                token,
                &IERC20::allowanceCall {
                    owner: evm_address(&owner),
                    spender: evm_address(&self.escrow),
                },
            )
            .await?;
        Ok((balance, allowance))
    }

    /// `owner`'s escrow account.
    pub async fn account(&self, owner: Address) -> Result<AccountView, Error> {
        let a = self
            .client
            .read(
                self.caller,
                self.escrow,
                &Escrow::accountCall {
                    owner: evm_address(&owner),
                },
            )
            .await?;
        Ok(AccountView::from(&a))
    }

    /// Live deal `deal_id`; [`EscrowError::DealNotFound`] when it never existed or is final.
    pub async fn deal(&self, deal_id: U256) -> Result<DealView, Error> {
        let d = self
            .client
            .read(
                self.caller,
                self.escrow,
                &Escrow::dealCall { dealId: deal_id },
            )
            .await?;
        Ok(DealView::from_contract(deal_id, &d)?)
    }

    /// Open buy order `order_id`; [`EscrowError::OrderNotFound`] otherwise.
    pub async fn buy_order(&self, order_id: U256) -> Result<BuyOrderView, Error> {
        let o = self
            .client
            .read(
                self.caller,
                self.escrow,
                &Escrow::buyOrderCall { orderId: order_id },
            )
            .await?;
        Ok(BuyOrderView::from_contract(order_id, &o)?)
    }

    // ----- actions -----

    async fn check_available(&self, action: &'static str, amount: Amount) -> Result<(), Error> {
        if amount.is_zero() {
            return Err(EscrowError::ZeroAmount { action }.into());
        }
        let account = self.account(self.caller).await?;
        if account.available < amount {
            return Err(EscrowError::InsufficientAvailable {
                action,
                account: self.caller.to_base58(),
                available: account.available.units(),
                needed: amount.units(),
            }
            .into());
        }
        Ok(())
    }

    /// The calls that deposit `amount`: an `approve` of the token when the
    /// allowance does not cover it (reset to zero first, as USDT requires), then
    /// `deposit`. Refuses an amount above the wallet's token balance.
    pub async fn deposit(&self, amount: Amount) -> Result<Vec<TriggerSmartContract>, Error> {
        if amount.is_zero() {
            return Err(EscrowError::ZeroAmount { action: "deposit" }.into());
        }
        let (balance, allowance) = self.token_balance_and_allowance(self.caller).await?;
        if balance < units(amount) {
            return Err(EscrowError::InsufficientTokenBalance {
                account: self.caller.to_base58(),
                balance,
                needed: units(amount),
            }
            .into());
        }
        let mut calls = Vec::new();
        if allowance < units(amount) {
            let token = self.token().await?;
            let spender = evm_address(&self.escrow);
            if !allowance.is_zero() {
                calls.push(TriggerSmartContract::call(
                    self.caller,
                    token,
                    &IERC20::approveCall {
                        spender,
                        amount: U256::ZERO,
                    },
                ));
            }
            calls.push(TriggerSmartContract::call(
                self.caller,
                token,
                &IERC20::approveCall {
                    spender,
                    amount: units(amount),
                },
            ));
        }
        calls.push(self.call(&Escrow::depositCall {
            amount: units(amount),
        }));
        Ok(calls)
    }

    /// `withdraw(amount)` of the caller's available balance.
    pub async fn withdraw(&self, amount: Amount) -> Result<TriggerSmartContract, Error> {
        self.check_available("withdraw", amount).await?;
        Ok(self.call(&Escrow::withdrawCall {
            amount: units(amount),
        }))
    }

    /// `postBuyOrder(...)`.
    pub fn post_buy_order(&self, p: &BuyOrderParams) -> Result<TriggerSmartContract, Error> {
        if p.amount.is_zero() {
            return Err(EscrowError::ZeroAmount {
                action: "postBuyOrder",
            }
            .into());
        }
        Ok(self.call(&Escrow::postBuyOrderCall {
            price: p.price,
            currency: currency_code(&p.currency)?,
            amount: units(p.amount),
            minFill: units(p.min_fill),
            maxFill: units(p.max_fill),
            expiry: p.expiry,
            paymentWindow: p.payment_window,
        }))
    }

    /// `fillBuyOrder(order_id, amount, order_ref)` from the caller's available balance.
    pub async fn fill_buy_order(
        &self,
        order_id: U256,
        amount: Amount,
        order_ref: B256,
    ) -> Result<TriggerSmartContract, Error> {
        self.buy_order(order_id).await?;
        self.check_available("fillBuyOrder", amount).await?;
        Ok(self.call(&Escrow::fillBuyOrderCall {
            orderId: order_id,
            amount: units(amount),
            orderRef: order_ref,
        }))
    }

    /// `cancelBuyOrder(order_id)`; the caller must be the order's merchant.
    pub async fn cancel_buy_order(&self, order_id: U256) -> Result<TriggerSmartContract, Error> {
        let order = self.buy_order(order_id).await?;
        if order.merchant != evm_address(&self.caller) {
            return Err(EscrowError::NotOrderMerchant {
                order_id,
                merchant: Self::render(order.merchant),
                caller: self.caller.to_base58(),
            }
            .into());
        }
        Ok(self.call(&Escrow::cancelBuyOrderCall { orderId: order_id }))
    }

    /// `openPayout(amount, window, order_ref)` from the caller's available balance.
    pub async fn open_payout(
        &self,
        amount: Amount,
        payment_window: u32,
        order_ref: B256,
    ) -> Result<TriggerSmartContract, Error> {
        self.check_available("openPayout", amount).await?;
        Ok(self.call(&Escrow::openPayoutCall {
            amount: units(amount),
            paymentWindow: payment_window,
            orderRef: order_ref,
        }))
    }

    /// `requestWithdrawalAddress(new_address)`: effective after the escrow's delay.
    pub fn request_withdrawal_address(&self, new_address: Address) -> TriggerSmartContract {
        self.call(&Escrow::requestWithdrawalAddressCall {
            newAddress: evm_address(&new_address),
        })
    }

    /// `cancelWithdrawalAddressChange()`.
    pub fn cancel_withdrawal_address_change(&self) -> TriggerSmartContract {
        self.call(&Escrow::cancelWithdrawalAddressChangeCall {})
    }

    /// A deal action (mark paid, release, cancel, dispute) after checking the deal
    /// exists and the caller may take it.
    pub async fn deal_action(
        &self,
        action: DealAction,
        deal_id: U256,
    ) -> Result<TriggerSmartContract, Error> {
        let deal = self.deal(deal_id).await?;
        let dispatcher = self
            .client
            .read(self.caller, self.escrow, &Escrow::dispatcherCall {})
            .await?;
        action.check(&deal, evm_address(&self.caller), dispatcher, Self::render)?;
        Ok(match action {
            DealAction::MarkPaid => self.call(&Escrow::markPaidCall { dealId: deal_id }),
            DealAction::Release => self.call(&Escrow::releaseCall { dealId: deal_id }),
            DealAction::Cancel => self.call(&Escrow::cancelCall { dealId: deal_id }),
            DealAction::Dispute => self.call(&Escrow::disputeCall { dealId: deal_id }),
        })
    }
}
