//! Figures of the dispatcher's engine (`make bench`):
//! - the strategy table: a simulation over 200 synthetic acceptors whose success
//!   rates spread from 40 % to 99 %, and 10,000 collection orders with bursts; a
//!   failed order goes to one more acceptor;
//! - decision latency with 1,000 eligible acceptors (p50/p99 over 2,000 decisions on
//!   one core) and decisions per second.
//!
//! Run: `cargo run --release -p stablerail-gateway --example dispatch_bench`;
//! `-- latency` skips the simulation table (e.g. to count instructions per decision
//! under `valgrind --tool=callgrind --toggle-collect='*Book*decide*'`, which also
//! counts the calls to `malloc`).

use std::{collections::BTreeSet, time::Instant};

use stablerail_gateway::dispatch::{
    Acceptor, Book, EngineConfig, Order, OrderKind, Outcome, Strategy,
    simulation::{simulate, synthetic_population},
};

fn main() {
    if std::env::args().nth(1).as_deref() != Some("latency") {
        simulation_table();
    }
    latency();
}

fn simulation_table() {
    let population = synthetic_population(200, 11);
    println!(
        "dispatcher simulation: 200 acceptors (success 40-99 %), 10,000 orders, 2 attempts each"
    );
    println!(
        "{:<34} {:>10} {:>10} {:>9} {:>8} {:>8} {:>9} {:>6}",
        "strategy", "completed", "1st try", "attempts", "p50 s", "p99 s", "fairness", "outs"
    );
    for strategy in [
        Strategy::Uniform,
        Strategy::Priority,
        Strategy::VolumeSplit,
        Strategy::LeastLoad,
        Strategy::Contract,
        Strategy::SuccessRate { exploration_bps: 0 },
        Strategy::SuccessRate {
            exploration_bps: 1_000,
        },
    ] {
        let r = simulate(&population, strategy, 10_000, 2, 5);
        println!(
            "{:<34} {:>9.2}% {:>9.2}% {:>9.2} {:>8} {:>8} {:>9.4} {:>6}",
            r.strategy,
            f64::from(r.completion_bps) / 100.0,
            f64::from(r.first_attempt_bps) / 100.0,
            f64::from(r.attempts_x100) / 100.0,
            r.p50_secs,
            r.p99_secs,
            f64::from(r.fairness_bps) / 10_000.0,
            r.eliminations,
        );
    }
}

fn latency() {
    let mut book = Book::new(EngineConfig::default());
    for i in 0..1_000 {
        book.upsert(Acceptor {
            id: format!("acceptor-{i:04}"),
            has_role: true,
            kyc_level: 2,
            region: 1,
            online: true,
            last_heartbeat: 1_000,
            available: u64::MAX / 4,
            locked: 0,
            max_per_deal: 1_000_000_000_000,
            max_locked: u64::MAX / 2,
            currencies: BTreeSet::from(["EUR".to_owned()]),
            min_amount: 1,
            max_amount: 1_000_000_000_000,
            priority: i % 10,
            target_share_bps: 10,
            target_volume: 1_000_000_000_000,
        });
    }
    let mut samples = Vec::with_capacity(2_000);
    let start = Instant::now();
    for i in 0..2_000u64 {
        let order = Order {
            id: format!("o{i}"),
            kind: OrderKind::Collection,
            amount: 100_000_000 + i,
            currency: "EUR".to_owned(),
            min_kyc_level: 1,
            blocked_regions: BTreeSet::new(),
            excluded: BTreeSet::new(),
        };
        let t = Instant::now();
        let d = book.decide(&order, 1_000, i);
        samples.push(t.elapsed());
        if let Some(id) = d.chosen {
            book.finish(&id, Outcome::Completed, 1_000, order.amount);
        }
    }
    let total = start.elapsed();
    samples.sort_unstable();
    let p = |q: usize| samples[(samples.len() - 1) * q / 100];
    println!(
        "dispatcher decision, 1,000 eligible acceptors: p50 {:.1} µs, p99 {:.1} µs (goal ≤ 100 µs); {:.0} decisions/s on one core",
        p(50).as_secs_f64() * 1e6,
        p(99).as_secs_f64() * 1e6,
        samples.len() as f64 / total.as_secs_f64()
    );
}
