#!/usr/bin/env python3
"""A py-libp2p 0.8.1 ping peer that follows the transport-interop env contract
(and, as `peer.py perf`, the perf test app's: perf_app.py).

Same contract as the Swift `libp2p-interop` binary (see /work/shared/INTEROP.md,
section 1): the env vars pick the role, the transport, exactly ONE security
protocol and exactly ONE muxer (none for quic-v1, which secures and multiplexes
itself); the listener publishes its address in Redis and
serves ping + identify until killed; the dialer takes the address from Redis,
dials, pings twice and prints only the latency result on stdout.

Everything except the result goes to stderr. Any failure prints one line
`error: <phase>: <reason>` on stderr and exits non-zero.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime
import json
import logging
import math
import os
import secrets
import ssl
import sys
import tempfile
import time
from typing import Any

import ifaddr
import multiaddr
import redis
import trio
from redis.backoff import NoBackoff
from redis.retry import Retry

from libp2p import new_host
from libp2p.abc import IHost, INetConn, INetStream, INetwork, INotifee
from libp2p.crypto import ed25519, secp256k1
from libp2p.crypto.keys import KeyPair
from libp2p.crypto.x25519 import create_new_key_pair as create_x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.host.ping import ID as PING_PROTOCOL_ID
from libp2p.host.ping import PING_LENGTH
from libp2p.identity.identify.identify import ID as IDENTIFY_PROTOCOL_ID
from libp2p.identity.identify.pb.identify_pb2 import Identify
from libp2p.io.utils import read_exactly
from libp2p.network.config import ConnectionConfig
from libp2p.peer.id import ID as PeerID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.security.tls.transport import PROTOCOL_ID as TLS_PROTOCOL_ID
from libp2p.security.tls.transport import TLSTransport
from libp2p.security.insecure.transport import (
    PLAINTEXT_PROTOCOL_ID,
    InsecureTransport,
)
from libp2p.transport.quic.config import QUICTransportConfig
from libp2p.stream_muxer.mplex.mplex import MPLEX_PROTOCOL_ID, Mplex
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_PROTOCOL_ID
from libp2p.stream_muxer.yamux.yamux import Yamux
from libp2p.utils.varint import read_length_prefixed_protobuf

log = logging.getLogger("pypeer")

# Bounds on the waits that are not the test timeout itself.
REDIS_RETRY_INTERVAL_S = 0.2
IDENTIFY_TIMEOUT_S = 10.0
IDENTIFY_MAX_BYTES = 64 * 1024
SHUTDOWN_GRACE_S = 2.0
IDENTIFY_QUEUE_SIZE = 64
DIALER_LISTEN_IP = "127.0.0.1"

# Transports that bring their own security and muxing: the harnesses leave
# SECURE_CHANNEL/MUXER (security/muxer) unset for them and name the test
# `A x B (quic-v1)`.
STANDALONE_TRANSPORTS = ("quic-v1",)
TRANSPORTS = ("tcp", "ws", "wss") + STANDALONE_TRANSPORTS


class PeerError(Exception):
    """A failure in a named phase; main() prints it as one stderr line."""

    def __init__(self, phase: str, reason: str, exit_code: int = 1) -> None:
        super().__init__(f"{phase}: {reason}")
        self.phase = phase
        self.reason = reason
        self.exit_code = exit_code


# --------------------------------------------------------------------------
# Configuration from the environment
# --------------------------------------------------------------------------


def _env(*names: str) -> str | None:
    """First non-empty value among `names` (upper-case unified names first)."""
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip() != "":
            return value.strip()
    return None


def _config_error(reason: str) -> PeerError:
    return PeerError("config", reason, exit_code=2)


@dataclasses.dataclass(frozen=True)
class Config:
    transport: str
    # None for a standalone transport (quic-v1).
    security: str | None
    muxer: str | None
    is_dialer: bool
    ip: str
    redis_host: str
    redis_port: int
    test_key: str | None
    timeout_s: float
    debug: bool
    key_type: str
    report_identify: bool
    ping_once: bool
    # Settings given but meaningless for the transport (security/muxer with
    # quic-v1), for the start-up log line.
    ignored_settings: tuple[str, ...] = ()

    @property
    def redis_key(self) -> str:
        if self.test_key:
            return f"{self.test_key}_listener_multiaddr"
        return "listenerAddr"

    @staticmethod
    def from_env() -> "Config":
        transport = _env("TRANSPORT", "transport")
        security = _env("SECURE_CHANNEL", "security")
        muxer = _env("MUXER", "muxer")
        is_dialer_text = _env("IS_DIALER", "is_dialer")
        test_key = _env("TEST_KEY")
        ip = _env("LISTENER_IP", "ip") or "0.0.0.0"
        redis_addr = _env("REDIS_ADDR", "redis_addr") or (
            "transport-redis:6379" if test_key else "redis:6379"
        )
        timeout_text = (
            _env("TEST_TIMEOUT_SECS", "test_timeout_seconds", "test_timeout_secs")
            or "180"
        )
        debug_text = (_env("DEBUG") or "false").lower()
        key_type = (_env("PY_KEY_TYPE") or "ed25519").lower()
        report_identify = (_env("PY_REPORT_IDENTIFY") or "0").lower()
        ping_once = (_env("PY_PING_ONCE") or "0").lower()

        if transport is None:
            raise _config_error("TRANSPORT/transport is not set")
        if transport not in TRANSPORTS:
            raise _config_error(
                f"unsupported transport {transport!r} ({'|'.join(TRANSPORTS)})"
            )
        if transport in STANDALONE_TRANSPORTS:
            # Neither harness sets them for quic-v1; go's and rust's test apps
            # ignore them there, and so does this peer (main() says so on
            # stderr) rather than fail a test over an unused setting.
            ignored = {"security": security, "muxer": muxer}
            security = muxer = None
        else:
            ignored = {}
            if security is None:
                raise _config_error("SECURE_CHANNEL/security is not set")
            if security not in ("noise", "tls", "plaintext"):
                raise _config_error(
                    f"unsupported security {security!r} (noise|tls|plaintext)"
                )
            if muxer is None:
                raise _config_error("MUXER/muxer is not set")
            if muxer not in ("yamux", "mplex"):
                raise _config_error(f"unsupported muxer {muxer!r} (yamux|mplex)")
        if is_dialer_text not in ("true", "false"):
            raise _config_error(
                f"IS_DIALER/is_dialer must be 'true' or 'false', got {is_dialer_text!r}"
            )
        try:
            timeout_s = float(timeout_text)
        except ValueError:
            raise _config_error(f"bad test timeout {timeout_text!r}") from None
        if not math.isfinite(timeout_s) or timeout_s <= 0:
            raise _config_error(f"test timeout must be > 0, got {timeout_text!r}")
        if key_type not in ("ed25519", "secp256k1"):
            raise _config_error(
                f"PY_KEY_TYPE must be ed25519 or secp256k1, got {key_type!r}"
            )
        redis_host, redis_port = _parse_host_port(redis_addr)
        return Config(
            transport=transport,
            security=security,
            muxer=muxer,
            is_dialer=is_dialer_text == "true",
            ip=ip,
            redis_host=redis_host,
            redis_port=redis_port,
            test_key=test_key,
            timeout_s=timeout_s,
            debug=debug_text in ("1", "true", "yes"),
            key_type=key_type,
            report_identify=report_identify in ("1", "true", "yes"),
            ping_once=ping_once in ("1", "true", "yes"),
            ignored_settings=tuple(
                f"{name}={value}" for name, value in ignored.items() if value
            ),
        )


def _parse_host_port(text: str) -> tuple[str, int]:
    """`host:port`, `[v6]:port` or a bare host (port 6379)."""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        if not sep:
            raise _config_error(f"bad redis address {text!r}")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    try:
        port = int(port_text) if port_text else 6379
    except ValueError:
        raise _config_error(f"bad redis port in {text!r}") from None
    if not host or not 0 < port < 65536:
        raise _config_error(f"bad redis address {text!r}")
    return host, port


# --------------------------------------------------------------------------
# Host construction: exactly one security protocol and one muxer
# --------------------------------------------------------------------------


def make_key_pair(key_type: str) -> KeyPair:
    if key_type == "secp256k1":
        return secp256k1.create_new_key_pair()
    return ed25519.create_new_key_pair()


# --------------------------------------------------------------------------
# Transports: tcp, ws, wss and quic-v1
# --------------------------------------------------------------------------

# What follows the IP in this peer's addresses, per transport, with `{port}`.
TRANSPORT_TAIL = {
    "tcp": "/tcp/{port}",
    "ws": "/tcp/{port}/ws",
    "wss": "/tcp/{port}/tls/ws",
    "quic-v1": "/udp/{port}/quic-v1",
}


def listen_multiaddr(transport: str, ip: str) -> multiaddr.Multiaddr:
    """Where to listen: `ip`, a port the system picks. py-libp2p picks its
    transports from these addresses (a /ws one selects the websocket
    transport, a /quic-v1 one the QUIC transport)."""
    return multiaddr.Multiaddr(
        _ip_component(ip) + TRANSPORT_TAIL[transport].format(port=0)
    )


def _self_signed_server_context() -> ssl.SSLContext:
    """The wss listener's TLS: a certificate made at start, as in go's and py's
    own interop tests. Nobody verifies it: the libp2p handshake on top
    (noise or tls) authenticates the peer."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "libp2p-websocket")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as directory:
        cert_path = os.path.join(directory, "cert.pem")
        key_path = os.path.join(directory, "key.pem")
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
    return context


