#!/usr/bin/env bash
# Benchmarks/marking.sh — mark throughput: a forced full collection of a
# random graph of 32-byte nodes at each live size, SwiftGC next to bdwgc and
# the random-read floor (marking.c), in one run. Runs are interleaved (every
# variant at every size, then again) so that a busy machine disturbs all
# variants alike; the table shows medians over BENCH_MARKING_RUNS runs, each
# run's figure being the median of its timed collections.
#
# Run from anywhere; `make bench` calls it. It reports and never judges
# timing; it exits non-zero only when a run fails. Variables (see
# Benchmarks/README.md): BENCH_MARKING_RUNS (3), BENCH_MARKING_LIVE_MIB
# ("256 512"; add 2048 for the large case), BENCH_MARKING_VARIANTS
# ("swiftgc bdwgc floor"; swiftgc-baseline too when
# BENCH_MARKING_BASELINE_LIB_DIR names a second libswiftgc.so's folder, for
# A/B comparisons), BENCH_SWIFTGC_LIB_DIR, BENCH_TIMEOUT.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

runs="${BENCH_MARKING_RUNS:-3}"
live_sizes="${BENCH_MARKING_LIVE_MIB:-256 512}"
variants="${BENCH_MARKING_VARIANTS:-swiftgc bdwgc floor}"
baseline_lib_dir="${BENCH_MARKING_BASELINE_LIB_DIR:-}"
run_timeout="${BENCH_TIMEOUT:-600}"
swiftgc_lib_dir="${BENCH_SWIFTGC_LIB_DIR:-build/lib}"
compiler="${CC:-cc}"
compile_flags=(-O2 -std=gnu11 -Wall -Wextra -pthread -I include)
bench_dir=build/bench-marking
log_dir="$bench_dir/logs"
note() { printf '%s\n' "$*" >&2; }

for setting in BENCH_MARKING_RUNS="$runs" BENCH_TIMEOUT="$run_timeout" \
    $(for live in $live_sizes; do echo "BENCH_MARKING_LIVE_MIB=$live"; done); do
    if [[ ! "${setting#*=}" =~ ^[1-9][0-9]*$ ]]; then
        note "marking.sh: ${setting%%=*} must be a positive integer, not '${setting#*=}'"
        exit 2
    fi
done

rm -rf "$bench_dir"
mkdir -p "$bench_dir" "$log_dir"

build_swiftgc() { # output library-folder
    local library_path
    library_path="$(cd "$2" && pwd)"
    "$compiler" "${compile_flags[@]}" -DSWIFTGC Benchmarks/marking.c -o "$1" \
        -L "$library_path" -lswiftgc "-Wl,-rpath,$library_path"
}

available=()
for variant in $variants; do
    case "$variant" in
        swiftgc)
            if [[ ! -f "$swiftgc_lib_dir/libswiftgc.so" ]]; then
                note "marking.sh: skipped swiftgc: $swiftgc_lib_dir/libswiftgc.so not found (run make first)"; continue
            fi
            build_swiftgc "$bench_dir/marking-swiftgc" "$swiftgc_lib_dir" ;;
        swiftgc-baseline)
            if [[ -z "$baseline_lib_dir" || ! -f "$baseline_lib_dir/libswiftgc.so" ]]; then
                note "marking.sh: skipped swiftgc-baseline: set BENCH_MARKING_BASELINE_LIB_DIR to a folder holding libswiftgc.so"; continue
            fi
            build_swiftgc "$bench_dir/marking-swiftgc-baseline" "$baseline_lib_dir" ;;
        bdwgc)
            if ! printf '#include <gc.h>\nint main(void) { return 0; }\n' | "$compiler" -x c - -o /dev/null -lgc >/dev/null 2>&1; then
                note "marking.sh: skipped bdwgc: bdwgc not found (apt-get install libgc-dev)"; continue
            fi
            "$compiler" "${compile_flags[@]}" -DBDWGC Benchmarks/marking.c -o "$bench_dir/marking-bdwgc" -lgc ;;
        floor) "$compiler" "${compile_flags[@]}" -DMALLOC Benchmarks/marking.c -o "$bench_dir/marking-floor" ;;
        *) note "marking.sh: unknown variant $variant (known: swiftgc swiftgc-baseline bdwgc floor)"; exit 2 ;;
    esac
    available+=("$variant")
done

field() { tr ' ' '\n' <<<"$1" | awk -F= -v key="$2" '$1 == key { print $2; exit }'; }
median() { sort -g | awk '{ values[NR] = $1 } END { if (NR) print values[int((NR + 1) / 2)] }'; }
spread() { sort -g | awk 'NR == 1 { low = $1 } { high = $1 } END { if (NR) printf "%s-%s", low, high }'; }
declare -A lines_of

for run in $(seq 1 "$runs"); do
    for live in $live_sizes; do
        for variant in "${available[@]}"; do
            shape=graph
            [[ $variant != floor ]] || shape=floor
            timed=3
            [[ $live -lt 2048 ]] || timed=1
            note "running marking $shape $live MiB: $variant ($run/$runs)"
            log="$log_dir/$variant-$live-$run.log"
            status=0
            timeout "$run_timeout" "$bench_dir/marking-$variant" "$shape" "$live" "$timed" >"$log" 2>&1 || status=$?
            line="$(grep '^allocator=' "$log" | tail -n 1 || true)"
            if [[ $status -ne 0 || -z "$line" ]]; then
                note "FAILED: $variant at $live MiB, run $run (exit status $status); last lines of $log:"
                tail -n 5 "$log" >&2
                exit 1
            fi
            lines_of[$live/$variant]+="$line"$'\n'
        done
    done
done

values() { # live variant key
    printf '%s' "${lines_of[$1/$2]:-}" | while read -r line; do [[ -z "$line" ]] || field "$line" "$3"; done
}

echo "## Mark throughput: forced full collection of a random graph of 32-byte nodes"
echo
echo "$runs interleaved runs; medians (spread in brackets). Floor: one thread, 8 independent chains."
echo
echo "| live MiB | variant | ms per collection | ns per node | MB/s | × bdwgc | × floor (huge pages) | overflows |"
echo "|---|---|---|---|---|---|---|---|"
for live in $live_sizes; do
    floor_ns="$(values "$live" floor ns_per_node_huge | median)"
    bdwgc_ms="$(values "$live" bdwgc median_ms | median)"
    for variant in "${available[@]}"; do
        if [[ $variant == floor ]]; then
            echo "| $live | floor, 4 KiB pages | | $(values "$live" floor ns_per_node_4k | median) ($(values "$live" floor ns_per_node_4k | spread)) | | | | |"
            echo "| $live | floor, MADV_HUGEPAGE | | $floor_ns ($(values "$live" floor ns_per_node_huge | spread)) | | | | |"
            continue
        fi
        ms="$(values "$live" "$variant" median_ms | median)"
        ns="$(values "$live" "$variant" ns_per_node | median)"
        versus_bdwgc=""
        [[ -z "$bdwgc_ms" ]] || versus_bdwgc="$(awk -v a="$ms" -v b="$bdwgc_ms" 'BEGIN { printf "%.2f", a / b }')"
        versus_floor=""
        [[ -z "$floor_ns" ]] || versus_floor="$(awk -v a="$ns" -v b="$floor_ns" 'BEGIN { printf "%.1f", a / b }')"
        echo "| $live | $variant | $ms ($(values "$live" "$variant" median_ms | spread)) | $ns | $(values "$live" "$variant" mb_per_s | median) | $versus_bdwgc | $versus_floor | $(values "$live" "$variant" mark_stack_overflows | median) |"
    done
done
