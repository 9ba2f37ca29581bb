//! A full Trade on the Anchor escrow in a Solana bank with the real SPL Token
//! program, driven only by the SDK's builders and signed by the SDK's
//! transaction assembly: the platform's 2-of-3 multisig vault is admin, arbiter
//! and treasury; roles, agent and compliance are set; the trader deposits, the
//! merchant posts a buy order, the trader fills, the merchant marks paid, the
//! trader releases; the guardian pauses and the multisig unpauses; a second
//! fill is disputed and resolved through a multisig proposal; the trader
//! withdraws. Conservation (vault tokens == liabilities == sum of available + locked) is
//! checked after every step that changes state, wrong signers and bad inputs are
//! rejected with nothing changed, and the end state equals the SDK's reference
//! ledger.

use anyhow::Context as _;

use crate::common::solana::{self, Platform, User, custom_error, default_limits};
use crate::common::solana_ledger::Ledger as RecordedLedger;
use solana_sdk::signature::Signer;
use stablerail_escrow::errors::EscrowError;
use stablerail_sdk::conformance::{Ledger, Outcome};
use stablerail_sdk::solana::SolanaError;
use stablerail_sdk::solana::{self as sol, pda};
use stablerail_sdk::{Amount, DealKind, FeeSchedule, Roles, Tier};

fn fees() -> sol::FeeScheduleArgs {
    sol::FeeScheduleArgs {
        merchant_tiers: vec![
            sol::FeeTier {
                threshold: 0,
                bps: 100,
            },
            sol::FeeTier {
                threshold: 1_000_000_000,
                bps: 50,
            },
        ],
        agent_tiers: vec![sol::FeeTier {
            threshold: 0,
            bps: 2_000,
        }],
        trader_reward_bps: 1_000,
    }
}

/// A platform with `limits`, recording with `record`.
async fn start(record: bool, limits: sol::LimitsArgs) -> anyhow::Result<Platform> {
    if record {
        Platform::start_recording(fees(), limits).await
    } else {
        Platform::start(fees(), limits).await
    }
}

fn code(e: EscrowError) -> Option<u32> {
    Some(u32::from(e))
}

/// Everything a failed step could have touched.
async fn snapshot(
    p: &mut Platform,
    users: &[&User],
) -> anyhow::Result<(Vec<sol::EscrowAccount>, u64, sol::Config)> {
    let mut accounts = Vec::new();
    for u in users {
        accounts.push(p.account(&u.key()).await?);
    }
    let treasury = p.treasury();
    accounts.push(p.account(&treasury).await?);
    let vault = p.escrow.vault();
    let held = p.bank.token_balance(&vault).await?;
    Ok((accounts, held, p.config().await?))
}

#[tokio::test]
async fn trade_dispute_and_withdraw_through_the_sdk() -> anyhow::Result<()> {
    trade_dispute_and_withdraw(false).await.map(drop)
}

