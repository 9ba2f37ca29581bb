//! Every escrow action and the multisig's signature rules, built and signed by
//! the SDK against the real contracts on anvil. Balances are checked against the
//! SDK's reference fee math and for conservation after every step.

use crate::common::*;
use alloy::{
    primitives::{Address, B256, Bytes, U256},
    sol_types::SolCall,
};
use stablerail_sdk::evm::EvmError;
use stablerail_sdk::{
    Amount, DealKind, Roles,
    evm::{Escrow, IERC20, MultiSigClient, OwnerSignatures},
};

const ACCEPTOR: usize = TRADER;

#[tokio::test]
async fn collections_payouts_cancels_and_disputes_settle_exactly() -> anyhow::Result<()> {
    let p = Platform::start().await?;
    let (merchant, acceptor, agent) = (p.address(MERCHANT), p.address(ACCEPTOR), p.address(AGENT));
    let treasury = p.deployment.multisig;
    let everyone = [merchant, acceptor, agent, treasury];
    let schedule = p.schedule()?;

    p.set_roles(merchant, Roles::MERCHANT).await?;
    p.set_roles(acceptor, Roles::ACCEPTOR).await?;
    p.go_online(ACCEPTOR).await?;
    p.set_roles(agent, Roles::AGENT).await?;
    p.set_agent(merchant, agent).await?;
    p.kyc(&[merchant, acceptor]).await?;
    p.mint(acceptor, usdt("1000")).await?;

    let as_acceptor = p.escrow(ACCEPTOR)?;
    let as_merchant = p.escrow(MERCHANT)?;
    let as_dispatcher = p.escrow(DISPATCHER)?;
    as_acceptor.deposit(acceptor, usdt("1000")).await?;

    // Only the dispatcher assigns collections.
    let wrong = as_merchant
        .assign_collection(acceptor, merchant, usdt("1"), 900, B256::ZERO)
        .await;
    assert!(
        matches!(&wrong, Err(EvmError::ContractError { call: "assignCollection", error })
            if error.starts_with("NotDispatcher")),
        "{wrong:?}"
    );

    // Collection of 300: the dispatcher marks paid, the acceptor releases.
    let c1 = as_dispatcher
        .assign_collection(acceptor, merchant, usdt("300"), 900, B256::repeat_byte(1))
        .await?;
    p.check_conservation(&everyone).await?;
    as_dispatcher.mark_paid(c1).await?;
    as_acceptor.release(c1).await?;
    let s1 = schedule.settle(
        DealKind::Collection,
        usdt("300"),
        Amount::ZERO,
        Some(Amount::ZERO),
    );
    assert_eq!(s1.reward, Amount::ZERO);
    assert_eq!(as_merchant.balances(merchant).await?.0, s1.buyer_net);
    p.check_conservation(&everyone).await?;

    // Payout of 100 by the merchant, assigned to the acceptor, disputed, resolved 50/50
    // by the arbiter (the multisig) through a 2-of-3 proposal.
    let po = as_merchant
        .open_payout(usdt("100"), 900, B256::repeat_byte(2))
        .await?;
    as_dispatcher.assign_payout(po, acceptor).await?;
    as_acceptor.mark_paid(po).await?;
    as_merchant.dispute(po).await?;
    let resolve = Escrow::resolveCall {
        dealId: po,
        buyerShareBps: 5_000,
    }
    .abi_encode();
    p.admin()
        .await?
        .execute(p.deployment.escrow, Bytes::from(resolve))
        .await?;
    let s2 = schedule.settle(DealKind::Payout, usdt("50"), usdt("300"), Some(usdt("300")));
    let acceptor_after = usdt("700").checked_add(s2.buyer_net).unwrap();
    assert_eq!(
        as_acceptor.balances(acceptor).await?,
        (acceptor_after, Amount::ZERO)
    );
    let merchant_after = s1.buyer_net.checked_sub(usdt("50")).unwrap();
    assert_eq!(
        as_merchant.balances(merchant).await?,
        (merchant_after, Amount::ZERO)
    );
    let agent_total = s1.agent_cut.checked_add(s2.agent_cut).unwrap();
    assert_eq!(as_merchant.balances(agent).await?.0, agent_total);
    let platform_total = s1.platform.checked_add(s2.platform).unwrap();
    assert_eq!(as_merchant.balances(treasury).await?.0, platform_total);
    p.check_conservation(&everyone).await?;

    // An unpaid collection: the acceptor may cancel only after the deadline.
    let c2 = as_dispatcher
        .assign_collection(acceptor, merchant, usdt("50"), 900, B256::repeat_byte(3))
        .await?;
    // The SDK leaves the clock to the contract's simulation: its own error, by name.
    let err = as_acceptor.cancel(c2).await.unwrap_err();
    assert!(
        matches!(&err, EvmError::ContractError { call: "cancel", error }
            if error.starts_with("DeadlineNotPassed")),
        "seller cancelled inside the payment window, or failed otherwise: {err}"
    );
    p.warp(901).await?;
    as_acceptor.cancel(c2).await?;
    assert_eq!(
        as_acceptor.balances(acceptor).await?,
        (acceptor_after, Amount::ZERO)
    );

    // The buyer may cancel at once.
    let c3 = as_dispatcher
        .assign_collection(acceptor, merchant, usdt("20"), 900, B256::repeat_byte(4))
        .await?;
    as_merchant.cancel(c3).await?;
    assert_eq!(
        as_acceptor.balances(acceptor).await?,
        (acceptor_after, Amount::ZERO)
    );
    p.check_conservation(&everyone).await?;

    // A new withdrawal address takes effect only after the delay.
    let cold = p.address(DEPLOYER);
    let cold_before = p.token_balance(cold).await?;
    as_merchant.request_withdrawal_address(cold).await?;
    as_merchant.withdraw(usdt("1")).await?;
    assert_eq!(
        p.token_balance(merchant).await?,
        U256::from(usdt("1").units())
    );
    p.warp(u64::from(p.config.withdrawal_delay)).await?;
    as_merchant.withdraw(usdt("2")).await?;
    assert_eq!(
        p.token_balance(cold).await? - cold_before,
        U256::from(usdt("2").units())
    );
    p.check_conservation(&everyone).await?;
    Ok(())
}

