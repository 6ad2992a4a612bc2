#!/usr/bin/env bash
# Load and soak against one listener (issue 9's goals), printing the figures:
#
#   1. 10,000 sequential connections: 0 failures, listener RSS growth < 10 MB, and
#      its open descriptors back to the baseline afterwards;
#   2. 1,000 connections held open at once, all pinged: listener peak RSS <= 200 MB,
#      descriptors back to the baseline once they close.
#
#   scripts/soak.sh [--transport tcp|quic-v1] [--security noise|tls] [--muxer yamux|mplex] [--held N] [--sequential N] [--warmup N]
#
# quic-v1 secures and multiplexes itself: --security and --muxer do not apply to it.
#
# Uses the release binary (builds it when missing) or LIBP2P_INTEROP_BIN. The
# listener is the interop listener itself (env-var contract, a private Redis); the
# load is `libp2p-interop load`. Baselines are taken after a warm-up (200 connections
# unless --warmup says otherwise), so one-time allocations are not counted as growth.
# Exits non-zero when a goal is missed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
transport=tcp security=noise muxer=yamux held=1000 sequential=10000 warmup=200
while [ $# -gt 0 ]; do
    case "$1" in
        --transport) transport="$2"; shift 2 ;;
        --security) security="$2"; shift 2 ;;
        --muxer) muxer="$2"; shift 2 ;;
        --held) held="$2"; shift 2 ;;
        --sequential) sequential="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        *) echo "usage: scripts/soak.sh [--transport T] [--security S] [--muxer M] [--held N] [--sequential N] [--warmup N]" >&2; exit 2 ;;
    esac
done
if [ -z "${LIBP2P_INTEROP_BIN:-}" ]; then
    swift build -c release --product libp2p-interop >/dev/null
    LIBP2P_INTEROP_BIN="$(swift build -c release --show-bin-path)/libp2p-interop"
fi
bin="$LIBP2P_INTEROP_BIN"
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!
listener_pid=""
cleanup() {
    [ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null || true
    kill "$redis_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

# A standalone transport's test names no security or muxer, as the harnesses do.
stack=(SECURE_CHANNEL="$security" MUXER="$muxer")
[ "$transport" = "quic-v1" ] && stack=()
env TRANSPORT="$transport" "${stack[@]}" IS_DIALER=false LISTENER_IP=127.0.0.1 \
    REDIS_ADDR="127.0.0.1:$port" TEST_KEY=soak TEST_TIMEOUT_SECS=3600 "$bin" 2>"$work/listener.log" &
listener_pid=$!
address="$(redis-cli -p "$port" BLPOP soak_listener_multiaddr 30 | tail -n 1)"
[ -n "$address" ] || { echo "soak: the listener published no address" >&2; cat "$work/listener.log" >&2; exit 1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$listener_pid/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$listener_pid/status"; }
fds() { ls "/proc/$listener_pid/fd" | wc -l; }
load() { "$bin" load --address "$address" --security "$security" --muxer "$muxer" --transport "$transport" "$@"; }
# Waits (up to 15 s) for the listener's descriptors to fall back to $1.
settle_fds() { for _ in $(seq 150); do [ "$(fds)" -le "$1" ] && break; sleep 0.1; done; fds; }

echo "soak: $transport listener at $address (pid $listener_pid)"
fds_start=$(fds)
load --connections "$warmup" --concurrency 1 >/dev/null
fds_warm=$(settle_fds "$fds_start")
rss_warm=$(rss_kb)
echo "soak: after a $warmup-connection warm-up: RSS $((rss_warm / 1024)) MB, $fds_warm descriptors"

status=0
echo "soak: $sequential sequential connections"
seq_json=$(load --connections "$sequential" --concurrency 1) || status=1
fds_after=$(settle_fds "$fds_warm")
rss_after=$(rss_kb)
growth_kb=$((rss_after - rss_warm))
echo "  $seq_json"
echo "  listener RSS $((rss_warm / 1024)) MB before, $((rss_after / 1024)) MB after: growth $((growth_kb / 1024)) MB (goal < 10 MB)"
echo "  listener descriptors: $fds_warm at baseline, $fds_after after"
[ "$growth_kb" -lt 10240 ] || { echo "soak: RSS grew by 10 MB or more" >&2; status=1; }
[ "$fds_after" -le "$fds_warm" ] || { echo "soak: descriptors not back to the baseline" >&2; status=1; }

echo "soak: $held connections held at once (100 dialing at a time)"
held_json=$(load --connections "$held" --concurrency 100 --hold) || status=1
peak_mb=$(( $(hwm_kb) / 1024 ))
echo "  $held_json"
echo "  listener peak RSS ${peak_mb} MB (goal <= 200 MB)"
[ "$peak_mb" -le 200 ] || { echo "soak: peak RSS over 200 MB" >&2; status=1; }
fds_after_held=$(settle_fds "$fds_warm")
echo "  listener descriptors: $fds_warm at baseline, $fds_after_held after"
[ "$fds_after_held" -le "$fds_warm" ] || { echo "soak: descriptors not back to the baseline" >&2; status=1; }
kill -0 "$listener_pid" 2>/dev/null || { echo "soak: the listener died" >&2; status=1; }
[ "$status" -eq 0 ] && echo "soak: all goals met" || echo "soak: goals missed" >&2
exit "$status"
