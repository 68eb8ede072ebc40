#!/usr/bin/env bash
# Benchmarks/latency.sh — allocation latency with a large live heap: the
# longest allocation call, p99.9, p99, calls over 10 ms, allocation MB/s,
# time and peak RSS, and a coarse histogram of call durations, for bdwgc
# stop-the-world, bdwgc incremental, SwiftGC with SWIFTGC_CONCURRENT=0 and
# SwiftGC's default (concurrent past SWIFTGC_CONCURRENT_HEAP), side by side, at each live size and shape.
#
# Run from anywhere (it changes to the repository root); `make bench` calls
# it after run.sh and preload.sh. It reports and never judges timing; it
# exits non-zero only when a run fails (its live structure came back
# damaged, it crashed or timed out). Variables (see Benchmarks/README.md):
# BENCH_LATENCY_RUNS, BENCH_LATENCY_LIVE_MIB, BENCH_LATENCY_SHAPES,
# BENCH_LATENCY_VARIANTS, BENCH_LATENCY_ALLOCATION_MIB, BENCH_SWIFTGC_LIB_DIR,
# BENCH_TIMEOUT.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

runs="${BENCH_LATENCY_RUNS:-1}"
live_sizes="${BENCH_LATENCY_LIVE_MIB:-64 512}"
shapes="${BENCH_LATENCY_SHAPES:-graph tree}"
variants="${BENCH_LATENCY_VARIANTS:-bdwgc bdwgc-incremental swiftgc swiftgc-concurrent}"
# Empty: twice the live size, at least 512 MiB (see allocation_for).
allocation_setting="${BENCH_LATENCY_ALLOCATION_MIB:-}"
run_timeout="${BENCH_TIMEOUT:-600}"
swiftgc_lib_dir="${BENCH_SWIFTGC_LIB_DIR:-build/lib}"
compiler="${CC:-cc}"
compile_flags=(-O2 -std=gnu11 -Wall -Wextra -pthread -I include)

for setting in BENCH_LATENCY_RUNS="$runs" BENCH_LATENCY_ALLOCATION_MIB="${allocation_setting:-1}" \
    BENCH_TIMEOUT="$run_timeout" $(for live in $live_sizes; do echo "BENCH_LATENCY_LIVE_MIB=$live"; done); do
    if [[ ! "${setting#*=}" =~ ^[1-9][0-9]*$ ]]; then
        echo "latency.sh: ${setting%%=*} must be a positive integer, not '${setting#*=}'" >&2
        exit 2
    fi
done

bench_dir=build/bench-latency
log_dir="$bench_dir/logs"
results_file="$bench_dir/results.txt"
started_at=$SECONDS
note() { printf '%s\n' "$*" >&2; }

# MiB allocated in the timed phase: enough for a few collections of the
# live size by either collector (SwiftGC collects when allocation since the
# last collection reaches the live heap, by default).
allocation_for() { # live MiB
    if [[ -n "$allocation_setting" ]]; then echo "$allocation_setting"; return; fi
    local twice=$(($1 * 2))
    echo $((twice > 512 ? twice : 512))
}

# --- Variants ------------------------------------------------------------------

# The binary a variant runs, its environment and its extra argument.
binary_of() { case "$1" in bdwgc*) echo "$bench_dir/latency-bdwgc" ;; *) echo "$bench_dir/latency-swiftgc" ;; esac; }
environment_of() { case "$1" in swiftgc) echo "SWIFTGC_CONCURRENT=0" ;; swiftgc-concurrent) echo "SWIFTGC_CONCURRENT=1" ;; esac; }
argument_of() { [[ "$1" != bdwgc-incremental ]] || echo "incremental"; }

describe_variant() {
    case "$1" in
        bdwgc) echo "bdwgc, stop-the-world" ;;
        bdwgc-incremental) echo "bdwgc, GC_enable_incremental()" ;;
        swiftgc) echo "SwiftGC, stop-the-world (SWIFTGC_CONCURRENT=0)" ;;
        swiftgc-concurrent) echo "SwiftGC, SWIFTGC_CONCURRENT=1 (the default past 256 MiB live) *" ;;
        *) echo "$1" ;;
    esac
}