def _unverified_client_context() -> ssl.SSLContext:
    """The wss dialer's TLS: no web-PKI check of the listener's self-signed
    certificate (the libp2p handshake on top authenticates)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _quic_config() -> QUICTransportConfig:
    """py's QUIC settings for a test peer.

    QUICTransportConfig is also the swarm's connection config when passed as
    `connection_config`: `max_connections_per_peer=1` ends a dial as soon as
    its one connection is up, as for tcp (see build_host). Only QUIC v1:
    the interop tests name `quic-v1`, and draft-29 would only add a second
    server configuration nobody asks for. The rest (ALPN `libp2p`, a fresh
    P-256 certificate with the libp2p extension, a client certificate
    required by the listener) is py's default and what the spec asks.
    """
    return QUICTransportConfig(max_connections_per_peer=1, enable_draft29=False)


def _build_quic_host(
    key_pair: KeyPair, listen_addr: multiaddr.Multiaddr | None
) -> IHost:
    # No sec_opt/muxer_opt: QUIC's own TLS 1.3 authenticates the peer and its
    # streams are the muxed streams, so no multistream round picks either.
    return new_host(
        key_pair=key_pair,
        listen_addrs=[listen_addr] if listen_addr else None,
        enable_quic=True,
        enable_tcp=False,
        connection_config=_quic_config(),
    )


def dialer_listen_multiaddr(transport: str) -> multiaddr.Multiaddr:
    """The dialer's own loopback listener (see run_dialer); a wss dialer
    listens on plain ws, having no certificate to serve."""
    return listen_multiaddr("ws" if transport == "wss" else transport, DIALER_LISTEN_IP)


def build_host(cfg: Config, listen_addr: multiaddr.Multiaddr | None = None) -> IHost:
    key_pair = make_key_pair(cfg.key_type)
    if cfg.transport in STANDALONE_TRANSPORTS:
        return _build_quic_host(key_pair, listen_addr)
    # py's defaults offer noise+tls+secio+plaintext and both muxers; the
    # interop matrix tests one combination at a time, so pass maps holding
    # exactly the one that was asked for.
    if cfg.security == "noise":
        sec_opt = {
            NOISE_PROTOCOL_ID: NoiseTransport(
                key_pair, noise_privkey=create_x25519_key_pair().private_key
            )
        }
    elif cfg.security == "plaintext":
        # /plaintext/2.0.0: identities exchanged, nothing encrypted. Only for
        # testing a plaintext plugin (Examples/PlaintextSecurity); the interop
        # matrix does not list it.
        sec_opt = {PLAINTEXT_PROTOCOL_ID: InsecureTransport(key_pair)}
    else:
        sec_opt = {TLS_PROTOCOL_ID: TLSTransport(key_pair)}
    if cfg.muxer == "yamux":
        muxer_opt = {TProtocol(YAMUX_PROTOCOL_ID): Yamux}
    else:
        muxer_opt = {TProtocol(MPLEX_PROTOCOL_ID): Mplex}
    # With the default limit (3 per peer) py's dialer sleeps a fixed 250 ms
    # "happy eyeballs" delay after starting the dial; a limit of 1 ends the
    # dial as soon as the one connection is up.
    connection_config = ConnectionConfig(max_connections_per_peer=1)
    # py picks its transport from the listen addresses: a /ws one gives the
    # websocket transport (which dials both ws and wss).
    websocket: dict[str, Any] = {}
    if cfg.transport in ("ws", "wss"):
        websocket["listen_addrs"] = [listen_addr] if listen_addr else []
        websocket["tls_client_config"] = _unverified_client_context()
        if cfg.transport == "wss" and not cfg.is_dialer:
            websocket["tls_server_config"] = _self_signed_server_context()
    return new_host(
        key_pair=key_pair,
        sec_opt=sec_opt,
        muxer_opt=muxer_opt,
        connection_config=connection_config,
        **websocket,
    )


class Progress:
    """The phase a role is in, so that a timeout can say where it stopped."""

    def __init__(self) -> None:
        self.phase = "start"
        self.detail = ""

    def enter(self, phase: str) -> None:
        log.debug("phase %s", phase)
        self.phase = phase
        self.detail = ""


# --------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------


def connect_redis(cfg: Config, deadline: float, progress: Progress) -> redis.Redis:
    """Connect with retry until `deadline` (compose starts Redis unready).

    Runs in a worker thread; `progress.detail` keeps the last error for the
    timeout message.
    """
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        client = redis.Redis(
            host=cfg.redis_host,
            port=cfg.redis_port,
            socket_connect_timeout=2,
            socket_timeout=None,  # BLPOP blocks up to the test timeout
            # This loop is the retry; redis-py's own (3 tries with backoff)
            # would hide errors and could re-issue BLPOP.
            retry=Retry(NoBackoff(), 0),
        )
        try:
            client.ping()
            return client
        except (redis.exceptions.RedisError, OSError) as error:
            last_error = error
            progress.detail = f"last error: {error}"
            client.close()
            time.sleep(REDIS_RETRY_INTERVAL_S)
    raise PeerError(
        "redis",
        f"could not reach {cfg.redis_host}:{cfg.redis_port} before the timeout: {last_error}",
    )


# --------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------


def _ip_component(ip: str) -> str:
    return f"/ip6/{ip}" if ":" in ip else f"/ip4/{ip}"


def interface_address(want_v6: bool) -> str:
    """A non-loopback, non-link-local address of this machine, else loopback."""
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if want_v6 and ip.is_IPv6:
                text = ip.ip[0]
                if text != "::1" and not text.lower().startswith("fe80"):
                    return text
            elif not want_v6 and ip.is_IPv4:
                text = ip.ip
                if not text.startswith("127.") and not text.startswith("169.254."):
                    return text
    return "::1" if want_v6 else "127.0.0.1"


def dialable_address(cfg: Config, host: IHost) -> str:
    """The address to publish: the bound port on `cfg.ip` (a real interface
    address for a wildcard), the transport's tail, `/p2p/<id>`."""
    port_protocol = "udp" if cfg.transport in STANDALONE_TRANSPORTS else "tcp"
    bound = [
        a for a in host.get_transport_addrs()
        if any(p.name == port_protocol for p in a.protocols())
    ]
    if not bound:
        raise PeerError("listen", f"the host reports no {port_protocol} listen address")
    port = bound[0].value_for_protocol(port_protocol)
    if not port or port == "0":
        raise PeerError("listen", f"the host reports no bound port in {bound[0]}")
    ip = cfg.ip
    if ip in ("0.0.0.0", "::"):
        ip = interface_address(want_v6=ip == "::")
    tail = TRANSPORT_TAIL[cfg.transport].format(port=port)
    return f"{_ip_component(ip)}{tail}/p2p/{host.get_id()}"


