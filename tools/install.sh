#!/usr/bin/env bash
# Installs the pinned toolchain: the EVM tools (solc-js, forge, anvil, OpenZeppelin,
# forge-std) into ./node_modules exactly as package-lock.json pins them, the Python
# tools (schemathesis, tronpy) into ./.tools-venv exactly as tools/python/requirements.lock
# pins them (versions and hashes), and the headless browser of the dashboard tests
# (Debian packages chromium and chromium-driver). Idempotent: when everything matches, it changes nothing.
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

# Python test tools: a virtualenv of exactly the pinned versions (no resolver run).
need python3 "Python 3.9 or newer with the venv module"
venv=.tools-venv
pystamp=$venv/.stablerail-lock.sha256
pywant=$(sha256sum tools/python/requirements.lock | cut -d' ' -f1)
if [ -f "$pystamp" ] && [ "$(cat "$pystamp")" = "$pywant" ] && [ -x "$venv/bin/schemathesis" ]; then
  echo "tools: python tools up to date (tools/python/requirements.lock unchanged)"
else
  echo "tools: installing pinned python tools from tools/python/requirements.lock"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-hashes -r tools/python/requirements.lock
  echo "$pywant" > "$pystamp"
fi
"$venv/bin/schemathesis" --version

# Headless browser for the dashboard tests (gateway/tests/it/browser.rs): Debian's
# chromium and chromium-driver, installed with apt-get when either is missing or on
# CI (CI=true), with sudo only when not root.
if [ "${CI:-}" = "true" ] || [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  need apt-get "a Debian-based system (apt-get) to install chromium and chromium-driver"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    need sudo "root or sudo to install chromium and chromium-driver"
    sudo="sudo"
  fi
  echo "tools: installing chromium and chromium-driver (apt-get)"
  if ! $sudo apt-get install -y --no-install-recommends chromium chromium-driver; then
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends chromium chromium-driver
  fi
fi
/usr/bin/chromium --version 2>/dev/null
/usr/bin/chromedriver --version | head -n 1
