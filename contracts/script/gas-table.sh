#!/usr/bin/env bash
# Print the gas table of contracts/test/bench/Gas.t.sol (contract GasBench) as Markdown on stdout.
# Gas is the execution gas of the call in its own transaction (storage cold, callee warm), without the
# 21,000 base cost and calldata, before refunds. Run from anywhere; forge runs from the repository root.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
forge="${FORGE:-$root/node_modules/@foundry-rs/forge-linux-amd64/bin/forge}"

cd "$root"
if ! out="$("$forge" test --match-contract '^GasBench$' -vv 2>&1)"; then
  printf '%s\n' "$out" >&2
  echo "gas-table.sh: GasBench failed (a target may be missed)" >&2
  exit 1
fi

rows="$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*GAS|//p')"
if [[ -z "$rows" ]]; then
  echo "gas-table.sh: no GAS lines in the forge output" >&2
  exit 1
fi

echo "| function | gas | target |"
echo "|---|---:|---:|"
printf '%s\n' "$rows" | awk -F'|' '{ printf "| %s | %s | %s |\n", $1, $2, ($3 == "-" ? "" : "<= " $3) }'
