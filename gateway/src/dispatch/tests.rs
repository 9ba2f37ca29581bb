//! Properties of the engine.

use std::collections::{BTreeMap, BTreeSet};

use proptest::{
    prelude::{Just, ProptestConfig, any, prop, prop_assert, prop_assert_eq, prop_oneof, proptest},
    strategy::Strategy as _,
};

use super::{
    Acceptor, Book, EngineConfig, Ineligible, Order, OrderKind, Outcome,
    simulation::{simulate, synthetic_population},
};

const USDT: u64 = 1_000_000;

fn acceptor(i: usize) -> Acceptor {
    Acceptor {
        id: format!("a{i:03}"),
        has_role: true,
        kyc_level: 2,
        region: 1,
        online: true,
        last_heartbeat: 1_000,
        available: 1_000 * USDT,
        locked: 0,
        max_per_deal: 500 * USDT,
        max_locked: 2_000 * USDT,
        currencies: BTreeSet::from(["EUR".to_owned()]),
        min_amount: USDT,
        max_amount: 1_000 * USDT,
        priority: i as u32,
        target_share_bps: 2_500,
        target_volume: 10_000 * USDT,
    }
}

fn order(i: usize, amount: u64) -> Order {
    Order {
        id: format!("o{i}"),
        kind: OrderKind::Collection,
        amount,
        currency: "EUR".to_owned(),
        min_kyc_level: 1,
        blocked_regions: BTreeSet::new(),
        excluded: BTreeSet::new(),
    }
}

fn book(strategy: super::Strategy, acceptors: impl IntoIterator<Item = Acceptor>) -> Book {
    let mut b = Book::new(EngineConfig {
        strategy,
        heartbeat_timeout_secs: 120,
        ..EngineConfig::default()
    });
    for a in acceptors {
        b.upsert(a);
    }
    b
}

fn arb_acceptor(i: usize) -> impl proptest::strategy::Strategy<Value = Acceptor> {
    (
        any::<bool>(),
        0u8..4,
        0u16..4,
        prop::bool::weighted(0.8),
        0u64..400,
        0u64..2_000,
        0u64..1_000,
        1u64..1_500,
        0u64..3_000,
        prop::bool::weighted(0.9),
    )
        .prop_map(
            move |(role, kyc, region, online, hb_age, avail, locked, per_deal, max_locked, eur)| {
                let mut a = acceptor(i);
                a.has_role = role || i.is_multiple_of(2);
                a.kyc_level = kyc;
                a.region = region;
                a.online = online;
                a.last_heartbeat = 1_000 - hb_age;
                a.available = avail * USDT;
                a.locked = locked * USDT;
                a.max_per_deal = per_deal * USDT;
                a.max_locked = max_locked * USDT;
                if !eur {
                    a.currencies = BTreeSet::from(["USD".to_owned()]);
                }
                a
            },
        )
}

