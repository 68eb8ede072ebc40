#!/usr/bin/env bash
# `make fuzz`: runs each libFuzzer target for SECONDS in turn, niced, in
# FUZZ_DIRECTORY (which holds fuzz_<target>, built by Tests/Fuzz/fuzz.mk),
# then merges the inputs that reach new edges (not merely new hit counts,
# which would add hundreds of files) into Tests/Fuzz/<target>/corpus.
# A crash stops the run; its input is saved as FUZZ_DIRECTORY/<target>-crash-*
# and the log is FUZZ_DIRECTORY/<target>.log.
#
# By hand, from the repository root:
#   make build/fuzz/fuzz_maps && Tests/Fuzz/run.sh build/fuzz 60 maps
set -uo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 FUZZ_DIRECTORY SECONDS TARGET..." >&2
    exit 2
fi
fuzz=$(realpath "$1")
seconds=$2
shift 2
corpora=$(realpath "$(dirname "$0")")

for target in "$@"; do
    corpus=$corpora/$target/corpus
    mkdir -p "$fuzz/corpus-$target"
    echo "== fuzzing $target for $seconds s"
    (cd "$fuzz" && SWIFT_BACKTRACE=enable=no nice -n 19 "./fuzz_$target" -max_total_time="$seconds" \
        -max_len=4096 -close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$target-" \
        "corpus-$target" "$corpus" > "$target.log" 2>&1)
    status=$?
    grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|SUMMARY|Fatal error|fuzz_api:' "$fuzz/$target.log"
    if [ $status != 0 ]; then
        echo "fuzz_$target failed: see $fuzz/$target.log and $fuzz/$target-crash-*"
        exit 1
    fi
    (cd "$fuzz" && SWIFT_BACKTRACE=enable=no "./fuzz_$target" -set_cover_merge=1 -use_counters=0 -use_cmp=0 \
        -close_fd_mask=2 "$corpus" "corpus-$target" > "$target-merge.log" 2>&1) || exit 1
    echo "Tests/Fuzz/$target/corpus: $(ls "$corpus" | wc -l) inputs"
done
