//! The `Escrow` contract on TRON: the same Solidity as on Ethereum, so the calldata
//! comes from the same `sol!` bindings. Every action returns the
//! `TriggerSmartContract` to build, sign and broadcast locally; reads go through
//! `triggerconstantcontract`. The actions (pre-checks, then the call) are the EVM
//! client's own (`escrow_actions.rs`, over this client's reads), so a bad action
//! is refused with the same error on both chains and is never signed.

use alloy::{
    primitives::{B256, U256},
    signers::{Signature, Signer},
    sol_types::Eip712Domain,
};

pub use crate::escrow_actions::BuyOrderParams;
use crate::{
    Amount, Error,
    escrow_actions::{self, EscrowReads},
    evm::{
        AccountView, BuyOrderView, CoSignAction, DealAction, DealView, Escrow, IERC20,
        escrow_domain,
    },
    tron::{Address, Receipt, TriggerSmartContract, TronClient, trc20::evm_address},
};

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

    /// A read of the escrow as the caller.
    async fn read<C: alloy::sol_types::SolCall>(&self, call: &C) -> Result<C::Return, Error> {
        Ok(self.client.read(self.caller, self.escrow, call).await?)
    }

    fn render(a: alloy::primitives::Address) -> String {
        Address::from_evm_bytes(a.into_array()).to_base58()
    }

    // ----- reads -----

    /// The USDT token the escrow holds.
    pub async fn token(&self) -> Result<Address, Error> {
        let t = self.read(&Escrow::tokenCall {}).await?;
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
            .read(&Escrow::accountCall {
                owner: evm_address(&owner),
            })
            .await?;
        Ok(AccountView::from(&a))
    }

    /// Where `owner`'s withdrawals go now (a pending change counts once its time has come).
    pub async fn withdrawal_address(&self, owner: Address) -> Result<Address, Error> {
        let a = self
            .read(&Escrow::withdrawalAddressOfCall {
                owner: evm_address(&owner),
            })
            .await?;
        Ok(Address::from_evm_bytes(a.into_array()))
    }

    /// Live deal `deal_id`; [`crate::EscrowError::DealNotFound`] when it never existed or is final.
    pub async fn deal(&self, deal_id: U256) -> Result<DealView, Error> {
        let d = self.read(&Escrow::dealCall { dealId: deal_id }).await?;
        Ok(DealView::from_contract(deal_id, &d)?)
    }

    /// Open buy order `order_id`; [`crate::EscrowError::OrderNotFound`] otherwise.
    pub async fn buy_order(&self, order_id: U256) -> Result<BuyOrderView, Error> {
        let o = self
            .read(&Escrow::buyOrderCall { orderId: order_id })
            .await?;
        Ok(BuyOrderView::from_contract(order_id, &o)?)
    }

    /// The sum of every account's available and locked balance.
    pub async fn liabilities(&self) -> Result<U256, Error> {
        self.read(&Escrow::liabilitiesCall {}).await
    }

    /// The head block's time, unix seconds: the chain's "now" for deadlines.
    pub async fn chain_time(&self) -> Result<u64, Error> {
        let ms = self.client.now_block().await?.timestamp;
        Ok(u64::try_from(ms / 1000).unwrap_or(0))
    }

    // ----- funds -----

    /// The calls that deposit `amount`: an `approve` of the token when the
    /// allowance does not cover it (reset to zero first, as USDT requires), then
    /// `deposit`. Refuses an amount above the wallet's token balance.
    pub async fn deposit(&self, amount: Amount) -> Result<Vec<TriggerSmartContract>, Error> {
        let deposit = escrow_actions::deposit(self, evm_address(&self.caller), amount).await?;
        let (_, allowance) = self.token_balance_and_allowance(self.caller).await?;
        let mut calls = Vec::new();
        if allowance < deposit.amount {
            let token = self.token().await?;
            let spender = evm_address(&self.escrow);
            let approve = |amount| {
                TriggerSmartContract::call(
                    self.caller,
                    token,
                    &IERC20::approveCall { spender, amount },
                )
            };
            if !allowance.is_zero() {
                calls.push(approve(U256::ZERO));
            }
            calls.push(approve(deposit.amount));
        }
        calls.push(self.call(&deposit));
        Ok(calls)
    }

    /// `withdraw(amount)` of the caller's available balance, within today's allowance.
    pub async fn withdraw(&self, amount: Amount) -> Result<TriggerSmartContract, Error> {
        Ok(self.call(&escrow_actions::withdraw(self, amount).await?))
    }

    /// `withdrawCoSigned(amount, deadline, signature)`: the co-signer approved it
    /// (action withdraw), so the daily allowance does not apply.
    pub async fn withdraw_co_signed(
        &self,
        amount: Amount,
        deadline: u64,
        signature: &Signature,
    ) -> Result<TriggerSmartContract, Error> {
        let call = escrow_actions::withdraw_co_signed(self, amount, deadline, signature).await?;
        Ok(self.call(&call))
    }

    /// `requestWithdrawalAddress(new_address)`: effective after the escrow's delay.
    pub fn request_withdrawal_address(&self, new_address: Address) -> TriggerSmartContract {
        self.call(&escrow_actions::request_withdrawal_address(evm_address(
            &new_address,
        )))
    }

    /// `cancelWithdrawalAddressChange()`.
    pub fn cancel_withdrawal_address_change(&self) -> TriggerSmartContract {
        self.call(&Escrow::cancelWithdrawalAddressChangeCall {})
    }

    // ----- co-signer (docs/rules.md, "Co-signer and daily allowance") -----

    /// The escrow's EIP-712 domain, read with EIP-5267 `eip712Domain()` (its chain
    /// id is TRON's).
    pub async fn domain(&self) -> Result<Eip712Domain, Error> {
        Ok(escrow_domain(
            self.read(&Escrow::eip712DomainCall {}).await?,
        ))
    }

    /// The digest `owner`'s co-signer signs to approve `action` on `subject`, at
    /// the account's current co-sign nonce, valid until `deadline`: the same
    /// [`crate::evm::co_sign_hash`] the EVM client uses, under this escrow's domain.
    pub async fn co_sign_digest(
        &self,
        owner: Address,
        action: CoSignAction,
        subject: U256,
        deadline: u64,
    ) -> Result<B256, Error> {
        let owner = evm_address(&owner);
        escrow_actions::co_sign_digest(self, owner, action, subject, deadline).await
    }

    /// The co-signer's approval: signs [`Self::co_sign_digest`] with `co_signer`
    /// (a TRON key is a secp256k1 key: any alloy signer over it), after checking it
    /// is `owner`'s co-signer.
    pub async fn co_sign<S: Signer + Sync>(
        &self,
        co_signer: &S,
        owner: Address,
        action: CoSignAction,
        subject: U256,
        deadline: u64,
    ) -> Result<Signature, Error> {
        let owner = evm_address(&owner);
        escrow_actions::co_sign(self, co_signer, owner, action, subject, deadline).await
    }

    /// `setCoSigner(co_signer, allowance)`: immediate when none is set or when only
    /// lowering the allowance, otherwise pending for the withdrawal delay.
    pub fn set_co_signer(&self, co_signer: Address, allowance: Amount) -> TriggerSmartContract {
        self.call(&escrow_actions::set_co_signer(
            evm_address(&co_signer),
            allowance,
        ))
    }

    /// `setCoSignerCoSigned(...)`: at once, with the current co-signer's approval
    /// (action change, subject [`crate::evm::co_signer_change_subject`]).
    pub async fn set_co_signer_co_signed(
        &self,
        co_signer: Address,
        allowance: Amount,
        deadline: u64,
        signature: &Signature,
    ) -> Result<TriggerSmartContract, Error> {
        let co_signer = evm_address(&co_signer);
        let call = escrow_actions::set_co_signer_co_signed(
            self, co_signer, allowance, deadline, signature,
        )
        .await?;
        Ok(self.call(&call))
    }

    /// `applyCoSigner(owner)`: makes `owner`'s pending change effective once its
    /// time (on the head block's clock) has come. Anyone may call.
    pub async fn apply_co_signer(&self, owner: Address) -> Result<TriggerSmartContract, Error> {
        let now = self.chain_time().await?;
        let call = escrow_actions::apply_co_signer(self, evm_address(&owner), now).await?;
        Ok(self.call(&call))
    }

    /// `cancelCoSignerChange()` of the caller's pending change.
    pub async fn cancel_co_signer_change(&self) -> Result<TriggerSmartContract, Error> {
        Ok(self.call(&escrow_actions::cancel_co_signer_change(self).await?))
    }

    /// Acceptor: `setAcceptorLimits(online, max_per_deal, max_locked)`
    /// (docs/rules.md, "Acceptor limits").
    pub fn set_acceptor_limits(
        &self,
        online: bool,
        max_per_deal: Amount,
        max_locked: Amount,
    ) -> TriggerSmartContract {
        self.call(&escrow_actions::set_acceptor_limits(
            online,
            max_per_deal,
            max_locked,
        ))
    }

    /// Admin: `sweepSurplus()`, when the escrow holds more than its liabilities.
    pub async fn sweep_surplus(&self) -> Result<TriggerSmartContract, Error> {
        Ok(self.call(&escrow_actions::sweep_surplus(self).await?))
    }

    // ----- buy orders and trades -----

    /// `postBuyOrder(...)` by a merchant.
    pub async fn post_buy_order(&self, p: &BuyOrderParams) -> Result<TriggerSmartContract, Error> {
        Ok(self.call(&escrow_actions::post_buy_order(self, p).await?))
    }

    /// `fillBuyOrder(order_id, amount, order_ref)` from the caller's available balance.
    pub async fn fill_buy_order(
        &self,
        order_id: U256,
        amount: Amount,
        order_ref: B256,
    ) -> Result<TriggerSmartContract, Error> {
        let call = escrow_actions::fill_buy_order(self, order_id, amount, order_ref).await?;
        Ok(self.call(&call))
    }

    /// `cancelBuyOrder(order_id)`; the caller must be the order's merchant.
    pub async fn cancel_buy_order(&self, order_id: U256) -> Result<TriggerSmartContract, Error> {
        Ok(self.call(&escrow_actions::cancel_buy_order(self, order_id).await?))
    }

    // ----- collections and payouts -----

    /// Merchant: `openPayout(amount, window, order_ref)` from its available balance.
    pub async fn open_payout(
        &self,
        amount: Amount,
        payment_window: u32,
        order_ref: B256,
    ) -> Result<TriggerSmartContract, Error> {
        let call = escrow_actions::open_payout(self, amount, payment_window, order_ref).await?;
        Ok(self.call(&call))
    }

    /// Dispatcher: `assignPayout(deal_id, acceptor)` to an unassigned payout.
    pub async fn assign_payout(
        &self,
        deal_id: U256,
        acceptor: Address,
    ) -> Result<TriggerSmartContract, Error> {
        let call = escrow_actions::assign_payout(self, deal_id, evm_address(&acceptor)).await?;
        Ok(self.call(&call))
    }

    /// Dispatcher: `assignCollection(...)` locking `amount` of `acceptor`'s
    /// collateral for `merchant`.
    pub async fn assign_collection(
        &self,
        acceptor: Address,
        merchant: Address,
        amount: Amount,
        payment_window: u32,
        order_ref: B256,
    ) -> Result<TriggerSmartContract, Error> {
        let (acceptor, merchant) = (evm_address(&acceptor), evm_address(&merchant));
        let call = escrow_actions::assign_collection(
            self,
            acceptor,
            merchant,
            amount,
            payment_window,
            order_ref,
        )
        .await?;
        Ok(self.call(&call))
    }

    /// The id of the deal `receipt`'s transaction opened (`assignCollection`,
    /// `openPayout`, `fillBuyOrder`): its `DealOpened` log from this escrow, decoded
    /// with the `sol!` event the EVM client reads. A failed transaction is refused
    /// with its message ([`crate::tron::TronClientError::Failed`]).
    pub fn opened_deal(&self, receipt: &Receipt) -> Result<U256, Error> {
        Ok(receipt.event::<Escrow::DealOpened>(self.escrow)?.dealId)
    }

    /// The payout `receipt`'s `assignPayout` assigned: its `DealAssigned` log from
    /// this escrow (deal id and acceptor). A failed transaction is refused with its
    /// message.
    pub fn assigned_payout(&self, receipt: &Receipt) -> Result<(U256, Address), Error> {
        let e = receipt.event::<Escrow::DealAssigned>(self.escrow)?;
        Ok((e.dealId, Address::from_evm_bytes(e.buyer.into_array())))
    }

    // ----- deal lifecycle -----

    /// A deal action (mark paid, release, cancel, dispute) after checking the deal
    /// exists, the caller may take it and, for a release, that it fits today's allowance.
    pub async fn deal_action(
        &self,
        action: DealAction,
        deal_id: U256,
    ) -> Result<TriggerSmartContract, Error> {
        Ok(match action {
            DealAction::MarkPaid => self.call(&escrow_actions::mark_paid(self, deal_id).await?),
            DealAction::Release => self.call(&escrow_actions::release(self, deal_id).await?),
            DealAction::Cancel => self.call(&escrow_actions::cancel(self, deal_id).await?),
            DealAction::Dispute => self.call(&escrow_actions::dispute(self, deal_id).await?),
        })
    }

    /// Seller: `releaseCoSigned(deal_id, deadline, signature)`: the co-signer approved
    /// it (action release, subject the deal id), so the daily allowance does not apply.
    pub async fn release_co_signed(
        &self,
        deal_id: U256,
        deadline: u64,
        signature: &Signature,
    ) -> Result<TriggerSmartContract, Error> {
        let call = escrow_actions::release_co_signed(self, deal_id, deadline, signature).await?;
        Ok(self.call(&call))
    }

    /// Arbiter: `resolve(deal_id, buyer_share_bps)` of a disputed deal.
    pub async fn resolve(
        &self,
        deal_id: U256,
        buyer_share_bps: u16,
    ) -> Result<TriggerSmartContract, Error> {
        Ok(self.call(&escrow_actions::resolve(self, deal_id, buyer_share_bps).await?))
    }
}

