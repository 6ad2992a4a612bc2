#!/usr/bin/env python3
"""Throughput and perf latency, in one run: Swift x Swift per combination,
py x py, and the raw-TCP baseline (iperf3 on loopback), each throughput shown
as a ratio to the baseline. Not a test: it asserts nothing.

    scripts/benchmark_perf.py [--bytes MiB] [--iterations N] [--py-bytes MiB]
                              [--combos tcp/noise/yamux,...] [--py-combos tcp/noise/yamux]
                              [--out DIR]

Each pair is the two perf apps (`libp2p-interop perf`, `peer.py perf`) meeting
through a private Redis on a free loopback port, exactly as the matrix's perf
mode runs them: per pair, N uploads and N downloads of the given size on one
connection (each on a fresh /perf/1.0.0 stream), then 100 one-byte round trips.
The baseline is measured first and last (the mean of the two is the
reference) so that a load change during the run shows. Writes DIR/perf.csv,
DIR/baseline.csv and, with matplotlib from the py peer's venv, DIR/perf.svg.
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iperf_baseline  # noqa: E402
from benchmark import ROOT, start_redis  # noqa: E402

ALL = ",".join(f"tcp/{s}/{m}" for s in ("noise", "tls") for m in ("yamux", "mplex"))


def samples(stdout):
    """The `samples:` list of each YAML block."""
    out, block = {}, None
    for line in stdout.splitlines():
        if not line.startswith(" ") and line.endswith(":"):
            block = line[:-1]
        elif block and line.strip().startswith("samples:"):
            out[block] = [float(v) for v in line.split("[", 1)[1].rstrip("]").split(",") if v.strip()]
    return out


def run_pair(cmd, env, key, params, timeout):
    env = dict(env, TEST_KEY=key)
    listener = subprocess.Popen(cmd + ["perf"], env=dict(env, IS_DIALER="false", LISTENER_IP="127.0.0.1"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        dialer = subprocess.run(cmd + ["perf"], env=dict(env, IS_DIALER="true", **params),
                                capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "dialer timed out"
    finally:
        listener.kill()
        listener.wait()
    if dialer.returncode != 0:
        return None, (dialer.stderr.strip().splitlines() or ["exit %d" % dialer.returncode])[-1]
    found = samples(dialer.stdout)
    if set(found) != {"upload", "download", "latency"}:
        return None, "unparseable output: %r" % dialer.stdout[:200]
    return found, None


def split_combo(combo):
    """`transport/security/muxer`, or a standalone transport alone (`quic-v1`)."""
    parts = combo.split("/")
    return (parts[0], "", "") if len(parts) == 1 else tuple(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bytes", type=int, default=256, help="MiB per Swift upload and download")
    ap.add_argument("--py-bytes", type=int, default=16, help="MiB per py upload and download")
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--combos", default=ALL, help="Swift x Swift combinations")
    ap.add_argument("--py-combos", default="tcp/noise/yamux", help="py x py combinations ('' for none)")
    ap.add_argument("--swift-bin", default=os.path.join(ROOT, ".build", "release", "libp2p-interop"))
    ap.add_argument("--py-python", default=os.environ.get("PY_PEER_PYTHON"))
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--out", default=os.path.join(ROOT, "results-perf"))
    args = ap.parse_args()

    if not os.path.exists(args.swift_bin):
        sys.exit("no Swift binary at %s (swift build -c release)" % args.swift_bin)
    py_python = args.py_python or subprocess.run(
        [os.path.join(ROOT, "scripts", "setup-python-peer.sh")], check=True, capture_output=True,
        text=True).stdout.strip().splitlines()[-1]
    rows = [("swift x swift", c, [args.swift_bin], args.bytes) for c in args.combos.split(",") if c]
    rows += [("py x py", c, [py_python, os.path.join(ROOT, "interop", "python", "peer.py")], args.py_bytes)
             for c in args.py_combos.split(",") if c]

    before = iperf_baseline.measure()
    if before is None:
        sys.exit("iperf3 is not installed (scripts/install-deps.sh installs it)")
    redis, port, tmp = start_redis()
    results = []
    try:
        for i, (pair, combo, cmd, mib) in enumerate(rows):
            transport, security, muxer = split_combo(combo)
            env = dict(os.environ, TRANSPORT=transport, SECURE_CHANNEL=security, MUXER=muxer,
                       REDIS_ADDR="127.0.0.1:%d" % port, TEST_TIMEOUT_SECS=str(int(args.timeout)))
            env.pop("DEBUG", None)
            if not security:
                # A standalone transport (quic-v1): the harnesses set no security or muxer.
                env.pop("SECURE_CHANNEL", None)
                env.pop("MUXER", None)
            size = str(mib << 20)
            params = dict(UPLOAD_BYTES=size, DOWNLOAD_BYTES=size, UPLOAD_ITERATIONS=str(args.iterations),
                          DOWNLOAD_ITERATIONS=str(args.iterations), LATENCY_ITERATIONS="100")
            found, err = run_pair(cmd, env, "bench-perf-%d-%d" % (os.getpid(), i), params, args.timeout)
            print("  ran %-14s %-18s %s" % (pair, combo, "ok" if found else "FAILED: %s" % err), file=sys.stderr)
            if found:
                results.append((pair, combo, mib, found))
    finally:
        redis.kill()
        redis.wait()
    after = iperf_baseline.measure() or before
    baseline = (before + after) / 2

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "baseline.csv"), "w") as f:
        f.write("name,gbps\niperf3 tcp loopback,%.2f\n" % baseline)
    with open(os.path.join(args.out, "perf.csv"), "w") as f:
        f.write("name,dialer,listener,transport,security,muxer,upload_gbps,download_gbps,latency_ms,latency_samples_ms\n")
        for pair, combo, _, found in results:
            impl = pair.split()[0]
            t, s, m = split_combo(combo)
            f.write('"%s (%s)",%s,%s,%s,%s,%s,%.2f,%.2f,%.3f,%s\n' % (
                pair, combo, impl, impl, t, s, m, statistics.median(found["upload"]),
                statistics.median(found["download"]), statistics.median(found["latency"]),
                " ".join("%.3f" % v for v in found["latency"])))

    print("raw TCP baseline (iperf3, loopback, one stream): %.2f Gbit/s (%.2f before, %.2f after)"
          % (baseline, before, after))
    print("%-14s %-18s %6s %-22s %-22s %s" % ("pair", "combination", "MiB", "upload Gbit/s (ratio)",
                                              "download Gbit/s (ratio)", "latency ms median (p90)"))
    for pair, combo, mib, found in results:
        up, down = statistics.median(found["upload"]), statistics.median(found["download"])
        lat = sorted(found["latency"])
        p90 = lat[min(len(lat) - 1, int(round(0.9 * (len(lat) - 1))))]
        print("%-14s %-18s %6d %6.2f (%4.2f)          %6.2f (%4.2f)          %.3f (%.3f)" % (
            pair, combo, mib, up, up / baseline, down, down / baseline, statistics.median(lat), p90))
    chart = subprocess.run([py_python, os.path.join(ROOT, "scripts", "perf_chart.py"), args.out],
                           capture_output=True, text=True)
    print(chart.stdout.strip() or "no chart: %s" % chart.stderr.strip()[-300:], file=sys.stderr)


if __name__ == "__main__":
    main()
