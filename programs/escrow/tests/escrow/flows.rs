//! Happy paths and rejections of every instruction: roles, states, signers,
//! accounts, mints and PDAs. Conservation is checked after each balance change.

use anchor_lang::error::ErrorCode as AE;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::{InstructionData, Space, ToAccountMetas};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use stablerail_escrow::errors::EscrowError as E;
use stablerail_escrow::state::seeds::SEED_CONFIG;
use stablerail_escrow::state::{
    Authorities, BuyOrder, Config, Deal, DealKind, DealState, EscrowAccount, FeeScheduleArgs,
    FeeTier, ROLE_ACCEPTOR, ROLE_AGENT, ROLE_ALL, ROLE_MERCHANT,
};
use stablerail_escrow::{accounts as acc, instruction as ixs};

use crate::harness::{
    assert_anchor_err, assert_err, default_fees, default_limits, Env, PROGRAM_ID, WINDOW,
    WITHDRAWAL_DELAY,
};

const USDT: u64 = 1_000_000;

/// An env with a merchant, a trader and an acceptor, each with 1000 USDT deposited.
async fn setup() -> (
    Env,
    crate::harness::User,
    crate::harness::User,
    crate::harness::User,
) {
    let mut env = Env::new(default_fees()).await;
    let merchant = env.user(ROLE_MERCHANT).await;
    let trader = env.user(0).await;
    let acceptor = env.user(ROLE_ACCEPTOR).await;
    for user in [&merchant, &trader, &acceptor] {
        env.fund_and_deposit(user, 1_000 * USDT).await;
    }
    env.assert_conservation().await;
    (env, merchant, trader, acceptor)
}

#[tokio::test]
async fn account_sizes_and_rent() {
    let mut env = Env::new(default_fees()).await;
    let merchant = env.user(ROLE_MERCHANT).await;
    let trader = env.user(0).await;
    env.fund_and_deposit(&trader, 10 * USDT).await;
    let order = env.post_order(&merchant, 10 * USDT).await.expect("post");
    let rent = env.ctx.banks_client.get_rent().await.expect("rent");
    let sizes = [
        ("Config", 8 + Config::INIT_SPACE, env.config),
        (
            "EscrowAccount",
            8 + EscrowAccount::INIT_SPACE,
            env.account_pda(&merchant.key()),
        ),
        ("BuyOrder", 8 + BuyOrder::INIT_SPACE, env.order_pda(order)),
        (
            "vault (SPL token account)",
            anchor_spl::token::spl_token::state::Account::LEN,
            env.vault,
        ),
    ];
    for (name, size, key) in sizes {
        let account = env.raw(&key).await.expect("exists");
        assert_eq!(account.data.len(), size, "{name} size");
        assert_eq!(account.lamports, rent.minimum_balance(size), "{name} rent");
        println!(
            "{name}: {size} bytes, rent-exempt minimum {} lamports",
            rent.minimum_balance(size)
        );
    }
    let deal = env
        .fill(&trader, order, &merchant.key(), 10 * USDT)
        .await
        .expect("fill");
    let size = 8 + Deal::INIT_SPACE;
    let account = env.raw(&env.deal_pda(deal)).await.expect("deal");
    assert_eq!(account.data.len(), size);
    assert_eq!(account.lamports, rent.minimum_balance(size));
    println!(
        "Deal: {size} bytes, rent-exempt minimum {} lamports",
        rent.minimum_balance(size)
    );
}

#[tokio::test]
async fn config_initialize_validates_and_admin_updates() {
    let mut env = Env::new(default_fees()).await;
    let config = env.config_state().await;
    assert_eq!(config.authorities, env.authorities());
    assert_eq!(config.usdt_mint, env.mint);
    assert_eq!(config.usdt_decimals, 6);
    assert_eq!(config.vault, env.vault);
    assert_eq!(config.fees.merchant_tier_count, 2);
    assert!(!config.paused);

    // A second config by another creator: bad fee table, bad limits, wrong token program.
    let other = Keypair::new();
    env.fund(&other.pubkey());
    let bad_fees = FeeScheduleArgs {
        merchant_tiers: vec![],
        ..default_fees()
    };
    let ix = env.ix_config_initialize(
        &other.pubkey(),
        bad_fees,
        default_limits(),
        env.mint,
        env.token_program,
    );
    assert_err(env.send(vec![ix], &[&other]).await, E::TierCount);
    let mut limits = default_limits();
    limits.min_payment_window_secs = 100;
    limits.max_payment_window_secs = 99;
    let ix = env.ix_config_initialize(
        &other.pubkey(),
        default_fees(),
        limits,
        env.mint,
        env.token_program,
    );
    assert_err(env.send(vec![ix], &[&other]).await, E::InvalidWindowBounds);
    // Token-2022 does not own this mint: the vault cannot be created.
    let ix = env.ix_config_initialize(
        &other.pubkey(),
        default_fees(),
        default_limits(),
        env.mint,
        anchor_spl::token_2022::ID,
    );
    assert!(env.send(vec![ix], &[&other]).await.is_err());
    let other_config =
        Pubkey::find_program_address(&[SEED_CONFIG, other.pubkey().as_ref()], &PROGRAM_ID).0;
    assert!(env.raw(&other_config).await.is_none());
    // The same creator cannot initialise twice.
    let creator = env.creator.insecure_clone();
    let ix = env.ix_config_initialize(
        &creator.pubkey(),
        default_fees(),
        default_limits(),
        env.mint,
        env.token_program,
    );
    assert!(env.send(vec![ix], &[&creator]).await.is_err());

    // Fees: only the admin, only valid tables; a failure changes nothing.
    let stranger = Keypair::new();
    let new_fees = FeeScheduleArgs {
        merchant_tiers: vec![FeeTier {
            threshold: 0,
            bps: 30,
        }],
        agent_tiers: vec![
            FeeTier {
                threshold: 0,
                bps: 1_000,
            },
            FeeTier {
                threshold: 5,
                bps: 2_000,
            },
        ],
        trader_reward_bps: 500,
    };
    let ix = env.ix_set_fees(&stranger.pubkey(), new_fees.clone());
    assert_err(env.send(vec![ix], &[&stranger]).await, E::NotAdmin);
    let bad = FeeScheduleArgs {
        trader_reward_bps: 9_000,
        ..new_fees.clone()
    };
    let admin = env.admin.insecure_clone();
    let ix = env.ix_set_fees(&admin.pubkey(), bad);
    assert_err(
        env.send(vec![ix], &[&admin]).await,
        E::ShareAndRewardTooHigh,
    );
    let unsorted = FeeScheduleArgs {
        merchant_tiers: vec![
            FeeTier {
                threshold: 0,
                bps: 1,
            },
            FeeTier {
                threshold: 0,
                bps: 2,
            },
        ],
        ..new_fees.clone()
    };
    let ix = env.ix_set_fees(&admin.pubkey(), unsorted);
    assert_err(env.send(vec![ix], &[&admin]).await, E::TierOrder);
    assert_eq!(env.config_state().await.fees, config.fees);
    let ix = env.ix_set_fees(&admin.pubkey(), new_fees);
    env.send(vec![ix], &[&admin]).await.expect("set fees");
    let fees = env.config_state().await.fees;
    assert_eq!(fees.merchant_fee_bps(0), 30);
    assert_eq!(fees.agent_share_bps(5), 2_000);

    // Limits.
    let mut limits = default_limits();
    limits.blocked_regions = vec![1; 9];
    let ix = env.ix_set_limits(&admin.pubkey(), limits);
    assert_err(env.send(vec![ix], &[&admin]).await, E::TooManyRegions);
    let mut limits = default_limits();
    limits.max_deal_amount = 0;
    let ix = env.ix_set_limits(&admin.pubkey(), limits);
    assert_err(env.send(vec![ix], &[&admin]).await, E::InvalidMaxDealAmount);
    let mut limits = default_limits();
    limits.withdrawal_delay_secs = -1;
    let ix = env.ix_set_limits(&admin.pubkey(), limits);
    assert_err(
        env.send(vec![ix], &[&admin]).await,
        E::InvalidWithdrawalDelay,
    );
    let ix = env.ix_set_limits(&stranger.pubkey(), default_limits());
    assert_err(env.send(vec![ix], &[&stranger]).await, E::NotAdmin);

    // Authorities: no default keys; the admin can hand over.
    let mut authorities = env.authorities();
    authorities.arbiter = Pubkey::default();
    let ix = env.ix_set_authorities(&admin.pubkey(), authorities);
    assert_err(env.send(vec![ix], &[&admin]).await, E::InvalidAuthority);
    let new_admin = Keypair::new();
    let authorities = Authorities {
        admin: new_admin.pubkey(),
        ..env.authorities()
    };
    let ix = env.ix_set_authorities(&stranger.pubkey(), authorities);
    assert_err(env.send(vec![ix], &[&stranger]).await, E::NotAdmin);
    let ix = env.ix_set_authorities(&admin.pubkey(), authorities);
    env.send(vec![ix], &[&admin]).await.expect("hand over");
    let ix = env.ix_set_limits(&admin.pubkey(), default_limits());
    assert_err(env.send(vec![ix], &[&admin]).await, E::NotAdmin);
    let ix = env.ix_set_limits(&new_admin.pubkey(), default_limits());
    env.send(vec![ix], &[&new_admin])
        .await
        .expect("new admin acts");

    // Signer flag missing: Anchor rejects before the handler.
    let mut ix = env.ix_set_limits(&new_admin.pubkey(), default_limits());
    ix.accounts[0].is_signer = false;
    assert_anchor_err(env.send(vec![ix], &[]).await, AE::AccountNotSigner);
}

