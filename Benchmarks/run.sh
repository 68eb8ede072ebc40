#!/usr/bin/env bash
# Benchmarks/run.sh — builds every benchmark for every allocator into
# build/bench/, runs each one BENCH_RUNS times and prints one markdown table
# per benchmark: SwiftGC next to bdwgc, glibc, jemalloc and mimalloc.
#
# Run from anywhere (it changes to the repository root); `make bench` calls it.
# It only reports: no timing is ever judged. It exits non-zero only when a
# benchmark fails its own correctness check or crashes. An allocator whose
# library is missing is reported and left out of the tables. Environment
# variables are listed in Benchmarks/README.md and printed in the header.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

runs="${BENCH_RUNS:-3}"
binarytrees_depth="${BENCH_BINARYTREES_DEPTH:-18}"
allocfast_count="${BENCH_ALLOCFAST_COUNT:-20000000}"
allocators="${BENCH_ALLOCATORS:-swiftgc swiftgc-concurrent bdwgc glibc jemalloc mimalloc}"
finalizers_rounds="${BENCH_FINALIZERS_ROUNDS:-20}"
programs="${BENCH_PROGRAMS:-gcbench gcbench-threads1 gcbench-threads2 binarytrees allocfast finalizers}"
run_timeout="${BENCH_TIMEOUT:-600}"
swiftgc_lib_dir="${BENCH_SWIFTGC_LIB_DIR:-build/lib}"
compiler="${CC:-cc}"
compile_flags=(-O2 -std=gnu11 -Wall -Wextra -pthread -I include)

bench_dir=build/bench
log_dir="$bench_dir/logs"
results_file="$bench_dir/results.txt"

started_at=$SECONDS

note() { printf '%s\n' "$*" >&2; }

for setting in BENCH_RUNS="$runs" BENCH_BINARYTREES_DEPTH="$binarytrees_depth" \
    BENCH_ALLOCFAST_COUNT="$allocfast_count" BENCH_TIMEOUT="$run_timeout"; do
    if [[ ! "${setting#*=}" =~ ^[1-9][0-9]*$ ]]; then
        note "run.sh: ${setting%%=*} must be a positive integer, not '${setting#*=}'"
        exit 2
    fi
done

# --- Allocators ------------------------------------------------------------

# Prints nothing and succeeds if a program using this header and library links.
can_link() { # header library
    printf '#include <%s>\nint main(void) { return 0; }\n' "$1" |
        "$compiler" -x c - -o /dev/null "$2" >/dev/null 2>&1
}

# Why an allocator cannot be built here, or nothing if it can.
missing_reason() { # allocator
    case "$1" in
        swiftgc | swiftgc-concurrent)
            [[ -f "$swiftgc_lib_dir/libswiftgc.so" ]] ||
                echo "$swiftgc_lib_dir/libswiftgc.so not found (run make first)" ;;
        bdwgc) can_link gc.h -lgc || echo "bdwgc not found (apt-get install libgc-dev)" ;;
        glibc) ;;
        jemalloc)
            can_link jemalloc/jemalloc.h -ljemalloc ||
                echo "jemalloc not found (apt-get install libjemalloc-dev)" ;;
        mimalloc)
            can_link mimalloc.h -lmimalloc ||
                echo "mimalloc not found (apt-get install libmimalloc-dev)" ;;
        *) echo "unknown allocator (known: swiftgc swiftgc-concurrent bdwgc glibc jemalloc mimalloc)" ;;
    esac
}

# The -D flags and libraries of one allocator's variant, one word per line.
allocator_flags() { # allocator
    case "$1" in
        swiftgc | swiftgc-concurrent)
            local library_path
            library_path="$(cd "$swiftgc_lib_dir" && pwd)"
            printf '%s\n' -DSWIFTGC -L "$library_path" -lswiftgc "-Wl,-rpath,$library_path" ;;
        bdwgc) printf '%s\n' -DBDWGC -lgc ;;
        glibc) printf '%s\n' -DMALLOC -DMALLOC_LIBRARY=glibc ;;
        jemalloc) printf '%s\n' -DMALLOC -DMALLOC_LIBRARY=jemalloc -ljemalloc ;;
        mimalloc) printf '%s\n' -DMALLOC -DMALLOC_LIBRARY=mimalloc -lmimalloc ;;
    esac
}

# The source a program is built from: gcbench-threadsN is gcbench run with N
# client threads.
program_source() { # program
    case "$1" in
        gcbench-threads*) echo gcbench ;;
        *) echo "$1" ;;
    esac
}

