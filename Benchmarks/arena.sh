#!/usr/bin/env bash
# Benchmarks/arena.sh — arenas (gc_arena_*) next to per-object allocation.
# Builds Benchmarks/arena.c once per allocator into build/bench-arena/, runs
# every variant BENCH_RUNS times, interleaved (one run of each variant per
# round, so that a busy machine slows them alike), and prints two markdown
# tables with the median, the spread (lowest-highest) and the ratio to
# SwiftGC's gc_malloc:
#   1. allocation cost of a 16-byte object, in ns;
#   2. a request loop (each request builds 3000 small objects and drops them):
#      time and peak RSS.
#
# Run from anywhere; `make bench` calls it. It only reports. Settings:
#   BENCH_RUNS (5), BENCH_ARENA_SMALL_COUNT (20000000),
#   BENCH_ARENA_REQUESTS (5000), BENCH_ALLOCATORS (as run.sh).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

runs="${BENCH_RUNS:-5}"
small_count="${BENCH_ARENA_SMALL_COUNT:-20000000}"
request_count="${BENCH_ARENA_REQUESTS:-5000}"
allocators="${BENCH_ALLOCATORS:-swiftgc bdwgc glibc jemalloc mimalloc}"
compiler="${CC:-cc}"
library_path="$(cd build/lib && pwd)"
bench_dir=build/bench-arena
mkdir -p "$bench_dir"

# Variants: "name binary how"; SwiftGC has three ways to allocate.
variants=()
for allocator in $allocators; do
    case "$allocator" in
        swiftgc) flags=(-DSWIFTGC -L "$library_path" -lswiftgc "-Wl,-rpath,$library_path") ;;
        bdwgc) flags=(-DBDWGC -lgc) ;;
        glibc) flags=(-DMALLOC -DMALLOC_LIBRARY=glibc) ;;
        jemalloc) flags=(-DMALLOC -DMALLOC_LIBRARY=jemalloc -ljemalloc) ;;
        mimalloc) flags=(-DMALLOC -DMALLOC_LIBRARY=mimalloc -lmimalloc) ;;
        *) echo "arena.sh: unknown allocator $allocator" >&2; exit 2 ;;
    esac
    if ! "$compiler" -O2 -std=gnu11 -Wall -Wextra -pthread -I include Benchmarks/arena.c \
        -o "$bench_dir/arena-$allocator" "${flags[@]}" 2>"$bench_dir/build-$allocator.log"; then
        echo "- skipped $allocator: it does not build here (see $bench_dir/build-$allocator.log)"
        continue
    fi
    if [[ "$allocator" == swiftgc ]]; then
        variants+=("swiftgc-arena swiftgc arena" "swiftgc-arena-reset swiftgc arena-reset"
                   "swiftgc-gc_malloc swiftgc gc_malloc")
    else
        variants+=("$allocator $allocator -")
    fi
done

field() { tr ' ' '\n' <<<"$1" | awk -F= -v key="$2" '$1 == key { print $2; exit }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
spread() { sort -g | awk 'NR == 1 { low = $1 } { high = $1 } END { if (NR) printf "%s-%s", low, high }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }'; }

declare -A small_values request_seconds request_rss
for (( round = 1; round <= runs; round++ )); do
    for variant in "${variants[@]}"; do
        read -r name binary how <<<"$variant"
        [[ "$how" == - ]] && how=""
        if [[ "$name" != swiftgc-arena-reset ]]; then
            line="$("$bench_dir/arena-$binary" small "$small_count" $how | head -n 1)"
            small_values[$name]+="$(field "$line" ns_per_object) "
        fi
        line="$("$bench_dir/arena-$binary" requests "$request_count" $how | head -n 1)"
        request_seconds[$name]+="$(field "$line" seconds) "
        request_rss[$name]+="$(field "$line" peak_rss_kib) "
    done
done

echo "### Arena allocation: one 16-byte object (ns per object, $small_count objects, median of $runs runs)"
echo
echo "| allocator | ns per object | spread | ratio to gc_malloc |"
echo "|---|---:|---:|---:|"
reference="$(tr ' ' '\n' <<<"${small_values[swiftgc-gc_malloc]:-}" | grep . | median || true)"
for variant in "${variants[@]}"; do
    read -r name _ <<<"$variant"
    [[ -n "${small_values[$name]:-}" ]] || continue
    values="$(tr ' ' '\n' <<<"${small_values[$name]}" | grep .)"
    value="$(median <<<"$values")"
    echo "| $name | $value | $(spread <<<"$values") | $(ratio "$value" "$reference") |"
done
echo
echo "### Request loop: $request_count requests of 3000 objects of 16-112 bytes (median of $runs runs)"
echo
echo "| allocator | seconds | spread | ratio to gc_malloc | peak RSS (MiB, largest) |"
echo "|---|---:|---:|---:|---:|"
reference="$(tr ' ' '\n' <<<"${request_seconds[swiftgc-gc_malloc]:-}" | grep . | median || true)"
for variant in "${variants[@]}"; do
    read -r name _ <<<"$variant"
    values="$(tr ' ' '\n' <<<"${request_seconds[$name]}" | grep .)"
    value="$(median <<<"$values")"
    rss="$(tr ' ' '\n' <<<"${request_rss[$name]}" | grep . | sort -g | tail -n 1)"
    echo "| $name | $value | $(spread <<<"$values") | $(ratio "$value" "$reference") |" \
        "$(awk -v kib="$rss" 'BEGIN { printf "%.1f", kib / 1024 }') |"
done
echo
echo "arena: swiftgc-arena creates and destroys an arena per request (for the 16-byte objects: resets it every 65536);"
echo "swiftgc-arena-reset keeps one arena and resets it; malloc variants free every object; collectors free nothing."
