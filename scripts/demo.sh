#!/usr/bin/env bash
# The main job, with default settings: builds the optimised extension, then
# stores a synthetic CT study (500 instances) over loopback with fastdimse's
# storescp/storescu, checks every stored file against the one sent, and does
# the same with pynetdicom's and DCMTK's apps side by side. Options go to
# benches/store_demo.py (--count N, --skip-others). The earlier codec demo
# is still there: .venv/bin/python benches/demo.py
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --release
exec .venv/bin/python benches/store_demo.py "$@"