#[tokio::test]
async fn multisig_two_of_three_moves_treasury_funds_and_rejects_bad_signatures()
-> anyhow::Result<()> {
    let p = Platform::start().await?;
    let multisig = p.deployment.multisig;
    p.mint(multisig, usdt("500")).await?;
    let client = MultiSigClient::connect(multisig, p.provider(DEPLOYER)?).await?;
    let cold: Address = p.address(DEPLOYER);

    let data = IERC20::transferCall {
        to: cold,
        amount: U256::from(usdt("120").units()),
    }
    .abi_encode();
    let deadline = p.now().await? + 3_600;
    let proposal = client
        .propose(p.deployment.token, U256::ZERO, data.into(), deadline)
        .await?;
    let digest = client.digest(&proposal);

    // The SDK's EIP-712 digest is the contract's own.
    let on_chain = client
        .contract()
        .proposalHash(
            proposal.to,
            proposal.value,
            proposal.data.clone(),
            proposal.nonce,
            proposal.deadline,
            proposal.configVersion,
            proposal.minGas,
        )
        .call()
        .await?;
    assert_eq!(digest, on_chain);

    // A non-owner's signature is caught before sending, and so is a signature
    // claimed for the wrong owner; the same owner cannot sign twice.
    let outsider = p.signer(MERCHANT);
    let mut sigs = OwnerSignatures::new(digest);
    let bad = MultiSigClient::<alloy::providers::DynProvider>::sign(digest, &outsider).await?;
    assert!(matches!(
        sigs.add(p.address(OWNERS[0]), bad),
        Err(EvmError::SignatureMismatch { .. })
    ));
    for &owner in &OWNERS[..1] {
        let s =
            MultiSigClient::<alloy::providers::DynProvider>::sign(digest, &p.signer(owner)).await?;
        sigs.add(p.address(owner), s)?;
        assert!(matches!(
            sigs.add(p.address(owner), s),
            Err(EvmError::DuplicateSigner { .. })
        ));
    }
    // One signature is below the threshold: the contract rejects it.
    let short = client.execute(&proposal, &sigs).await;
    assert!(
        matches!(&short, Err(EvmError::ContractError { call: "execute", error })
            if error.starts_with("NotEnoughSignatures")),
        "{short:?}"
    );

    // The outsider's signature submitted anyway is rejected by the contract.
    let mut with_outsider = sigs.clone();
    with_outsider.add(outsider.address(), bad)?;
    let rejected = client.execute(&proposal, &with_outsider).await;
    assert!(
        matches!(&rejected, Err(EvmError::ContractError { call: "execute", error })
            if error.starts_with("NotOwner")),
        "{rejected:?}"
    );

    // Two owners: executed; the USDT moved exactly.
    let s =
        MultiSigClient::<alloy::providers::DynProvider>::sign(digest, &p.signer(OWNERS[2])).await?;
    sigs.add(p.address(OWNERS[2]), s)?;
    let cold_before = p.token_balance(cold).await?;
    client.execute(&proposal, &sigs).await?;
    assert_eq!(
        p.token_balance(cold).await? - cold_before,
        U256::from(usdt("120").units())
    );
    assert_eq!(
        p.token_balance(multisig).await?,
        U256::from(usdt("380").units())
    );

    // Replaying the same signed proposal fails: its nonce is used.
    let replay = client.execute(&proposal, &sigs).await;
    assert!(
        matches!(&replay, Err(EvmError::ContractError { call: "execute", error })
            if error.starts_with("WrongNonce")),
        "{replay:?}"
    );
    assert_eq!(
        p.token_balance(multisig).await?,
        U256::from(usdt("380").units())
    );
    Ok(())
}