/// The flow of [`trade_dispute_and_withdraw_through_the_sdk`]; with `record`,
/// every transaction is recorded and the ledger returned
/// (`common/solana_ledger.rs`).
pub(crate) async fn trade_dispute_and_withdraw(
    record: bool,
) -> anyhow::Result<Option<RecordedLedger>> {
    let limits = sol::LimitsArgs {
        min_kyc_level: 1,
        ..default_limits()
    };
    let mut p = start(record, limits).await?;
    let merchant = p.user().await?;
    let trader = p.user().await?;
    let agent = p.user().await?;
    let vault = p.multisig.vault();
    let everyone = [&merchant, &trader, &agent];

    // The config as the SDK decodes it.
    let config = p.config().await?;
    assert_eq!(config.authorities.admin, vault);
    assert_eq!(config.authorities.treasury, vault);
    assert_eq!(config.usdt_mint, p.mint);
    assert_eq!(config.vault, p.escrow.vault());
    assert_eq!(config.fees.merchant_tier_count, 2);
    assert_eq!(config.limits.min_kyc_level, 1);

    // A key that is not the admin cannot set roles; nothing changes.
    let before = snapshot(&mut p, &everyone).await?;
    let ix = p
        .escrow
        .account_set_roles(&trader.key(), &merchant.key(), Roles::MERCHANT)?;
    let r = p.bank.send(vec![ix], &[&trader.kp]).await;
    assert_eq!(custom_error(&r), code(EscrowError::NotAdmin));
    assert_eq!(snapshot(&mut p, &everyone).await?, before);

    // Roles and the agent through the multisig; compliance by its key.
    let set_roles = vec![
        p.escrow
            .account_set_roles(&vault, &merchant.key(), Roles::MERCHANT)?,
        p.escrow
            .account_set_roles(&vault, &agent.key(), Roles::AGENT)?,
    ];
    p.admin(&set_roles).await?;
    let set_agent = p
        .escrow
        .account_set_agent(&vault, &merchant.key(), &agent.key())?;
    p.admin(&[set_agent]).await?;
    assert_eq!(p.account(&merchant.key()).await?.agent, Some(agent.key()));
    p.check_conservation().await?;
    let compliance = p.compliance.insecure_clone();
    let kyc = vec![
        p.escrow
            .account_set_compliance(&compliance.pubkey(), &merchant.key(), 1, 276),
        p.escrow
            .account_set_compliance(&compliance.pubkey(), &trader.key(), 2, 250),
    ];
    p.bank.send(kyc, &[&compliance]).await?;
    p.check_conservation().await?;
    let t = p.account(&trader.key()).await?;
    assert_eq!((t.kyc_level, t.region), (2, 250));

    // Deposit: 100 USDT minted, 60 deposited.
    p.mint_to(&trader.token, 100_000_000).await?;
    // Zero is refused by the SDK before anything is signed.
    assert_eq!(
        p.escrow.deposit(
            &trader.key(),
            &trader.token,
            &p.mint,
            &pda::TOKEN_PROGRAM_ID,
            Amount::ZERO
        ),
        Err(SolanaError::ZeroAmount {
            field: "deposit amount"
        })
    );
    p.deposit(&trader, 60_000_000).await?;
    p.check_conservation().await?;
    assert_eq!(p.bank.token_balance(&trader.token).await?, 40_000_000);
    assert_eq!(p.account(&trader.key()).await?.available, 60_000_000);
    // More than the wallet holds: the token program refuses, nothing changes.
    let before = snapshot(&mut p, &everyone).await?;
    assert!(p.deposit(&trader, 40_000_001).await.is_err());
    assert_eq!(snapshot(&mut p, &everyone).await?, before);

    // The merchant posts a buy order of 50 USDT at 7.25 CNY.
    let order = p.post_order(&merchant, 50_000_000).await?;
    // The harness posts min = max = amount; repost a flexible one for two fills.
    let cancel = p.escrow.buy_order_cancel(&merchant.key(), order);
    p.bank.send(vec![cancel], &[&merchant.kp]).await?;
    assert!(
        p.bank
            .decoded::<sol::BuyOrder>(&p.escrow.buy_order(order))
            .await?
            .is_none()
    );
    let order = p.config().await?.next_order_id;
    let expiry = p.bank.now().await? + 86_400;
    let post = sol::BuyOrderPostArgs {
        price_minor: 725,
        currency: sol::parse_currency("CNY")?,
        amount: 50_000_000,
        min_fill: 1_000_000,
        max_fill: 30_000_000,
        expiry,
        payment_window_secs: solana::WINDOW,
    };
    assert!(matches!(
        sol::parse_currency("cny"),
        Err(SolanaError::Currency { .. })
    ));
    let ix = p.escrow.buy_order_post(&merchant.key(), order, &post)?;
    p.bank.send(vec![ix], &[&merchant.kp]).await?;
    let posted: sol::BuyOrder = p
        .bank
        .decoded(&p.escrow.buy_order(order))
        .await?
        .context("order")?;
    assert_eq!((posted.remaining, posted.open), (50_000_000, true));
    p.check_conservation().await?;

    // A fill above max_fill is refused by the program; nothing changes.
    let before = snapshot(&mut p, &everyone).await?;
    let Err(err) = p.fill(&trader, order, 30_000_001, [1; 32]).await else {
        anyhow::bail!("a fill above max_fill went through");
    };
    let r: Result<(), _> = Err(err.downcast::<solana_program_test::BanksClientError>()?);
    assert_eq!(custom_error(&r), code(EscrowError::FillOutOfBounds));
    assert_eq!(snapshot(&mut p, &everyone).await?, before);

    // Fill 20 USDT: a Trade deal locking the trader's balance.
    let deal = p.fill(&trader, order, 20_000_000, [1; 32]).await?;
    p.check_conservation().await?;
    let t = p.account(&trader.key()).await?;
    assert_eq!((t.available, t.locked), (40_000_000, 20_000_000));
    let d = p.deal(deal).await?.context("deal")?;
    assert_eq!(d.kind, DealKind::Trade);
    assert_eq!(
        (d.seller, d.buyer, d.merchant),
        (trader.key(), merchant.key(), merchant.key())
    );

    // Wrong signers: the seller cannot mark paid, the buyer cannot release.
    let before = snapshot(&mut p, &everyone).await?;
    let r = p.mark_paid(&trader.kp, deal).await;
    assert_eq!(custom_error(&r), code(EscrowError::NotDealBuyer));
    let r = p.release(&merchant.kp, deal).await?;
    assert_eq!(custom_error(&r), code(EscrowError::NotDealSeller));
    assert_eq!(snapshot(&mut p, &everyone).await?, before);
    assert_eq!(
        p.deal(deal).await?.context("deal")?.state,
        sol::DealState::Open
    );

    // Paid, released; the deal closes and its rent returns to the trader.
    p.mark_paid(&merchant.kp, deal).await?;
    assert_eq!(
        p.deal(deal).await?.context("deal")?.state,
        sol::DealState::Paid
    );
    p.check_conservation().await?;
    let rent = p.bank.lamports(&p.escrow.deal(deal)).await?;
    let trader_lamports = p.bank.lamports(&trader.key()).await?;
    p.release(&trader.kp, deal).await??;
    p.check_conservation().await?;
    assert!(p.deal(deal).await?.is_none());
    assert_eq!(
        p.bank.lamports(&trader.key()).await?,
        trader_lamports + rent
    );

    // The guardian pauses: deposits stop (nothing changes); open deals go on.
    // Unpausing is the admin's, so it goes through the multisig.
    let guardian = p.guardian.insecure_clone();
    let ix = p.escrow.config_pause(&guardian.pubkey());
    p.bank.send(vec![ix], &[&guardian]).await?;
    assert!(p.config().await?.paused);
    let before = snapshot(&mut p, &everyone).await?;
    let ix = p.escrow.deposit(
        &trader.key(),
        &trader.token,
        &p.mint,
        &pda::TOKEN_PROGRAM_ID,
        Amount::from_units(1),
    )?;
    let r = p.bank.send(vec![ix], &[&trader.kp]).await;
    assert_eq!(custom_error(&r), code(EscrowError::Paused));
    assert_eq!(snapshot(&mut p, &everyone).await?, before);
    let ix = p.escrow.config_unpause(&guardian.pubkey());
    let r = p.bank.send(vec![ix], &[&guardian]).await;
    assert_eq!(custom_error(&r), code(EscrowError::NotAdmin));
    let unpause = p.escrow.config_unpause(&vault);
    p.admin(&[unpause]).await?;
    assert!(!p.config().await?.paused);
    p.check_conservation().await?;

    // Second fill: paid, disputed, resolved 60 % to the buyer by the multisig.
    let deal = p.fill(&trader, order, 10_000_000, [2; 32]).await?;
    p.mark_paid(&merchant.kp, deal).await?;
    p.dispute(&merchant.kp, deal).await?;
    p.check_conservation().await?;
    assert_eq!(
        p.deal(deal).await?.context("deal")?.state,
        sol::DealState::Disputed
    );
    // An owner's own key is not the arbiter; only the vault through a proposal is.
    let parties = p.settlement(deal).await?;
    let owner = p.owners[0].insecure_clone();
    let ix = p
        .escrow
        .deal_resolve(&owner.pubkey(), deal, &parties, 6_000)?;
    let before = snapshot(&mut p, &everyone).await?;
    let r = p.bank.send(vec![ix], &[&owner]).await;
    assert_eq!(custom_error(&r), code(EscrowError::NotArbiter));
    assert_eq!(snapshot(&mut p, &everyone).await?, before);
    p.resolve(deal, 6_000).await?;
    p.check_conservation().await?;
    assert!(p.deal(deal).await?.is_none());

    // Withdraw: more than available is refused; then 25 USDT to the own account.
    let available = p.account(&trader.key()).await?.available;
    let before = snapshot(&mut p, &everyone).await?;
    let ix = p.escrow.withdraw(
        &trader.key(),
        &trader.token,
        &p.mint,
        &pda::TOKEN_PROGRAM_ID,
        Amount::from_units(available + 1),
    )?;
    let r = p.bank.send(vec![ix], &[&trader.kp]).await;
    assert_eq!(custom_error(&r), code(EscrowError::InsufficientBalance));
    assert_eq!(snapshot(&mut p, &everyone).await?, before);
    let ix = p.escrow.withdraw(
        &trader.key(),
        &trader.token,
        &p.mint,
        &pda::TOKEN_PROGRAM_ID,
        Amount::from_units(25_000_000),
    )?;
    p.bank.send(vec![ix], &[&trader.kp]).await?;
    p.check_conservation().await?;
    assert_eq!(p.bank.token_balance(&trader.token).await?, 65_000_000);

    // The end state equals the SDK's reference ledger for the same story.
    let schedule = FeeSchedule::new(
        vec![Tier::new(0, 100), Tier::new(1_000_000_000, 50)],
        vec![Tier::new(0, 2_000)],
        1_000,
    )?;
    let names = ["merchant", "trader", "agent"].map(String::from);
    let mut ledger = Ledger::new(schedule, &names)?;
    ledger.set_agent("merchant", "agent")?;
    ledger.deposit("trader", Amount::from_units(60_000_000))?;
    let m = Amount::from_units;
    ledger.run_deal(
        0,
        DealKind::Trade,
        "trader",
        "merchant",
        "merchant",
        m(20_000_000),
        Outcome::Release,
        0,
    )?;
    ledger.run_deal(
        1,
        DealKind::Trade,
        "trader",
        "merchant",
        "merchant",
        m(10_000_000),
        Outcome::Resolve,
        6_000,
    )?;
    let reference = ledger.snapshot();
    let treasury = p.treasury();
    let on_chain = [
        ("merchant", merchant.key()),
        ("trader", trader.key()),
        ("agent", agent.key()),
        ("treasury", treasury),
    ];
    for (name, wallet) in on_chain {
        let a = p.account(&wallet).await?;
        let mut expected = reference.balances[name];
        if name == "trader" {
            expected -= 25_000_000; // withdrawn
        }
        assert_eq!(a.available, expected, "{name} available");
        assert_eq!(a.locked, 0, "{name} locked");
        assert_eq!(
            a.merchant_volume,
            reference.merchant_volume.get(name).copied().unwrap_or(0),
            "{name} merchant volume"
        );
        assert_eq!(
            a.agent_volume,
            reference.agent_volume.get(name).copied().unwrap_or(0),
            "{name} agent volume"
        );
    }
    // The platform actually earned something, and the agent its cut.
    assert!(reference.balances["treasury"] > 0 && reference.balances["agent"] > 0);
    Ok(p.bank.take_ledger())
}

