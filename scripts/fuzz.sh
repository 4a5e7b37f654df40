#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser layer with cargo-fuzz on the stable
# toolchain (-s none: the protocol crate has no unsafe code to sanitize).
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# New inputs found go into rust/proto/fuzz/corpus/<target>/ (replayed by
# `cargo test`); crashes into rust/proto/fuzz/artifacts/<target>/ and fail the run.
# After `cargo fuzz cmin`, restore the named regress-* inputs (git checkout): they
# are kept by name even when their coverage is redundant.
set -euo pipefail
cd "$(dirname "$0")/../rust/proto"

seconds=${1:-15}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(framer pdu command_set reassemble roundtrip scan)

cargo fuzz build -s none --release
log=$(mktemp)
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target"
    printf -- '-- %s: %ss\n' "$target" "$seconds"
    rc=0
    cargo fuzz run -s none --release "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 >"$log" 2>&1 || rc=$?
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)' "$log" || true
    if [ "$rc" -ne 0 ]; then
        tail -n 40 "$log" >&2
        echo "fuzz target $target failed (exit $rc): see rust/proto/fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
rm -f "$log"