rm -rf "$bench_dir"
mkdir -p "$bench_dir" "$log_dir"
: >"$results_file"

available=()
can_build_bdwgc=1
printf '#include <gc.h>\nint main(void) { return 0; }\n' | "$compiler" -x c - -o /dev/null -lgc >/dev/null 2>&1 ||
    can_build_bdwgc=0
for variant in $variants; do
    case "$variant" in
        bdwgc | bdwgc-incremental)
            if [[ $can_build_bdwgc == 0 ]]; then note "latency.sh: skipped $variant: bdwgc not found (apt-get install libgc-dev)"; continue; fi ;;
        swiftgc | swiftgc-concurrent)
            if [[ ! -f "$swiftgc_lib_dir/libswiftgc.so" ]]; then
                note "latency.sh: skipped $variant: $swiftgc_lib_dir/libswiftgc.so not found (run make first)"; continue
            fi ;;
        *) note "latency.sh: unknown variant $variant (known: bdwgc bdwgc-incremental swiftgc swiftgc-concurrent)"; exit 2 ;;
    esac
    available+=("$variant")
done

note "building latency-swiftgc and latency-bdwgc"
if [[ -f "$swiftgc_lib_dir/libswiftgc.so" ]]; then
    library_path="$(cd "$swiftgc_lib_dir" && pwd)"
    "$compiler" "${compile_flags[@]}" -DSWIFTGC Benchmarks/latency.c -o "$bench_dir/latency-swiftgc" \
        -L "$library_path" -lswiftgc "-Wl,-rpath,$library_path"
fi
[[ $can_build_bdwgc == 0 ]] || "$compiler" "${compile_flags[@]}" -DBDWGC Benchmarks/latency.c -o "$bench_dir/latency-bdwgc" -lgc

# --- Run -----------------------------------------------------------------------

field() { tr ' ' '\n' <<<"$1" | awk -F= -v key="$2" '$1 == key { print $2; exit }'; }
median() { sort -g | awk '{ values[NR] = $1 } END { if (NR) print values[int((NR + 1) / 2)] }'; }
maximum() { sort -g | tail -n 1; }

keys=(max_ns p999_ns p99_ns over_10ms mb_per_s phase_seconds seconds phase_peak_rss_kib peak_rss_kib collections_in_phase
      under_100us under_1ms under_10ms under_100ms under_1s over_1s gc_heap_kib)
declare -A value_of failed_of
failures=0

for live in $live_sizes; do
    for shape in $shapes; do
        for variant in "${available[@]}"; do
            key="$live/$shape/$variant"
            allocation_mib="$(allocation_for "$live")"
            lines=()
            for run in $(seq 1 "$runs"); do
                note "running latency $shape $live MiB, $allocation_mib MiB allocated: $variant ($run/$runs)"
                log="$log_dir/$shape-$live-$variant-$run.log"
                status=0
                # shellcheck disable=SC2046 # the environment and argument are empty or one word
                env $(environment_of "$variant") timeout "$run_timeout" "$(binary_of "$variant")" \
                    "$shape" "$live" "$allocation_mib" $(argument_of "$variant") >"$log" 2>&1 || status=$?
                line="$(grep '^allocator=' "$log" | tail -n 1 || true)"
                if [[ $status -ne 0 || -z "$line" ]]; then
                    [[ $status -eq 124 ]] && failed_of[$key]="timed out after ${run_timeout}s" ||
                        failed_of[$key]="exit status $status"
                    failures=$((failures + 1))
                    note "FAILED: $key run $run: ${failed_of[$key]}; last lines of $log:"
                    tail -n 5 "$log" >&2
                    break
                fi
                echo "$variant $line" >>"$results_file"
                lines+=("$line")
            done
            [[ -z "${failed_of[$key]:-}" ]] || continue
            # The longest call and the histogram's slow buckets are the worst run's; the rest are medians.
            for name in "${keys[@]}"; do
                case "$name" in
                    max_ns | over_10ms | under_10ms | under_100ms | under_1s | over_1s | peak_rss_kib | phase_peak_rss_kib)
                        value_of[$key/$name]="$(for line in "${lines[@]}"; do field "$line" "$name"; done | maximum)" ;;
                    *) value_of[$key/$name]="$(for line in "${lines[@]}"; do field "$line" "$name"; done | median)" ;;
                esac
            done
        done
    done