/// The TRON client's reads behind the shared pre-checks.
impl EscrowReads for TronEscrow {
    type Error = Error;

    fn caller(&self) -> Option<alloy::primitives::Address> {
        Some(evm_address(&self.caller))
    }

    fn show(&self, address: alloy::primitives::Address) -> String {
        Self::render(address)
    }

    async fn read_account(&self, owner: alloy::primitives::Address) -> Result<AccountView, Error> {
        self.account(Address::from_evm_bytes(owner.into_array()))
            .await
    }

    async fn read_deal(&self, deal_id: U256) -> Result<DealView, Error> {
        self.deal(deal_id).await
    }

    async fn read_buy_order(&self, order_id: U256) -> Result<BuyOrderView, Error> {
        self.buy_order(order_id).await
    }

    async fn read_dispatcher(&self) -> Result<alloy::primitives::Address, Error> {
        self.read(&Escrow::dispatcherCall {}).await
    }

    async fn read_token_balance(&self, owner: alloy::primitives::Address) -> Result<U256, Error> {
        let owner = Address::from_evm_bytes(owner.into_array());
        Ok(self.token_balance_and_allowance(owner).await?.0)
    }

    async fn read_holdings(&self) -> Result<(U256, U256), Error> {
        let (balance, _) = self.token_balance_and_allowance(self.escrow).await?;
        Ok((balance, self.liabilities().await?))
    }

