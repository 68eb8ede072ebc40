#!/usr/bin/env bash
# Benchmarks/plots.sh — draws what the collector does in GCBench and
# binary-trees: each runs once against build/lib/libswiftgc.so with
# SWIFTGC_TRACE_FILE, stop-the-world and with SWIFTGC_CONCURRENT=1, and
# tools/swiftgc-plot turns each trace into docs/bench/<program>[-concurrent].png
# (heap, live and goal over time, the pause histogram, the time share), which
# BENCHMARKS.md embeds. `make bench` calls it; it judges nothing.
#
# By hand, from the repository root: make && Benchmarks/plots.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
library_path="$repo_root/build/lib"
out_dir=docs/bench
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p build/bench "$out_dir"

for program in gcbench binarytrees; do
    "${CC:-cc}" -O2 -std=gnu11 -pthread -I include -DSWIFTGC "Benchmarks/$program.c" \
        -L "$library_path" -lswiftgc "-Wl,-rpath,$library_path" -lm -o "build/bench/$program-traced"
    argument=""
    [ "$program" = binarytrees ] && argument="${BENCH_BINARYTREES_DEPTH:-18}"
    for variant in stop-the-world concurrent; do
        suffix=""
        concurrent=0
        if [ "$variant" = concurrent ]; then suffix="-concurrent"; concurrent=1; fi
        trace="$work/$program$suffix.jsonl"
        # shellcheck disable=SC2086
        SWIFTGC_CONCURRENT=$concurrent SWIFTGC_TRACE_FILE="$trace" "build/bench/$program-traced" $argument > /dev/null
        tools/swiftgc-plot "$trace" -o "$out_dir/$program$suffix.png"
    done
done