#[tokio::test]
async fn deposit_and_withdraw_check_every_account() {
    let mut env = Env::new(default_fees()).await;
    let alice = env.user(0).await;
    let bob = env.user(0).await;
    env.mint_to(&alice.token, 100 * USDT).await;
    let ix = env.ix_deposit(&alice.key(), &alice.token, 0);
    assert_err(env.send(vec![ix], &[&alice.kp]).await, E::ZeroAmount);
    let ix = env.ix_deposit(&alice.key(), &alice.token, 60 * USDT);
    env.send(vec![ix], &[&alice.kp]).await.expect("deposit");
    assert_eq!(env.escrow(&alice.key()).await.available, 60 * USDT);
    assert_eq!(env.token_balance(&alice.token).await, 40 * USDT);
    env.assert_conservation().await;

    // Wrong mint: a second 6-decimal mint and a token account of it.
    let fake_mint = Pubkey::new_unique();
    env.put_mint(&fake_mint, 6).await;
    let fake_token = env.put_token_account(&fake_mint, &alice.key()).await;
    let ix = env.ix_deposit_with(
        &alice.key(),
        &alice.token,
        &fake_mint,
        &env.vault,
        &env.token_program,
        USDT,
    );
    assert_err(env.send(vec![ix], &[&alice.kp]).await, E::WrongMint);
    let ix = env.ix_deposit(&alice.key(), &fake_token, USDT);
    assert_anchor_err(
        env.send(vec![ix], &[&alice.kp]).await,
        AE::ConstraintTokenMint,
    );
    // Wrong vault (a token account that is not the vault PDA).
    let config = env.config;
    let not_vault = env.token_account(&config).await;
    let ix = env.ix_deposit_with(
        &alice.key(),
        &alice.token,
        &env.mint,
        &not_vault,
        &env.token_program,
        USDT,
    );
    assert_anchor_err(env.send(vec![ix], &[&alice.kp]).await, AE::ConstraintSeeds);
    // Wrong token program.
    let ix = env.ix_deposit_with(
        &alice.key(),
        &alice.token,
        &env.mint,
        &env.vault,
        &anchor_spl::token_2022::ID,
        USDT,
    );
    assert_err(env.send(vec![ix], &[&alice.kp]).await, E::WrongTokenProgram);
    // Someone else's token account as the source.
    let ix = env.ix_deposit(&bob.key(), &alice.token, USDT);
    assert_anchor_err(
        env.send(vec![ix], &[&bob.kp]).await,
        AE::ConstraintTokenOwner,
    );
    // Someone else's escrow account (PDA of another wallet).
    let mut ix = env.ix_deposit(&bob.key(), &bob.token, USDT);
    ix.accounts[2].pubkey = env.account_pda(&alice.key());
    assert_anchor_err(env.send(vec![ix], &[&bob.kp]).await, AE::ConstraintSeeds);
    // A wallet without an escrow account.
    let carol = Keypair::new();
    env.fund(&carol.pubkey());
    let carol_token = env.token_account(&carol.pubkey()).await;
    let ix = env.ix_deposit(&carol.pubkey(), &carol_token, USDT);
    assert_anchor_err(
        env.send(vec![ix], &[&carol]).await,
        AE::AccountNotInitialized,
    );
    assert_eq!(env.escrow(&alice.key()).await.available, 60 * USDT);
    env.assert_conservation().await;

    // Withdraw: only available balance, only to the withdrawal address.
    let ix = env.ix_withdraw(&alice.key(), &alice.token, 61 * USDT);
    assert_err(
        env.send(vec![ix], &[&alice.kp]).await,
        E::InsufficientBalance,
    );
    let ix = env.ix_withdraw(&alice.key(), &alice.token, 0);
    assert_err(env.send(vec![ix], &[&alice.kp]).await, E::ZeroAmount);
    let ix = env.ix_withdraw(&alice.key(), &bob.token, USDT);
    assert_anchor_err(
        env.send(vec![ix], &[&alice.kp]).await,
        AE::ConstraintTokenOwner,
    );
    let ix = env.ix_withdraw_with(&alice.key(), &fake_token, &fake_mint, USDT);
    assert_err(env.send(vec![ix], &[&alice.kp]).await, E::WrongMint);
    let ix = env.ix_withdraw(&bob.key(), &bob.token, USDT);
    assert_err(env.send(vec![ix], &[&bob.kp]).await, E::InsufficientBalance);
    let ix = env.ix_withdraw(&alice.key(), &alice.token, 25 * USDT);
    env.send(vec![ix], &[&alice.kp]).await.expect("withdraw");
    assert_eq!(env.escrow(&alice.key()).await.available, 35 * USDT);
    assert_eq!(env.token_balance(&alice.token).await, 65 * USDT);
    env.assert_conservation().await;
}

