#!/usr/bin/env bash
# The test command: installs what the tests need (apt packages, the Python peer's
# venv) when missing, then builds and runs every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
export PY_PEER_PYTHON="$(scripts/setup-python-peer.sh | tail -n 1)"
swift build --build-tests 2>&1 | grep -v "prohibited flag" | tail -n 3
swift test --skip-build --parallel "$@"