done

# --- Tables --------------------------------------------------------------------

milliseconds() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e6 }'; }
microseconds() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e3 }'; }
mebibytes() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

echo "## Allocation latency"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(uname -m), $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown), $(nproc) cores"
echo "- bdwgc $(dpkg-query -W -f '${Version}' libgc-dev 2>/dev/null || echo '?'); swiftgc: $swiftgc_lib_dir/libswiftgc.so"
allocations="$(for live in $live_sizes; do printf '%s MiB at %s MiB live, ' "$(allocation_for "$live")" "$live"; done)"
echo "- settings: BENCH_LATENCY_RUNS=$runs; allocated in the timed phase, in 32-byte nodes timed one by one:" \
    "${allocations%, }"
gc_settings="$(env | grep -E '^(SWIFTGC_|GC_)' | sort | tr '\n' ' ' || true)"
[[ -z "$gc_settings" ]] || echo "- collector environment: $gc_settings"
if [[ "$runs" -gt 1 ]]; then
    echo "- each figure: the median of $runs runs, but the longest call, the slow buckets and RSS are the largest"
fi
echo
echo "\\* Mostly-concurrent marking over uffd dirty pages, with lazy sweeping; the default (SWIFTGC_CONCURRENT=auto)"
echo "turns it on past SWIFTGC_CONCURRENT_HEAP of live heap (without a usable backend it stops the world)."
echo
for live in $live_sizes; do
    echo "### $live MiB live"
    echo
    echo "| shape | collector | longest call ms | p99.9 µs | p99 µs | calls > 10 ms | alloc MB/s | phase s | total s | phase peak RSS MiB | collections |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for shape in $shapes; do
        for variant in "${available[@]}"; do
            key="$live/$shape/$variant"
            if [[ -n "${failed_of[$key]:-}" ]]; then
                echo "| $shape | $(describe_variant "$variant") | FAILED (${failed_of[$key]}) | | | | | | | | |"
                continue
            fi
            echo "| $shape | $(describe_variant "$variant") | $(milliseconds "${value_of[$key/max_ns]}")" \
                "| $(microseconds "${value_of[$key/p999_ns]}") | $(microseconds "${value_of[$key/p99_ns]}")" \
                "| ${value_of[$key/over_10ms]} | ${value_of[$key/mb_per_s]} | ${value_of[$key/phase_seconds]}" \
                "| ${value_of[$key/seconds]}" \
                "| $(mebibytes "${value_of[$key/phase_peak_rss_kib]}") | ${value_of[$key/collections_in_phase]} |"
        done
    done
    echo
done

echo "### Allocation calls by duration"
echo
echo "| live MiB | shape | collector | < 0.1 ms | 0.1–1 ms | 1–10 ms | 10–100 ms | 0.1–1 s | ≥ 1 s |"
echo "|---:|---|---|---:|---:|---:|---:|---:|---:|"
for live in $live_sizes; do
    for shape in $shapes; do
        for variant in "${available[@]}"; do
            key="$live/$shape/$variant"
            [[ -z "${failed_of[$key]:-}" ]] || continue
            echo "| $live | $shape | $(describe_variant "$variant") | ${value_of[$key/under_100us]}" \
                "| ${value_of[$key/under_1ms]} | ${value_of[$key/under_10ms]} | ${value_of[$key/under_100ms]}" \
                "| ${value_of[$key/under_1s]} | ${value_of[$key/over_1s]} |"
        done
    done
done
echo
echo "Total time: $((SECONDS - started_at)) s. Raw closing lines: $results_file; logs: $log_dir/"

if [[ $failures -gt 0 ]]; then
    note "latency.sh: $failures run(s) failed; see the FAILED rows above"
    exit 1
fi