#[tokio::test]
async fn token_2022_mint_works_through_token_interface() {
    let mut env = Env::with_token_program(default_fees(), anchor_spl::token_2022::ID).await;
    let alice = env.user(0).await;
    env.fund_and_deposit(&alice, 5 * USDT).await;
    let ix = env.ix_withdraw(&alice.key(), &alice.token, 2 * USDT);
    env.send(vec![ix], &[&alice.kp]).await.expect("withdraw");
    assert_eq!(env.token_balance(&alice.token).await, 2 * USDT);
    env.assert_conservation().await;
    // The classic SPL Token program does not own this mint.
    let ix = env.ix_deposit_with(
        &alice.key(),
        &alice.token,
        &env.mint,
        &env.vault,
        &anchor_spl::token::ID,
        USDT,
    );
    assert_err(env.send(vec![ix], &[&alice.kp]).await, E::WrongTokenProgram);

    // A mint whose permanent delegate could move the vault's tokens is refused.
    let risky = Pubkey::new_unique();
    env.put_permanent_delegate_mint(&risky, &Pubkey::new_unique())
        .await;
    let other = Keypair::new();
    env.fund(&other.pubkey());
    let ix = env.ix_config_initialize(
        &other.pubkey(),
        default_fees(),
        default_limits(),
        risky,
        anchor_spl::token_2022::ID,
    );
    assert_err(
        env.send(vec![ix], &[&other]).await,
        E::UnsupportedMintExtension,
    );
}

#[tokio::test]
async fn transfer_fee_mint_credits_what_the_vault_received() {
    // Token-2022 mint with a 1 % transfer fee: the account is credited the
    // amount that arrived, so the vault always covers every balance.
    let mut env = Env::with_mint(default_fees(), anchor_spl::token_2022::ID, 100).await;
    let alice = env.user(0).await;
    env.mint_to(&alice.token, 10 * USDT).await;
    let ix = env.ix_deposit(&alice.key(), &alice.token, 10 * USDT);
    env.send(vec![ix], &[&alice.kp]).await.expect("deposit");
    assert_eq!(env.escrow(&alice.key()).await.available, 9_900_000);
    env.assert_conservation().await;
    let ix = env.ix_withdraw(&alice.key(), &alice.token, 5 * USDT);
    env.send(vec![ix], &[&alice.kp]).await.expect("withdraw");
    assert_eq!(env.escrow(&alice.key()).await.available, 4_900_000);
    assert_eq!(env.token_balance(&alice.token).await, 4_950_000);
    env.assert_conservation().await;
}

#[tokio::test]
async fn withdrawal_address_change_waits_for_the_delay() {
    let mut env = Env::new(default_fees()).await;
    let alice = env.user(0).await;
    env.fund_and_deposit(&alice, 10 * USDT).await;
    let cold = Keypair::new();
    let cold_token = env.token_account(&cold.pubkey()).await;

    let ix = env.ix_wa_cancel(&alice.key());
    assert_err(
        env.send(vec![ix], &[&alice.kp]).await,
        E::NoPendingWithdrawalAddress,
    );
    let ix = env.ix_wa_apply(&alice.key());
    assert_err(
        env.send(vec![ix], &[&alice.kp]).await,
        E::NoPendingWithdrawalAddress,
    );
    let ix = env.ix_wa_request(&alice.key(), Pubkey::default());
    assert_err(
        env.send(vec![ix], &[&alice.kp]).await,
        E::InvalidWithdrawalAddress,
    );

    // Request, cancel: nothing changes.
    let ix = env.ix_wa_request(&alice.key(), cold.pubkey());
    env.send(vec![ix], &[&alice.kp]).await.expect("request");
    let ix = env.ix_wa_cancel(&alice.key());
    env.send(vec![ix], &[&alice.kp]).await.expect("cancel");
    let account = env.escrow(&alice.key()).await;
    assert_eq!(account.pending_withdrawal_address, None);
    assert_eq!(account.withdrawal_address, alice.key());

    // Request again: not effective before the delay.
    let ix = env.ix_wa_request(&alice.key(), cold.pubkey());
    env.send(vec![ix], &[&alice.kp]).await.expect("request");
    let now = env.now().await;
    assert_eq!(
        env.escrow(&alice.key()).await.pending_effective_at,
        now + WITHDRAWAL_DELAY
    );
    let ix = env.ix_wa_apply(&alice.key());
    assert_err(
        env.send(vec![ix], &[&alice.kp]).await,
        E::WithdrawalAddressNotEffective,
    );
    let ix = env.ix_withdraw(&alice.key(), &cold_token, USDT);
    assert_anchor_err(
        env.send(vec![ix], &[&alice.kp]).await,
        AE::ConstraintTokenOwner,
    );
    env.warp_secs(WITHDRAWAL_DELAY).await;
    let ix = env.ix_wa_apply(&alice.key());
    env.send(vec![ix], &[&alice.kp]).await.expect("apply");
    assert_eq!(
        env.escrow(&alice.key()).await.withdrawal_address,
        cold.pubkey()
    );
    let ix = env.ix_withdraw(&alice.key(), &alice.token, USDT);
    assert_anchor_err(
        env.send(vec![ix], &[&alice.kp]).await,
        AE::ConstraintTokenOwner,
    );
    let ix = env.ix_withdraw(&alice.key(), &cold_token, 4 * USDT);
    env.send(vec![ix], &[&alice.kp])
        .await
        .expect("withdraw to the new address");
    assert_eq!(env.token_balance(&cold_token).await, 4 * USDT);
    env.assert_conservation().await;
}

