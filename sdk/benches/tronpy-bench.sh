#!/usr/bin/env bash
# Runs benches/tronpy_sign.py with the tronpy that tools/python/requirements.lock pins,
# from the venv `make tools` installs (.tools-venv). VENV overrides the venv location.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${VENV:-$here/../../.tools-venv}"
if ! "$venv/bin/python" -c "import tronpy, google.protobuf" 2>/dev/null; then
    echo "tronpy-bench.sh: no tronpy in $venv; run make tools" >&2
    exit 1
fi
exec "$venv/bin/python" "$here/tronpy_sign.py"