fn arb_strategy() -> impl proptest::strategy::Strategy<Value = super::Strategy> {
    prop_oneof![
        Just(super::Strategy::Priority),
        Just(super::Strategy::VolumeSplit),
        (0u32..=10_000)
            .prop_map(|exploration_bps| super::Strategy::SuccessRate { exploration_bps }),
        Just(super::Strategy::LeastLoad),
        Just(super::Strategy::Contract),
        Just(super::Strategy::Uniform),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the population, the strategy and the seed, the chosen acceptor
    /// breaks no hard rule, and nobody is chosen only when nobody is eligible.
    #[test]
    fn never_chooses_an_ineligible_acceptor(
        acceptors in (0..12usize).prop_flat_map(|n| (0..n).map(arb_acceptor).collect::<Vec<_>>()),
        strategy in arb_strategy(),
        amounts in prop::collection::vec(1u64..1_200, 1..30),
        seed in any::<u64>(),
    ) {
        let mut b = book(strategy, acceptors);
        for (i, amount) in amounts.into_iter().enumerate() {
            let mut o = order(i, amount * USDT);
            if i % 3 == 0 { o.kind = OrderKind::Payout; }
            if i % 5 == 0 { o.min_kyc_level = 2; o.blocked_regions.insert(3); }
            let d = b.decide(&o, 1_000, seed ^ i as u64);
            match d.chosen_report() {
                Some(c) => prop_assert!(c.inputs.ineligible.is_empty(), "{:?}", c),
                None => prop_assert!(d.candidates.iter().all(|c| !c.inputs.ineligible.is_empty())),
            }
            prop_assert_eq!(d.replay(), Ok(()));
        }
    }

    /// Decisions made before any lock reaches the chain never promise an acceptor
    /// more than its free collateral, nor more than its own maximum locked.
    #[test]
    fn never_promises_more_than_free_collateral(
        acceptors in (1..8usize).prop_flat_map(|n| (0..n).map(arb_acceptor).collect::<Vec<_>>()),
        strategy in arb_strategy(),
        amounts in prop::collection::vec(1u64..800, 1..60),
        seed in any::<u64>(),
    ) {
        let initial: BTreeMap<String, Acceptor> =
            acceptors.iter().map(|a| (a.id.clone(), a.clone())).collect();
        let mut b = book(strategy, acceptors);
        let mut promised: BTreeMap<String, u64> = BTreeMap::new();
        for (i, amount) in amounts.into_iter().enumerate() {
            let d = b.decide(&order(i, amount * USDT), 1_000, seed.wrapping_add(i as u64));
            if let Some(id) = d.chosen {
                *promised.entry(id).or_default() += amount * USDT;
            }
        }
        for (id, p) in promised {
            let a = &initial[&id];
            prop_assert!(p <= a.available, "{id}: promised {p} of {}", a.available);
            prop_assert!(a.locked + p <= a.max_locked, "{id}: above its own max locked");
            prop_assert_eq!(b.free_collateral(&id), Some(a.available - p));
        }
    }

    /// The same inputs and seed give the same decisions.
    #[test]
    fn same_seed_same_decisions(
        acceptors in (1..10usize).prop_flat_map(|n| (0..n).map(arb_acceptor).collect::<Vec<_>>()),
        strategy in arb_strategy(),
        seed in any::<u64>(),
    ) {
        let mut one = book(strategy.clone(), acceptors.clone());
        let mut two = book(strategy, acceptors);
        for i in 0..20 {
            let o = order(i, (i as u64 % 7 + 1) * 10 * USDT);
            prop_assert_eq!(one.decide(&o, 1_000, seed + i as u64), two.decide(&o, 1_000, seed + i as u64));
        }
    }
}

#[test]
fn volume_split_meets_target_shares_within_two_percent() {
    let shares = [4_000u32, 3_000, 2_000, 1_000];
    let mut b = book(
        super::Strategy::VolumeSplit,
        shares.iter().enumerate().map(|(i, s)| {
            let mut a = acceptor(i);
            a.target_share_bps = *s;
            a.available = u64::MAX / 8;
            a.max_locked = u64::MAX / 4;
            a
        }),
    );
    let mut volume: BTreeMap<String, u128> = BTreeMap::new();
    let mut amount = 7u64;
    for i in 0..10_000 {
        // Uneven amounts (1..=500 USDT) from a fixed sequence.
        amount = (amount * 7_919 + 13) % 500 + 1;
        let d = b.decide(&order(i, amount * USDT), 1_000, i as u64);
        let id = d.chosen.expect("someone is eligible");
        *volume.entry(id.clone()).or_default() += u128::from(amount * USDT);
        b.finish(&id, Outcome::Completed, 1_000, amount * USDT);
    }
    let total: u128 = volume.values().sum();
    for (i, target) in shares.iter().enumerate() {
        let got = volume[&format!("a{i:03}")] * 10_000 / total;
        let diff = (got as i64 - i64::from(*target)).abs();
        assert!(
            diff <= 200,
            "acceptor {i}: {got} bps of volume, target {target}"
        );
    }
}

#[test]
fn elimination_takes_a_failing_acceptor_out_and_readmits_it_after_the_cool_down() {
    let mut b = book(super::Strategy::Priority, [acceptor(0), acceptor(1)]);
    let policy = b.config().elimination.clone();
    // a000 has priority 0 and gets every order until it has failed max_timeouts times.
    let mut now = 1_000;
    for i in 0..policy.max_timeouts as usize {
        let d = b.decide(&order(i, 10 * USDT), now, 1);
        assert_eq!(d.chosen.as_deref(), Some("a000"));
        now += 10;
        b.finish("a000", Outcome::TimedOut, now, 10 * USDT);
    }
    assert!(b.is_eliminated("a000", now));
    let d = b.decide(&order(10, 10 * USDT), now, 1);
    assert_eq!(
        d.chosen.as_deref(),
        Some("a001"),
        "the failing acceptor is out"
    );
    let out = &d.candidates[0].inputs;
    assert_eq!(out.ineligible, vec![Ineligible::Eliminated]);
    b.finish("a001", Outcome::Completed, now, 10 * USDT);

    // After the cool-down it is back, on probation: one order at a time.
    now += policy.cool_down_secs;
    let mut fresh = acceptor(0);
    fresh.last_heartbeat = now;
    b.upsert(fresh);
    let mut other = acceptor(1);
    other.last_heartbeat = now;
    b.upsert(other);
    assert!(!b.is_eliminated("a000", now));
    let d = b.decide(&order(11, 10 * USDT), now, 1);
    assert_eq!(
        d.chosen.as_deref(),
        Some("a000"),
        "readmitted after the cool-down"
    );
    let d = b.decide(&order(12, 10 * USDT), now, 1);
    assert_eq!(
        d.chosen.as_deref(),
        Some("a001"),
        "on probation: one order at a time"
    );
    assert_eq!(
        d.candidates[0].inputs.ineligible,
        vec![Ineligible::ProbationBusy]
    );
    b.finish("a001", Outcome::Completed, now, 10 * USDT);
    // Completing its probation orders puts it back in good standing.
    b.finish("a000", Outcome::Completed, now + 1, 10 * USDT);
    for i in 1..policy.probation_orders as usize {
        let d = b.decide(&order(20 + i, 10 * USDT), now + 1, 1);
        assert_eq!(d.chosen.as_deref(), Some("a000"));
        b.finish("a000", Outcome::Completed, now + 1, 10 * USDT);
    }
    b.decide(&order(30, 10 * USDT), now + 1, 1);
    let d = b.decide(&order(31, 10 * USDT), now + 1, 1);
    assert_eq!(
        d.chosen.as_deref(),
        Some("a000"),
        "in good standing: several at once"
    );
}

#[test]
fn a_failure_on_probation_takes_it_out_again_and_old_failures_do_not_count_after() {
    let mut b = book(super::Strategy::Priority, [acceptor(0)]);
    let policy = b.config().elimination.clone();
    let mut now = 1_000;
    for _ in 0..policy.max_timeouts {
        b.finish("a000", Outcome::TimedOut, now, 0);
        now += 1;
    }
    assert!(b.is_eliminated("a000", now));
    now += policy.cool_down_secs;
    b.finish("a000", Outcome::Expired, now, 0);
    assert!(b.is_eliminated("a000", now), "failed on probation");
    now += policy.cool_down_secs;
    for _ in 0..policy.probation_orders {
        b.finish("a000", Outcome::Completed, now, 0);
    }
    // Back in good standing: one more failure is not enough, the old ones are spent.
    b.finish("a000", Outcome::TimedOut, now + 1, 0);
    assert!(!b.is_eliminated("a000", now + 1));
}

#[test]
fn hard_rules_each_exclude() {
    let base = acceptor(0);
    type Change = Box<dyn Fn(&mut Acceptor, &mut Order)>;
    let cases: Vec<(Change, Ineligible)> = vec![
        (Box::new(|a, _| a.has_role = false), Ineligible::NoRole),
        (Box::new(|_, o| o.min_kyc_level = 3), Ineligible::KycTooLow),
        (
            Box::new(|_, o| {
                o.blocked_regions.insert(1);
            }),
            Ineligible::RegionBlocked,
        ),
        (Box::new(|a, _| a.online = false), Ineligible::Offline),
        (
            Box::new(|a, _| a.last_heartbeat = 100),
            Ineligible::HeartbeatMissed,
        ),
        (
            Box::new(|_, o| o.currency = "USD".into()),
            Ineligible::Currency,
        ),
        (
            Box::new(|a, _| a.min_amount = 200 * USDT),
            Ineligible::AmountOutOfRange,
        ),
        (
            Box::new(|a, _| a.max_per_deal = 50 * USDT),
            Ineligible::AboveMaxPerDeal,
        ),
        (
            Box::new(|a, _| a.max_locked = 50 * USDT),
            Ineligible::AboveMaxLocked,
        ),
        (
            Box::new(|a, _| a.available = 50 * USDT),
            Ineligible::InsufficientCollateral,
        ),
        (
            Box::new(|_, o| {
                o.excluded.insert("a000".into());
            }),
            Ineligible::AlreadyFailedThisOrder,
        ),
    ];
    for (change, why) in cases {
        let mut a = base.clone();
        let mut o = order(0, 100 * USDT);
        change(&mut a, &mut o);
        let mut b = book(super::Strategy::Uniform, [a]);
        let d = b.decide(&o, 1_000, 7);
        assert_eq!(d.chosen, None, "{why:?}");
        assert_eq!(d.candidates[0].inputs.ineligible, vec![why]);
    }
    // A payout locks nothing of the acceptor's: collateral does not matter.
    let mut a = base;
    a.available = 0;
    let mut b = book(super::Strategy::Uniform, [a]);
    let mut o = order(0, 100 * USDT);
    o.kind = OrderKind::Payout;
    assert_eq!(b.decide(&o, 1_000, 7).chosen.as_deref(), Some("a000"));
}

#[test]
fn strategies_rank_as_documented() {
    let mut busy = acceptor(0);
    busy.locked = 500 * USDT;
    let mut b = book(super::Strategy::LeastLoad, [busy, acceptor(1)]);
    assert_eq!(
        b.decide(&order(0, USDT), 1_000, 1).chosen.as_deref(),
        Some("a001")
    );

    let mut b = book(
        super::Strategy::Priority,
        [acceptor(3), acceptor(1), acceptor(2)],
    );
    assert_eq!(
        b.decide(&order(0, USDT), 1_000, 1).chosen.as_deref(),
        Some("a001")
    );

    let mut behind = acceptor(0);
    behind.target_volume = 100 * USDT;
    let mut ahead = acceptor(1);
    ahead.target_volume = 100 * USDT;
    let mut b = book(super::Strategy::Contract, [behind, ahead]);
    let first = b.decide(&order(0, 60 * USDT), 1_000, 1).chosen.unwrap();
    let second = b.decide(&order(1, 10 * USDT), 1_000, 1).chosen.unwrap();
    assert_ne!(first, second, "the one further from its target goes next");

    // Success rate, no exploration: the better record wins.
    let mut b = book(
        super::Strategy::SuccessRate { exploration_bps: 0 },
        [acceptor(0), acceptor(1)],
    );
    for _ in 0..5 {
        b.finish("a000", Outcome::Completed, 900, 0);
        b.finish("a001", Outcome::Completed, 900, 0);
    }
    b.finish("a001", Outcome::TimedOut, 900, 0);
    assert_eq!(
        b.decide(&order(0, USDT), 1_000, 1).chosen.as_deref(),
        Some("a000")
    );
    // Full exploration: the seed alone decides, and both get chosen over seeds.
    let mut b = book(
        super::Strategy::SuccessRate {
            exploration_bps: 10_000,
        },
        [acceptor(0), acceptor(1)],
    );
    let chosen: BTreeSet<_> = (0..32)
        .map(|s| b.decide(&order(0, USDT), 1_000, s).chosen.unwrap())
        .collect();
    assert_eq!(chosen.len(), 2);
}

#[test]
fn a_tampered_decision_does_not_replay() {
    let mut b = book(super::Strategy::Priority, [acceptor(0), acceptor(1)]);
    let mut d = b.decide(&order(0, USDT), 1_000, 9);
    assert_eq!(d.replay(), Ok(()));
    d.candidates[0].inputs.priority = 5;
    assert!(d.replay().is_err());
}

#[test]
fn success_rate_routing_completes_more_than_uniform_where_rates_differ() {
    let population = synthetic_population(200, 11);
    let uniform = simulate(&population, super::Strategy::Uniform, 3_000, 2, 5);
    let success = simulate(
        &population,
        super::Strategy::SuccessRate {
            exploration_bps: 1_000,
        },
        3_000,
        2,
        5,
    );
    assert!(
        success.completion_bps > uniform.completion_bps + 100,
        "success rate {success:?} vs uniform {uniform:?}"
    );
    assert!(success.first_attempt_bps > uniform.first_attempt_bps + 300);
    // Deterministic.
    assert_eq!(
        simulate(&population, super::Strategy::Uniform, 3_000, 2, 5),
        uniform
    );
}
