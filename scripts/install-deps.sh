#!/usr/bin/env bash
# Installs what building and testing need on Debian: the C libraries, Redis,
# pkg-config, iproute2 and nftables (network namespaces and a lossy link for the
# tests that run as root), and the Python peer's venv. Idempotent: does nothing when all is there.
# Used by the README's commands, .ci/run and both stages of the Dockerfile.
#
#   scripts/install-deps.sh            build and test: -dev packages, Redis, Python peer
#   scripts/install-deps.sh --runtime  only the shared libraries the binary links
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ "${1:-}" = "--runtime" ]; then
    packages=(libhiredis0.14 libsodium23 libssl3 libngtcp2-9 libngtcp2-crypto-gnutls2 libgnutls30)
    SKIP_PYTHON_PEER=1
else
    # iperf3: the raw-TCP baseline of the perf benchmark (scripts/benchmark.py --perf);
    # nftables: the lossy link of LossyLinkTests.
    # libngtcp2-dev, libngtcp2-crypto-gnutls-dev, libgnutls28-dev: the quic-v1 transport.
    packages=(libhiredis-dev libsodium-dev libssl-dev libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev redis-server pkg-config iproute2 iperf3 nftables)
    # The Python peer's venv (its own script checks the rest of what it builds with).
    [ "${SKIP_PYTHON_PEER:-0}" = "1" ] || packages+=(python3-venv python3-dev)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Python from pyenv or elsewhere may bring its own venv support; only ask apt for
# python3-venv/python3-dev when the system python3 is the one in use and lacks them.
if [ ${#missing[@]} -gt 0 ]; then
    filtered=()
    for p in "${missing[@]}"; do
        case "$p" in
            python3-venv) python3 -c 'import venv, ensurepip' 2>/dev/null || filtered+=("$p") ;;
            python3-dev) python3 -c 'import sysconfig,os,sys; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"],"Python.h")) else 1)' 2>/dev/null || filtered+=("$p") ;;
            *) filtered+=("$p") ;;
        esac
    done
    missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${SKIP_PYTHON_PEER:-0}" != "1" ]; then
    "$here/setup-python-peer.sh" >/dev/null
fi