# Whether a benchmark applies to an allocator: finalizers needs a collector.
runs_on() { # program allocator
    [[ "$1" != finalizers || "$2" == swiftgc* || "$2" == bdwgc ]]
}

# The environment an allocator's runs get: swiftgc-concurrent is SwiftGC with
# mostly-concurrent marking from the first collection (the default turns it on
# only past SWIFTGC_CONCURRENT_HEAP of live heap, which these programs stay below).
allocator_environment() { # allocator
    [[ "$1" != swiftgc-concurrent ]] || echo "SWIFTGC_CONCURRENT=1"
}

program_arguments() { # program
    case "$1" in
        gcbench-threads*) echo "${1#gcbench-threads}" ;;
        binarytrees) echo "$binarytrees_depth" ;;
        finalizers) echo "$finalizers_rounds" ;;
        allocfast) echo "$allocfast_count" ;;
        *) echo "" ;;
    esac
}

# --- Header ------------------------------------------------------------------

cpu_model="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
[[ -n "$cpu_model" ]] || cpu_model="$(awk -F': *' '/^(Hardware|CPU part)/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
[[ -n "$cpu_model" ]] || cpu_model=unknown
core_count="$(grep -c '^processor' /proc/cpuinfo 2>/dev/null || nproc)"

package_version() { # debian package
    dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"
}

echo "## SwiftGC benchmarks"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(uname -m), $cpu_model, $core_count cores"
echo "- compiler: $("$compiler" --version 2>/dev/null | head -n 1), flags: ${compile_flags[*]}"
if command -v dpkg-query >/dev/null 2>&1; then
    echo "- references: bdwgc $(package_version libgc-dev), jemalloc $(package_version libjemalloc-dev)," \
        "mimalloc $(package_version libmimalloc-dev), glibc $(package_version libc6)"
fi
echo "- swiftgc: $swiftgc_lib_dir/libswiftgc.so"
echo "- settings: BENCH_RUNS=$runs BENCH_BINARYTREES_DEPTH=$binarytrees_depth" \
    "BENCH_ALLOCFAST_COUNT=$allocfast_count"
gc_settings="$(env | grep -E '^(SWIFTGC_|GC_)' | sort | tr '\n' ' ' || true)"
[[ -z "$gc_settings" ]] || echo "- collector environment: $gc_settings"
if [[ "$runs" -eq 1 ]]; then
    echo "- each figure: one run"
else
    echo "- each figure: median time and largest peak RSS of $runs runs"
fi

rm -rf "$bench_dir"
mkdir -p "$bench_dir" "$log_dir"
: >"$results_file"

available_allocators=()
for allocator in $allocators; do
    reason="$(missing_reason "$allocator")"
    if [[ -n "$reason" ]]; then
        echo "- skipped $allocator: $reason"
    else
        available_allocators+=("$allocator")
    fi
done
echo

# --- Build -------------------------------------------------------------------

failures=0
for program in $programs; do
    source_file="Benchmarks/$(program_source "$program").c"
    if [[ ! -f "$source_file" ]]; then
        note "run.sh: no benchmark $source_file"
        exit 2
    fi
    for allocator in "${available_allocators[@]}"; do
        runs_on "$program" "$allocator" || continue
        mapfile -t flags < <(allocator_flags "$allocator")
        defines=() libraries=()
        for flag in "${flags[@]}"; do
            if [[ "$flag" == -D* ]]; then defines+=("$flag"); else libraries+=("$flag"); fi
        done
        note "building $program-$allocator"
        "$compiler" "${compile_flags[@]}" "${defines[@]}" "$source_file" \
            -o "$bench_dir/$program-$allocator" "${libraries[@]}"
    done
done

# --- Run ---------------------------------------------------------------------

# The value of key=value in a closing line, or nothing.
field() { # line key
    tr ' ' '\n' <<<"$1" | awk -F= -v key="$2" '$1 == key { print $2; exit }'
}

# The median of the numbers on standard input (the lower middle for an even count).
median() { sort -g | awk '{ values[NR] = $1 } END { if (NR) print values[int((NR + 1) / 2)] }'; }

maximum() { sort -g | tail -n 1; }

