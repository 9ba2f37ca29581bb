//! Protocol v2 (issue #12): each finding of the security review as a test
//! that exploits it. Conservation is checked as equality after every
//! balance change.

use anchor_lang::Space;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use stablerail_escrow::state::seeds::{SEED_CONFIG, SEED_VAULT};
use stablerail_escrow::state::{
    FeeScheduleArgs, FeeTier, ROLE_ACCEPTOR, ROLE_AGENT, ROLE_MERCHANT,
};
use stablerail_escrow::{accounts as acc, instruction as ixs};

use stablerail_escrow::errors::EscrowError as E;
use stablerail_escrow::state::{BuyOrder, Deal, MAX_FEE_BPS};

use crate::harness::{
    assert_err, default_fees, default_limits, Env, User, PROGRAM_ID, WINDOW, WITHDRAWAL_DELAY,
};

const USDT: u64 = 1_000_000;

/// Fees with a single merchant tier of `bps`.
fn flat_fees(bps: u16) -> FeeScheduleArgs {
    FeeScheduleArgs {
        merchant_tiers: vec![FeeTier { threshold: 0, bps }],
        ..default_fees()
    }
}

/// An env with a merchant and a trader holding 1000 USDT each.
async fn setup() -> (Env, User, User) {
    let mut env = Env::new(default_fees()).await;
    let merchant = env.user(ROLE_MERCHANT).await;
    let trader = env.user(0).await;
    for user in [&merchant, &trader] {
        env.fund_and_deposit(user, 1_000 * USDT).await;
    }
    env.assert_conservation().await;
    (env, merchant, trader)
}

/// Finding 2: a fee change after the buyer marked the deal paid must not
/// apply to it.
#[tokio::test]
async fn fee_rates_are_fixed_at_open() {
    let (mut env, merchant, trader) = setup().await;
    let id = env
        .open_trade(&merchant, &trader, 100 * USDT)
        .await
        .expect("open");
    env.mark_paid(&merchant.kp, id).await.expect("paid");
    let admin = env.admin.insecure_clone();
    let ix = env.ix_set_fees(&admin.pubkey(), flat_fees(1_000));
    env.send(vec![ix], &[&admin]).await.expect("fee change");
    let deal = env.deal(id).await;
    assert_eq!(
        (
            deal.fee_bps,
            deal.agent,
            deal.agent_share_bps,
            deal.reward_bps
        ),
        (100, None, 0, 1_000)
    );
    env.release(&trader.kp, id).await.expect("release");
    // Rates of the open: 1 % fee, not the 10 % set afterwards.
    assert_eq!(
        env.escrow(&merchant.key()).await.available,
        1_000 * USDT + 99 * USDT
    );
    env.assert_conservation().await;
}

/// Finding 3: filling a whole order and letting the deal be cancelled must
/// give the amount back to the order.
#[tokio::test]
async fn cancelled_trade_refills_its_buy_order() {
    let (mut env, merchant, trader) = setup().await;
    let order = env.post_order(&merchant, 10 * USDT).await.expect("post");
    let id = env
        .fill(&trader, order, &merchant.key(), 10 * USDT)
        .await
        .expect("fill");
    env.warp_secs(i64::from(WINDOW) + 1).await;
    env.cancel(&trader.kp, id)
        .await
        .expect("cancel after deadline");
    let stored = env.raw(&env.order_pda(order)).await;
    assert!(
        stored.is_some(),
        "the order must survive its cancelled fill"
    );
    assert_eq!(env.order(order).await.remaining, 10 * USDT);
    env.assert_conservation().await;
}

