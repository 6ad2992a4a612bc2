"""The raw-TCP baseline: iperf3 over loopback, one stream, as unified-testing's
perf baselines measure it. `measure()` returns Gbit/s, or None without iperf3
(scripts/install-deps.sh installs it)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(seconds: int = 3) -> float | None:
    iperf = shutil.which("iperf3")
    if iperf is None:
        return None
    port = _free_port()
    server = subprocess.Popen(
        [iperf, "-s", "-1", "-B", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.2)
    try:
        # No probe connection: a one-off server (-1) would take it as its client.
        for _ in range(50):
            run = subprocess.run(
                [iperf, "-c", "127.0.0.1", "-p", str(port), "-t", str(seconds), "-J"],
                capture_output=True, text=True, timeout=seconds + 30)
            report = json.loads(run.stdout) if run.stdout.strip().startswith("{") else {}
            received = report.get("end", {}).get("sum_received")
            if run.returncode == 0 and received:
                return received["bits_per_second"] / 1e9
            time.sleep(0.1)  # the server was not listening yet
        return None
    finally:
        server.kill()
        server.wait()
