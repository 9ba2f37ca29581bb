#!/usr/bin/env bash
# Installs the pinned EVM toolchain (solc-js, forge, anvil, OpenZeppelin, forge-std)
# from the npm registry into ./node_modules, exactly as package-lock.json pins it.
# Idempotent: when node_modules already matches the lock file, it changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "install.sh: '$1' is required ($2)" >&2; exit 1; }; }
need node "Node.js 20 or newer"
need npm "npm, shipped with Node.js"
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "install.sh: Node.js 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

stamp=node_modules/.stablerail-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "tools: up to date (package-lock.json unchanged)"
else
  echo "tools: installing pinned packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# Fail loudly if a required binary is missing or does not run.
forge=node_modules/@foundry-rs/forge-linux-amd64/bin/forge
anvil=node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
for bin in "$forge" "$anvil"; do
  [ -x "$bin" ] || { echo "install.sh: $bin is missing after install" >&2; exit 1; }
done
"$forge" --version | head -n 1
"$anvil" --version | head -n 1
tools/solc --version | tail -n 1
