#!/usr/bin/env bash
# Tests/PreloadTests/run.sh PRELOAD_LIBRARY TEST_PROGRAM_DIRECTORY
#
# Runs the preload tests in every SWIFTGC_MODE: the malloc-family programs,
# the planted bugs that apply to the mode, and real Debian programs whose
# output must be identical with and without the preload. Prints one line per
# check and exits non-zero if any failed.
#
# In leak-check mode programs run with SWIFTGC_LEAK_EXIT_CODE=0 (unless
# leak_exit_code is set for one command), so a program that leaks at exit, as
# python3 and gcc do, keeps its status; its leak report on stderr is ignored,
# as the report's lines never start with `swiftgc:`.
set -uo pipefail

library="$(realpath "$1")"
programs="$(realpath "$2")"
modes="${PRELOAD_MODES:-malloc collect ignore-free leak-check safe-free}"
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
    SWIFTGC_MODE="$mode" SWIFTGC_LEAK_EXIT_CODE="${leak_exit_code:-0}" LD_PRELOAD="$library" "$@" \
        >"$output" 2>"$output.stderr"
}

# The leak report in a stderr file as one line per group, sorted:
# "Direct|Indirect bytes objects function-of-frame-0".
leak_groups() { # stderr-file
    awk '/^(Direct|Indirect) leak of/ { kind = $1; bytes = $4; objects = $7; getline; print kind, bytes, objects, $4 }' "$1" | sort
}

