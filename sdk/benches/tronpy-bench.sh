#!/usr/bin/env bash
# Runs benches/tronpy_sign.py with a pinned tronpy in a venv, creating it if missing.
# VENV overrides the venv location (default ~/.cache/stablerail/venv-tronpy, outside the clone).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/stablerail/venv-tronpy}"
mkdir -p "$(dirname "$venv")"
tronpy_version="0.6.2"
protobuf_version="7.36.2"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import tronpy.version, google.protobuf, sys; sys.exit(tronpy.version.VERSION != '$tronpy_version')" 2>/dev/null; then
    "$venv/bin/pip" install --quiet "tronpy[offline]==$tronpy_version" "protobuf==$protobuf_version"
fi
exec "$venv/bin/python" "$here/tronpy_sign.py"
