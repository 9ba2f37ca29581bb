#!/usr/bin/env bash
# Print the gas table of contracts/test/bench/Gas.t.sol (contract GasBench) as Markdown on stdout.
# Each row is its own test: the measured call runs in a fresh transaction, every account and slot cold
# except the called contract (a transaction's `to`). The plain run gives the execution gas of the call
# (before the refund) and enforces the execution-gas targets; the run under `forge test --isolate`, where
# forge executes each call as a real transaction, gives the total transaction gas (21,000 + calldata +
# execution - refund). Run from anywhere; forge runs from the repository root.
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

plain="$(run)"
isolated="$(STABLERAIL_GAS_ISOLATED=true run --isolate)"
if [[ -z "$plain" || -z "$isolated" ]]; then
  echo "gas-table.sh: no GAS lines in the forge output" >&2
  exit 1
fi

echo "| function | execution gas | total tx gas (--isolate) | target |"
echo "|---|---:|---:|---:|"
# plain: name|exec|estimated total|target|exec-or-total; isolated: name|total
awk -F'|' '
  NR == FNR { total[$1] = $2; next }
  {
    t = $5 == "total" ? total[$1] : $2;
    target = "";
    if ($4 != "-") target = "<= " $4 " (" ($5 == "total" ? "total" : "execution") ")" (t + 0 <= $4 + 0 ? " met" : " NOT met");
    printf "| %s | %s | %s | %s |\n", $1, $2, total[$1], target
  }
' <(printf '%s\n' "$isolated") <(printf '%s\n' "$plain")
