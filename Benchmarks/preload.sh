#!/usr/bin/env bash
# Benchmarks/preload.sh — the malloc replacements side by side: every program
# runs with plain glibc malloc, with LD_PRELOAD of Debian's jemalloc and
# mimalloc, and with LD_PRELOAD of libswiftgc-preload.so in each SWIFTGC_MODE.
# Prints markdown tables of wall time and peak RSS, with ratios to glibc and
# their geometric means over the programs.
#
# Run from anywhere (it changes to the repository root); `make bench` calls
# it after run.sh. It reports and never judges timing; it exits non-zero only
# when a program fails or its output differs from the plain glibc run.
# Variables (see Benchmarks/README.md): BENCH_PRELOAD_RUNS, BENCH_PRELOAD_SCALE,
# BENCH_PRELOAD_PROGRAMS, BENCH_PRELOAD_ALLOCATORS, BENCH_SWIFTGC_LIB_DIR,
# BENCH_TIMEOUT.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

runs="${BENCH_PRELOAD_RUNS:-3}"
scale="${BENCH_PRELOAD_SCALE:-1}"
programs="${BENCH_PRELOAD_PROGRAMS:-mallocmix xthread python3 perl sqlite3 gcc sort xz}"
allocators="${BENCH_PRELOAD_ALLOCATORS:-glibc jemalloc mimalloc swiftgc-malloc swiftgc-collect swiftgc-ignore-free swiftgc-leak-check swiftgc-safe-free}"
run_timeout="${BENCH_TIMEOUT:-600}"
swiftgc_lib_dir="${BENCH_SWIFTGC_LIB_DIR:-build/lib}"
compiler="${CC:-cc}"

for setting in BENCH_PRELOAD_RUNS="$runs" BENCH_PRELOAD_SCALE="$scale" BENCH_TIMEOUT="$run_timeout"; do
    if [[ ! "${setting#*=}" =~ ^[1-9][0-9]*$ ]]; then
        echo "preload.sh: ${setting%%=*} must be a positive integer, not '${setting#*=}'" >&2
        exit 2
    fi
done

bench_dir=build/bench-preload
work="$bench_dir/work"
started_at=$SECONDS
note() { printf '%s\n' "$*" >&2; }

# --- Allocators ------------------------------------------------------------

# The library directory of the system's multiarch triplet.
system_lib_dir="/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"

# The library an allocator preloads ("" for glibc), or nothing if missing.
preload_of() { # allocator
    case "$1" in
        glibc) echo "" ;;
        jemalloc) echo "$system_lib_dir/libjemalloc.so.2" ;;
        mimalloc) echo "$system_lib_dir/libmimalloc.so.2" ;;
        swiftgc-*) echo "$(cd "$swiftgc_lib_dir" 2>/dev/null && pwd)/libswiftgc-preload.so" ;;
    esac
}

# Runs a command under an allocator: env with LD_PRELOAD and SWIFTGC_MODE.
# Leak-check mode keeps the program's exit status (real programs leak at
# exit, which would otherwise count as a failed run); its report goes to
# the log like any stderr.
allocator_env() { # allocator
    local library
    library="$(preload_of "$1")"
    printf '%s\n' env
    [[ -z "$library" ]] || printf '%s\n' "LD_PRELOAD=$library"
    case "$1" in swiftgc-*) printf '%s\n' "SWIFTGC_MODE=${1#swiftgc-}" ;; esac
    [[ "$1" != swiftgc-leak-check ]] || printf '%s\n' "SWIFTGC_LEAK_EXIT_CODE=0"
}

# --- Programs ----------------------------------------------------------------

mkdir -p "$bench_dir" "$work"
for source in mallocmix xthread; do
    note "building $source"
    "$compiler" -O2 -std=gnu11 -Wall -Wextra -pthread "Benchmarks/$source.c" -o "$bench_dir/$source"
done

# Inputs, made once with the plain allocator.
note "preparing inputs"
seq 1 $((2000000 * scale)) | awk '{ print ($1 * 7919) % 2000003 }' >"$work/numbers.txt"
head -c $((1500000 * scale)) /dev/urandom | od -An -tx1 >"$work/compressible.txt"
python3 - "$scale" >"$work/functions.c" <<'PY'
import sys
count = 1500 * int(sys.argv[1])
print("#include <stdio.h>")
for i in range(count):
    previous = i - 1 if i else 0
    print(f"static int f{i}(int x) {{ int a[8]; for (int k = 0; k < 8; k++) a[k] = x * {i} + k;"
          f" return a[x & 7] + (x > {i} ? f{previous}(x - 1) : 0); }}")
