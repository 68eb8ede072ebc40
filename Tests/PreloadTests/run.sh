#!/usr/bin/env bash
# Tests/PreloadTests/run.sh PRELOAD_LIBRARY TEST_PROGRAM_DIRECTORY
#
# Runs the preload tests in every SWIFTGC_MODE: the malloc-family programs,
# the planted bugs that apply to the mode, and real Debian programs whose
# output must be identical with and without the preload. Prints one line per
# check and exits non-zero if any failed.
set -uo pipefail

library="$(realpath "$1")"
programs="$(realpath "$2")"
modes="${PRELOAD_MODES:-malloc collect ignore-free}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
failures=0
passes=0

pass() { passes=$((passes + 1)); echo "ok   $*"; }
fail() { failures=$((failures + 1)); echo "FAIL $*"; }

# Runs a command with the preload in a mode; stdout to a file.
preloaded() { # mode output command...
    local mode="$1" output="$2"; shift 2
    SWIFTGC_MODE="$mode" LD_PRELOAD="$library" "$@" >"$output" 2>"$output.stderr"
}

# Compares a real program's output under the preload with a plain run.
same_output() { # mode name command...
    local mode="$1" name="$2"; shift 2
    "$@" >"$work/expected" 2>/dev/null
    local expected_status=$?
    preloaded "$mode" "$work/actual" "$@"
    local status=$?
    if [ "$status" = "$expected_status" ] && cmp -s "$work/expected" "$work/actual" \
       && ! grep -q '^swiftgc:' "$work/actual.stderr"; then
        pass "$mode: $name"
    else
        fail "$mode: $name (status $status, expected $expected_status; output or stderr differs)"
        head -5 "$work/actual.stderr"
    fi
}

# The inputs the real programs use.
seq 1 400000 | awk '{ print ($1 * 7919) % 400009 }' >"$work/numbers.txt"
head -c 8000000 /dev/urandom | od -An -tx1 | head -c 6000000 >"$work/compressible.txt"
cat >"$work/hello.cpp" <<'CPP'
#include <iostream>
#include <map>
#include <string>
int main() { std::map<std::string, int> m; for (int i = 0; i < 1000; i++) m[std::to_string(i)] = i; std::cout << m.size() << " " << m["42"] << "\n"; }
CPP
cat >"$work/hello.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(void) { char *p = malloc(100); snprintf(p, 100, "hello %d", 42); puts(p); free(p); return 0; }
C
sql="create table t(a integer, b text); with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000) insert into t select x, 'k' || (x * 7919 % 20011) from c; create index i on t(b); select count(*), sum(a), max(b) from t where b like 'k1%';"
git -C "$work" init -q repo && (cd "$work/repo" && for n in 1 2 3; do seq $n 1000 >file$n; done && git add . && git -c user.name=t -c user.email=t@t commit -qm initial)

for mode in $modes; do
    for test in malloc_family new_delete; do
        if preloaded "$mode" "$work/out" "$programs/$test" && ! grep -q '^swiftgc:' "$work/out.stderr"; then
            pass "$mode: $test ($(tail -1 "$work/out"))"
        else
            fail "$mode: $test"; grep -v '^ok' "$work/out" | head -20; head -5 "$work/out.stderr"
        fi
    done

    # Planted bugs.
    case "$mode" in
        collect|ignore-free)
            if preloaded "$mode" "$work/out" "$programs/planted_bugs" leaky-loop; then
                pass "$mode: a leaky loop stays in bounded memory"
            else fail "$mode: leaky loop"; cat "$work/out"; fi ;;
    esac
    if preloaded "$mode" "$work/out" "$programs/planted_bugs" double-free; then
        pass "$mode: survives a double free"
    else fail "$mode: double free"; cat "$work/out" "$work/out.stderr"; fi
    if [ "$mode" != ignore-free ]; then
        preloaded "$mode" "$work/out" "$programs/planted_bugs" misuse
        lines=$(grep -c '^swiftgc: free(0x' "$work/out.stderr")
        if [ "$lines" = 3 ] && grep -q 'not allocated by swiftgc' "$work/out.stderr" \
           && grep -q 'inside an object' "$work/out.stderr" && grep -q 'double free' "$work/out.stderr"; then
            pass "$mode: misuse gets one swiftgc: line each"
        else fail "$mode: misuse messages"; cat "$work/out.stderr"; fi
        if (SWIFTGC_ABORT_ON_ERROR=1 preloaded "$mode" "$work/out" "$programs/planted_bugs" misuse) 2>/dev/null; then
            fail "$mode: SWIFTGC_ABORT_ON_ERROR=1 should abort on misuse"
        else pass "$mode: SWIFTGC_ABORT_ON_ERROR=1 aborts on misuse"; fi
    fi

    # Aligned allocation misuse (aligned_misuse.c checks its own messages).
    if preloaded "$mode" "$work/out" "$programs/aligned_misuse"; then
        pass "$mode: aligned allocation misuse ($(tail -1 "$work/out"))"
    else fail "$mode: aligned allocation misuse"; grep -v '^ok' "$work/out" | head -20; fi

    # Real programs, output identical to a plain run.
    same_output "$mode" "python3" python3 "$here/allocation_heavy.py"
    same_output "$mode" "python3 with PYTHONMALLOC=malloc" env PYTHONMALLOC=malloc python3 "$here/allocation_heavy.py"
    same_output "$mode" "perl" perl -e 'my %h; $h{$_} = [($_) x ($_ % 7)] for 1..100000; my $s = 0; $s += @{$h{$_}} for keys %h; print "$s\n"; print join(",", (sort { $a <=> $b } keys %h)[0..5]), "\n"'
    same_output "$mode" "sqlite3" sqlite3 :memory: "$sql"
    same_output "$mode" "gcc compiles and runs C" sh -c "gcc -O1 -o '$work/hello-c-$mode' '$work/hello.c' && '$work/hello-c-$mode'"
    same_output "$mode" "g++ compiles and runs C++" sh -c "g++ -O1 -o '$work/hello-cpp-$mode' '$work/hello.cpp' && '$work/hello-cpp-$mode'"
    same_output "$mode" "git log and diff" sh -c "cd '$work/repo' && git log --format=%s && git diff --stat HEAD -- . && git status --porcelain=v1"
    same_output "$mode" "sort of 400000 lines" sort -n "$work/numbers.txt"
    same_output "$mode" "xz -T2 round trip" sh -c "xz -T2 -3 -c '$work/compressible.txt' | xz -d -T2 | md5sum"
done

echo "$passes passed, $failures failed"
[ "$failures" = 0 ]
