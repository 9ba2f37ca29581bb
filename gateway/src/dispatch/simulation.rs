//! A discrete-event simulation of the engine over a synthetic population of
//! acceptors, to compare strategies: completion rate, attempts, time to
//! completion and fairness. Pure and seeded: the same inputs give the same report.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet, BinaryHeap},
};

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Serialize;

use super::{
    AcceptorId,
    book::{Acceptor, Book, EngineConfig, Order, OrderKind, Outcome},
    elimination::EliminationPolicy,
    strategy::Strategy,
};

/// One simulated acceptor: what the engine sees, plus how it really behaves.
#[derive(Debug, Clone)]
pub struct SimAcceptor {
    /// What the engine sees.
    pub acceptor: Acceptor,
    /// Probability (bps) that it completes an order it is given.
    pub success_bps: u32,
    /// Seconds it takes to complete.
    pub speed_secs: u64,
}

/// A population of `n` acceptors whose success rates spread from 40 % to 99 %,
/// with different speeds, collateral and priorities; equal volume targets.
pub fn synthetic_population(n: usize, seed: u64) -> Vec<SimAcceptor> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let collateral = 1_000_000_000 * rng.random_range(5..200u64);
            SimAcceptor {
                acceptor: Acceptor {
                    id: format!("acceptor-{i:04}"),
                    has_role: true,
                    kyc_level: 2,
                    region: 1,
                    online: true,
                    last_heartbeat: 0,
                    available: collateral,
                    locked: 0,
                    max_per_deal: 5_000_000_000,
                    max_locked: collateral,
                    currencies: BTreeSet::from(["EUR".to_owned()]),
                    min_amount: 1_000_000,
                    max_amount: 5_000_000_000,
                    priority: rng.random_range(0..10),
                    target_share_bps: 10_000 / n.max(1) as u32,
                    target_volume: 50_000_000_000,
                },
                success_bps: rng.random_range(4_000..9_900),
                speed_secs: rng.random_range(60..900),
            }
        })
        .collect()
}

/// What a run of the simulation measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimReport {
    /// The strategy.
    pub strategy: String,
    /// Orders placed.
    pub orders: u32,
    /// Orders completed within the attempts allowed.
    pub completed: u32,
    /// Completed / orders, in bps.
    pub completion_bps: u32,
    /// Orders whose first acceptor completed them, in bps of all orders.
    pub first_attempt_bps: u32,
    /// Acceptors tried per order, in hundredths.
    pub attempts_x100: u32,
    /// Median seconds from arrival to completion.
    pub p50_secs: u64,
    /// 99th percentile seconds from arrival to completion.
    pub p99_secs: u64,
    /// Jain's fairness index of completed volume across acceptors, in bps
    /// (10000: all equal).
    pub fairness_bps: u32,
    /// Times an acceptor was taken out.
    pub eliminations: u32,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// (order index) arrives or comes back for another acceptor.
    Arrival(usize),
    /// (order index, acceptor index, succeeded)
    Finish(usize, usize, bool),
}

