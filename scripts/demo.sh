#!/usr/bin/env bash
# The main job, with default settings: builds the optimised extension and
# runs the codec demo (fastdimse and pynetdicom side by side).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --release
exec .venv/bin/python benches/demo.py "$@"
