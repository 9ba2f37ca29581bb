//! A typed client for the `Escrow` contract: every action a merchant, acceptor,
//! trader, agent, dispatcher, compliance key or arbiter takes, with amounts as
//! exact [`Amount`]s and the ids of new orders and deals read from the receipts.

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::TransactionReceipt,
    signers::{Signature, Signer},
    sol_types::SolCall,
};

use super::bindings::{
    Escrow::{self, EscrowInstance},
    IERC20,
};
use super::call::{event, read, send};
use super::co_sign::CoSignAction;
use super::error::EvmError;
use super::fees::Eip1559Fees;
use super::rules::{AccountView, BuyOrderView, DealView};
use crate::{
    Amount,
    escrow_actions::{self, BuyOrderParams, EscrowReads},
};

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

    /// Simulates, sends and confirms `call` (named `name` in errors) on the escrow.
    async fn send_call<C: SolCall>(
        &self,
        name: &'static str,
        call: &C,
    ) -> Result<TransactionReceipt, EvmError> {
        send(name, self.contract.call_builder(call), self.fees).await
    }

    /// [`Self::send_call`] for a call that opens a deal: also the new deal's id.
    async fn send_opening<C: SolCall>(
        &self,
        name: &'static str,
        call: &C,
    ) -> Result<(U256, TransactionReceipt), EvmError> {
        let receipt = self.send_call(name, call).await?;
        let id = event::<Escrow::DealOpened>(&receipt, self.address())?.dealId;
        Ok((id, receipt))
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
        let call = escrow_actions::deposit(self, owner, amount).await?;
        let token = IERC20::new(self.token().await?, self.contract.provider().clone());
        let allowance = read("allowance", token.allowance(owner, self.address())).await?;
        if allowance < call.amount {
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
                token.approve(self.address(), call.amount),
                self.fees,
            )
            .await?;
        }
        self.send_call("deposit", &call).await
    }

    /// Sends `amount` of the caller's available balance to its withdrawal address.
    pub async fn withdraw(&self, amount: Amount) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::withdraw(self, amount).await?;
        self.send_call("withdraw", &call).await
    }

    /// Sends `amount` with the co-signer's `signature` (action withdraw, valid until
    /// `deadline`); not counted against the daily allowance.
    pub async fn withdraw_co_signed(
        &self,
        amount: Amount,
        deadline: u64,
        signature: &Signature,
    ) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::withdraw_co_signed(self, amount, deadline, signature).await?;
        self.send_call("withdrawCoSigned", &call).await
    }

    /// Cancels the caller's pending withdrawal address change.
    pub async fn cancel_withdrawal_address_change(&self) -> Result<TransactionReceipt, EvmError> {
        let call = Escrow::cancelWithdrawalAddressChangeCall {};
        self.send_call("cancelWithdrawalAddressChange", &call).await
    }

    /// Asks to change the withdrawal address; it takes effect after the configured delay.
    pub async fn request_withdrawal_address(
        &self,
        new_address: Address,
    ) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::request_withdrawal_address(new_address);
        self.send_call("requestWithdrawalAddress", &call).await
    }

    // ----- co-signer (docs/rules.md, "Co-signer and daily allowance") -----

    /// The escrow's EIP-712 domain, read with EIP-5267 `eip712Domain()` (never a
    /// hard-coded chain id: TRON's differs).
    pub async fn domain(&self) -> Result<alloy::sol_types::Eip712Domain, EvmError> {
        let d = read("eip712Domain", self.contract.eip712Domain()).await?;
        Ok(super::co_sign::escrow_domain(d))
    }

    /// The digest `owner`'s co-signer signs to approve `action` on `subject`, at
    /// the account's current co-sign nonce, valid until `deadline`.
    pub async fn co_sign_digest(
        &self,
        owner: Address,
        action: CoSignAction,
        subject: U256,
        deadline: u64,
    ) -> Result<B256, EvmError> {
        escrow_actions::co_sign_digest(self, owner, action, subject, deadline).await
    }

    /// The co-signer's approval: signs [`Self::co_sign_digest`] with `co_signer`
    /// (any alloy signer: a local key, a hardware wallet, a 2FA service's KMS key)
    /// after checking it is `owner`'s co-signer.
    pub async fn co_sign<S: Signer + Sync>(
        &self,
        co_signer: &S,
        owner: Address,
        action: CoSignAction,
        subject: U256,
        deadline: u64,
    ) -> Result<Signature, EvmError> {
        escrow_actions::co_sign(self, co_signer, owner, action, subject, deadline).await
    }

    /// Sets the caller's co-signer and daily allowance: immediate when none is set or
    /// when only lowering the allowance, otherwise pending for the withdrawal delay.
    pub async fn set_co_signer(
        &self,
        co_signer: Address,
        allowance: Amount,
    ) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::set_co_signer(co_signer, allowance);
        self.send_call("setCoSigner", &call).await
    }

    /// Sets the caller's co-signer and allowance at once with the current co-signer's
    /// `signature` (action change, subject [`super::co_signer_change_subject`]).
    pub async fn set_co_signer_co_signed(
        &self,
        co_signer: Address,
        allowance: Amount,
        deadline: u64,
        signature: &Signature,
    ) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::set_co_signer_co_signed(
            self, co_signer, allowance, deadline, signature,
        )
        .await?;
        self.send_call("setCoSignerCoSigned", &call).await
    }

    /// Makes `owner`'s pending co-signer change effective once its time has come
    /// (`now` is the chain's time). Anyone may call.
    pub async fn apply_co_signer(
        &self,
        owner: Address,
        now: u64,
    ) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::apply_co_signer(self, owner, now).await?;
        self.send_call("applyCoSigner", &call).await
    }

    /// Cancels the caller's pending co-signer change.
    pub async fn cancel_co_signer_change(&self) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::cancel_co_signer_change(self).await?;
        self.send_call("cancelCoSignerChange", &call).await
    }

    /// Acceptor: whether the dispatcher may assign it deals, the largest deal, and
    /// the most its collections may lock in total (docs/rules.md, "Acceptor limits").
    pub async fn set_acceptor_limits(
        &self,
        online: bool,
        max_per_deal: Amount,
        max_locked: Amount,
    ) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::set_acceptor_limits(online, max_per_deal, max_locked);
        self.send_call("setAcceptorLimits", &call).await
    }

    /// Admin: credits the tokens held beyond the liabilities (sent to the escrow
    /// directly) to the treasury's balance.
    pub async fn sweep_surplus(&self) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::sweep_surplus(self).await?;
        self.send_call("sweepSurplus", &call).await
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
        let params = BuyOrderParams {
            price,
            currency: currency.to_owned(),
            amount,
            min_fill,
            max_fill,
            expiry,
            payment_window,
        };
        let call = escrow_actions::post_buy_order(self, &params).await?;
        let receipt = self.send_call("postBuyOrder", &call).await?;
        let id = event::<Escrow::BuyOrderPosted>(&receipt, self.address())?.orderId;
        Ok((id, receipt))
    }

    /// Cancels one of the caller's buy orders.
    pub async fn cancel_buy_order(&self, order_id: U256) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::cancel_buy_order(self, order_id).await?;
        self.send_call("cancelBuyOrder", &call).await
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
        let call = escrow_actions::fill_buy_order(self, order_id, amount, order_ref).await?;
        self.send_opening("fillBuyOrder", &call).await
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
        let call = escrow_actions::assign_collection(
            self,
            acceptor,
            merchant,
            amount,
            payment_window,
            order_ref,
        )
        .await?;
        self.send_opening("assignCollection", &call).await
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
        let call = escrow_actions::open_payout(self, amount, payment_window, order_ref).await?;
        self.send_opening("openPayout", &call).await
    }

    /// Dispatcher: assigns `acceptor` to an unassigned Payout.
    pub async fn assign_payout(
        &self,
        deal_id: U256,
        acceptor: Address,
    ) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::assign_payout(self, deal_id, acceptor).await?;
        self.send_call("assignPayout", &call).await
    }

    // ----- deal lifecycle -----

    /// Buyer (or the dispatcher, for a Collection): the fiat was sent.
    pub async fn mark_paid(&self, deal_id: U256) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::mark_paid(self, deal_id).await?;
        self.send_call("markPaid", &call).await
    }

    /// Seller: the fiat arrived; settle the deal with the fee split.
    pub async fn release(&self, deal_id: U256) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::release(self, deal_id).await?;
        self.send_call("release", &call).await
    }

    /// Seller: release with the co-signer's `signature` (action release, subject the
    /// deal id); not counted against the daily allowance.
    pub async fn release_co_signed(
        &self,
        deal_id: U256,
        deadline: u64,
        signature: &Signature,
    ) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::release_co_signed(self, deal_id, deadline, signature).await?;
        self.send_call("releaseCoSigned", &call).await
    }

    /// Buyer at any time before release, or seller after the payment deadline of an unpaid deal.
    pub async fn cancel(&self, deal_id: U256) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::cancel(self, deal_id).await?;
        self.send_call("cancel", &call).await
    }

    /// Buyer or seller of a paid deal: ask the arbiter to decide.
    pub async fn dispute(&self, deal_id: U256) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::dispute(self, deal_id).await?;
        self.send_call("dispute", &call).await
    }

    /// Arbiter: settle `buyer_share_bps` of a disputed deal to the buyer, the rest back to the seller.
    pub async fn resolve(
        &self,
        deal_id: U256,
        buyer_share_bps: u16,
    ) -> Result<TransactionReceipt, EvmError> {
        let call = escrow_actions::resolve(self, deal_id, buyer_share_bps).await?;
        self.send_call("resolve", &call).await
    }

    /// The latest block's timestamp.
    async fn chain_time(&self) -> Result<u64, EvmError> {
        let block = self
            .contract
            .provider()
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| EvmError::Rpc {
                call: "eth_getBlockByNumber",
                message: e.to_string(),
            })?;
        Ok(block.map(|b| b.header.timestamp).unwrap_or_default())
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

    /// The sum of every account's available and locked balance.
    pub async fn liabilities(&self) -> Result<U256, EvmError> {
        read("liabilities", self.contract.liabilities()).await
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

/// The EVM client's reads behind the shared pre-checks.
impl<P: Provider + Clone> EscrowReads for EscrowClient<P> {
    type Error = EvmError;

    fn caller(&self) -> Option<Address> {
        self.caller
    }

    fn show(&self, address: Address) -> String {
        address.to_string()
    }

    async fn read_account(&self, owner: Address) -> Result<AccountView, EvmError> {
        self.account(owner).await
    }

    async fn read_deal(&self, deal_id: U256) -> Result<DealView, EvmError> {
        self.deal(deal_id).await
    }

    async fn read_buy_order(&self, order_id: U256) -> Result<BuyOrderView, EvmError> {
        self.buy_order(order_id).await
    }

    async fn read_dispatcher(&self) -> Result<Address, EvmError> {
        read("dispatcher", self.contract.dispatcher()).await
    }

    async fn read_token_balance(&self, owner: Address) -> Result<U256, EvmError> {
        self.token_balance(owner).await
    }

    async fn read_holdings(&self) -> Result<(U256, U256), EvmError> {
        Ok((
            self.token_balance(self.address()).await?,
            self.liabilities().await?,
        ))
    }

    async fn read_chain_time(&self) -> Result<u64, EvmError> {
        self.chain_time().await
    }

    async fn read_domain(&self) -> Result<alloy::sol_types::Eip712Domain, EvmError> {
        self.domain().await
    }
}
