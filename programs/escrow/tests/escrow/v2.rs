//! Protocol v2 (issue #12): each finding of the security review as a test
//! that exploits it. Conservation is checked as equality after every
//! balance change.

use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use stablerail_escrow::state::seeds::{SEED_CONFIG, SEED_VAULT};
use stablerail_escrow::state::{
    FeeScheduleArgs, FeeTier, ROLE_ACCEPTOR, ROLE_AGENT, ROLE_MERCHANT,
};
use stablerail_escrow::{accounts as acc, instruction as ixs};

use crate::harness::{default_fees, default_limits, Env, User, PROGRAM_ID, WINDOW};

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
    let ix = env.ix_release_accounts(&trader.key(), id, &deal, None, Some(merchant.key()));
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
    let (mut env, _merchant, _trader) = setup().await;
    let vault = env.vault;
    env.mint_to(&vault, 5 * USDT).await;
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
    assert!(result.is_err(), "an offline acceptor cannot be assigned");
    assert_eq!(env.escrow(&acceptor.key()).await.locked, 0);
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
            },
            ixs::ConfigSetAuthorities {
                args: stablerail_escrow::instructions::ConfigSetAuthoritiesArgs { authorities },
            },
        );
        assert!(env.send(vec![ix], &[&admin]).await.is_err());
    }
}
