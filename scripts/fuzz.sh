#!/usr/bin/env bash
# libFuzzer targets for every parser that reads network bytes (FuzzTesting/).
#
#   scripts/fuzz.sh --list                      the targets
#   scripts/fuzz.sh --seconds N [TARGET...]     build once, fuzz each target N seconds
#   scripts/fuzz.sh --write-seeds [TARGET...]   regenerate the committed seed corpora
#
# Each run starts from the committed seeds (FuzzTesting/Corpus/TARGET, never
# written to) plus what earlier runs found (.build-fuzz/runs/TARGET/corpus). Exits
# non-zero if any target crashed, leaked or hung, printing the saved input's path;
# replay one with `scripts/fuzz.sh --replay TARGET FILE`.
#
# Needs only the Swift toolchain (its clang runtime ships libFuzzer and ASan).
# FUZZ_CONFIGURATION=debug builds faster and fuzzes slower (default: release).
# FUZZ_TIMEOUT: seconds one input may take before it counts as a hang (default 10).
# FUZZ_RUNS: stop a target after this many executions even if time is left (the
# long campaign: FUZZ_RUNS=10000000 scripts/fuzz.sh --seconds 1800 TARGET...).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
package="$root/FuzzTesting"
seeds="$root/FuzzTesting/Corpus"
scratch="$root/.build-fuzz"
configuration="${FUZZ_CONFIGURATION:-release}"
timeout="${FUZZ_TIMEOUT:-10}"
runs="${FUZZ_RUNS:--1}"

usage() {
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
}

all_targets() { (cd "$seeds" && ls -1d */ | tr -d /); }

build() {
    echo "fuzz: building ($configuration, -sanitize=fuzzer,address)" >&2
    local flags=(-c "$configuration" --package-path "$package" --scratch-path "$scratch"
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing)
    swift build "${flags[@]}" --product libp2p-fuzz >&2
    binary="$(swift build "${flags[@]}" --show-bin-path)/libp2p-fuzz"
}

check_targets() {
    local known
    known=" $(all_targets | tr '\n' ' ') "
    for target in "$@"; do
        [[ "$known" == *" $target "* ]] || { echo "fuzz: unknown target '$target' (see --list)" >&2; exit 2; }
    done
}

# One target for $1 seconds; prints a summary row, returns non-zero on a finding.
run_target() {
    local target="$1" seconds="$2" work="$scratch/runs/$1"
    mkdir -p "$work/corpus" "$work/artifacts"
    local log="$work/last.log" started status=0 options=()
    # A target's own libFuzzer flags, one per line, after a comment saying why.
    [[ -f "$package/Options/$target" ]] && mapfile -t options < <(grep -v '^#' "$package/Options/$target")
    started=$(date +%s)
    LIBP2P_FUZZ_TARGET="$target" "$binary" -max_total_time="$seconds" -runs="$runs" -timeout="$timeout" -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${options[@]}" "$work/corpus" "$seeds/$target" >"$log" 2>&1 || status=$?
    local elapsed=$(( $(date +%s) - started ))
    local executions coverage
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    coverage=$(sed -n 's/.* cov: \([0-9]*\) .*corp: \([0-9]*\)\/.*/\1 edges, corpus \2/p' "$log" | tail -1)
    if [[ $status -eq 0 ]]; then
        printf '%-24s %12s executions %6ss  ok  (%s)\n' "$target" "${executions:-?}" "$elapsed" "${coverage:-coverage ?}"
        return 0
    fi
    printf '%-24s %12s executions %6ss  FAILED (exit %s)\n' "$target" "${executions:-?}" "$elapsed" "$status"
    grep -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error|SUMMARY' "$log" | head -5 | sed 's/^/    /'
    local input
    input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "    crashing input: ${input:-none saved}; full log: $log"
    return 1
}

case "${1:-}" in
--list)
    all_targets
    ;;
--seconds)
    [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || usage
    seconds="$2"
    shift 2
    targets=("$@")
    [[ ${#targets[@]} -gt 0 ]] || mapfile -t targets < <(all_targets)
    check_targets "${targets[@]}"
    build
    failures=0
    for target in "${targets[@]}"; do run_target "$target" "$seconds" || failures=$((failures + 1)); done
    echo "fuzz: $(( ${#targets[@]} - failures )) passed, $failures failed"
    [[ $failures -eq 0 ]]
    ;;
--replay)
    [[ $# -eq 3 ]] || usage
    check_targets "$2"
    build
    LIBP2P_FUZZ_TARGET="$2" "$binary" -runs=1 "$3"
    ;;
--write-seeds)
    shift
    targets=("$@")
    [[ ${#targets[@]} -gt 0 ]] || mapfile -t targets < <(all_targets)
    build
    for target in "${targets[@]}"; do
        rm -f "$seeds/$target"/seed-*
        LIBP2P_FUZZ_TARGET="$target" LIBP2P_FUZZ_WRITE_SEEDS="$seeds/$target" "$binary"
        echo "$target: $(ls "$seeds/$target" | wc -l) seeds, $(cat "$seeds/$target"/* | wc -c) bytes"
    done
    ;;
*)
    usage
    ;;
esac