# --------------------------------------------------------------------------
# Identify reporting (PY_REPORT_IDENTIFY=1)
# --------------------------------------------------------------------------


def _multiaddr_text(raw: bytes) -> str:
    try:
        return str(multiaddr.Multiaddr(raw))
    except Exception:  # report undecodable bytes instead of failing the report
        return f"<invalid multiaddr 0x{raw.hex()}>"


async def report_identify(host: IHost, peer_id: PeerID) -> None:
    """Open our own /ipfs/id/1.0.0 stream and print what the peer says.

    py's host also runs identify on its own and folds the answer into its
    peerstore; a fresh stream gives the message exactly as the remote sent
    it (public key bytes, observed address), to check its identify responder.
    """
    try:
        with trio.fail_after(IDENTIFY_TIMEOUT_S):
            stream = await host.new_stream(peer_id, [IDENTIFY_PROTOCOL_ID])
            try:
                data = await read_length_prefixed_protobuf(
                    stream, use_varint_format=True, max_length=IDENTIFY_MAX_BYTES
                )
            finally:
                await stream.close()
    except trio.TooSlowError:
        raise PeerError("identify", f"no identify answer within {IDENTIFY_TIMEOUT_S:g} s") from None
    except PeerError:
        raise
    except Exception as error:
        reason = str(error) or "the stream ended before the identify answer"
        raise PeerError("identify", f"{type(error).__name__}: {reason}") from None
    message = Identify()
    try:
        message.ParseFromString(data)
    except Exception as error:
        raise PeerError("identify", f"bad Identify protobuf: {error}") from None
    report = {
        "peerId": str(peer_id),
        "publicKey": message.public_key.hex(),
        "protocols": list(message.protocols),
        "agentVersion": message.agent_version,
        "protocolVersion": message.protocol_version,
        "listenAddrs": [_multiaddr_text(a) for a in message.listen_addrs],
        "observedAddr": _multiaddr_text(message.observed_addr)
        if message.HasField("observed_addr")
        else None,
    }
    print("IDENTIFY " + json.dumps(report), file=sys.stderr, flush=True)


