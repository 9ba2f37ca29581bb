//! Randomised action sequences: after every step the vault holds exactly the
//! liabilities plus any unswept surplus, the liabilities equal the sum of all
//! balances, every seller's locked balance equals its open deals, and a
//! rejected action changes no balance. Besides the deal actions the sequences
//! send tokens straight to the vault, sweep, change fees, name co-signers and
//! move the treasury onto a user (protocol v2).

use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use stablerail_escrow::state::{DealKind, ROLE_ALL};

use crate::harness::{default_fees, Env, User, WINDOW};

const USERS: usize = 4;
const USDT: u64 = 1_000_000;

/// Successful settlements (release or resolve) and rejected actions over
/// all cases, so the test can show the sequences reach deep states.
static SETTLED: AtomicUsize = AtomicUsize::new(0);
static REJECTED: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Clone)]
enum Action {
    Deposit {
        user: usize,
        amount: u64,
    },
    Withdraw {
        user: usize,
        amount: u64,
    },
    Open {
        kind: u8,
        seller: usize,
        buyer: usize,
        amount: u64,
    },
    MarkPaid {
        deal: usize,
    },
    Release {
        deal: usize,
    },
    CancelByBuyer {
        deal: usize,
    },
    CancelAfterDeadline {
        deal: usize,
    },
    Dispute {
        deal: usize,
        by_seller: bool,
    },
    Resolve {
        deal: usize,
        bps: u16,
    },
    /// v2: tokens sent straight to the vault (surplus).
    DirectTransfer {
        amount: u64,
    },
    /// v2: the admin sweeps the surplus to the treasury.
    Sweep,
    /// v2: the admin changes the merchant fee (open deals keep their rates).
    FeeChange {
        bps: u16,
    },
    /// v2: a user names a co-signer with a daily allowance (its outflows
    /// beyond it are then refused).
    CoSigner {
        user: usize,
        allowance: u64,
    },
    /// v2: the admin moves the treasury onto a user (credited in place).
    TreasuryMove {
        user: usize,
    },
}

fn action() -> impl Strategy<Value = Action> {
    let user = 0..USERS;
    let amount = 1..=200 * USDT;
    prop_oneof![
        1 => (user.clone(), amount.clone()).prop_map(|(user, amount)| Action::Deposit { user, amount }),
        1 => (user.clone(), amount.clone()).prop_map(|(user, amount)| Action::Withdraw { user, amount }),
        3 => (0..3u8, user.clone(), user, amount)
            .prop_map(|(kind, seller, buyer, amount)| Action::Open { kind, seller, buyer, amount }),
        2 => any::<usize>().prop_map(|deal| Action::MarkPaid { deal }),
        2 => any::<usize>().prop_map(|deal| Action::Release { deal }),
        1 => any::<usize>().prop_map(|deal| Action::CancelByBuyer { deal }),
        1 => any::<usize>().prop_map(|deal| Action::CancelAfterDeadline { deal }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(deal, by_seller)| Action::Dispute { deal, by_seller }),
        1 => (any::<usize>(), 0..=10_000u16).prop_map(|(deal, bps)| Action::Resolve { deal, bps }),
        1 => (1..=50 * USDT).prop_map(|amount| Action::DirectTransfer { amount }),
        1 => Just(Action::Sweep),
        1 => (0..=1_000u16).prop_map(|bps| Action::FeeChange { bps }),
        1 => (0..USERS, 0..=100 * USDT).prop_map(|(user, allowance)| Action::CoSigner { user, allowance }),
        1 => (0..USERS).prop_map(|user| Action::TreasuryMove { user }),
    ]
}

/// Every balance the escrow tracks, plus the vault's token amount.
async fn snapshot(env: &mut Env) -> (u64, Vec<(u64, u64)>) {
    let vault = env.vault;
    let held = env.token_balance(&vault).await;
    let mut balances = Vec::new();
    for wallet in env.wallets.clone() {
        let account = env.escrow(&wallet).await;
        balances.push((account.available, account.locked));
    }
    (held, balances)
}

/// The user with `key`; an unassigned payout's buyer (the default key) maps
/// to user 0, whose attempt is then rejected.
fn user_of<'a>(users: &'a [User], key: &Pubkey) -> &'a User {
    users.iter().find(|u| u.key() == *key).unwrap_or(&users[0])
}

