#!/usr/bin/env bash
# Runs every test under a sanitizer and fails on any report, not only on failed tests:
#
#   scripts/sanitize.sh thread  [swift test options]   ThreadSanitizer (data races)
#   scripts/sanitize.sh address [swift test options]   AddressSanitizer (memory errors)
#
# Each sanitizer builds into its own folder (.build-thread, .build-address). The
# concurrency kit's lock is NIO's pthread mutex, which ThreadSanitizer sees;
# `Synchronization.Mutex` is invisible to it on Linux and would report false races.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
kind="${1:-}"
case "$kind" in
    thread | address) shift ;;
    *) echo "usage: scripts/sanitize.sh thread|address [swift test options]" >&2; exit 2 ;;
esac
scripts/install-deps.sh
export PY_PEER_PYTHON="$(scripts/setup-python-peer.sh | tail -n 1)"
scratch=".build-$kind"
log="$(mktemp)"
if ! swift build --build-tests --sanitize="$kind" --scratch-path "$scratch" >"$log" 2>&1; then
    grep -v "prohibited flag" "$log" | tail -n 40 >&2
    exit 1
fi
rm -f "$log"
# Tests that measure memory read this: AddressSanitizer's quarantine keeps freed
# memory (up to 256 MB), so a process's RSS says nothing about leaks under it.
export LIBP2P_SANITIZER="$kind"
# Keep going after a report so one run lists them all; the count below decides.
# The suppression files say, entry by entry, why a report is not a bug of ours;
# `suppressions=` wants an absolute path (listener processes run elsewhere).
supp="$(pwd)/scripts/sanitizers"
export TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0 suppressions=$supp/tsan.supp ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="halt_on_error=0 ${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp print_suppressions=0 ${LSAN_OPTIONS:-}"
out="$(mktemp)"
set +e
swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" --no-parallel "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
reports=$(grep -cE "WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer" "$out" || true)
echo "sanitize.sh: $kind: $reports sanitizer reports; swift test exit status $status"
rm -f "$out"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
