"""The py peer's perf test app: `peer.py perf`.

unified-testing's perf contract (docs/write-a-perf-test-app.md) on top of
py-libp2p 0.8.1's own spec-following `/perf/1.0.0` service: the listener
serves perf and SETs `<TEST_KEY>_listener_multiaddr`; the dialer polls that key
(a SET string, or the head of an RPUSHed list), runs the upload, download and
latency series on one connection and prints only the three YAML blocks on
stdout. Same env vars as the Swift `libp2p-interop perf`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time

import multiaddr
import redis
import trio

from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.perf import PerfService

import peer
from peer import Config, PeerError, Progress, log

DEFAULT_BYTES = 1 << 30
DEFAULTS = {
    "UPLOAD_BYTES": DEFAULT_BYTES,
    "DOWNLOAD_BYTES": DEFAULT_BYTES,
    "UPLOAD_ITERATIONS": 10,
    "DOWNLOAD_ITERATIONS": 10,
    "LATENCY_ITERATIONS": 100,
}
MAX_BYTES = 64 << 30
MAX_ITERATIONS = 100_000
# A perf run moves gigabytes: unless the harness sets a timeout, allow an hour.
DEFAULT_TIMEOUT_S = 3600.0
POLL_INTERVAL_S = 0.1


def parameters() -> dict[str, int]:
    """The dialer's workload; unset or `null` means the default."""
    values: dict[str, int] = {}
    problems = []
    for name, default in DEFAULTS.items():
        raw = (os.environ.get(name) or "").strip()
        if raw in ("", "null"):
            values[name] = default
            continue
        cap = MAX_BYTES if name.endswith("BYTES") else MAX_ITERATIONS
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if not 0 <= value <= cap:
            problems.append(f"{name} must be a whole number from 0 to {cap} or null, got {raw!r}")
        values[name] = value
    if problems:
        raise PeerError("config", "; ".join(problems), exit_code=2)
    return values


def perf_config() -> Config:
    """The transport contract with the perf app's defaults."""
    cfg = Config.from_env()
    changes = {}
    if peer._env("TEST_TIMEOUT_SECS", "test_timeout_seconds", "test_timeout_secs") is None:
        changes["timeout_s"] = DEFAULT_TIMEOUT_S
    if peer._env("REDIS_ADDR", "redis_addr") is None:
        changes["redis_host"], changes["redis_port"] = "perf-redis", 6379
    return dataclasses.replace(cfg, **changes)


def statistics(samples: list[float]) -> dict:
    """Quartiles by linear interpolation, outliers beyond 1.5 x IQR, min and
    max of the inliers: the same figures as the Swift app and go's."""
    values = sorted(samples)
    if not values:
        return {"min": 0.0, "q1": 0.0, "median": 0.0, "q3": 0.0, "max": 0.0, "outliers": [], "samples": []}

    def percentile(p: float) -> float:
        index = p / 100 * (len(values) - 1)
        lower, upper = math.floor(index), math.ceil(index)
        weight = index - lower
        return values[lower] * (1 - weight) + values[upper] * weight

    q1, median, q3 = percentile(25), percentile(50), percentile(75)
    iqr = q3 - q1
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    inliers = [v for v in values if low <= v <= high]
    return {
        "min": inliers[0] if inliers else values[0],
        "q1": q1,
        "median": median,
        "q3": q3,
        "max": inliers[-1] if inliers else values[-1],
        "outliers": [v for v in values if v < low or v > high],
        "samples": values,
    }


def yaml_block(name: str, samples: list[float], unit: str, decimals: int) -> str:
    stats = statistics(samples)

    def f(v: float) -> str:
        return f"{v:.{decimals}f}"

    lines = [f"{name}:", f"  iterations: {len(samples)}"]
    for key in ("min", "q1", "median", "q3", "max"):
        lines.append(f"  {key}: {f(stats[key])}")
    lines.append("  outliers: [" + ", ".join(map(f, stats["outliers"])) + "]")
    lines.append("  samples: [" + ", ".join(map(f, stats["samples"])) + "]")
    lines.append(f"  unit: {unit}")
    return "\n".join(lines)


def peek_address(client: redis.Redis, key: str) -> str | None:
    """The string at `key`, or the head of the list there (not popped)."""
    kind = client.type(key)
    if kind in (b"string", "string"):
        value = client.get(key)
    elif kind in (b"list", "list"):
        value = client.lindex(key, 0)
    else:
        return None
    return value.decode() if isinstance(value, bytes) else value


