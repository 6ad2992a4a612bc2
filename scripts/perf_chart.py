#!/usr/bin/env python3
"""Draws a perf run's chart: throughput per pair and combination beside the
raw-TCP baseline (iperf3 on loopback), and each pair's latency distribution.

    perf_chart.py RESULTS_DIR [--out FILE]

Reads RESULTS_DIR/perf.csv (written by `libp2p-interop matrix --perf` and by
`scripts/benchmark.py --perf`) and RESULTS_DIR/baseline.csv when present; when
it is absent and iperf3 is installed, measures the baseline first and writes
it. Writes RESULTS_DIR/perf.svg (or --out). Runs in the py peer's venv, which
has matplotlib (interop/python/requirements.txt).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iperf_baseline  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # files only, no display
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: a smaller, searchable SVG
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402


def read_rows(path: str) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def label(row: dict[str, str]) -> str:
    return f"{row['dialer']} × {row['listener']}\n{row['transport']}/{row['security']}/{row['muxer']}"


def draw(rows: list[dict[str, str]], baseline: float | None, out: str) -> None:
    labels = [label(r) for r in rows]
    up = [float(r["upload_gbps"]) for r in rows]
    down = [float(r["download_gbps"]) for r in rows]
    latencies = [[float(v) for v in r["latency_samples_ms"].split()] or [float(r["latency_ms"])] for r in rows]
    height = max(3.0, 0.55 * len(rows) + 1.5)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, height), gridspec_kw={"width_ratios": [3, 2]})

    positions = range(len(rows))
    left.barh([p + 0.2 for p in positions], up, height=0.4, label="upload", color="#4c72b0")
    left.barh([p - 0.2 for p in positions], down, height=0.4, label="download", color="#dd8452")
    if baseline:
        left.axvline(baseline, color="#333333", linestyle="--", label=f"raw TCP (iperf3) {baseline:.1f}")
    left.set_yticks(list(positions), labels, fontsize=8)
    left.invert_yaxis()
    left.set_xlabel("Gbit/s (median)")
    left.set_title("Throughput, one stream, loopback")
    left.legend(loc="lower right", fontsize=8)

    right.boxplot(latencies, orientation="horizontal", showfliers=True)
    right.set_yticks([p + 1 for p in positions], labels, fontsize=8)
    right.invert_yaxis()
    right.set_xscale("log")
    right.xaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    right.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    right.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    right.set_xlabel("ms (log scale)")
    right.set_title("Latency: 1 byte each way, new stream")

    fig.tight_layout()
    fig.savefig(out)
    print(f"chart: {out}")


def baseline_for(directory: str) -> float | None:
    path = os.path.join(directory, "baseline.csv")
    if os.path.exists(path):
        rows = read_rows(path)
        return float(rows[0]["gbps"]) if rows else None
    gbps = iperf_baseline.measure()
    if gbps is not None:
        with open(path, "w") as f:
            f.write(f"name,gbps\niperf3 tcp loopback,{gbps:.2f}\n")
    return gbps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="folder with perf.csv")
    ap.add_argument("--out", help="chart file (default RESULTS/perf.svg)")
    args = ap.parse_args()
    rows = read_rows(os.path.join(args.results, "perf.csv"))
    if not rows:
        print("perf_chart: no passed perf results to draw", file=sys.stderr)
        return 1
    draw(rows, baseline_for(args.results), args.out or os.path.join(args.results, "perf.svg"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
