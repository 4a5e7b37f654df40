#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine of its kind and
# builds the extension into ./.venv. Idempotent: a second run only rebuilds.
#   scripts/setup.sh [--release]   (--release: the LTO build, for demos and benches)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=ci
[ "${1:-}" = "--release" ] && profile=release

log() { printf '\n== %s\n' "$*" >&2; }

# Debian packages: none are needed by the codec yet (dcmtk and orthanc come
# with the association and storage work).

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