#[tokio::test]
async fn roles_agents_and_compliance() {
    let mut env = Env::new(default_fees()).await;
    let admin = env.admin.insecure_clone();
    let stranger = Keypair::new();
    let merchant = env.user(ROLE_MERCHANT).await;
    let agent = env.user(ROLE_AGENT).await;
    let plain = env.user(0).await;

    let ix = env.ix_set_roles(&plain.key(), ROLE_ALL + 1);
    assert_err(env.send(vec![ix], &[&admin]).await, E::InvalidRoles);
    let ix = env.ix_set_roles_by(&stranger.pubkey(), &plain.key(), ROLE_MERCHANT);
    assert_err(env.send(vec![ix], &[&stranger]).await, E::NotAdmin);
    let ix = env.ix_set_roles(&plain.key(), ROLE_ACCEPTOR);
    env.send(vec![ix], &[&admin]).await.expect("roles");
    assert_eq!(env.escrow(&plain.key()).await.roles, ROLE_ACCEPTOR);

    // Agent: must hold the role, not self, not the treasury, only once, admin only.
    assert_err(
        env.set_agent(&merchant.key(), &plain.key()).await,
        E::NotAnAgent,
    );
    let ix = env.ix_set_roles(&merchant.key(), ROLE_MERCHANT | ROLE_AGENT);
    env.send(vec![ix], &[&admin]).await.expect("roles");
    assert_err(
        env.set_agent(&merchant.key(), &merchant.key()).await,
        E::SelfAgent,
    );
    let treasury = env.treasury.key();
    let ix = env.ix_set_roles(&treasury, ROLE_AGENT);
    env.send(vec![ix], &[&admin]).await.expect("roles");
    assert_err(
        env.set_agent(&merchant.key(), &treasury).await,
        E::TreasuryNotAllowed,
    );
    let ix = env.ix_set_agent(&stranger.pubkey(), &merchant.key(), &agent.key());
    assert_err(env.send(vec![ix], &[&stranger]).await, E::NotAdmin);
    env.set_agent(&merchant.key(), &agent.key())
        .await
        .expect("set agent");
    assert_eq!(env.escrow(&merchant.key()).await.agent, Some(agent.key()));
    let other_agent = env.user(ROLE_AGENT).await;
    assert_err(
        env.set_agent(&merchant.key(), &other_agent.key()).await,
        E::AgentAlreadySet,
    );

    // Compliance key only.
    let ix = env.ix_set_compliance(&stranger.pubkey(), &plain.key(), 2, 276);
    assert_err(env.send(vec![ix], &[&stranger]).await, E::NotCompliance);
    let compliance = env.compliance.insecure_clone();
    let ix = env.ix_set_compliance(&compliance.pubkey(), &plain.key(), 2, 276);
    env.send(vec![ix], &[&compliance])
        .await
        .expect("compliance");
    let account = env.escrow(&plain.key()).await;
    assert_eq!((account.kyc_level, account.region), (2, 276));

    // Opening an account for the default key is refused; twice is refused.
    let creator = env.creator.insecure_clone();
    let ix = env.ix_account_open(&creator.pubkey(), &Pubkey::default());
    assert_err(env.send(vec![ix], &[&creator]).await, E::InvalidWallet);
    let ix = env.ix_account_open(&creator.pubkey(), &plain.key());
    assert_err(env.send(vec![ix], &[&creator]).await, E::AddressInUse);
}

#[tokio::test]
async fn kyc_and_region_gate_new_deals() {
    let (mut env, merchant, trader, acceptor) = setup().await;
    let admin = env.admin.insecure_clone();
    let compliance = env.compliance.insecure_clone();
    let mut limits = default_limits();
    limits.min_kyc_level = 2;
    limits.blocked_regions = vec![408, 364];
    let ix = env.ix_set_limits(&admin.pubkey(), limits);
    env.send(vec![ix], &[&admin]).await.expect("limits");
    assert_err(
        env.post_order(&merchant, 10 * USDT).await.map(|_| ()),
        E::KycTooLow,
    );
    let ix = env.ix_set_compliance(&compliance.pubkey(), &merchant.key(), 2, 276);
    env.send(vec![ix], &[&compliance]).await.expect("kyc");
    let order = env.post_order(&merchant, 10 * USDT).await.expect("post");
    assert_err(
        env.fill(&trader, order, &merchant.key(), USDT)
            .await
            .map(|_| ()),
        E::KycTooLow,
    );
    let ix = env.ix_set_compliance(&compliance.pubkey(), &trader.key(), 3, 408);
    env.send(vec![ix], &[&compliance]).await.expect("kyc");
    assert_err(
        env.fill(&trader, order, &merchant.key(), USDT)
            .await
            .map(|_| ()),
        E::RegionBlocked,
    );
    let ix = env.ix_set_compliance(&compliance.pubkey(), &trader.key(), 3, 250);
    env.send(vec![ix], &[&compliance]).await.expect("kyc");
    env.fill(&trader, order, &merchant.key(), USDT)
        .await
        .expect("fill");
    assert_err(
        env.open_collection(&acceptor.key(), &merchant.key(), USDT)
            .await
            .map(|_| ()),
        E::KycTooLow,
    );
    assert_err(
        env.open_payout(&merchant, &acceptor.key(), USDT)
            .await
            .map(|_| ()),
        E::KycTooLow,
    );
    env.assert_conservation().await;
}