async fn run(actions: Vec<Action>) {
    let mut env = Env::new(default_fees()).await;
    let mut users = Vec::new();
    for _ in 0..USERS {
        let user = env.user(ROLE_ALL).await;
        env.fund_and_deposit(&user, 500 * USDT).await;
        users.push(user);
    }
    env.set_agent(&users[1].key(), &users[0].key())
        .await
        .expect("agent");
    let arbiter = env.arbiter.insecure_clone();
    let admin = env.admin.insecure_clone();
    let mut open: Vec<u64> = Vec::new();
    for step in actions {
        let mut before = snapshot(&mut env).await;
        let pick = |i: usize, open: &Vec<u64>| (!open.is_empty()).then(|| open[i % open.len()]);
        let result = match step.clone() {
            Action::Deposit { user, amount } => {
                let user = &users[user];
                env.mint_to(&user.token, amount).await;
                let ix = env.ix_deposit(&user.key(), &user.token, amount);
                env.send(vec![ix], &[&user.kp]).await
            }
            Action::Withdraw { user, amount } => {
                let user = &users[user];
                let ix = env.ix_withdraw(&user.key(), &user.token, amount);
                env.send(vec![ix], &[&user.kp]).await
            }
            Action::Open {
                kind,
                seller,
                buyer,
                amount,
            } => {
                let kind =
                    [DealKind::Trade, DealKind::Collection, DealKind::Payout][usize::from(kind)];
                if kind == DealKind::Payout {
                    // Two transactions: the merchant opens, the dispatcher
                    // assigns; each is checked on its own.
                    let id = env.config_state().await.next_deal_id;
                    let ix = env.ix_payout_open(&users[seller].key(), id, amount);
                    match env.send(vec![ix], &[&users[seller].kp]).await {
                        Ok(()) => {
                            open.push(id);
                            before = snapshot(&mut env).await;
                            let ix = env.ix_payout_assign(
                                &env.dispatcher.pubkey(),
                                id,
                                &users[buyer].key(),
                                WINDOW,
                            );
                            let dispatcher = env.dispatcher.insecure_clone();
                            env.send(vec![ix], &[&dispatcher]).await
                        }
                        Err(e) => Err(e),
                    }
                } else {
                    let result = env
                        .open_deal(kind, &users[seller], &users[buyer], amount)
                        .await;
                    result.map(|id| open.push(id))
                }
            }
            Action::MarkPaid { deal } => match pick(deal, &open) {
                Some(id) => {
                    let buyer = env.deal(id).await.buyer;
                    env.mark_paid(&user_of(&users, &buyer).kp, id).await
                }
                None => continue,
            },
            Action::Release { deal } => match pick(deal, &open) {
                Some(id) => {
                    let seller = env.deal(id).await.seller;
                    env.release(&user_of(&users, &seller).kp, id).await
                }
                None => continue,
            },
            Action::CancelByBuyer { deal } => match pick(deal, &open) {
                Some(id) => {
                    let buyer = env.deal(id).await.buyer;
                    env.cancel(&user_of(&users, &buyer).kp, id).await
                }
                None => continue,
            },
            Action::CancelAfterDeadline { deal } => match pick(deal, &open) {
                Some(id) => {
                    env.warp_secs(i64::from(WINDOW) + 1).await;
                    let seller = env.deal(id).await.seller;
                    env.cancel(&user_of(&users, &seller).kp, id).await
                }
                None => continue,
            },
            Action::Dispute { deal, by_seller } => match pick(deal, &open) {
                Some(id) => {
                    let deal = env.deal(id).await;
                    let party = if by_seller { deal.seller } else { deal.buyer };
                    env.dispute(&user_of(&users, &party).kp, id).await
                }
                None => continue,
            },
            Action::Resolve { deal, bps } => match pick(deal, &open) {
                Some(id) => env.resolve(&arbiter, id, bps).await,
                None => continue,
            },
            Action::DirectTransfer { amount } => {
                let vault = env.vault;
                env.mint_to(&vault, amount).await;
                env.surplus += amount;
                Ok(())
            }
            Action::Sweep => {
                let treasury = env.config_state().await.authorities.treasury;
                let ix = env.ix_sweep_surplus(&admin.pubkey(), &treasury);
                let result = env.send(vec![ix], &[&admin]).await;
                if result.is_ok() {
                    env.surplus = 0;
                }
                result
            }
            Action::FeeChange { bps } => {
                let mut fees = default_fees();
                fees.merchant_tiers[0].bps = bps;
                let ix = env.ix_set_fees(&admin.pubkey(), fees);
                env.send(vec![ix], &[&admin]).await
            }
            Action::CoSigner { user, allowance } => {
                let user = &users[user];
                let ix = env.ix_co_signer_set(
                    &user.key(),
                    Some(Pubkey::new_from_array([9; 32])),
                    allowance,
                    None,
                );
                env.send(vec![ix], &[&user.kp]).await
            }
            Action::TreasuryMove { user } => {
                let mut authorities = env.authorities();
                authorities.treasury = users[user].key();
                let ix = env.ix_set_authorities(&admin.pubkey(), authorities);
                env.send(vec![ix], &[&admin]).await
            }
        };
        let settles = matches!(step, Action::Release { .. } | Action::Resolve { .. });
        if result.is_ok() && settles {
            SETTLED.fetch_add(1, Ordering::Relaxed);
        }
        if result.is_err() {
            REJECTED.fetch_add(1, Ordering::Relaxed);
            // Deposits mint first; compare balances only.
            let after = snapshot(&mut env).await;
            assert_eq!(before.1, after.1, "{step:?} failed but changed balances");
        }
        // Closed deals leave the model.
        let mut still_open = Vec::new();
        for id in open {
            if env.raw(&env.deal_pda(id)).await.is_some() {
                still_open.push(id);
            }
        }
        open = still_open;
        env.assert_conservation().await;
        for user in &users {
            let mut locked = 0;
            for id in &open {
                let deal = env.deal(*id).await;
                if deal.seller == user.key() {
                    locked += deal.amount;
                }
            }
            assert_eq!(
                env.escrow(&user.key()).await.locked,
                locked,
                "locked of a seller after {step:?}"
            );
        }
    }
}

#[test]
fn random_action_sequences_conserve_funds() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let config = ProptestConfig {
        cases: 12,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&vec(action(), 10..40), |actions| {
        rt.block_on(run(actions));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (settled, rejected) = (
        SETTLED.load(Ordering::Relaxed),
        REJECTED.load(Ordering::Relaxed),
    );
    println!("random sequences: {settled} settlements, {rejected} rejected actions");
    assert!(
        settled > 0 && rejected > 0,
        "sequences must both settle deals and hit rejections"
    );
}