/// Protocol v2 through the SDK: a co-signer limits what the owner's key alone
/// can withdraw per day, the co-signer's signature lifts it, a raise of the
/// allowance waits the delay; the dispatcher cannot lock an offline acceptor;
/// tokens sent straight to the vault are surplus until the multisig sweeps
/// them to the treasury. Conservation (vault == liabilities (+ surplus) ==
/// balances) after every step.
#[tokio::test]
async fn second_factor_acceptor_limits_and_sweep_through_the_sdk() -> anyhow::Result<()> {
    second_factor_acceptor_limits_and_sweep(false)
        .await
        .map(drop)
}

/// The flow of [`second_factor_acceptor_limits_and_sweep_through_the_sdk`];
/// with `record`, the ledger of every transaction is returned.
pub(crate) async fn second_factor_acceptor_limits_and_sweep(
    record: bool,
) -> anyhow::Result<Option<RecordedLedger>> {
    let mut p = start(record, default_limits()).await?;
    let owner = p.user().await?;
    let merchant = p.user().await?;
    let acceptor = p.user().await?;
    let vault = p.multisig.vault();
    let everyone = [&owner, &merchant, &acceptor];
    p.mint_to(&owner.token, 100_000_000).await?;
    p.deposit(&owner, 100_000_000).await?;
    p.check_conservation().await?;

    // A co-signer with 10 USDT a day, at once (none was set).
    let co_signer = solana_sdk::signature::Keypair::new();
    let set = |allowance: u64| sol::CoSignerSetArgs {
        co_signer: Some(co_signer.pubkey()),
        daily_allowance: allowance,
    };
    let ix = p
        .escrow
        .co_signer_set(&owner.key(), &set(10_000_000), None)?;
    p.bank.send(vec![ix], &[&owner.kp]).await?;
    let withdraw = |p: &Platform, units: u64| {
        p.escrow.withdraw(
            &owner.key(),
            &owner.token,
            &p.mint,
            &pda::TOKEN_PROGRAM_ID,
            Amount::from_units(units),
        )
    };
    // Over the allowance with the owner's key alone: refused, nothing changes.
    let before = snapshot(&mut p, &everyone).await?;
    let r = p
        .bank
        .send(vec![withdraw(&p, 11_000_000)?], &[&owner.kp])
        .await;
    assert_eq!(custom_error(&r), code(EscrowError::AllowanceExceeded));
    assert_eq!(snapshot(&mut p, &everyone).await?, before);
    // With the co-signer: goes through without using the allowance.
    let ix = p.escrow.withdraw_cosigned(
        &owner.key(),
        &owner.token,
        &p.mint,
        &pda::TOKEN_PROGRAM_ID,
        Amount::from_units(11_000_000),
        &co_signer.pubkey(),
    )?;
    p.bank.send(vec![ix], &[&owner.kp, &co_signer]).await?;
    assert_eq!(p.account(&owner.key()).await?.outflow_today, 0);
    p.bank
        .send(vec![withdraw(&p, 10_000_000)?], &[&owner.kp])
        .await?;
    let account = p.account(&owner.key()).await?;
    assert_eq!(account.outflow_today, 10_000_000);
    assert_eq!(account.allowance_left(p.bank.now().await?), Some(0));
    p.check_conservation().await?;
    // Raising the allowance alone waits the withdrawal delay.
    let ix = p
        .escrow
        .co_signer_set(&owner.key(), &set(50_000_000), None)?;
    p.bank.send(vec![ix], &[&owner.kp]).await?;
    let r = p
        .bank
        .send(vec![p.escrow.co_signer_apply(&owner.key())], &[])
        .await;
    assert_eq!(
        custom_error(&r),
        code(EscrowError::CoSignerChangeNotEffective)
    );
    p.bank.warp(solana::WITHDRAWAL_DELAY).await?;
    p.bank
        .send(vec![p.escrow.co_signer_apply(&owner.key())], &[])
        .await?;
    assert_eq!(p.account(&owner.key()).await?.daily_allowance, 50_000_000);

    // An acceptor is offline until it sets its own limits.
    let roles = vec![
        p.escrow
            .account_set_roles(&vault, &merchant.key(), Roles::MERCHANT)?,
        p.escrow
            .account_set_roles(&vault, &acceptor.key(), Roles::ACCEPTOR)?,
    ];
    p.admin(&roles).await?;
    p.mint_to(&acceptor.token, 30_000_000).await?;
    p.deposit(&acceptor, 30_000_000).await?;
    let dispatcher = p.dispatcher.insecure_clone();
    let open = |p: &Platform, id: u64, amount: u64| {
        p.escrow.deal_collection_open(
            &dispatcher.pubkey(),
            &acceptor.key(),
            &merchant.key(),
            None,
            id,
            &sol::DealCollectionOpenArgs {
                amount,
                payment_window_secs: solana::WINDOW,
                reference: [3; 32],
            },
        )
    };
    let id = p.config().await?.next_deal_id;
    let r = p
        .bank
        .send(vec![open(&p, id, 5_000_000)?], &[&dispatcher])
        .await;
    assert_eq!(custom_error(&r), code(EscrowError::AcceptorOffline));
    let ix = p.escrow.acceptor_set_limits(
        &acceptor.key(),
        &sol::AcceptorSetLimitsArgs {
            online: true,
            max_per_deal: 5_000_000,
            max_locked: 8_000_000,
        },
    );
    p.bank.send(vec![ix], &[&acceptor.kp]).await?;
    p.bank
        .send(vec![open(&p, id, 5_000_000)?], &[&dispatcher])
        .await?;
    let r = p
        .bank
        .send(vec![open(&p, id + 1, 4_000_000)?], &[&dispatcher])
        .await;
    assert_eq!(custom_error(&r), code(EscrowError::AcceptorLimitExceeded));
    p.check_conservation().await?;

    // Tokens sent to the vault directly are surplus until swept to the treasury.
    let escrow_vault = p.escrow.vault();
    p.mint_to(&escrow_vault, 3_000_000).await?;
    p.surplus += 3_000_000;
    p.check_conservation().await?;
    let treasury = p.treasury();
    let before = p.account(&treasury).await?.available;
    p.admin(&[p.escrow.sweep_surplus(&vault, &treasury)])
        .await?;
    p.surplus = 0;
    assert_eq!(p.account(&treasury).await?.available, before + 3_000_000);
    p.check_conservation().await?;
    Ok(p.bank.take_ledger())
}