async def run_listener(cfg: Config, deadline: float, progress: Progress) -> None:
    progress.enter("listen")
    listen_addr = peer.listen_multiaddr(cfg.transport, cfg.ip)
    host = peer.build_host(cfg, listen_addr)
    async with host.run([listen_addr]):
        service = PerfService(host)
        await service.start()
        address = peer.dialable_address(cfg, host)
        progress.enter("redis")
        client = await trio.to_thread.run_sync(peer.connect_redis, cfg, deadline, progress, abandon_on_cancel=True)
        progress.enter("publish")
        try:
            await trio.to_thread.run_sync(client.set, cfg.redis_key, address, abandon_on_cancel=True)
        except redis.exceptions.RedisError as error:
            raise PeerError("publish", f"SET {cfg.redis_key}: {error}") from None
        finally:
            client.close()
        log.info("perf listening on %s (SET %s)", address, cfg.redis_key)
        progress.enter("serve")
        progress.detail = "the listener was not stopped"
        await trio.sleep_forever()


async def fetch_address(cfg: Config, deadline: float, progress: Progress) -> str:
    progress.enter("redis")
    client = await trio.to_thread.run_sync(peer.connect_redis, cfg, deadline, progress, abandon_on_cancel=True)
    progress.enter("poll")
    try:
        while time.monotonic() < deadline:
            try:
                value = await trio.to_thread.run_sync(peek_address, client, cfg.redis_key, abandon_on_cancel=True)
            except redis.exceptions.RedisError as error:
                raise PeerError("redis", f"reading {cfg.redis_key}: {error}") from None
            if value:
                return value
            await trio.sleep(POLL_INTERVAL_S)
    finally:
        client.close()
    raise PeerError("timeout", f"no listener address in {cfg.redis_key} within the timeout")


async def transfer(service: PerfService, address: multiaddr.Multiaddr, send: int, recv: int) -> float:
    """One transfer on a fresh perf stream; its time in seconds."""
    start = time.perf_counter()
    async for output in service.measure_performance(address, send, recv):
        if output["type"] == "final":
            return time.perf_counter() - start
    raise PeerError("perf", "the perf service ended without a final result")


async def run_dialer(cfg: Config, params: dict[str, int], deadline: float, progress: Progress) -> str:
    own_addr = peer.dialer_listen_multiaddr(cfg.transport)
    host = peer.build_host(cfg, own_addr)
    async with host.run([own_addr]):
        text = await fetch_address(cfg, deadline, progress)
        if cfg.transport == "wss":
            text = text.replace("/tls/ws/p2p/", "/wss/p2p/")  # as peer.py's dialer
        log.info("dialing %s", text)
        address = multiaddr.Multiaddr(text)
        progress.enter("dial")
        try:
            await host.connect(info_from_p2p_addr(address))
        except Exception as error:
            raise PeerError("dial", f"{type(error).__name__}: {error}") from None
        service = PerfService(host)
        progress.enter("perf")
        up, down = params["UPLOAD_BYTES"], params["DOWNLOAD_BYTES"]
        try:
            upload = [up * 8 / await transfer(service, address, up, 0) / 1e9 for _ in range(params["UPLOAD_ITERATIONS"])]
            download = [
                down * 8 / await transfer(service, address, 0, down) / 1e9 for _ in range(params["DOWNLOAD_ITERATIONS"])
            ]
            latency = [await transfer(service, address, 1, 1) * 1000 for _ in range(params["LATENCY_ITERATIONS"])]
        except PeerError:
            raise
        except Exception as error:
            raise PeerError("perf", f"{type(error).__name__}: {error}") from None
        progress.enter("shutdown")
        return "\n".join([
            yaml_block("upload", upload, "Gbps", 2),
            yaml_block("download", download, "Gbps", 2),
            yaml_block("latency", latency, "ms", 3),
        ])


async def run(cfg: Config, params: dict[str, int], progress: Progress) -> str | None:
    deadline = time.monotonic() + cfg.timeout_s
    try:
        with trio.fail_after(cfg.timeout_s):
            if cfg.is_dialer:
                return await run_dialer(cfg, params, deadline, progress)
            await run_listener(cfg, deadline, progress)
            return None
    except trio.TooSlowError:
        raise PeerError("timeout", f"still in phase {progress.phase} after {cfg.timeout_s:g} s") from None