class InboundConnections(INotifee):
    """Forwards the peer ID of every new connection to a trio channel."""

    def __init__(self, send: trio.MemorySendChannel[PeerID]) -> None:
        self._send = send

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        # The swarm awaits notifees inline; hand off instead of identifying here.
        try:
            self._send.send_nowait(conn.muxed_conn.peer_id)
        except trio.WouldBlock:
            log.warning("identify report queue full; skipping a connection")

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        pass

    async def listen(self, network: INetwork, multiaddr: Any) -> None:
        pass

    async def listen_close(self, network: INetwork, multiaddr: Any) -> None:
        pass


async def report_inbound_identifies(
    host: IHost, receive: trio.MemoryReceiveChannel[PeerID]
) -> None:
    async with trio.open_nursery() as nursery:
        async for peer_id in receive:
            nursery.start_soon(_report_identify_logged, host, peer_id)


async def _report_identify_logged(host: IHost, peer_id: PeerID) -> None:
    # A listener keeps serving when one report fails; say so on stderr.
    log.debug("identify report: asking %s", peer_id)
    try:
        await report_identify(host, peer_id)
    except PeerError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# One ping per stream (PY_PING_ONCE=1)
# --------------------------------------------------------------------------


async def ping_once_handler(stream: INetStream) -> None:
    """Answer one ping, then close the stream, as nim-libp2p's listener does.

    The ping spec lets a listener stop after one echo; a dialer must cope.
    """
    try:
        payload = await read_exactly(stream, PING_LENGTH)
        await stream.write(payload)
    except Exception as error:  # a broken stream ends this handler only
        log.debug("one-ping handler: %s", error)
    finally:
        await stream.close()