# SWIFTGC_MODE=leak-check on the planted leaks (planted_leaks.c).
leak_check_tests() {
    local expected actual
    expected=$(printf '%s\n' "Direct 144 3 leak_direct_blocks" "Direct 32 1 leak_list" "Direct 40960 1 leak_large_block" \
               "Indirect 64 1 make_list_node" "Indirect 64 1 make_list_node" | sort)
    leak_exit_code=23 preloaded leak-check "$work/out" "$programs/planted_leaks" all
    local status=$?
    actual=$(leak_groups "$work/out.stderr")
    if [ "$actual" = "$expected" ] && grep -qx 'SUMMARY: SwiftGC leak check: 41264 byte(s) leaked in 7 allocation(s).' "$work/out.stderr" \
       && ! grep -q '^swiftgc:' "$work/out.stderr"; then
        pass "leak-check: reports exactly the planted leaks, direct and indirect, by allocating function"
    else fail "leak-check: planted leaks"; echo "expected:"; echo "$expected"; echo "got:"; cat "$work/out.stderr"; fi
    if [ "$status" = 23 ]; then pass "leak-check: exit status is SWIFTGC_LEAK_EXIT_CODE (23) on leaks"
    else fail "leak-check: exit status $status, expected 23"; fi
    reachable=$(sed -n 's/.*: \([0-9]*\) byte(s) in \([0-9]*\) allocation(s) still reachable.*/\1 \2/p' "$work/out.stderr")
    if [ -n "$reachable" ] && [ "${reachable%% *}" -ge 96 ] && ! grep -q keep_reachable_block "$work/out.stderr"; then
        pass "leak-check: the reachable block is counted as reachable ($reachable), not reported"
    else fail "leak-check: reachable line '$reachable'"; fi
    # The offset printed for a frame is what addr2line expects.
    local frame module offset
    frame=$(grep -m1 ' in leak_direct_blocks (' "$work/out.stderr" | sed 's/.*(\(.*\))$/\1/')
    module=${frame%+*}; offset=${frame##*+}
    if [ "$(addr2line -f -e "$module" "$offset" | head -1)" = leak_direct_blocks ]; then
        pass "leak-check: addr2line -f -e $module $offset names leak_direct_blocks"
    else fail "leak-check: addr2line on '$frame'"; fi
    for code in 0 7; do
        leak_exit_code=$code preloaded leak-check "$work/out" "$programs/planted_leaks" all
        status=$?
        if [ "$status" = "$code" ]; then pass "leak-check: SWIFTGC_LEAK_EXIT_CODE=$code gives status $code"
        else fail "leak-check: SWIFTGC_LEAK_EXIT_CODE=$code gave status $status"; fi
    done
    # An early report at gc_collect; its leaks are not reported again at exit.
    leak_exit_code=23 preloaded leak-check "$work/out" "$programs/planted_leaks" early
    status=$?
    awk '/detected memory leaks/ { part++ } { print > ("'"$work"'/early-part" part) }' "$work/out.stderr"
    if grep -q '(gc_collect): detected memory leaks' "$work/early-part1" 2>/dev/null \
       && [ "$(leak_groups "$work/early-part1")" = "Direct 144 3 leak_direct_blocks" ] \
       && [ "$(leak_groups "$work/early-part2")" = "Direct 40960 1 leak_large_block" ] && [ "$status" = 23 ]; then
        pass "leak-check: gc_collect reports the leaks so far; exit reports only the later ones"
    else fail "leak-check: early report (status $status)"; cat "$work/out.stderr"; fi
    preloaded leak-check "$work/out" "$programs/planted_leaks" closes-stderr
    if [ "$(leak_groups "$work/out.stderr")" = "Direct 144 3 leak_direct_blocks" ]; then
        pass "leak-check: the report reaches stderr after the program closed fd 2 at exit"
    else fail "leak-check: report after closing stderr"; cat "$work/out.stderr"; fi
    # Nothing leaked, nothing printed (as LeakSanitizer); SWIFTGC_VERBOSE=1
    # brings back the summary of what is still reachable.
    leak_exit_code=23 preloaded leak-check "$work/out" /bin/echo quiet
    status=$?
    if [ ! -s "$work/out.stderr" ] && [ "$status" = 0 ] && [ "$(cat "$work/out")" = quiet ]; then
        pass "leak-check: a program without leaks prints nothing"
    else fail "leak-check: a program without leaks printed (status $status):"; cat "$work/out.stderr"; fi
    SWIFTGC_VERBOSE=1 preloaded leak-check "$work/out" /bin/echo verbose
    if grep -q '^==[0-9]*==SwiftGC leak check: no leaks; [0-9]* byte(s) in [0-9]* allocation(s) still reachable$' "$work/out.stderr"; then
        pass "leak-check: SWIFTGC_VERBOSE=1 prints the no-leaks summary"
    else fail "leak-check: SWIFTGC_VERBOSE=1 gave no summary:"; cat "$work/out.stderr"; fi
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
    for test in malloc_family new_delete arenas; do
        if preloaded "$mode" "$work/out" "$programs/$test" && ! grep -q '^swiftgc:' "$work/out.stderr"; then
            pass "$mode: $test ($(tail -1 "$work/out"))"
        else
            fail "$mode: $test"; grep -v '^ok' "$work/out" | head -20; head -5 "$work/out.stderr"
        fi
    done

    # Blocks freed by other threads keep their contents until freed.
    if preloaded "$mode" "$work/out" "$programs/cross_thread_free" && ! grep -q '^swiftgc:' "$work/out.stderr"; then
        pass "$mode: cross-thread frees ($(tail -1 "$work/out"))"
    else fail "$mode: cross-thread frees"; cat "$work/out"; head -5 "$work/out.stderr"; fi
    if [ "$mode" = malloc ]; then
        if preloaded "$mode" "$work/out" "$programs/memory_after_peak"; then
            pass "$mode: $(head -1 "$work/out")"
        else fail "$mode: memory after a peak"; cat "$work/out"; fi
        for test in reuse stress; do
            if preloaded "$mode" "$work/out" "$programs/recently_freed" "$test" && ! grep -q '^swiftgc:' "$work/out.stderr"; then
                pass "$mode: recently freed blocks, $test ($(tail -1 "$work/out"))"
            else fail "$mode: recently freed blocks, $test"; grep -v '^ok' "$work/out"; head -5 "$work/out.stderr"; fi
        done
        preloaded "$mode" "$work/out" "$programs/recently_freed" double-free
        status=$?
        if [ "$status" = 0 ] && [ "$(grep -c '^swiftgc: free(0x.*double free' "$work/out.stderr")" = 2 ]; then
            pass "$mode: a double free of a recently freed block is reported, from either thread"
        else fail "$mode: double free of a recently freed block"; cat "$work/out" "$work/out.stderr"; fi
    fi

    if [ "$mode" = collect ]; then
        if preloaded "$mode" "$work/out" "$programs/thread_stack_frames"; then
            pass "$mode: another thread's returned frames retain nothing, its active ones keep their blocks"
        else fail "$mode: thread stack frames"; cat "$work/out" "$work/out.stderr"; fi
    fi

    # Planted bugs.
    case "$mode" in
        collect|ignore-free)
            if preloaded "$mode" "$work/out" "$programs/planted_bugs" leaky-loop; then
                pass "$mode: a leaky loop stays in bounded memory"
            else fail "$mode: leaky loop"; cat "$work/out"; fi ;;
    esac
    if [ "$mode" = safe-free ]; then
        preloaded "$mode" "$work/out" "$programs/planted_bugs" use-after-free
        if [ $? = 0 ] && [ "$(grep -c '^swiftgc:' "$work/out.stderr")" = 1 ] \
           && grep -q '^swiftgc: free(0x.*waiting in quarantine (double free' "$work/out.stderr"; then
            pass "$mode: freed blocks still pointed to are not reused; dropped, they are ($(tail -1 "$work/out"))"
        else fail "$mode: use after free"; cat "$work/out" "$work/out.stderr"; fi
        if preloaded "$mode" "$work/out" "$programs/planted_bugs" quarantine-drains; then
            pass "$mode: the quarantine drains: 2 GiB of malloc and free stay in bounded memory"
        else fail "$mode: quarantine drains"; cat "$work/out" "$work/out.stderr"; fi
        if preloaded "$mode" "$work/out" "$programs/planted_bugs" hidden-pointers; then
            pass "$mode: blocks never freed are never reclaimed, even when only hidden pointers lead to them"
        else fail "$mode: hidden pointers"; cat "$work/out" "$work/out.stderr"; fi
    fi
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

    if [ "$mode" = leak-check ]; then leak_check_tests; fi
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
