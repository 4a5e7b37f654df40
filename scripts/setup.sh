#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine of its kind and
# builds the extension into ./.venv. Idempotent: a second run only rebuilds.
#   scripts/setup.sh [--release]   (--release: the LTO build, for demos and benches)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=ci
[ "${1:-}" = "--release" ] && profile=release

log() { printf '\n== %s\n' "$*" >&2; }

# Debian packages: DCMTK's tools and Orthanc are the interop peers of the
# tests (DCMTK also the benchmarks' baseline); strace records the system calls
# of the storage SCP for the durability tests. Installed only when missing, as
# root or by sudo. Orthanc lives in /usr/sbin; the tests run their own instance.
# PostgreSQL is the archive's second index database: the tests run a throwaway
# server (tests/postgres_server.py) as the package's unprivileged user postgres.
# Its programs are not on PATH, so dpkg tells whether a postgresql-NN is installed
# (grep without -q reads it all: pipefail would see dpkg-query's SIGPIPE).
need_debs=()
command -v storescp >/dev/null 2>&1 || need_debs+=(dcmtk)
command -v strace >/dev/null 2>&1 || need_debs+=(strace)
PATH="$PATH:/usr/sbin" command -v Orthanc >/dev/null 2>&1 || need_debs+=(orthanc)
dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 'postgresql-[0-9]*' 2>/dev/null \
    | grep -E '^ii +postgresql-[0-9.]+$' >/dev/null || need_debs+=(postgresql)
if [ ${#need_debs[@]} -gt 0 ]; then
    log "Debian packages: ${need_debs[*]}"
    sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq >&2
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >&2
fi

if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    python3 -m venv .venv
fi
py=.venv/bin/python

log "Python packages"
"$py" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$py" -m pip install --quiet --disable-pip-version-check "maturin>=1.7,<2" \
    -r requirements-test.txt

log "building fastdimse._core ($profile)"
VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH" \
    .venv/bin/maturin develop --quiet --profile "$profile" >&2
# Bytecode now, as pip does when it installs a wheel: without it every app's
# start recompiles the package where PYTHONDONTWRITEBYTECODE is set.
"$py" -m compileall -q python/fastdimse >&2