/// Finding 7: moving the treasury onto a deal's party must not freeze the
/// settlement (the same account would be passed twice as writable).
#[tokio::test]
async fn treasury_equal_to_a_party_still_settles() {
    let (mut env, merchant, trader) = setup().await;
    let id = env
        .open_trade(&merchant, &trader, 100 * USDT)
        .await
        .expect("open");
    let admin = env.admin.insecure_clone();
    let mut authorities = env.authorities();
    authorities.treasury = merchant.key();
    let ix = env.ix_set_authorities(&admin.pubkey(), authorities);
    env.send(vec![ix], &[&admin]).await.expect("treasury moved");
    let deal = env.deal(id).await;
    // The treasury is the buyer: no treasury account, credited in place.
    let ix = env.ix_release_accounts(&trader.key(), id, &deal, None, None, None);
    env.send(vec![ix], &[&trader.kp])
        .await
        .expect("release with the treasury as buyer");
    // fee 1 USDT: reward 0.1 to the trader; 0.9 platform to the merchant (treasury).
    assert_eq!(
        env.escrow(&merchant.key()).await.available,
        1_000 * USDT + 99 * USDT + 900_000
    );
    env.assert_conservation().await;
}

/// Finding 8: lamports sent to the config and vault PDAs before
/// `config_initialize` must not block it.
#[tokio::test]
async fn prefunded_config_and_vault_do_not_block_initialize() {
    let mut env = Env::new(default_fees()).await;
    let creator = Keypair::new();
    env.fund(&creator.pubkey());
    let config =
        Pubkey::find_program_address(&[SEED_CONFIG, creator.pubkey().as_ref()], &PROGRAM_ID).0;
    let vault = Pubkey::find_program_address(&[SEED_VAULT, config.as_ref()], &PROGRAM_ID).0;
    for key in [config, vault] {
        let account = solana_sdk::account::AccountSharedData::new(
            1_000_000,
            0,
            &anchor_lang::system_program::ID,
        );
        env.ctx.set_account(&key, &account);
    }
    let ix = env.ix_config_initialize(
        &creator.pubkey(),
        default_fees(),
        default_limits(),
        env.mint,
        env.token_program,
    );
    env.send(vec![ix], &[&creator])
        .await
        .expect("initialize over prefunded PDAs");
    assert!(env.raw(&vault).await.is_some());
}

/// Finding 9: tokens sent straight to the vault must not break the
/// conservation equality for good.
#[tokio::test]
async fn direct_transfer_is_surplus_until_swept() {
    let (mut env, merchant, _trader) = setup().await;
    let vault = env.vault;
    env.mint_to(&vault, 5 * USDT).await;
    let liabilities = env.config_state().await.liabilities;
    assert_eq!(liabilities, 2_000 * USDT);
    assert_eq!(env.token_balance(&vault).await, liabilities + 5 * USDT);
    env.sweep_surplus().await.expect("sweep");
    assert_eq!(env.escrow(&env.treasury.key()).await.available, 5 * USDT);
    env.assert_conservation().await;
    // Nothing left to sweep; only the admin sweeps.
    assert_err(env.sweep_surplus().await, E::NoSurplus);
    env.mint_to(&vault, 1).await;
    let ix = env.ix_sweep_surplus(&merchant.key(), &env.treasury.key());
    assert_err(env.send(vec![ix], &[&merchant.kp]).await, E::NotAdmin);
    env.sweep_surplus().await.expect("sweep one unit");
    env.assert_conservation().await;
}

/// Finding 10: the dispatcher must not lock the collateral of an acceptor
/// that never went online.
#[tokio::test]
async fn dispatcher_cannot_lock_an_offline_acceptor() {
    let (mut env, merchant, _trader) = setup().await;
    let acceptor = env.user_without_limits(ROLE_ACCEPTOR).await;
    env.fund_and_deposit(&acceptor, 100 * USDT).await;
    let result = env
        .open_collection(&acceptor.key(), &merchant.key(), 10 * USDT)
        .await;
    assert_err(result.map(|_| ()), E::AcceptorOffline);
    assert_eq!(env.escrow(&acceptor.key()).await.locked, 0);
    // Online with its own limits: at most 10 per deal, 15 locked in total.
    env.acceptor_limits(&acceptor, true, 10 * USDT, 15 * USDT)
        .await
        .expect("limits");
    let result = env
        .open_collection(&acceptor.key(), &merchant.key(), 10 * USDT + 1)
        .await;
    assert_err(result.map(|_| ()), E::AcceptorLimitExceeded);
    env.open_collection(&acceptor.key(), &merchant.key(), 10 * USDT)
        .await
        .expect("within the limits");
    let result = env
        .open_collection(&acceptor.key(), &merchant.key(), 5 * USDT + 1)
        .await;
    assert_err(result.map(|_| ()), E::AcceptorLimitExceeded);
    env.open_collection(&acceptor.key(), &merchant.key(), 5 * USDT)
        .await
        .expect("up to max_locked");
    // A payout assignment needs the acceptor online and within max_per_deal.
    let id = env.config_state().await.next_deal_id;
    let ix = env.ix_payout_open(&merchant.key(), id, 11 * USDT);
    env.send(vec![ix], &[&merchant.kp]).await.expect("payout");
    let dispatcher = env.dispatcher.insecure_clone();
    let ix = env.ix_payout_assign(&dispatcher.pubkey(), id, &acceptor.key(), WINDOW);
    assert_err(
        env.send(vec![ix], &[&dispatcher]).await,
        E::AcceptorLimitExceeded,
    );
    env.acceptor_limits(&acceptor, false, u64::MAX, u64::MAX)
        .await
        .expect("offline");
    let ix = env.ix_payout_assign(&dispatcher.pubkey(), id, &acceptor.key(), WINDOW);
    assert_err(env.send(vec![ix], &[&dispatcher]).await, E::AcceptorOffline);
    env.assert_conservation().await;
}

