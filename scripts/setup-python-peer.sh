#!/usr/bin/env bash
# Creates (or reuses) the virtualenv for the py-libp2p interop peer
# (interop/python/peer.py) and prints the venv's python path as the LAST line
# of stdout. Everything else goes to stderr.
#
#   PY_PEER_VENV  where the venv lives (default: <repo>/.venv-pypeer)
#   PYTHON        the interpreter that creates it (default: python3)
#
# Idempotent: a stamp file in the venv holds a hash of requirements.txt and
# the interpreter's version; when it matches, nothing is installed. On a fresh
# Debian 12 the build of fastecdsa (from source) needs gcc, Python.h
# (python3-dev) and gmp.h (libgmp-dev), and venv needs ensurepip
# (python3-venv): missing ones are named and, when running as root with
# apt-get, installed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$repo/interop/python/requirements.txt"
venv="${PY_PEER_VENV:-$repo/.venv-pypeer}"
python="${PYTHON:-python3}"

say() { echo "setup-python-peer: $*" >&2; }
die() { say "error: $*"; exit 1; }

command -v "$python" >/dev/null 2>&1 || die "'$python' not found (install python3)"
[ -f "$requirements" ] || die "missing $requirements"

wanted_stamp() {
    { sha256sum "$requirements" | cut -d' ' -f1; "$python" -c 'import sys; print(sys.version)'; } |
        sha256sum | cut -d' ' -f1
}
stamp_file="$venv/.requirements.sha256"
want="$(wanted_stamp)"

is_current() {
    [ -x "$venv/bin/python" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ] &&
        "$venv/bin/python" -c 'import sys' >/dev/null 2>&1
}

if is_current; then
    echo "$venv/bin/python"
    exit 0
fi

# --- build prerequisites -----------------------------------------------------

missing_packages() {
    local missing=()
    "$python" -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
    "$python" - >/dev/null 2>&1 <<'PY' || missing+=(python3-dev)
import os, sys, sysconfig
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)
PY
    command -v gcc >/dev/null 2>&1 || missing+=(gcc)
    if command -v gcc >/dev/null 2>&1; then
        echo '#include <gmp.h>' | gcc -E -x c - >/dev/null 2>&1 || missing+=(libgmp-dev)
    else
        missing+=(libgmp-dev)
    fi
    echo "${missing[@]}"
}

missing="$(missing_packages)"
if [ -n "$missing" ]; then
    say "missing build prerequisites; Debian packages: $missing"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing: apt-get install -y $missing"
        export DEBIAN_FRONTEND=noninteractive
        # A fresh machine may have no package lists yet.
        apt-get update -qq >&2 || die "apt-get update failed"
        # shellcheck disable=SC2086  # the list is meant to split into words
        apt-get install -y -qq $missing >&2 || die "apt-get install $missing failed"
        missing="$(missing_packages)"
        # Debian's packages serve Debian's python3; another interpreter (pyenv,
        # a custom build) must bring its own headers and venv support.
        [ -z "$missing" ] || die "still missing after apt-get for $python: $missing"
    else
        die "install them first (as root: apt-get install -y $missing)"
    fi
fi

# --- venv and requirements ---------------------------------------------------

mkdir -p "$venv"
# Serialise concurrent runs (parallel tests) on the same venv.
exec 9>"$venv/.setup.lock"
flock 9
if is_current; then
    echo "$venv/bin/python"
    exit 0
fi

if [ -e "$venv/bin/python" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    # Its interpreter is gone (e.g. the base python was upgraded): rebuild it.
    [ -f "$venv/pyvenv.cfg" ] || die "$venv holds a broken python but is not a venv; remove it by hand"
    say "rebuilding broken venv $venv"
    find "$venv" -mindepth 1 -maxdepth 1 ! -name .setup.lock -exec rm -rf {} +
fi
if [ ! -x "$venv/bin/python" ]; then
    say "creating venv $venv with $("$python" --version 2>&1)"
    "$python" -m venv "$venv" >&2 || die "python -m venv $venv failed"
fi

rm -f "$stamp_file"
say "installing $(grep -cE '^[A-Za-z0-9]' "$requirements") pinned packages (may take a minute or two)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$requirements" >&2 || die "pip install -r $requirements failed"
"$venv/bin/python" -c 'import libp2p, redis, trio, multiaddr, ifaddr, matplotlib' >&2 ||
    die "the installed packages do not import"
echo "$want" >"$stamp_file"
say "ready"
echo "$venv/bin/python"
