#!/usr/bin/env bash
# Runs the Benchmarks/ package (package-benchmark) and compares the run with the
# committed baseline. Allocation counts are the figures to trust on a busy or
# shared machine; wall clock and CPU only flag large changes.
#
#   scripts/bench-compare.sh                 # run, compare with the baseline `main`
#   scripts/bench-compare.sh --filter noise  # only benchmarks whose name matches
#   scripts/bench-compare.sh --update        # run and store the run as the new baseline
#
# Exits 0 when nothing regressed beyond the thresholds in Benchmarks.swift (also when
# there were only improvements: package-benchmark's code 4), non-zero when something did.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../Benchmarks"

baseline=main
update=false
filter=()
while [ $# -gt 0 ]; do
    case "$1" in
        --update) update=true ;;
        --baseline) baseline="$2"; shift ;;
        --filter) filter=(--filter "$2"); shift ;;
        *) echo "usage: $0 [--update] [--baseline NAME] [--filter REGEX]" >&2; exit 64 ;;
    esac
    shift
done

# Build first, quietly, so that the run's output is only the figures.
log="$(mktemp)"
if ! swift build -c release >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    exit 1
fi
rm -f "$log"

if $update; then
    exec swift package --allow-writing-to-package-directory benchmark baseline update "$baseline" \
        "${filter[@]}" --no-progress
fi

swift package --allow-writing-to-package-directory benchmark baseline update current "${filter[@]}" --no-progress
status=0
swift package benchmark baseline compare "$baseline" current "${filter[@]}" --no-progress || true
swift package benchmark baseline check "$baseline" current "${filter[@]}" --no-progress || status=$?
rm -rf .benchmarkBaselines/*/current
if [ "$status" -eq 4 ]; then status=0; fi
exit "$status"