/// Runs `orders` collection orders (bursts of 50 every 100 orders, otherwise one
/// every 3 s) through `strategy`; a failed order goes to another acceptor, up to
/// `max_attempts`. Acceptors time out after 30 minutes.
pub fn simulate(
    population: &[SimAcceptor],
    strategy: Strategy,
    orders: u32,
    max_attempts: u32,
    seed: u64,
) -> SimReport {
    const TIMEOUT: u64 = 1_800;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut book = Book::new(EngineConfig {
        strategy: strategy.clone(),
        elimination: EliminationPolicy::default(),
        heartbeat_timeout_secs: u64::MAX,
        window_secs: 24 * 3_600,
    });
    let index: BTreeMap<AcceptorId, usize> = population
        .iter()
        .enumerate()
        .map(|(i, a)| (a.acceptor.id.clone(), i))
        .collect();
    let mut snapshots: Vec<Acceptor> = population.iter().map(|a| a.acceptor.clone()).collect();
    for a in &snapshots {
        book.upsert(a.clone());
    }
    let mut queue: BinaryHeap<Reverse<(u64, Event)>> = BinaryHeap::new();
    let mut t = 0u64;
    let mut placed = Vec::new();
    for i in 0..orders as usize {
        // Orders 50..100 of every hundred arrive at once: a burst.
        t += if i % 100 >= 50 { 0 } else { 3 };
        placed.push(Order {
            id: format!("order-{i}"),
            kind: OrderKind::Collection,
            amount: 1_000_000 * rng.random_range(10..2_000u64),
            currency: "EUR".to_owned(),
            min_kyc_level: 1,
            blocked_regions: BTreeSet::new(),
            excluded: BTreeSet::new(),
        });
        queue.push(Reverse((t, Event::Arrival(i))));
    }
    let arrival: Vec<u64> = {
        let mut v = vec![0; placed.len()];
        for Reverse((at, e)) in queue.iter() {
            if let Event::Arrival(i) = e {
                v[*i] = *at;
            }
        }
        v
    };
    let mut attempts = vec![0u32; placed.len()];
    let mut first_ok = 0u32;
    let mut done_secs = Vec::new();
    let mut volume = vec![0u128; population.len()];
    let mut eliminations = 0u32;
    while let Some(Reverse((now, event))) = queue.pop() {
        match event {
            Event::Arrival(i) => {
                if attempts[i] >= max_attempts {
                    continue;
                }
                let decision = book.decide(&placed[i], now, rng.random());
                let Some(chosen) = decision.chosen else {
                    // Nobody eligible now: try again in a minute, within the window.
                    if now < arrival[i] + TIMEOUT {
                        queue.push(Reverse((now + 60, Event::Arrival(i))));
                    }
                    continue;
                };
                attempts[i] += 1;
                let a = index[&chosen];
                // The chain locks the collateral.
                let amount = placed[i].amount;
                book.confirm_locked(&chosen, amount);
                snapshots[a].available -= amount;
                snapshots[a].locked += amount;
                book.upsert(snapshots[a].clone());
                let ok = rng.random_range(0..10_000) < population[a].success_bps;
                let end = now
                    + if ok {
                        population[a].speed_secs
                    } else {
                        TIMEOUT
                    };
                queue.push(Reverse((end, Event::Finish(i, a, ok))));
            }
            Event::Finish(i, a, ok) => {
                let amount = placed[i].amount;
                // Released or cancelled: the acceptor's collateral is free again
                // (after a release it tops up with the fiat it received).
                snapshots[a].available += amount;
                snapshots[a].locked -= amount;
                book.upsert(snapshots[a].clone());
                let id = &population[a].acceptor.id;
                let was_out = book.is_eliminated(id, now);
                book.finish(
                    id,
                    if ok {
                        Outcome::Completed
                    } else {
                        Outcome::TimedOut
                    },
                    now,
                    0,
                );
                if !was_out && book.is_eliminated(id, now) {
                    eliminations += 1;
                }
                if ok {
                    if attempts[i] == 1 {
                        first_ok += 1;
                    }
                    done_secs.push(now - arrival[i]);
                    volume[a] += u128::from(amount);
                } else {
                    placed[i].excluded.insert(id.clone());
                    queue.push(Reverse((now, Event::Arrival(i))));
                }
            }
        }
    }
    done_secs.sort_unstable();
    let pct = |p: usize| {
        done_secs
            .get((done_secs.len().saturating_sub(1)) * p / 100)
            .copied()
            .unwrap_or(0)
    };
    let completed = done_secs.len() as u32;
    let total: u128 = volume.iter().sum();
    let squares: u128 = volume
        .iter()
        .map(|v| (v / 1_000_000) * (v / 1_000_000))
        .sum();
    let fairness_bps = if squares == 0 {
        0
    } else {
        let t = total / 1_000_000;
        (t * t * 10_000 / (volume.len() as u128 * squares)) as u32
    };
    SimReport {
        strategy: strategy_name(&strategy),
        orders,
        completed,
        completion_bps: bps(completed, orders),
        first_attempt_bps: bps(first_ok, orders),
        attempts_x100: (u64::from(attempts.iter().sum::<u32>()) * 100 / u64::from(orders.max(1)))
            as u32,
        p50_secs: pct(50),
        p99_secs: pct(99),
        fairness_bps,
        eliminations,
    }
}

fn bps(part: u32, whole: u32) -> u32 {
    (u64::from(part) * 10_000 / u64::from(whole.max(1))) as u32
}

/// A short name for a report.
pub fn strategy_name(s: &Strategy) -> String {
    match s {
        Strategy::Priority => "priority".into(),
        Strategy::VolumeSplit => "volume_split".into(),
        Strategy::SuccessRate { exploration_bps } => {
            format!("success_rate ({exploration_bps} bps explore)")
        }
        Strategy::LeastLoad => "least_load".into(),
        Strategy::Contract => "contract".into(),
        Strategy::Uniform => "uniform".into(),
    }
}
