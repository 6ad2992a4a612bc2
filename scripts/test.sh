#!/usr/bin/env bash
# The test command: installs what the tests need (apt packages, the Python peer's
# venv) when missing, then builds and runs every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
export PY_PEER_PYTHON="$(scripts/setup-python-peer.sh | tail -n 1)"
swift build --build-tests 2>&1 | grep -v "prohibited flag" | tail -n 3
# Serially: several suites are CPU-heavy (64 MiB transfers, RSA keys) or start
# processes, and on two cores running them all at once starves the small tests
# of the timeouts that guard them against hangs.
swift test --skip-build --no-parallel "$@"
