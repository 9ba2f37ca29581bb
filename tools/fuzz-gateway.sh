#!/usr/bin/env bash
# Fuzzes every route of the gateway's OpenAPI document with schemathesis (pinned in
# tools/python/requirements.lock): no answer may be a 5xx, and every data route must refuse
# requests without a valid key (the `ignored_auth` check).
set -euo pipefail
cd "$(dirname "$0")/.."
# schemathesis comes from the project's pinned tools venv (`make tools`, tools/install.sh).
VENV=.tools-venv
[ -x "$VENV/bin/schemathesis" ] || { echo "fuzz-gateway: $VENV/bin/schemathesis missing: run \`make tools\`" >&2; exit 1; }
cargo build --quiet -p stablerail-gateway
BIN=${CARGO_TARGET_DIR:-target}/debug/stablerail-gateway
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/gateway.toml" <<TOML
database_url = "sqlite:$WORK/gw.db?mode=rwc"
listen = "127.0.0.1:$PORT"
[chains.anvil]
chain_id = 31337
[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["http://127.0.0.1:9"]
usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
TOML
KEY=$("$BIN" --config "$WORK/gateway.toml" merchant create --name Fuzz \
  --chain anvil:0x00000000000000000000000000000000000000aa | awk '/api key/ {print $3}')
"$BIN" --config "$WORK/gateway.toml" run >"$WORK/gateway.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
python3 - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1)
        break
    except Exception:
        time.sleep(0.1)
PY
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
  --header "Authorization: Bearer $KEY" \
  --checks not_a_server_error,ignored_auth \
  --max-examples "${FUZZ_EXAMPLES:-30}" \
  --workers 4
