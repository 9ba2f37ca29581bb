#!/usr/bin/env bash
# TRC20 transfer build + sign per second on one thread: stablerail-sdk vs tronpy.
# Prints both benches' figures, then the two rates side by side with the ratio.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Uses the caller's CARGO_TARGET_DIR (or the workspace target/).

echo "== stablerail-sdk (Rust, release) =="
rust_out="$(cd "$here/.." && cargo bench --quiet -p stablerail-sdk --bench tron_sign 2>/dev/null)"
echo "$rust_out"
echo
echo "== tronpy =="
py_out="$("$here/tronpy-bench.sh")"
echo "$py_out"

rust_rate="$(sed -n 's/^tx_per_sec=//p' <<<"$rust_out")"
py_rate="$(sed -n 's/^tx_per_sec=//p' <<<"$py_out")"
echo
printf '%-18s %12s\n' "implementation" "tx/s"
printf '%-18s %12s\n' "stablerail-sdk" "$rust_rate"
printf '%-18s %12s\n' "tronpy" "$py_rate"
awk -v r="$rust_rate" -v p="$py_rate" 'BEGIN { printf "ratio              %11.1fx\n", r / p }'