#[tokio::test]
async fn buy_order_rules_and_rent() {
    let (mut env, merchant, trader, _acceptor) = setup().await;
    // Posting.
    assert_err(
        env.post_order(&trader, 10 * USDT).await.map(|_| ()),
        E::MissingRole,
    );
    let id = env.config_state().await.next_order_id;
    let base = env.order_args(100 * USDT).await;
    let cases = [
        (
            stablerail_escrow::instructions::BuyOrderPostArgs {
                price_minor: 0,
                ..base.clone()
            },
            E::InvalidPrice,
        ),
        (
            stablerail_escrow::instructions::BuyOrderPostArgs {
                currency: *b"eur",
                ..base.clone()
            },
            E::InvalidCurrency,
        ),
        (
            stablerail_escrow::instructions::BuyOrderPostArgs {
                amount: 0,
                ..base.clone()
            },
            E::ZeroAmount,
        ),
        (
            stablerail_escrow::instructions::BuyOrderPostArgs {
                min_fill: 10,
                max_fill: 5,
                ..base.clone()
            },
            E::InvalidFillBounds,
        ),
        (
            stablerail_escrow::instructions::BuyOrderPostArgs {
                min_fill: 0,
                ..base.clone()
            },
            E::InvalidFillBounds,
        ),
        (
            stablerail_escrow::instructions::BuyOrderPostArgs {
                max_fill: 2_000_000 * USDT,
                ..base.clone()
            },
            E::DealAmountTooLarge,
        ),
        (
            stablerail_escrow::instructions::BuyOrderPostArgs {
                expiry: 0,
                ..base.clone()
            },
            E::InvalidExpiry,
        ),
        (
            stablerail_escrow::instructions::BuyOrderPostArgs {
                payment_window_secs: 10,
                ..base.clone()
            },
            E::PaymentWindowOutOfBounds,
        ),
    ];
    for (args, error) in cases {
        let ix = env.ix_order_post(&merchant.key(), id, args);
        assert_err(env.send(vec![ix], &[&merchant.kp]).await, error);
    }
    // A wrong order PDA (not the next id).
    let ix = env.ix_order_post(&merchant.key(), id + 1, base.clone());
    assert_anchor_err(
        env.send(vec![ix], &[&merchant.kp]).await,
        AE::ConstraintSeeds,
    );
    let args = stablerail_escrow::instructions::BuyOrderPostArgs {
        min_fill: 20 * USDT,
        max_fill: 50 * USDT,
        ..base
    };
    let ix = env.ix_order_post(&merchant.key(), id, args);
    let merchant_lamports = env.lamports(&merchant.key()).await;
    env.send(vec![ix], &[&merchant.kp]).await.expect("post");
    let order_rent = env.lamports(&env.order_pda(id)).await;
    assert_eq!(
        env.lamports(&merchant.key()).await,
        merchant_lamports - order_rent
    );

    // Filling.
    assert_err(
        env.fill(&merchant, id, &merchant.key(), 20 * USDT)
            .await
            .map(|_| ()),
        E::SelfFill,
    );
    assert_err(
        env.fill(&trader, id, &merchant.key(), 19 * USDT)
            .await
            .map(|_| ()),
        E::FillOutOfBounds,
    );
    assert_err(
        env.fill(&trader, id, &merchant.key(), 51 * USDT)
            .await
            .map(|_| ()),
        E::FillOutOfBounds,
    );
    // The merchant's account is derived from the order's merchant.
    assert_anchor_err(
        env.fill(&trader, id, &trader.key(), 20 * USDT)
            .await
            .map(|_| ()),
        AE::ConstraintSeeds,
    );
    let deal_id = env.config_state().await.next_deal_id;
    let ix = env.ix_order_fill(
        &trader.key(),
        id,
        &merchant.key(),
        deal_id + 1,
        20 * USDT,
        [0; 32],
    );
    assert_anchor_err(env.send(vec![ix], &[&trader.kp]).await, AE::ConstraintSeeds);
    let poor = env.user(0).await;
    env.fund_and_deposit(&poor, 5 * USDT).await;
    assert_err(
        env.fill(&poor, id, &merchant.key(), 20 * USDT)
            .await
            .map(|_| ()),
        E::InsufficientBalance,
    );
    let d1 = env
        .fill(&trader, id, &merchant.key(), 50 * USDT)
        .await
        .expect("fill 50");
    let d2 = env
        .fill(&trader, id, &merchant.key(), 35 * USDT)
        .await
        .expect("fill 35");
    assert_eq!(env.order(id).await.remaining, 15 * USDT);
    // The remainder (below min_fill) may be taken whole; the order stays
    // while its fills are open.
    let d3 = env
        .fill(&trader, id, &merchant.key(), 15 * USDT)
        .await
        .expect("fill rest");
    let order = env.order(id).await;
    assert_eq!((order.remaining, order.open_fills), (0, 3));
    assert_eq!(env.lamports(&env.order_pda(id)).await, order_rent);
    let trader_account = env.escrow(&trader.key()).await;
    assert_eq!(trader_account.locked, 100 * USDT);
    assert_eq!(trader_account.available, 900 * USDT);
    let deal = env.deal(d1).await;
    assert_eq!(
        (
            deal.kind,
            deal.state,
            deal.seller,
            deal.buyer,
            deal.merchant
        ),
        (
            DealKind::Trade,
            DealState::Open,
            trader.key(),
            merchant.key(),
            merchant.key()
        )
    );
    assert_eq!(deal.order_id, Some(id));
    assert_eq!(deal.rent_payer, trader.key());
    env.assert_conservation().await;
    for d in [d1, d2, d3] {
        env.cancel(&merchant.kp, d).await.expect("cancel by buyer");
    }
    // Every cancelled fill went back into the unexpired order.
    let order = env.order(id).await;
    assert_eq!((order.remaining, order.open_fills), (100 * USDT, 0));
    let before = env.lamports(&merchant.key()).await;
    let ix = env.ix_order_cancel(&merchant.key(), id);
    env.send(vec![ix], &[&merchant.kp]).await.expect("cancel");
    assert_eq!(env.lamports(&merchant.key()).await, before + order_rent);
    env.assert_conservation().await;

    // Expiry and cancel.
    let id = env.post_order(&merchant, 10 * USDT).await.expect("post");
    let ix = env.ix_order_cancel(&trader.key(), id);
    assert_err(env.send(vec![ix], &[&trader.kp]).await, E::NotOrderMerchant);
    env.warp_secs(86_400).await;
    assert_err(
        env.fill(&trader, id, &merchant.key(), USDT)
            .await
            .map(|_| ()),
        E::OrderExpired,
    );
    let before = env.lamports(&merchant.key()).await;
    let rent = env.lamports(&env.order_pda(id)).await;
    let ix = env.ix_order_cancel(&merchant.key(), id);
    env.send(vec![ix], &[&merchant.kp])
        .await
        .expect("cancel order");
    assert!(env.raw(&env.order_pda(id)).await.is_none());
    assert_eq!(env.lamports(&merchant.key()).await, before + rent);
}

#[tokio::test]
async fn trade_state_machine_rejects_wrong_parties_and_states() {
    let (mut env, merchant, trader, _acceptor) = setup().await;
    let stranger = env.user(0).await;
    let arbiter = env.arbiter.insecure_clone();
    let id = env
        .open_trade(&merchant, &trader, 100 * USDT)
        .await
        .expect("open");

    assert_err(env.mark_paid(&trader.kp, id).await, E::NotDealBuyer);
    assert_err(env.mark_paid(&stranger.kp, id).await, E::NotDealBuyer);
    assert_err(env.release(&merchant.kp, id).await, E::NotDealSeller);
    assert_err(env.cancel(&trader.kp, id).await, E::DeadlineNotPassed);
    assert_err(env.cancel(&stranger.kp, id).await, E::NotDealParty);
    assert_err(env.dispute(&merchant.kp, id).await, E::WrongDealState);
    env.mark_paid(&merchant.kp, id).await.expect("paid");
    assert_err(env.mark_paid(&merchant.kp, id).await, E::WrongDealState);
    env.warp_secs(i64::from(WINDOW) + 1).await;
    assert_err(env.cancel(&trader.kp, id).await, E::WrongDealState);
    assert_err(env.resolve(&arbiter, id, 5_000).await, E::WrongDealState);
    assert_err(env.dispute(&stranger.kp, id).await, E::NotDealParty);
    env.dispute(&trader.kp, id).await.expect("dispute");
    assert_err(env.release(&trader.kp, id).await, E::WrongDealState);
    assert_err(env.dispute(&merchant.kp, id).await, E::WrongDealState);
    assert_err(env.resolve(&stranger.kp, id, 5_000).await, E::NotArbiter);
    assert_err(
        env.resolve(&arbiter, id, 10_001).await,
        E::InvalidBuyerShare,
    );
    assert_eq!(env.deal(id).await.state, DealState::Disputed);
    env.assert_conservation().await;
    env.resolve(&arbiter, id, 5_000).await.expect("resolve");
    // 50 USDT to the merchant side at 1 %: fee 0.5, reward 0.05, platform 0.45.
    assert_eq!(
        env.escrow(&merchant.key()).await.available,
        1_000 * USDT + 49_500_000
    );
    assert_eq!(
        env.escrow(&trader.key()).await.available,
        950 * USDT + 50_000
    );
    assert_eq!(env.escrow(&env.treasury.key()).await.available, 450_000);
    assert!(env.raw(&env.deal_pda(id)).await.is_none());
    env.assert_conservation().await;
    // A closed deal cannot be acted on.
    assert_anchor_err(
        env.mark_paid(&merchant.kp, id).await,
        AE::AccountNotInitialized,
    );

    // The buyer may cancel even after marking paid; the seller may release from Open.
    let id = env
        .open_trade(&merchant, &trader, 10 * USDT)
        .await
        .expect("open");
    env.mark_paid(&merchant.kp, id).await.expect("paid");
    env.cancel(&merchant.kp, id)
        .await
        .expect("buyer cancels a paid deal");
    let id = env
        .open_trade(&merchant, &trader, 10 * USDT)
        .await
        .expect("open");
    env.release(&trader.kp, id)
        .await
        .expect("release from Open");
    env.assert_conservation().await;
}