# ratio NUMERATOR DENOMINATOR: "1.23", or "-" when either is missing.
ratio() {
    if [[ -z "$1" || -z "$2" ]]; then echo "-"; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

declare -A seconds_of rss_of collections_of failed_of ns_of

for program in $programs; do
    arguments="$(program_arguments "$program")"
    for allocator in "${available_allocators[@]}"; do
        runs_on "$program" "$allocator" || continue
        key="$program/$allocator"
        times=() rss_values=() collection_counts=() lines=()
        for run in $(seq 1 "$runs"); do
            note "running $program-$allocator${arguments:+ $arguments} ($run/$runs)"
            log="$log_dir/$program-$allocator-$run.log"
            status=0
            # shellcheck disable=SC2086 # arguments is empty or one number
            # shellcheck disable=SC2046 # the environment is empty or one word
            env $(allocator_environment "$allocator") timeout "$run_timeout" "$bench_dir/$program-$allocator" \
                $arguments >"$log" 2>&1 ||
                status=$?
            line="$(grep '^allocator=' "$log" | tail -n 1 || true)"
            if [[ $status -ne 0 || -z "$line" ]]; then
                [[ $status -eq 124 ]] && reason="timed out after ${run_timeout}s" ||
                    reason="exit status $status"
                failed_of[$key]="$reason"
                failures=$((failures + 1))
                note "FAILED: $program-$allocator run $run: $reason; last lines of $log:"
                tail -n 5 "$log" >&2
                break
            fi
            echo "$program $line" >>"$results_file"
            lines+=("$line")
            times+=("$(field "$line" seconds)")
            rss_values+=("$(field "$line" peak_rss_kib)")
            collection_counts+=("$(field "$line" collections)")
        done
        [[ -z "${failed_of[$key]:-}" ]] || continue
        seconds_of[$key]="$(printf '%s\n' "${times[@]}" | median)"
        rss_of[$key]="$(printf '%s\n' "${rss_values[@]}" | maximum)"
        collections_of[$key]="$(printf '%s\n' "${collection_counts[@]}" | median)"
        if [[ "$program" == allocfast ]]; then
            for size in 16 32 64; do
                ns_of[$key/$size]="$(for line in "${lines[@]}"; do
                    field "$line" "ns_per_alloc_$size"
                done | median)"
            done
        fi
    done
done

# --- Tables ------------------------------------------------------------------

describe() { # program
    case "$1" in
        gcbench) echo "GCBench: stretch tree 18, long-lived tree 16 + 500,000 doubles, trees 4..16" ;;
        gcbench-threads*) echo "GCBench steps 2-4 in ${1#gcbench-threads} client thread(s) at once, each with its own long-lived data" ;;
        binarytrees) echo "binary-trees, depth $binarytrees_depth (the Benchmarks Game uses 21)" ;;
        allocfast) echo "allocation fast path, $allocfast_count objects per size, 1024 kept live" ;;
        finalizers) echo "finalizers and weak links: $finalizers_rounds rounds of 100,000 objects, each with a finalizer and a weak link, 1 in 10 kept (collectors only)" ;;
    esac
}

for program in $programs; do
    echo "### $program"
    echo
    describe "$program"
    echo
    header="| allocator | seconds | peak RSS MiB | time vs bdwgc | RSS vs bdwgc | collections |"
    rule="|---|---:|---:|---:|---:|---:|"
    if [[ "$program" == allocfast ]]; then
        header+=" ns/alloc 16 B | ns/alloc 32 B | ns/alloc 64 B |"
        rule+="---:|---:|---:|"
    fi
    echo "$header"
    echo "$rule"
    reference_seconds="${seconds_of[$program/bdwgc]:-}"
    reference_rss="${rss_of[$program/bdwgc]:-}"
    for allocator in "${available_allocators[@]}"; do
        runs_on "$program" "$allocator" || continue
        key="$program/$allocator"
        if [[ -n "${failed_of[$key]:-}" ]]; then
            row="| $allocator | FAILED (${failed_of[$key]}) | | | | |"
            [[ "$program" != allocfast ]] || row+=" | | |"
            echo "$row"
            continue
        fi
        seconds="${seconds_of[$key]}"
        rss_kib="${rss_of[$key]}"
        rss_mib="$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')"
        row="| $allocator | $seconds | $rss_mib | $(ratio "$seconds" "$reference_seconds")"
        row+=" | $(ratio "$rss_kib" "$reference_rss") | ${collections_of[$key]:--} |"
        if [[ "$program" == allocfast ]]; then
            row+=" ${ns_of[$key/16]} | ${ns_of[$key/32]} | ${ns_of[$key/64]} |"
        fi
        echo "$row"
    done
    if [[ -z "$reference_seconds" ]]; then
        echo
        echo "(no bdwgc figures, so no ratios)"
    fi
    echo
done

echo "Total time: $((SECONDS - started_at)) s. Raw closing lines: $results_file; logs: $log_dir/"

if [[ $failures -gt 0 ]]; then
    note "run.sh: $failures benchmark run(s) failed; see the FAILED rows above"
    exit 1
fi
