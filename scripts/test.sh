#!/usr/bin/env bash
# Runs every test the project has, after doing its own set-up (this is what
# CI runs, through .ci/run). Long fuzzing and slow tests are run by hand:
#   scripts/fuzz.sh 1800        # 30 minutes per target
#   .venv/bin/python -m pytest -m slow
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "set-up"
bash scripts/setup.sh
if ! cargo fuzz --version >/dev/null 2>&1; then
    step "installing cargo-fuzz"
    cargo install --quiet --locked cargo-fuzz
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --quiet --workspace --all-targets -- -D warnings

step "cargo test (protocol crate)"
cargo test --profile ci -p fastdimse-proto

step "fuzzing each target briefly"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-15}"

step "ruff, mypy, stubtest"
.venv/bin/ruff check python tests benches
.venv/bin/mypy
.venv/bin/python -m mypy.stubtest fastdimse._core

step "pytest"
.venv/bin/python -m pytest