# --------------------------------------------------------------------------
# Roles
# --------------------------------------------------------------------------


async def run_listener(cfg: Config, deadline: float, progress: Progress) -> None:
    progress.enter("listen")
    listen_addr = listen_multiaddr(cfg.transport, cfg.ip)
    host = build_host(cfg, listen_addr)
    if cfg.ping_once:
        host.set_stream_handler(PING_PROTOCOL_ID, ping_once_handler)
    send, receive = trio.open_memory_channel[PeerID](IDENTIFY_QUEUE_SIZE)
    if cfg.report_identify:
        host.get_network().register_notifee(InboundConnections(send))
    async with host.run([listen_addr]), trio.open_nursery() as nursery:
        if cfg.report_identify:
            nursery.start_soon(report_inbound_identifies, host, receive)
        address = dialable_address(cfg, host)
        log.info("listening on %s", address)
        progress.enter("redis")
        client = await trio.to_thread.run_sync(
            connect_redis, cfg, deadline, progress, abandon_on_cancel=True
        )
        progress.enter("publish")
        try:
            await trio.to_thread.run_sync(
                client.rpush, cfg.redis_key, address, abandon_on_cancel=True
            )
        except redis.exceptions.RedisError as error:
            raise PeerError("publish", f"RPUSH {cfg.redis_key}: {error}") from None
        finally:
            client.close()
        log.info("published %s to %s", address, cfg.redis_key)
        # Serve until killed; reaching the deadline (run()'s fail_after) is a
        # failure.
        progress.enter("serve")
        progress.detail = "the listener was not stopped"
        await trio.sleep_forever()