#[tokio::test]
async fn settlement_accounts_are_checked() {
    let (mut env, merchant, trader, _acceptor) = setup().await;
    let agent = env.user(ROLE_AGENT).await;
    env.set_agent(&merchant.key(), &agent.key())
        .await
        .expect("agent");
    let id = env
        .open_trade(&merchant, &trader, 100 * USDT)
        .await
        .expect("open");
    let good = env.ix_release(&trader.key(), id).await;
    let with = |index: usize, key: Pubkey| {
        let mut ix: Instruction = good.clone();
        ix.accounts[index].pubkey = key;
        ix
    };
    // Accounts: 0 seller, 1 config, 2 deal, 3 seller acc, 4 buyer acc, 5 agent acc,
    // 6 treasury acc, 7 rent payer, 8 buy order, 9 merchant, 10 co-signer.
    let stranger = env.user(0).await;
    let stranger_acc = env.account_pda(&stranger.key());
    let cases: Vec<(Instruction, u32)> = vec![
        (with(7, stranger.key()), u32::from(E::WrongRentPayer)),
        (with(4, stranger_acc), u32::from(AE::ConstraintSeeds)),
        (with(3, stranger_acc), u32::from(AE::ConstraintSeeds)),
        (with(6, stranger_acc), u32::from(E::TreasuryAccountMismatch)),
        (with(6, PROGRAM_ID), u32::from(E::TreasuryAccountMismatch)),
        (with(8, PROGRAM_ID), u32::from(E::BuyOrderMismatch)),
        (with(9, stranger.key()), u32::from(E::BuyOrderMismatch)),
        (with(5, stranger_acc), u32::from(E::AgentAccountMismatch)),
        (with(5, PROGRAM_ID), u32::from(E::AgentAccountMismatch)),
        (
            with(5, env.account_pda(&trader.key())),
            u32::from(AE::ConstraintDuplicateMutableAccount),
        ),
        (
            with(2, env.order_pda(0)),
            u32::from(AE::AccountDiscriminatorMismatch),
        ),
    ];
    for (ix, expected) in cases {
        let result = env.send(vec![ix], &[&trader.kp]).await;
        assert_eq!(crate::harness::err_code(result), expected);
    }
    // A deal of another config cannot be passed: its PDA does not match this config.
    env.send(vec![good], &[&trader.kp]).await.expect("release");
    let agent_account = env.escrow(&agent.key()).await;
    // fee 1 USDT, agent 20 % = 0.2 USDT.
    assert_eq!(agent_account.available, 200_000);
    assert_eq!(agent_account.agent_volume, 100 * USDT);
    env.assert_conservation().await;
}

#[tokio::test]
async fn agent_that_is_a_deal_party_is_credited_in_place() {
    let (mut env, merchant, trader, _acceptor) = setup().await;
    let admin = env.admin.insecure_clone();
    let ix = env.ix_set_roles(&trader.key(), ROLE_AGENT);
    env.send(vec![ix], &[&admin]).await.expect("roles");
    env.set_agent(&merchant.key(), &trader.key())
        .await
        .expect("agent");
    let id = env
        .open_trade(&merchant, &trader, 100 * USDT)
        .await
        .expect("open");
    env.release(&trader.kp, id).await.expect("release");
    // fee 1 USDT: reward 0.1 + agent cut 0.2 both to the trader, 0.7 to the treasury.
    let trader_account = env.escrow(&trader.key()).await;
    assert_eq!(trader_account.available, 900 * USDT + 300_000);
    assert_eq!(trader_account.agent_volume, 100 * USDT);
    assert_eq!(env.escrow(&env.treasury.key()).await.available, 700_000);
    env.assert_conservation().await;
}