print("int main(void) { int s = 0;")
for i in range(0, count, 10):
    print(f"  s += f{i}(s & 255);")
print('  printf("%d\\n", s); return 0; }')
PY
rows=$((300000 * scale))
sql="create table t(a integer, b text); with recursive c(x) as (select 1 union all select x + 1 from c where x < $rows)"
sql+=" insert into t select x, 'k' || (x * 7919 % $((rows + 7))) from c; create index i on t(b);"
sql+=" select count(*), sum(a), max(b) from t where b like 'k1%';"

describe() { # program
    case "$1" in
        mallocmix) echo "mallocmix: 2 threads x $((5000000 * scale)) random replacements in a working set of 20000 blocks, 16 B-64 KiB" ;;
        xthread) echo "xthread: a producer and a consumer thread; $((10000000 * scale)) blocks of 16 B-8 KiB, each freed by the consumer" ;;
        python3) echo "python3 Benchmarks/allocation_heavy.py $((4 * scale)): dicts of lists, tuples and strings, sorting, sets" ;;
        perl) echo "perl: a hash of $((300000 * scale)) small arrays, built 3 times" ;;
        sqlite3) echo "sqlite3 :memory:: insert $rows rows, index them, query" ;;
        gcc) echo "gcc -O2 -S of $((1500 * scale)) small functions" ;;
        sort) echo "sort -n of $((2000000 * scale)) numbers" ;;
        xz) echo "xz -T2 -3 compress and decompress $((45 * scale / 10)) MB of hex text" ;;
    esac
}

# The command of a program, one word per line.
program_command() { # program
    case "$1" in
        mallocmix) printf '%s\n' "$bench_dir/mallocmix" 2 $((5000000 * scale)) 20000 ;;
        xthread) printf '%s\n' "$bench_dir/xthread" 1 $((10000000 * scale)) ;;
        python3) printf '%s\n' python3 Benchmarks/allocation_heavy.py $((4 * scale)) ;;
        perl) printf '%s\n' perl -e "my %h; for my \$r (1..3) { %h = (); \$h{\$_} = [(\$_) x (\$_ % 7)] for 1..$((300000 * scale)); } my \$s = 0; \$s += @{\$h{\$_}} for keys %h; print \"\$s\\n\"" ;;
        sqlite3) printf '%s\n' sqlite3 :memory: "$sql" ;;
        gcc) printf '%s\n' sh -c "gcc -O2 -S -o - '$work/functions.c' | md5sum" ;;
        sort) printf '%s\n' sh -c "sort -n '$work/numbers.txt' | md5sum" ;;
        xz) printf '%s\n' sh -c "xz -T2 -3 -c '$work/compressible.txt' | xz -d -T2 | md5sum" ;;
        *) return 1 ;;
    esac
}

# --- Header ------------------------------------------------------------------

cpu_model="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
core_count="$(grep -c '^processor' /proc/cpuinfo 2>/dev/null || nproc)"
package_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"; }

echo "## Malloc replacements (LD_PRELOAD)"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(uname -m), ${cpu_model:-unknown}, $core_count cores"
echo "- references: glibc $(package_version libc6), jemalloc $(package_version libjemalloc2)," \
    "mimalloc $(package_version libmimalloc2.0)"
echo "- swiftgc: $swiftgc_lib_dir/libswiftgc-preload.so, SWIFTGC_MODE as in the column name"
echo "- settings: BENCH_PRELOAD_RUNS=$runs BENCH_PRELOAD_SCALE=$scale"
echo "- each figure: median wall time and largest peak RSS (/usr/bin/time %e %M, whole process tree) of $runs runs"

available=()
for allocator in $allocators; do
    library="$(preload_of "$allocator")"
    if [[ "$allocator" != glibc && ! -f "$library" ]]; then
        echo "- skipped $allocator: ${library:-unknown allocator} not found"
    else
        available+=("$allocator")
    fi
done
echo

# --- Run ---------------------------------------------------------------------

median() { sort -g | awk '{ values[NR] = $1 } END { if (NR) print values[int((NR + 1) / 2)] }'; }
declare -A seconds_of rss_of failed_of
failures=0

