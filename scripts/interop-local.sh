#!/usr/bin/env bash
# The main job: a local interop run. Installs what it needs, builds the test binary
# (release), and runs every combination of Swift and py-libp2p in both roles through
# a private Redis; prints the dashboard and writes results/ (results.csv,
# results.yaml, dashboard.md, timings.csv, logs/). Extra arguments go to
# `libp2p-interop matrix` (e.g. --security tls, --muxer mplex, --netns, --jobs 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
export PY_PEER_PYTHON="$(scripts/setup-python-peer.sh | tail -n 1)"
log="$(mktemp)"
if ! swift build -c release --product libp2p-interop >"$log" 2>&1; then
    grep -v "prohibited flag" "$log" | tail -n 40 >&2
    exit 1
fi
rm -f "$log"
exec .build/release/libp2p-interop matrix "$@"
