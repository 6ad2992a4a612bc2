#!/usr/bin/env python3
"""Handshake and ping latency, Swift x Swift side by side with py x py, in one run.

Runs N listener/dialer pairs of each implementation for each combination through
one private Redis on a free loopback port, round robin (one pair of each row per
round, so that load changes during the run fall on every row alike), then prints
the median and spread (min, p90, max) of handshakePlusOneRTT and ping RTT. Not a
test: it asserts nothing.

    scripts/benchmark.py [--pairs 20] [--combos noise/yamux,tls/yamux] [--impls swift,py] [--swift-bin PATH]
                         [--baseline-bin [NAME=]PATH ...]

`--baseline-bin` adds a row `NAME x NAME` (default `base`) for another Swift
binary (a release build of an earlier commit, say), so that a change is measured
against what it changes in the same run, round robin. Repeatable.

A combination is `security/muxer` (over tcp) or `transport/security/muxer`, or a
standalone transport alone (`quic-v1`, which secures and multiplexes itself), e.g.
`--combos tcp/tls/yamux,quic-v1 --impls swift` compares the transports side by
side in one run.
"""
import argparse
import resource
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis():
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, port, tmp
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("redis-server did not start")


def run_pair(listener_cmd, dialer_cmd, env_base, key, timeout):
    env = dict(env_base, TEST_KEY=key)
    lenv = dict(env, IS_DIALER="false", LISTENER_IP="127.0.0.1")
    denv = dict(env, IS_DIALER="true")
    listener = subprocess.Popen(listener_cmd, env=lenv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        dialer = subprocess.run(dialer_cmd, env=denv, capture_output=True, text=True, timeout=timeout)
        # The dialer is the only child reaped in between (the listener is reaped
        # below): its own CPU time, user and system, in ms.
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = 1000 * ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    except subprocess.TimeoutExpired:
        return None, "dialer timed out"
    finally:
        listener.kill()
        listener.wait()
    if dialer.returncode != 0:
        return None, dialer.stderr.strip().splitlines()[-1:] or ["exit %d" % dialer.returncode]
    values = {}
    for line in dialer.stdout.splitlines():
        line = line.strip()
        if ":" in line:
            k, v = line.split(":", 1)
            values[k.strip()] = v.strip()
    try:
        return (float(values["handshake_plus_one_rtt"]), float(values["ping_rtt"]), cpu), None
    except (KeyError, ValueError):
        return None, "unparseable output: %r" % dialer.stdout


def spread(values):
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return "%8.2f %8.2f %8.2f %8.2f" % (statistics.median(values), values[0], p90, values[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--combos", default="noise/yamux,tls/yamux")
    ap.add_argument("--swift-bin", default=os.path.join(ROOT, ".build", "release", "libp2p-interop"))
    ap.add_argument("--baseline-bin", action="append", default=[], metavar="[NAME=]PATH",
                    help="another Swift binary (a build of an earlier commit, say), run as its own row, round robin; repeatable")
    ap.add_argument("--py-python", default=os.environ.get("PY_PEER_PYTHON"))
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--impls", default="swift,py", help="which implementations to pair with themselves")
    args = ap.parse_args()

    if not os.path.exists(args.swift_bin):
        sys.exit("no Swift binary at %s (swift build -c release)" % args.swift_bin)
    py_python = args.py_python
    if not py_python:
        py_python = subprocess.run([os.path.join(ROOT, "scripts", "setup-python-peer.sh")], check=True,
                                   capture_output=True, text=True).stdout.strip().splitlines()[-1]
    impls = {
        "swift": [args.swift_bin],
        "py": [py_python, os.path.join(ROOT, "interop", "python", "peer.py")],
    }
    impls = {name: cmd for name, cmd in impls.items() if name in args.impls.split(",")}
    for i, spec in enumerate(args.baseline_bin):
        name, _, path = spec.rpartition("=")
        impls[name or ("base" if i == 0 else "base%d" % (i + 1))] = [path]

    redis, port, tmp = start_redis()
    try:
        rows = []
        for combo in args.combos.split(","):
            parts = combo.split("/")
            base = dict(os.environ, REDIS_ADDR="127.0.0.1:%d" % port, TEST_TIMEOUT_SECS=str(int(args.timeout)))
            for unset in ("DEBUG", "SECURE_CHANNEL", "MUXER"):
                base.pop(unset, None)
            if len(parts) == 1:
                # A standalone transport: the harnesses set no security or muxer.
                base["TRANSPORT"] = parts[0]
            else:
                transport, security, muxer = parts if len(parts) == 3 else ["tcp"] + parts
                combo = "%s/%s/%s" % (transport, security, muxer)
                base.update(TRANSPORT=transport, SECURE_CHANNEL=security, MUXER=muxer)
            for name, cmd in impls.items():
                rows.append(("%s x %s" % (name, name), combo, [], [], [], cmd, base, []))
        # Round robin over the rows, one pair each per round, so that a change in
        # the machine's load during the run falls on every row alike.
        for i in range(args.pairs):
            for pair, combo, hs, rtt, failures, cmd, base, cpu in rows:
                key = "bench-%s-%s-%d-%d" % (pair.split()[0], combo.replace("/", "-"), os.getpid(), i)
                result, err = run_pair(cmd, cmd, base, key, args.timeout)
                if result:
                    hs.append(result[0])
                    rtt.append(result[1])
                    cpu.append(result[2])
                else:
                    failures.append(err)
        rows = [row[:5] + (row[7],) for row in rows]
        for pair, combo, hs, _, failures, _ in rows:
            print("  ran %-14s %-18s %d ok, %d failed" % (pair, combo, len(hs), len(failures)), file=sys.stderr)
        print("pairs per row: %d   (ms; median, min, p90, max)" % args.pairs)
        print("%-14s %-18s %-35s %-35s %s" % ("pair", "combination", "handshakePlusOneRTT  med/min/p90/max",
                                            "ping RTT  med/min/p90/max", "dialer process CPU med"))
        medians = {}
        for pair, combo, hs, rtt, failures, cpu in rows:
            if hs:
                print("%-14s %-18s %-35s %-35s %8.2f%s" % (pair, combo, spread(hs), spread(rtt), statistics.median(cpu),
                                                           "  (%d failed)" % len(failures) if failures else ""))
                medians[(pair, combo)] = statistics.median(hs)
            else:
                print("%-14s %-18s all %d failed: %s" % (pair, combo, len(failures), failures[:1]))
        for combo in {c for _, c in medians}:
            s, p = medians.get(("swift x swift", combo)), medians.get(("py x py", combo))
            if s and p:
                print("%s: py/swift median handshakePlusOneRTT ratio %.1fx" % (combo, p / s))
    finally:
        redis.kill()
        redis.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