/// Finding 11b: an agent that lost the agent role before the deal opened
/// gets nothing from it.
#[tokio::test]
async fn agent_without_the_role_at_open_is_not_paid() {
    let (mut env, merchant, trader) = setup().await;
    let agent = env.user(ROLE_AGENT).await;
    env.set_agent(&merchant.key(), &agent.key())
        .await
        .expect("agent");
    let admin = env.admin.insecure_clone();
    let ix = env.ix_set_roles(&agent.key(), 0);
    env.send(vec![ix], &[&admin]).await.expect("role removed");
    let id = env
        .open_trade(&merchant, &trader, 100 * USDT)
        .await
        .expect("open");
    env.release(&trader.kp, id).await.expect("release");
    let agent_account = env.escrow(&agent.key()).await;
    assert_eq!(
        (agent_account.available, agent_account.agent_volume),
        (0, 0)
    );
    // fee 1 USDT: 0.1 reward, 0.9 to the treasury.
    assert_eq!(env.escrow(&env.treasury.key()).await.available, 900_000);
    env.assert_conservation().await;
}

/// Finding 11a: the treasury can never be the escrow itself (its config or
/// vault), whose balance nobody could withdraw.
#[tokio::test]
async fn treasury_cannot_be_the_escrow() {
    let (mut env, _merchant, _trader) = setup().await;
    let admin = env.admin.insecure_clone();
    for escrow in [env.config, env.vault] {
        let mut authorities = env.authorities();
        authorities.treasury = escrow;
        let ix = env.ix(
            acc::ConfigSetAuthorities {
                admin: admin.pubkey(),
                config: env.config,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            ixs::ConfigSetAuthorities {
                args: stablerail_escrow::instructions::ConfigSetAuthoritiesArgs { authorities },
            },
        );
        assert_err(env.send(vec![ix], &[&admin]).await, E::TreasuryIsEscrow);
    }
}

/// Finding 2: no merchant tier above MAX_FEE_BPS (10 %).
#[tokio::test]
async fn merchant_fee_is_capped() {
    let (mut env, _merchant, _trader) = setup().await;
    let admin = env.admin.insecure_clone();
    let ix = env.ix_set_fees(&admin.pubkey(), flat_fees(MAX_FEE_BPS + 1));
    assert_err(env.send(vec![ix], &[&admin]).await, E::FeeTooHigh);
    let ix = env.ix_set_fees(&admin.pubkey(), flat_fees(MAX_FEE_BPS));
    env.send(vec![ix], &[&admin])
        .await
        .expect("10 % is allowed");
}

/// Finding 3: an order lives while a fill is open, refills only while open
/// and unexpired, closes when spent, and its merchant can still cancel it.
#[tokio::test]
async fn buy_order_lifecycle_with_open_fills() {
    let (mut env, merchant, trader) = setup().await;
    let order = env.post_order(&merchant, 10 * USDT).await.expect("post");
    let first = env
        .fill(&trader, order, &merchant.key(), 6 * USDT)
        .await
        .expect("fill 6");
    let second = env
        .fill(&trader, order, &merchant.key(), 4 * USDT)
        .await
        .expect("fill 4");
    let stored = env.order(order).await;
    assert_eq!((stored.remaining, stored.open_fills), (0, 2));
    // The buyer (merchant) cancels one: 6 back into the order.
    env.cancel(&merchant.kp, first).await.expect("cancel");
    let stored = env.order(order).await;
    assert_eq!((stored.remaining, stored.open_fills), (6 * USDT, 1));
    env.release(&trader.kp, second).await.expect("release");
    let stored = env.order(order).await;
    assert_eq!((stored.remaining, stored.open_fills), (6 * USDT, 0));
    // Fill the rest and release: nothing left, no open fill -> closed, rent to the merchant.
    let third = env
        .fill(&trader, order, &merchant.key(), 6 * USDT)
        .await
        .expect("fill 6");
    let rent = env.lamports(&env.order_pda(order)).await;
    let before = env.lamports(&merchant.key()).await;
    env.release(&trader.kp, third).await.expect("release");
    assert!(env.raw(&env.order_pda(order)).await.is_none());
    assert_eq!(env.lamports(&merchant.key()).await, before + rent);

    // The merchant cancels an order with an open fill: closed at once; the
    // fill's later cancel finds no order and still settles.
    let order = env.post_order(&merchant, 10 * USDT).await.expect("post");
    let fill = env
        .fill(&trader, order, &merchant.key(), 10 * USDT)
        .await
        .expect("fill");
    let ix = env.ix_order_cancel(&merchant.key(), order);
    env.send(vec![ix], &[&merchant.kp])
        .await
        .expect("order cancel");
    env.warp_secs(i64::from(WINDOW) + 1).await;
    env.cancel(&trader.kp, fill)
        .await
        .expect("cancel after deadline");
    assert!(env.raw(&env.order_pda(order)).await.is_none());

    // An expired order is not refilled; spent and without fills, it closes.
    let order = env.post_order(&merchant, 10 * USDT).await.expect("post");
    let fill = env
        .fill(&trader, order, &merchant.key(), 10 * USDT)
        .await
        .expect("fill");
    env.warp_secs(86_400).await;
    env.cancel(&merchant.kp, fill).await.expect("cancel");
    assert!(env.raw(&env.order_pda(order)).await.is_none());

    // A Trade's final instruction must name its order and merchant.
    let order = env.post_order(&merchant, 10 * USDT).await.expect("post");
    let fill = env
        .fill(&trader, order, &merchant.key(), 10 * USDT)
        .await
        .expect("fill");
    let deal = env.deal(fill).await;
    let mut ix = env.ix_cancel(&merchant.key(), fill, &deal);
    ix.accounts[5].pubkey = PROGRAM_ID;
    ix.accounts[5].is_writable = false;
    assert_err(
        env.send(vec![ix], &[&merchant.kp]).await,
        E::BuyOrderMismatch,
    );
    let mut ix = env.ix_cancel(&merchant.key(), fill, &deal);
    ix.accounts[5].pubkey = env.order_pda(0);
    assert_err(
        env.send(vec![ix], &[&merchant.kp]).await,
        E::BuyOrderMismatch,
    );
    env.assert_conservation().await;
}

/// Finding 1: with the victim's key alone, an attacker fills a buy order of
/// its own merchant and releases it in the same transaction. With a
/// co-signer set, only the daily allowance can leave that way.
#[tokio::test]
async fn stolen_key_moves_at_most_the_daily_allowance() {
    let (mut env, attacker, victim) = setup().await;
    let co_signer = Keypair::new();
    // Adding a co-signer where none is set is immediate.
    let ix = env.ix_co_signer_set(&victim.key(), Some(co_signer.pubkey()), 50 * USDT, None);
    env.send(vec![ix], &[&victim.kp]).await.expect("co-signer");
    let account = env.escrow(&victim.key()).await;
    assert_eq!(
        (account.co_signer, account.daily_allowance),
        (Some(co_signer.pubkey()), 50 * USDT)
    );

    // Fill + release of 100 in one transaction: over the allowance.
    let order = env.post_order(&attacker, 1_000 * USDT).await.expect("post");
    let exploit = |env: &mut Env, deal_id: u64, amount: u64| {
        let fill = env.ix_order_fill(
            &victim.key(),
            order,
            &attacker.key(),
            deal_id,
            amount,
            [1u8; 32],
        );
        let deal = Deal {
            config: env.config,
            id: deal_id,
            bump: 0,
            kind: stablerail_escrow::state::DealKind::Trade,
            state: stablerail_escrow::state::DealState::Open,
            seller: victim.key(),
            buyer: attacker.key(),
            merchant: attacker.key(),
            amount,
            deadline: 0,
            reference: [1u8; 32],
            rent_payer: victim.key(),
            order_id: Some(order),
            fee_bps: 0,
            agent: None,
            agent_share_bps: 0,
            reward_bps: 0,
            disputed_at: 0,
        };
        let treasury = env.account_pda(&env.treasury.key());
        let release =
            env.ix_release_accounts(&victim.key(), deal_id, &deal, None, Some(treasury), None);
        vec![fill, release]
    };
    let id = env.config_state().await.next_deal_id;
    let ixs = exploit(&mut env, id, 100 * USDT);
    assert_err(env.send(ixs, &[&victim.kp]).await, E::AllowanceExceeded);
    // Within the allowance it goes through, and counts.
    let ixs = exploit(&mut env, id, 30 * USDT);
    env.send(ixs, &[&victim.kp]).await.expect("30 within 50");
    let id = env.config_state().await.next_deal_id;
    let ixs = exploit(&mut env, id, 30 * USDT);
    assert_err(env.send(ixs, &[&victim.kp]).await, E::AllowanceExceeded);
    // Withdraw is an outflow too: 20 left today.
    let ix = env.ix_withdraw(&victim.key(), &victim.token, 21 * USDT);
    assert_err(
        env.send(vec![ix], &[&victim.kp]).await,
        E::AllowanceExceeded,
    );
    let ix = env.ix_withdraw(&victim.key(), &victim.token, 20 * USDT);
    env.send(vec![ix], &[&victim.kp]).await.expect("20 left");
    assert_eq!(env.escrow(&victim.key()).await.outflow_today, 50 * USDT);
    // The key alone cannot remove the co-signer or raise the allowance at once.
    let ix = env.ix_co_signer_set(&victim.key(), None, 0, None);
    env.send(vec![ix], &[&victim.kp])
        .await
        .expect("request removal");
    let account = env.escrow(&victim.key()).await;
    assert_eq!(account.co_signer, Some(co_signer.pubkey()));
    assert!(account.pending_co_signer_at > 0);
    let ix = env.ix_co_signer_apply(&victim.key());
    assert_err(env.send(vec![ix], &[]).await, E::CoSignerChangeNotEffective);
    // The owner notices and cancels.
    let ix = env.ix_co_signer_cancel(&victim.key());
    env.send(vec![ix], &[&victim.kp])
        .await
        .expect("cancel change");
    let ix = env.ix_co_signer_apply(&victim.key());
    assert_err(env.send(vec![ix], &[]).await, E::NoPendingCoSignerChange);

    // With the co-signer's signature: beyond the allowance, not counted.
    let mut ix = env.ix_withdraw(&victim.key(), &victim.token, 100 * USDT);
    ix.accounts[7] = solana_sdk::instruction::AccountMeta::new_readonly(co_signer.pubkey(), true);
    env.send(vec![ix], &[&victim.kp, &co_signer])
        .await
        .expect("co-signed withdraw");
    assert_eq!(env.escrow(&victim.key()).await.outflow_today, 50 * USDT);
    // A wrong co-signer is refused.
    let stranger = Keypair::new();
    let mut ix = env.ix_withdraw(&victim.key(), &victim.token, USDT);
    ix.accounts[7] = solana_sdk::instruction::AccountMeta::new_readonly(stranger.pubkey(), true);
    assert_err(
        env.send(vec![ix], &[&victim.kp, &stranger]).await,
        E::InvalidCoSigner,
    );
    // A co-signed release.
    let id = env.config_state().await.next_deal_id;
    let fill = env
        .fill(&victim, order, &attacker.key(), 60 * USDT)
        .await
        .expect("fill");
    assert_eq!(fill, id);
    let ix = env.ix_release_cosigned(&victim.key(), id, None).await;
    assert_err(
        env.send(vec![ix], &[&victim.kp]).await,
        E::AllowanceExceeded,
    );
    let ix = env
        .ix_release_cosigned(&victim.key(), id, Some(co_signer.pubkey()))
        .await;
    env.send(vec![ix], &[&victim.kp, &co_signer])
        .await
        .expect("co-signed release");
    // A new UTC day restores the allowance.
    env.warp_secs(86_400).await;
    let ix = env.ix_withdraw(&victim.key(), &victim.token, 50 * USDT);
    env.send(vec![ix], &[&victim.kp]).await.expect("next day");
    env.assert_conservation().await;
}

/// Finding 1: which co-signer changes are immediate and which wait.
#[tokio::test]
async fn co_signer_changes_wait_unless_safe_or_approved() {
    let (mut env, _merchant, owner) = setup().await;
    let first = Keypair::new();
    let second = Keypair::new();
    let set = |env: &Env, co: Option<Pubkey>, allowance: u64, approver: Option<Pubkey>| {
        env.ix_co_signer_set(&owner.key(), co, allowance, approver)
    };
    let ix = set(&env, Some(first.pubkey()), 10 * USDT, None);
    env.send(vec![ix], &[&owner.kp]).await.expect("add");
    // Lowering the allowance: immediate.
    let ix = set(&env, Some(first.pubkey()), 5 * USDT, None);
    env.send(vec![ix], &[&owner.kp]).await.expect("lower");
    assert_eq!(env.escrow(&owner.key()).await.daily_allowance, 5 * USDT);
    // Raising it: pending for the withdrawal delay.
    let ix = set(&env, Some(first.pubkey()), 50 * USDT, None);
    env.send(vec![ix], &[&owner.kp]).await.expect("raise");
    let account = env.escrow(&owner.key()).await;
    assert_eq!(account.daily_allowance, 5 * USDT);
    assert_eq!(account.pending_daily_allowance, 50 * USDT);
    env.warp_secs(WITHDRAWAL_DELAY).await;
    let ix = env.ix_co_signer_apply(&owner.key());
    env.send(vec![ix], &[])
        .await
        .expect("apply after the delay");
    assert_eq!(env.escrow(&owner.key()).await.daily_allowance, 50 * USDT);
    // Replacing the co-signer with the current one's approval: immediate.
    let ix = set(&env, Some(second.pubkey()), 50 * USDT, Some(first.pubkey()));
    env.send(vec![ix], &[&owner.kp, &first])
        .await
        .expect("approved replace");
    assert_eq!(
        env.escrow(&owner.key()).await.co_signer,
        Some(second.pubkey())
    );
    // An approval by a key that is not the co-signer is refused.
    let ix = set(&env, None, 0, Some(first.pubkey()));
    assert_err(
        env.send(vec![ix], &[&owner.kp, &first]).await,
        E::InvalidCoSigner,
    );
    // The owner itself cannot be its co-signer.
    let ix = set(&env, Some(owner.key()), 0, Some(second.pubkey()));
    assert_err(
        env.send(vec![ix], &[&owner.kp, &second]).await,
        E::InvalidCoSigner,
    );
    // Removal with approval: immediate; then no limit, nothing counted.
    let ix = set(&env, None, 0, Some(second.pubkey()));
    env.send(vec![ix], &[&owner.kp, &second])
        .await
        .expect("approved removal");
    let account = env.escrow(&owner.key()).await;
    assert_eq!((account.co_signer, account.daily_allowance), (None, 0));
    let ix = env.ix_withdraw(&owner.key(), &owner.token, 500 * USDT);
    env.send(vec![ix], &[&owner.kp]).await.expect("no limit");
    assert_eq!(env.escrow(&owner.key()).await.outflow_today, 0);
    env.assert_conservation().await;
}

/// Finding 7: the treasury as the seller or as the (third-party) agent.
#[tokio::test]
async fn treasury_as_seller_or_agent_is_credited_in_place() {
    let (mut env, merchant, trader) = setup().await;
    let agent = env.user(ROLE_AGENT).await;
    env.set_agent(&merchant.key(), &agent.key())
        .await
        .expect("agent");
    let first = env
        .open_trade(&merchant, &trader, 100 * USDT)
        .await
        .expect("open");
    let second = env
        .open_trade(&merchant, &trader, 100 * USDT)
        .await
        .expect("open");
    let admin = env.admin.insecure_clone();
    // Treasury = the seller (trader).
    let mut authorities = env.authorities();
    authorities.treasury = trader.key();
    let ix = env.ix_set_authorities(&admin.pubkey(), authorities);
    env.send(vec![ix], &[&admin])
        .await
        .expect("treasury = seller");
    // Passing a treasury account although the treasury is a party is refused.
    let deal = env.deal(first).await;
    let agent_acc = env.account_pda(&agent.key());
    let old_treasury = env.account_pda(&env.treasury.key());
    let ix = env.ix_release_accounts(
        &trader.key(),
        first,
        &deal,
        Some(agent_acc),
        Some(old_treasury),
        None,
    );
    assert_err(
        env.send(vec![ix], &[&trader.kp]).await,
        E::TreasuryAccountMismatch,
    );
    env.release(&trader.kp, first).await.expect("release");
    // fee 1: agent 0.2, reward 0.1 and platform 0.7 to the trader.
    assert_eq!(
        env.escrow(&trader.key()).await.available,
        800 * USDT + 800_000
    );
    // Treasury = the agent.
    authorities.treasury = agent.key();
    let ix = env.ix_set_authorities(&admin.pubkey(), authorities);
    env.send(vec![ix], &[&admin])
        .await
        .expect("treasury = agent");
    env.mark_paid(&merchant.kp, second).await.expect("paid");
    env.dispute(&trader.kp, second).await.expect("dispute");
    let arbiter = env.arbiter.insecure_clone();
    env.resolve(&arbiter, second, 10_000)
        .await
        .expect("resolve");
    // agent: 0.2 + 0.2 (cut) + 0.7 (platform).
    assert_eq!(env.escrow(&agent.key()).await.available, 1_100_000);
    env.assert_conservation().await;
}

/// The arbitration clock: a dispute records its time.
#[tokio::test]
async fn dispute_records_its_time() {
    let (mut env, merchant, trader) = setup().await;
    let id = env
        .open_trade(&merchant, &trader, 10 * USDT)
        .await
        .expect("open");
    assert_eq!(env.deal(id).await.disputed_at, 0);
    env.mark_paid(&merchant.kp, id).await.expect("paid");
    env.dispute(&trader.kp, id).await.expect("dispute");
    let now = env.now().await;
    assert_eq!(env.deal(id).await.disputed_at, now);
}

/// A full Trade (post, fill, release) leaves no lamports locked: every
/// account it created is closed and its rent returned.
#[tokio::test]
async fn full_trade_leaves_no_lamports_locked() {
    let (mut env, merchant, trader) = setup().await;
    let merchant_before = env.lamports(&merchant.key()).await;
    let trader_before = env.lamports(&trader.key()).await;
    let order = env.post_order(&merchant, 10 * USDT).await.expect("post");
    let id = env
        .fill(&trader, order, &merchant.key(), 10 * USDT)
        .await
        .expect("fill");
    env.mark_paid(&merchant.kp, id).await.expect("paid");
    env.release(&trader.kp, id).await.expect("release");
    assert!(env.raw(&env.order_pda(order)).await.is_none());
    assert!(env.raw(&env.deal_pda(id)).await.is_none());
    // Transaction fees are paid by the context payer, so rents come back whole.
    assert_eq!(env.lamports(&merchant.key()).await, merchant_before);
    assert_eq!(env.lamports(&trader.key()).await, trader_before);
    println!(
        "BuyOrder: {} bytes, Deal: {} bytes; 0 lamports locked after a full Trade",
        8 + BuyOrder::INIT_SPACE,
        8 + Deal::INIT_SPACE
    );
    env.assert_conservation().await;
}