#[tokio::test]
async fn collection_flow_and_rules() {
    let (mut env, merchant, trader, acceptor) = setup().await;
    let dispatcher = env.dispatcher.insecure_clone();
    let stranger = Keypair::new();
    // Only the dispatcher opens; roles, parties and limits are checked.
    let id = env.config_state().await.next_deal_id;
    let ix = env.ix_collection_open(
        &stranger.pubkey(),
        &acceptor.key(),
        &merchant.key(),
        id,
        USDT,
        WINDOW,
    );
    env.fund(&stranger.pubkey());
    assert_err(env.send(vec![ix], &[&stranger]).await, E::NotDispatcher);
    assert_err(
        env.open_collection(&trader.key(), &merchant.key(), USDT)
            .await
            .map(|_| ()),
        E::MissingRole,
    );
    assert_err(
        env.open_collection(&acceptor.key(), &trader.key(), USDT)
            .await
            .map(|_| ()),
        E::MissingRole,
    );
    let both = env.user(ROLE_ACCEPTOR | ROLE_MERCHANT).await;
    env.fund_and_deposit(&both, 10 * USDT).await;
    assert_err(
        env.open_collection(&both.key(), &both.key(), USDT)
            .await
            .map(|_| ()),
        E::SameParty,
    );
    assert_err(
        env.open_collection(&acceptor.key(), &merchant.key(), 0)
            .await
            .map(|_| ()),
        E::ZeroAmount,
    );
    assert_err(
        env.open_collection(&acceptor.key(), &merchant.key(), 1_001 * USDT)
            .await
            .map(|_| ()),
        E::InsufficientBalance,
    );
    assert_err(
        env.open_collection(&acceptor.key(), &merchant.key(), 1_000_001 * USDT)
            .await
            .map(|_| ()),
        E::DealAmountTooLarge,
    );
    let ix = env.ix_collection_open(
        &dispatcher.pubkey(),
        &acceptor.key(),
        &merchant.key(),
        id,
        USDT,
        59,
    );
    assert_err(
        env.send(vec![ix], &[&dispatcher]).await,
        E::PaymentWindowOutOfBounds,
    );
    // The treasury may be a party (settlements credit it in place).
    let treasury = env.treasury.key();
    let admin = env.admin.insecure_clone();
    let ix = env.ix_set_roles(&treasury, ROLE_MERCHANT);
    env.send(vec![ix], &[&admin]).await.expect("roles");
    let id = env
        .open_collection(&acceptor.key(), &treasury, USDT)
        .await
        .expect("the treasury as the merchant");
    let treasury_kp = env.treasury.kp.insecure_clone();
    env.cancel(&treasury_kp, id).await.expect("cancel");

    // Happy path: the dispatcher marks paid, the acceptor releases.
    let dispatcher_lamports = env.lamports(&dispatcher.pubkey()).await;
    let id = env
        .open_collection(&acceptor.key(), &merchant.key(), 200 * USDT)
        .await
        .expect("open");
    let rent = env.lamports(&env.deal_pda(id)).await;
    assert_eq!(env.escrow(&acceptor.key()).await.locked, 200 * USDT);
    env.assert_conservation().await;
    assert_err(env.mark_paid(&stranger, id).await, E::NotDealBuyer);
    env.mark_paid(&dispatcher, id)
        .await
        .expect("dispatcher marks paid");
    env.release(&acceptor.kp, id).await.expect("release");
    assert_eq!(
        env.lamports(&dispatcher.pubkey()).await,
        dispatcher_lamports
    );
    assert!(rent > 0);
    // 200 USDT at 1 %: merchant +198, treasury +2, no reward on a collection.
    assert_eq!(env.escrow(&merchant.key()).await.available, 1_198 * USDT);
    assert_eq!(env.escrow(&acceptor.key()).await.available, 800 * USDT);
    assert_eq!(env.escrow(&env.treasury.key()).await.available, 2 * USDT);
    assert_eq!(
        env.escrow(&merchant.key()).await.merchant_volume,
        200 * USDT
    );
    env.assert_conservation().await;

    // The dispatcher may not mark a Trade paid.
    let id = env
        .open_trade(&merchant, &trader, USDT)
        .await
        .expect("trade");
    assert_err(env.mark_paid(&dispatcher, id).await, E::NotDealBuyer);
}

#[tokio::test]
async fn payout_flow_and_rules() {
    let (mut env, merchant, trader, acceptor) = setup().await;
    let dispatcher = env.dispatcher.insecure_clone();
    assert_err(
        {
            let id = env.config_state().await.next_deal_id;
            let ix = env.ix_payout_open(&trader.key(), id, USDT);
            env.send(vec![ix], &[&trader.kp]).await
        },
        E::MissingRole,
    );
    let id = env.config_state().await.next_deal_id;
    let ix = env.ix_payout_open(&merchant.key(), id, 1_001 * USDT);
    assert_err(
        env.send(vec![ix], &[&merchant.kp]).await,
        E::InsufficientBalance,
    );
    let ix = env.ix_payout_open(&merchant.key(), id, 300 * USDT);
    env.send(vec![ix], &[&merchant.kp])
        .await
        .expect("open payout");
    let deal = env.deal(id).await;
    assert_eq!(
        (deal.kind, deal.buyer, deal.seller, deal.merchant),
        (
            DealKind::Payout,
            Pubkey::default(),
            merchant.key(),
            merchant.key()
        )
    );
    assert_eq!(env.escrow(&merchant.key()).await.locked, 300 * USDT);
    env.assert_conservation().await;
    assert_err(env.mark_paid(&acceptor.kp, id).await, E::DealNotAssigned);
    let ix = env.ix_payout_assign(&acceptor.key(), id, &acceptor.key(), WINDOW);
    assert_err(env.send(vec![ix], &[&acceptor.kp]).await, E::NotDispatcher);
    let ix = env.ix_payout_assign(&dispatcher.pubkey(), id, &trader.key(), WINDOW);
    assert_err(env.send(vec![ix], &[&dispatcher]).await, E::MissingRole);
    let ix = env.ix_payout_assign(&dispatcher.pubkey(), id, &acceptor.key(), WINDOW);
    env.send(vec![ix], &[&dispatcher]).await.expect("assign");
    let ix = env.ix_payout_assign(&dispatcher.pubkey(), id, &acceptor.key(), WINDOW);
    assert_err(
        env.send(vec![ix], &[&dispatcher]).await,
        E::DealAlreadyAssigned,
    );
    // The acceptor pays the fiat, the merchant releases; the fee is the merchant's.
    env.mark_paid(&acceptor.kp, id).await.expect("paid");
    env.release(&merchant.kp, id).await.expect("release");
    assert_eq!(env.escrow(&acceptor.key()).await.available, 1_297 * USDT);
    assert_eq!(env.escrow(&merchant.key()).await.available, 700 * USDT);
    assert_eq!(
        env.escrow(&merchant.key()).await.merchant_volume,
        300 * USDT
    );
    assert_eq!(env.escrow(&env.treasury.key()).await.available, 3 * USDT);
    env.assert_conservation().await;

    // An unassigned payout may be cancelled by the merchant at once, rent back.
    let id = env.config_state().await.next_deal_id;
    let ix = env.ix_payout_open(&merchant.key(), id, 50 * USDT);
    let before = env.lamports(&merchant.key()).await;
    env.send(vec![ix], &[&merchant.kp])
        .await
        .expect("open payout");
    env.cancel(&merchant.kp, id)
        .await
        .expect("cancel unassigned");
    assert_eq!(env.lamports(&merchant.key()).await, before);
    assert_eq!(env.escrow(&merchant.key()).await.available, 700 * USDT);
    env.assert_conservation().await;
}