async def _ping_once(stream: INetStream) -> None:
    payload = secrets.token_bytes(PING_LENGTH)
    await stream.write(payload)
    echo = await read_exactly(stream, PING_LENGTH)
    if echo != payload:
        raise PeerError("ping", "the pong does not match the ping payload")


async def run_dialer(
    cfg: Config, deadline: float, progress: Progress
) -> tuple[float, float]:
    progress.enter("start")
    # py's identify responder waits up to 500 ms for the host to have an
    # address before answering; a host that listens nowhere always pays it.
    # A loopback listener keeps the dialer's identify answers immediate. Its
    # address also selects py's transport (websocket for ws and wss, which
    # dials both; QUIC for quic-v1).
    own_addr = dialer_listen_multiaddr(cfg.transport)
    host = build_host(cfg, own_addr)
    async with host.run([own_addr]):
        progress.enter("redis")
        client = await trio.to_thread.run_sync(
            connect_redis, cfg, deadline, progress, abandon_on_cancel=True
        )
        progress.enter("blpop")
        try:
            wait_s = max(1, math.ceil(deadline - time.monotonic()))
            reply = await trio.to_thread.run_sync(
                client.blpop, [cfg.redis_key], wait_s, abandon_on_cancel=True
            )
        except redis.exceptions.RedisError as error:
            raise PeerError("blpop", f"BLPOP {cfg.redis_key}: {error}") from None
        finally:
            client.close()
        if reply is None:
            raise PeerError("blpop", f"no listener address in {cfg.redis_key} within the timeout")
        address_text = reply[1].decode()
        if cfg.transport == "wss":
            # py-libp2p 0.8.1's websocket parser refuses /tls/ws followed by
            # /p2p/<id> (it takes /wss/p2p/<id>); both mean the same wss address.
            address_text = address_text.replace("/tls/ws/p2p/", "/wss/p2p/")
        log.info("dialing %s", address_text)
        try:
            peer_info = info_from_p2p_addr(multiaddr.Multiaddr(address_text))
        except Exception as error:
            raise PeerError("blpop", f"bad listener address {address_text!r}: {error}") from None

        progress.enter("dial")
        progress.detail = address_text
        start = time.perf_counter()
        try:
            await host.connect(peer_info)
        except Exception as error:
            raise PeerError("dial", f"{type(error).__name__}: {error}") from None
        log.debug("connected after %.3f ms", (time.perf_counter() - start) * 1000)
        progress.enter("ping")
        try:
            stream = await host.new_stream(peer_info.peer_id, [PING_PROTOCOL_ID])
        except Exception as error:
            raise PeerError("ping", f"opening {PING_PROTOCOL_ID}: {type(error).__name__}: {error}") from None
        log.debug("ping stream open after %.3f ms", (time.perf_counter() - start) * 1000)
        try:
            await _ping_once(stream)
            handshake_plus_one_rtt_ms = (time.perf_counter() - start) * 1000
            second = time.perf_counter()
            await _ping_once(stream)
            ping_rtt_ms = (time.perf_counter() - second) * 1000
        except PeerError:
            raise
        except Exception as error:
            raise PeerError("ping", f"{type(error).__name__}: {error}") from None
        # The result is in; a peer that resets the stream on close must not
        # turn it into a failure.
        with trio.move_on_after(SHUTDOWN_GRACE_S):
            try:
                await stream.close()
            except Exception as error:
                log.debug("closing the ping stream: %s", error)
        if cfg.report_identify:
            progress.enter("identify")
            await report_identify(host, peer_info.peer_id)
        progress.enter("shutdown")
        return handshake_plus_one_rtt_ms, ping_rtt_ms


