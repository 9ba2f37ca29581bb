#!/usr/bin/env bash
# `make bench`: runs every benchmark the project has and prints its figures.
# Figures and their dates live in docs/bench.md; targets are assertions, not timed tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

section() { printf '\n== %s ==\n' "$*"; }

section "EVM gas per external function (Foundry, pinned solc)"
contracts/script/gas-table.sh

section "Solana account sizes and rent (native runtime)"
# The tests print the runtime's program logs too; keep only the size lines.
cargo test --quiet -p stablerail-escrow --test escrow account_sizes_and_rent -- --nocapture 2>&1 \
  | grep -E 'rent-exempt' || true
cargo test --quiet -p stablerail-multisig --test multisig prints_sizes -- --nocapture 2>&1 \
  | grep -E 'rent-exempt' || true

section "TRON TRC20 transfer build+sign, one core: stablerail-sdk vs tronpy (goal >= 50x)"
sdk/benches/compare.sh

section "Indexer: fetch-only, sink-only, full backfill (SQLite, PostgreSQL), API latency"
if [ -f indexer/examples/bench.rs ]; then
  cargo run --quiet --release -p stablerail-indexer --example bench
  cargo run --quiet --release -p stablerail-indexer --example replay_bench
else
  echo "(indexer benchmark not present)"
fi

section "Indexer: what bounds the PostgreSQL sink (transfers' index maintenance vs the primary key alone)"
tools/pg-index-cost.sh

section "Gateway: detection latency, webhook throughput, invoice create p99 (SQLite, PostgreSQL)"
cargo run --quiet --release -p stablerail-gateway --example bench

section "Risk monitor: rule evaluation throughput vs the indexer's write path; planted pattern indexed -> alert webhook p50/p99"
cargo run --quiet --release -p stablerail-gateway --example risk_bench

section "Dispatcher engine: strategy simulation (200 acceptors, 10,000 orders), decision latency (1,000 eligible)"
cargo run --quiet --release -p stablerail-gateway --example dispatch_bench

section "Dispatcher service: collections assigned per second end to end on anvil (SQLite, PostgreSQL)"
cargo run --quiet --release -p stablerail-gateway --example dispatch_service_bench

section "Dashboards: server time per page p50/p99 with 100,000 invoices, first page load bytes (SQLite, PostgreSQL)"
cargo run --quiet --release -p stablerail-gateway --example dashboard_bench