    async fn read_chain_time(&self) -> Result<u64, Error> {
        self.chain_time().await
    }

    async fn read_domain(&self) -> Result<Eip712Domain, Error> {
        self.domain().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tron::TronClientError;
    use alloy::sol_types::SolEvent;

    /// A word of ABI data: `hex` right-aligned in 32 bytes.
    fn word(hex: &str) -> String {
        format!("{hex:0>64}")
    }

    /// The info java-tron gives for an `assignCollection` that opened deal 42: its
    /// `DealOpened` log as `gettransactioninfobyid` carries it.
    fn deal_opened_info(emitter: &Address) -> serde_json::Value {
        let (seller, buyer, merchant) = (
            "7e5f4552091a69125d5dfcb7b8c2659029395bdf",
            "94a15629b2b2bbd3a5453e6d6696b2875278633b",
            "94a15629b2b2bbd3a5453e6d6696b2875278633b",
        );
        let data = [
            word("1"),                                // kind: Collection
            word(merchant),                           // merchant
            word(&format!("{:x}", 300_000_000u64)),   // amount: 300 USDT
            word(&format!("{:x}", 900u32)),           // paymentWindow
            word(&format!("{:x}", 1_700_000_900u64)), // deadline
            "ab".repeat(32),                          // orderRef
            word(&format!("{:x}", 100u16)),           // rates.feeBps
            word(""),                                 // rates.agent
            word(""),                                 // rates.agentShareBps
            word(""),                                 // rates.rewardBps
        ]
        .concat();
        serde_json::json!({
            "id": "5f1e",
            "fee": 345000,
            "blockNumber": 9,
            "blockTimeStamp": 1_700_000_000_000i64,
            "contractResult": [""],
            "receipt": { "energy_usage_total": 120000, "result": "SUCCESS" },
            "log": [{
                "address": hex::encode(emitter.evm_bytes()),
                "topics": [
                    hex::encode(Escrow::DealOpened::SIGNATURE_HASH),
                    word("2a"),
                    word(seller),
                    word(buyer),
                ],
                "data": data,
            }],
        })
    }

    #[test]
    fn deal_id_from_the_deal_opened_log() {
        let escrow_address = Address::from_base58("TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1").unwrap();
        let client = TronClient::new("http://127.0.0.1:9").unwrap();
        let escrow = TronEscrow::new(client.clone(), escrow_address, escrow_address);
        let receipt = crate::tron::client::parse_receipt(&deal_opened_info(&escrow_address))
            .unwrap()
            .unwrap();
        assert_eq!(escrow.opened_deal(&receipt).unwrap(), U256::from(42u64));
        let e = receipt.event::<Escrow::DealOpened>(escrow_address).unwrap();
        assert_eq!(e.amount, U256::from(300_000_000u64));
        assert_eq!(e.orderRef, B256::repeat_byte(0xab));
        // The same log from another contract is not this escrow's deal.
        let other = Address::from_base58("TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC").unwrap();
        let elsewhere = crate::tron::client::parse_receipt(&deal_opened_info(&other))
            .unwrap()
            .unwrap();
        assert!(matches!(
            escrow.opened_deal(&elsewhere),
            Err(Error::TronClient(TronClientError::MissingEvent { .. }))
        ));
        // Not a `DealAssigned` either.
        assert!(matches!(
            escrow.assigned_payout(&receipt),
            Err(Error::TronClient(TronClientError::MissingEvent { .. }))
        ));
        // A reverted transaction is refused with its message, whatever its logs.
        let mut failed = deal_opened_info(&escrow_address);
        failed["result"] = "FAILED".into();
        failed["resMessage"] = hex::encode("REVERT opcode executed").into();
        failed["receipt"]["result"] = "REVERT".into();
        let failed = crate::tron::client::parse_receipt(&failed)
            .unwrap()
            .unwrap();
        let err = escrow.opened_deal(&failed).unwrap_err();
        assert_eq!(
            err.to_string(),
            "transaction 5f1e failed (REVERT): REVERT opcode executed"
        );
    }
}
