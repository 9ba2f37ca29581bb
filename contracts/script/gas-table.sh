#!/usr/bin/env bash
# Print the gas table of contracts/test/bench/Gas.t.sol (contract GasBench) as Markdown on stdout.
# Each row is its own test: the measured call runs in a fresh transaction, every account and slot cold
# except the called contract (a transaction's `to`). Columns: execution gas of the call (before the
# refund) and total transaction gas (21,000 + calldata + execution - refund). The same tests run again
# under `forge test --isolate`, where forge executes each call as a real transaction; the figures must
# agree, else this script fails. Run from anywhere; forge runs from the repository root.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
forge="${FORGE:-$root/node_modules/@foundry-rs/forge-linux-amd64/bin/forge}"

cd "$root"
run() {
  local out
  if ! out="$("$forge" test --match-contract '^GasBench$' -vv "$@" 2>&1)"; then
    printf '%s\n' "$out" >&2
    echo "gas-table.sh: GasBench failed (a target may be missed)" >&2
    exit 1
  fi
  printf '%s\n' "$out" | sed -n 's/^[[:space:]]*GAS|//p' | sort
}

rows="$(run)"
isolated="$(run --isolate)"
if [[ -z "$rows" ]]; then
  echo "gas-table.sh: no GAS lines in the forge output" >&2
  exit 1
fi
if [[ "$rows" != "$isolated" ]]; then
  echo "gas-table.sh: figures differ under --isolate:" >&2
  diff <(printf '%s\n' "$rows") <(printf '%s\n' "$isolated") >&2 || true
  exit 1
fi

echo "| function | execution gas | total tx gas | target |"
echo "|---|---:|---:|---:|"
printf '%s\n' "$rows" | awk -F'|' '{
  t = ($4 == "-") ? "" : "<= " $4 " (" $5 ")";
  printf "| %s | %s | %s | %s |\n", $1, $2, $3, t
}'
