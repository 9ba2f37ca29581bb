#!/usr/bin/env bash
# `make bench`: runs every benchmark the project has and prints its figures.
# Each section is skipped with a note when the part it measures does not exist yet.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

section() { printf '\n== %s ==\n' "$*"; }

section "EVM gas per external function (Foundry, pinned solc)"
if [ -x contracts/script/gas-table.sh ]; then
  contracts/script/gas-table.sh
else
  echo "(contracts/script/gas-table.sh not present)"
fi

section "Solana account sizes and rent (native runtime)"
if [ -d programs/escrow/tests ]; then
  cargo test --quiet -p stablerail-escrow --test '*' -- --ignored --nocapture bench_ 2>&1 | grep -E '^\||^[A-Za-z].*:' || true
else
  echo "(escrow program tests not present)"
fi

section "TRON TRC20 transfer build+sign (stablerail-sdk vs tronpy)"
if [ -x sdk/benches/tronpy-bench.sh ]; then
  sdk/benches/tronpy-bench.sh
else
  echo "(sdk/benches/tronpy-bench.sh not present)"
fi
