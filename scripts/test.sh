#!/usr/bin/env bash
# The test command: installs what the tests need (apt packages, the Python peer's
# venv) when missing, then builds and runs every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
export PY_PEER_PYTHON="$(scripts/setup-python-peer.sh | tail -n 1)"
log="$(mktemp)"
if ! swift build --build-tests >"$log" 2>&1; then
    grep -v "prohibited flag" "$log" | tail -n 40 >&2
    exit 1
fi
rm -f "$log"
# Serially: several suites are CPU-heavy (64 MiB transfers, RSA keys) or start
# processes, and on two cores running them all at once starves the small tests
# of the timeouts that guard them against hangs.
swift test --skip-build --no-parallel "$@"