#[tokio::test]
async fn pause_stops_new_business_but_not_open_deals() {
    let (mut env, merchant, trader, acceptor) = setup().await;
    let guardian = env.guardian.insecure_clone();
    let admin = env.admin.insecure_clone();
    let arbiter = env.arbiter.insecure_clone();
    let open = env
        .open_trade(&merchant, &trader, 10 * USDT)
        .await
        .expect("open");
    let disputed = env
        .open_trade(&merchant, &trader, 10 * USDT)
        .await
        .expect("open");
    env.mark_paid(&merchant.kp, disputed).await.expect("paid");
    let order = env.post_order(&merchant, 10 * USDT).await.expect("order");

    let ix = env.ix_pause(&trader.key());
    assert_err(env.send(vec![ix], &[&trader.kp]).await, E::NotGuardian);
    let ix = env.ix_unpause(&admin.pubkey());
    assert_err(env.send(vec![ix], &[&admin]).await, E::NotPaused);
    let ix = env.ix_pause(&guardian.pubkey());
    env.send(vec![ix], &[&guardian]).await.expect("pause");
    let ix = env.ix_pause(&admin.pubkey());
    assert_err(env.send(vec![ix], &[&admin]).await, E::Paused);

    let ix = env.ix_deposit(&trader.key(), &trader.token, USDT);
    assert_err(env.send(vec![ix], &[&trader.kp]).await, E::Paused);
    let ix = env.ix_withdraw(&trader.key(), &trader.token, USDT);
    assert_err(env.send(vec![ix], &[&trader.kp]).await, E::Paused);
    assert_err(env.post_order(&merchant, USDT).await.map(|_| ()), E::Paused);
    assert_err(
        env.fill(&trader, order, &merchant.key(), USDT)
            .await
            .map(|_| ()),
        E::Paused,
    );
    assert_err(
        env.open_collection(&acceptor.key(), &merchant.key(), USDT)
            .await
            .map(|_| ()),
        E::Paused,
    );
    let id = env.config_state().await.next_deal_id;
    let ix = env.ix_payout_open(&merchant.key(), id, USDT);
    assert_err(env.send(vec![ix], &[&merchant.kp]).await, E::Paused);

    // Open deals progress; orders can still be withdrawn by their merchant.
    env.mark_paid(&merchant.kp, open)
        .await
        .expect("paid while paused");
    env.release(&trader.kp, open)
        .await
        .expect("release while paused");
    env.dispute(&trader.kp, disputed)
        .await
        .expect("dispute while paused");
    env.resolve(&arbiter, disputed, 2_500)
        .await
        .expect("resolve while paused");
    let ix = env.ix_order_cancel(&merchant.key(), order);
    env.send(vec![ix], &[&merchant.kp])
        .await
        .expect("cancel order while paused");
    env.assert_conservation().await;

    let ix = env.ix_unpause(&guardian.pubkey());
    assert_err(env.send(vec![ix], &[&guardian]).await, E::NotAdmin);
    let ix = env.ix_unpause(&admin.pubkey());
    env.send(vec![ix], &[&admin]).await.expect("unpause");
    let ix = env.ix_deposit(&trader.key(), &trader.token, 0);
    assert_err(env.send(vec![ix], &[&trader.kp]).await, E::ZeroAmount);
    // The admin may pause too.
    let ix = env.ix_pause(&admin.pubkey());
    env.send(vec![ix], &[&admin]).await.expect("admin pauses");
}

#[tokio::test]
async fn wrong_config_or_program_accounts_are_rejected() {
    let (mut env, merchant, trader, _acceptor) = setup().await;
    let id = env
        .open_trade(&merchant, &trader, 10 * USDT)
        .await
        .expect("open");
    // An escrow account passed where the config belongs.
    let mut ix = env.ix_mark_paid(&merchant.key(), id);
    ix.accounts[1].pubkey = env.account_pda(&merchant.key());
    assert_anchor_err(
        env.send(vec![ix], &[&merchant.kp]).await,
        AE::AccountDiscriminatorMismatch,
    );
    // A system account passed as the deal.
    let mut ix = env.ix_mark_paid(&merchant.key(), id);
    ix.accounts[2].pubkey = merchant.key();
    assert_anchor_err(
        env.send(vec![ix], &[&merchant.kp]).await,
        AE::AccountOwnedByWrongProgram,
    );
    // The buyer account of a release must be a program account, not the wallet.
    let ix = Instruction {
        program_id: PROGRAM_ID,
        accounts: acc::DealMarkPaid {
            authority: merchant.key(),
            config: env.config,
            deal: env.deal_pda(id + 7),
            event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_escrow::ID,
        }
        .to_account_metas(None),
        data: ixs::DealMarkPaid {}.data(),
    };
    assert_anchor_err(
        env.send(vec![ix], &[&merchant.kp]).await,
        AE::AccountNotInitialized,
    );
    assert_eq!(env.deal(id).await.state, DealState::Open);
}

#[tokio::test]
async fn prefunded_pdas_do_not_block_creation() {
    // Anyone can send lamports to a predictable PDA (the next deal, the next
    // order, someone's escrow account) before it is created.
    let (mut env, merchant, trader, acceptor) = setup().await;
    let donation = 1_000_000;
    let prefund = |env: &mut Env, key: &Pubkey| {
        let account = solana_sdk::account::AccountSharedData::new(
            donation,
            0,
            &anchor_lang::system_program::ID,
        );
        env.ctx.set_account(key, &account);
    };
    let newcomer = Keypair::new();
    let newcomer_pda = env.account_pda(&newcomer.pubkey());
    prefund(&mut env, &newcomer_pda);
    env.open_account(&newcomer.pubkey())
        .await
        .expect("open a prefunded escrow account");
    let account = env.escrow(&newcomer.pubkey()).await;
    assert_eq!((account.wallet, account.available), (newcomer.pubkey(), 0));

    let order_id = env.config_state().await.next_order_id;
    let order_pda = env.order_pda(order_id);
    prefund(&mut env, &order_pda);
    env.post_order(&merchant, 10 * USDT)
        .await
        .expect("post into a prefunded order PDA");
    assert_eq!(env.order(order_id).await.remaining, 10 * USDT);

    let deal_id = env.config_state().await.next_deal_id;
    let deal_pda = env.deal_pda(deal_id);
    prefund(&mut env, &deal_pda);
    let before = env.lamports(&trader.key()).await;
    let id = env
        .fill(&trader, order_id, &merchant.key(), 10 * USDT)
        .await
        .expect("fill into a prefunded deal PDA");
    assert_eq!(id, deal_id);
    let held = env.lamports(&deal_pda).await;
    let rent = env
        .ctx
        .banks_client
        .get_rent()
        .await
        .expect("rent")
        .minimum_balance(8 + Deal::INIT_SPACE);
    assert_eq!(held, rent.max(donation));
    assert_eq!(
        env.lamports(&trader.key()).await,
        before - (held - donation)
    );
    env.release(&trader.kp, id).await.expect("release");
    // The whole balance of the closed account goes to the rent payer.
    assert_eq!(env.lamports(&trader.key()).await, before + donation);

    let next = env.config_state().await.next_deal_id;
    let pda = env.deal_pda(next);
    prefund(&mut env, &pda);
    env.open_collection(&acceptor.key(), &merchant.key(), USDT)
        .await
        .expect("collection");
    let next = env.config_state().await.next_deal_id;
    let pda = env.deal_pda(next);
    prefund(&mut env, &pda);
    env.open_payout(&merchant, &acceptor.key(), USDT)
        .await
        .expect("payout");
    env.assert_conservation().await;
}
