#!/usr/bin/env bash
# Builds and tests Examples/PlaintextSecurity, the plugin written in a package of its
# own: its conformance line, its message codec, and its interop binary against
# py-libp2p's plaintext in both roles. A separate package has its own build folder,
# so this compiles what the example depends on a second time (nothing else: not
# this package's tests, not its CLI).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
export PY_PEER_PYTHON="$(scripts/setup-python-peer.sh | tail -n 1)"
cd Examples/PlaintextSecurity
log="$(mktemp)"
if ! swift build --build-tests >"$log" 2>&1; then
    grep -v "prohibited flag" "$log" | tail -n 40 >&2
    exit 1
fi
rm -f "$log"
swift test --skip-build --no-parallel "$@"