for program in $programs; do
    mapfile -t command < <(program_command "$program") || { note "preload.sh: unknown program $program"; exit 2; }
    "${command[@]}" >"$work/$program.expected" 2>/dev/null || true
    for allocator in "${available[@]}"; do
        mapfile -t prefix < <(allocator_env "$allocator")
        key="$program/$allocator"
        times=() rss_values=()
        for run in $(seq 1 "$runs"); do
            note "running $program under $allocator ($run/$runs)"
            status=0
            timeout "$run_timeout" /usr/bin/time -f '%e %M' -o "$work/time" "${prefix[@]}" "${command[@]}" \
                >"$work/output" 2>"$work/stderr" || status=$?
            if [[ $status -ne 0 ]] || ! cmp -s "$work/output" "$work/$program.expected"; then
                [[ $status -eq 124 ]] && reason="timed out" || reason="exit status $status"
                [[ $status -ne 0 ]] || reason="output differs"
                failed_of[$key]="$reason"
                failures=$((failures + 1))
                note "FAILED: $program under $allocator: $reason"
                tail -n 3 "$work/stderr" >&2
                break
            fi
            read -r seconds rss < <(tail -n 1 "$work/time")
            times+=("$seconds")
            rss_values+=("$rss")
        done
        [[ -z "${failed_of[$key]:-}" ]] || continue
        seconds_of[$key]="$(printf '%s\n' "${times[@]}" | median)"
        rss_of[$key]="$(printf '%s\n' "${rss_values[@]}" | sort -g | tail -n 1)"
    done
done

# --- Tables ------------------------------------------------------------------

for program in $programs; do echo "- $(describe "$program")"; done
echo

# One table: figure per program and allocator, its ratio to glibc, and the
# geometric mean of the ratios over the programs every allocator finished.
print_table() { # title figure-array-name unit-divisor decimals
    local title="$1"
    local -n figures="$2"
    local divisor="$3" decimals="$4"
    echo "### $title"
    echo
    local header="| program |" rule="|---|"
    for allocator in "${available[@]}"; do header+=" $allocator |"; rule+="---:|"; done
    echo "$header"
    echo "$rule"
    declare -A log_sum count
    for program in $programs; do
        local row="| $program |" reference="${figures[$program/glibc]:-}"
        for allocator in "${available[@]}"; do
            local key="$program/$allocator"
            if [[ -n "${failed_of[$key]:-}" ]]; then row+=" FAILED |"; continue; fi
            local value="${figures[$key]:-}"
            if [[ -z "$value" ]]; then row+=" - |"; continue; fi
            local cell
            cell="$(awk -v v="$value" -v d="$divisor" -v p="$decimals" 'BEGIN { printf "%.*f", p, v / d }')"
            if [[ -n "$reference" ]] && awk -v r="$reference" 'BEGIN { exit !(r > 0) }'; then
                cell+=" ($(awk -v v="$value" -v r="$reference" 'BEGIN { printf "%.2f", (v > 0 ? v : 0.005) / r }'))"
                log_sum[$allocator]="$(awk -v s="${log_sum[$allocator]:-0}" -v v="$value" -v r="$reference" \
                    'BEGIN { printf "%.9f", s + log((v > 0 ? v : 0.005) / r) }')"
                count[$allocator]=$(( ${count[$allocator]:-0} + 1 ))
            fi
            row+=" $cell |"
        done
        echo "$row"
    done
    local row="| geometric mean vs glibc |"
    for allocator in "${available[@]}"; do
        if [[ -n "${count[$allocator]:-}" ]]; then
            row+=" $(awk -v s="${log_sum[$allocator]}" -v n="${count[$allocator]}" 'BEGIN { printf "%.2f", exp(s / n) }')"
            row+="$( [[ ${count[$allocator]} -eq $(wc -w <<<"$programs") ]] || echo " (${count[$allocator]} programs)") |"
        else
            row+=" - |"
        fi
    done
    echo "$row"
    echo
}

print_table "Wall time, seconds (ratio to glibc)" seconds_of 1 2
print_table "Peak RSS, MiB (ratio to glibc)" rss_of 1024 1

echo "Total time: $((SECONDS - started_at)) s."
if [[ $failures -gt 0 ]]; then
    note "preload.sh: $failures run(s) failed; see the FAILED cells above"
    exit 1
fi