def format_result(cfg: Config, handshake_ms: float, ping_ms: float) -> str:
    if cfg.test_key:
        return (
            "latency:\n"
            f"  handshake_plus_one_rtt: {handshake_ms:.3f}\n"
            f"  ping_rtt: {ping_ms:.3f}\n"
            "  unit: ms"
        )
    # "Milllis" with three l's is what the classic runner reads.
    return (
        f'{{"handshakePlusOneRTTMillis": {handshake_ms:.3f}, '
        f'"pingRTTMilllis": {ping_ms:.3f}}}'
    )


async def run(cfg: Config, progress: Progress) -> str | None:
    deadline = time.monotonic() + cfg.timeout_s
    try:
        with trio.fail_after(cfg.timeout_s):
            if cfg.is_dialer:
                handshake_ms, ping_ms = await run_dialer(cfg, deadline, progress)
                return format_result(cfg, handshake_ms, ping_ms)
            await run_listener(cfg, deadline, progress)
            return None
    except trio.TooSlowError:
        detail = f" ({progress.detail})" if progress.detail else ""
        raise PeerError(
            "timeout",
            f"still in phase {progress.phase} after {cfg.timeout_s:g} s{detail}",
        ) from None


def main() -> int:
    # `peer.py perf`: the perf test app (perf_app.py), same env contract.
    perf = sys.argv[1:] == ["perf"]
    if sys.argv[1:] and not perf:
        print(f"error: config: unknown arguments {sys.argv[1:]} (only 'perf')", file=sys.stderr, flush=True)
        return 2
    try:
        if perf:
            # perf_app imports this module as `peer`: let that be this very
            # module, so that its PeerError is the one caught below.
            sys.modules.setdefault("peer", sys.modules[__name__])
            import perf_app

            cfg = perf_app.perf_config()
            params = perf_app.parameters() if cfg.is_dialer else {}
        else:
            cfg = Config.from_env()
    except PeerError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return error.exit_code
    # Only our own logger follows DEBUG: py-libp2p has its own switch
    # (LIBP2P_DEBUG) and its dependencies log chatty debug lines to the root.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("pypeer %(relativeCreated)6.0fms %(levelname)s %(message)s")
    )
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if cfg.debug else logging.INFO)
    log.propagate = False
    log.info(
        "role=%s transport=%s security=%s muxer=%s key_type=%s redis=%s:%d list=%s",
        "dialer" if cfg.is_dialer else "listener",
        cfg.transport, cfg.security or "-", cfg.muxer or "-", cfg.key_type,
        cfg.redis_host, cfg.redis_port, cfg.redis_key,
    )
    if cfg.ignored_settings:
        log.info(
            "%s secures and multiplexes itself: ignoring %s",
            cfg.transport, " ".join(cfg.ignored_settings),
        )
    progress = Progress()
    try:
        if perf:
            result = trio.run(perf_app.run, cfg, params, progress)
        else:
            result = trio.run(run, cfg, progress)
    except PeerError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return error.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr, flush=True)
        return 130
    except BaseException as error:  # noqa: BLE001 - one line, then non-zero
        inner = _unwrap(error)
        if isinstance(inner, PeerError):
            print(f"error: {inner}", file=sys.stderr, flush=True)
            return inner.exit_code
        print(
            f"error: {progress.phase}: {type(inner).__name__}: {inner}",
            file=sys.stderr,
            flush=True,
        )
        if cfg.debug:
            import traceback

            traceback.print_exception(error, file=sys.stderr)
        return 1
    if result is not None:
        print(result, flush=True)
    return 0


def _unwrap(error: BaseException) -> BaseException:
    """The first leaf of a (nested) exception group, for a one-line reason."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


if __name__ == "__main__":
    exit_code = main()
    # Tearing down the interpreter (py-libp2p brings ~90k objects) takes a
    # few hundred ms idle and seconds on a loaded machine, and the harness
    # waits for it. By now trio.run has closed the host and all output is
    # written, so run the exit handlers, flush, and skip the teardown.
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
