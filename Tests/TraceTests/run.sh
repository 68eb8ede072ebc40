#!/usr/bin/env bash
# Tests/TraceTests/run.sh TRACE_PROGRAM PLOT_TOOL
#
# The collection trace (`make trace-tests`): SWIFTGC_TRACE=1 prints exactly
# one well-formed `swiftgc: gc N` line per collection, numbered 1, 2, ...;
# SWIFTGC_TRACE_FILE writes the same number of JSON records, each parseable
# and with every key, one file per process with %p (a forked child too); the
# same with concurrent collection where it is available; nothing is traced
# without the options; and tools/swiftgc-plot turns a trace file into a PNG.
# Asserts what is printed, never how long anything took.
#
# By hand, from the repository root:
#   make build/trace-tests/trace_program
#   Tests/TraceTests/run.sh build/trace-tests/trace_program tools/swiftgc-plot
set -uo pipefail

program="$(realpath "$1")"
plot_tool="$(realpath "$2")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

pass() { passes=$((passes + 1)); echo "ok   $*"; }
fail() { failures=$((failures + 1)); echo "FAIL $*"; }

# One stderr line, after `swiftgc: `: TraceFormat.swift's layout.
size='[0-9]+(\.[0-9])? (B|KiB|MiB|GiB)'
milliseconds='[0-9]+\.[0-9]{3} ms'
line_pattern="^swiftgc: gc [0-9]+ @[0-9]+\.[0-9]{3}s [0-9]+%: (stop-the-world|concurrent)"
line_pattern+="(, start pause $milliseconds)?(, concurrent $milliseconds)?, pause $milliseconds"
line_pattern+=", heap $size -> $size -> goal $size, live $size, allocated $size, markers [0-9]+$"

# Checks the trace lines of a stderr file against the count the program
# printed: as many lines as collections, all well-formed, numbered 1..N.
check_lines() { # name stderr-file stdout-file
    local name="$1" stderr="$2" collections
    collections=$(sed -n 's/^pid [0-9]* collections \([0-9]*\) .*/\1/p' "$3")
    local lines malformed numbers expected
    lines=$(grep -c '^swiftgc: gc ' "$stderr")
    malformed=$(grep '^swiftgc: gc ' "$stderr" | grep -Evc "$line_pattern")
    numbers=$(sed -n 's/^swiftgc: gc \([0-9]*\) .*/\1/p' "$stderr" | tr '\n' ' ')
    expected=$(seq 1 "${collections:-0}" | tr '\n' ' ')
    if [ -n "$collections" ] && [ "$collections" -gt 0 ] && [ "$lines" = "$collections" ] \
       && [ "$malformed" = 0 ] && [ "$numbers" = "$expected" ]; then
        pass "$name: one well-formed 'swiftgc: gc N' line per collection, N = 1..$collections"
    else
        fail "$name: expected $collections lines numbered 1..$collections in the trace layout, got $lines ($malformed malformed): $numbers"
        grep -m3 '^swiftgc: gc ' "$stderr" | grep -Ev "$line_pattern"
    fi
}

# Checks a JSON Lines trace file: every line parses, has exactly the keys
# (integers, the kind one of two), the numbers run consecutively up to
# the process's count and, for a process that did not inherit a trace, from 1.
check_records() { # name file collections first-number|any
    local result
    if result=$(python3 - "$2" "$3" "$4" 2>&1 <<'EOF'
import json, sys
path, collections, first = sys.argv[1], int(sys.argv[2]), sys.argv[3]
keys = {"gc", "kind", "time_since_start_ns", "collection_time_percent", "start_pause_ns", "concurrent_ns",
        "pause_ns", "heap_before_bytes", "heap_after_bytes", "heap_goal_bytes", "live_bytes",
        "allocated_bytes", "markers"}
kinds = {"stop-the-world", "concurrent"}
records = [json.loads(line) for line in open(path)]
for record in records:
    if set(record) != keys:
        sys.exit(f"keys {sorted(set(record) ^ keys)} differ in {record}")
    if record["kind"] not in kinds:
        sys.exit(f"unknown kind in {record}")
    if any(not isinstance(record[key], int) or record[key] < 0 for key in keys - {"kind"}):
        sys.exit(f"a value is not a non-negative integer in {record}")
    if record["markers"] < 1 or record["heap_goal_bytes"] < record["live_bytes"]:
        sys.exit(f"markers below 1 or goal below live in {record}")
    if (record["kind"] == "stop-the-world") != (record["start_pause_ns"] == 0 and record["concurrent_ns"] == 0):
        sys.exit(f"start pause and concurrent time must be there exactly for concurrent kinds: {record}")
numbers = [record["gc"] for record in records]
if not numbers or numbers[-1] != collections or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
    sys.exit(f"numbers {numbers} do not run consecutively up to {collections}")
if first != "any" and numbers[0] != int(first):
    sys.exit(f"numbers start at {numbers[0]}, expected {first}")
times = [record["time_since_start_ns"] for record in records]
if times != sorted(times):
    sys.exit("time_since_start_ns goes backwards")
print(len(records), "records", len({record["kind"] for record in records}), "kinds")
EOF
    ); then pass "$1: $result, all parseable with every key, numbered consecutively to $3"
    else fail "$1: $2: $result"; fi
}

# 1. SWIFTGC_TRACE=1 in one process.
SWIFTGC_TRACE=1 "$program" >"$work/plain.out" 2>"$work/plain.err"
check_lines "SWIFTGC_TRACE=1" "$work/plain.err" "$work/plain.out"

# 2. Without the option, no trace line.
"$program" >"$work/quiet.out" 2>"$work/quiet.err"
if [ -s "$work/quiet.out" ] && ! grep -q '^swiftgc: gc ' "$work/quiet.err"; then
    pass "without SWIFTGC_TRACE: no trace line"
else fail "without SWIFTGC_TRACE: trace lines or no output:"; head -3 "$work/quiet.err"; fi

# 3. SWIFTGC_TRACE_FILE with %p, in a parent and its forked child, beside
#    SWIFTGC_TRACE: a file per process, as many records as collections.
(cd "$work" && SWIFTGC_TRACE=1 SWIFTGC_TRACE_FILE="$work/trace-%p.jsonl" "$program" fork \
    >"$work/fork.out" 2>"$work/fork.err")
parent=$(sed -n '2s/^pid \([0-9]*\) .*/\1/p' "$work/fork.out")
child=$(sed -n '1s/^pid \([0-9]*\) .*/\1/p' "$work/fork.out")
parent_collections=$(sed -n '2s/^pid [0-9]* collections \([0-9]*\) .*/\1/p' "$work/fork.out")
child_collections=$(sed -n '1s/^pid [0-9]* collections \([0-9]*\) .*/\1/p' "$work/fork.out")
if [ -n "$parent" ] && [ -n "$child" ] && [ -f "$work/trace-$parent.jsonl" ] && [ -f "$work/trace-$child.jsonl" ] \
   && [ "$(ls "$work"/trace-*.jsonl | wc -l)" = 2 ]; then
    pass "SWIFTGC_TRACE_FILE=trace-%p.jsonl: one file for the parent ($parent) and one for its forked child ($child)"
    check_records "SWIFTGC_TRACE_FILE, parent" "$work/trace-$parent.jsonl" "$parent_collections" 1
    check_records "SWIFTGC_TRACE_FILE, forked child" "$work/trace-$child.jsonl" "$child_collections" any
    lines=$(grep -c '^swiftgc: gc ' "$work/fork.err")
    records=$(cat "$work/trace-$parent.jsonl" "$work/trace-$child.jsonl" | wc -l)
    if [ "$lines" = "$records" ]; then pass "SWIFTGC_TRACE and SWIFTGC_TRACE_FILE: $lines lines, $records records"
    else fail "SWIFTGC_TRACE printed $lines lines, SWIFTGC_TRACE_FILE has $records records"; fi
else
    fail "SWIFTGC_TRACE_FILE=trace-%p.jsonl: expected trace-$parent.jsonl and trace-$child.jsonl, found:"
    ls "$work"; cat "$work/fork.out" "$work/fork.err" | head -5
fi

# A process that never collects leaves no trace file (each shell of a
# preloaded program tree would leave an empty one).
SWIFTGC_TRACE_FILE="$work/idle-%p.jsonl" "$program" idle
if [ "$?" = 0 ] && [ -z "$(ls "$work" | grep '^idle-')" ]; then
    pass "SWIFTGC_TRACE_FILE: a process that never collects creates no file"
else fail "SWIFTGC_TRACE_FILE: a process that never collected left: $(ls "$work" | grep '^idle-')"; fi

# 4. Concurrent collection, where the kernel lets the collector track
#    written pages: the same guarantees, whichever kind each collection is.
SWIFTGC_CONCURRENT=1 SWIFTGC_TRACE=1 SWIFTGC_TRACE_FILE="$work/concurrent.jsonl" "$program" \
    >"$work/concurrent.out" 2>"$work/concurrent.err"
if grep -q ' concurrent 1$' "$work/concurrent.out"; then
    check_lines "SWIFTGC_CONCURRENT=1 SWIFTGC_TRACE=1" "$work/concurrent.err" "$work/concurrent.out"
    check_records "SWIFTGC_CONCURRENT=1 SWIFTGC_TRACE_FILE" "$work/concurrent.jsonl" \
        "$(sed -n 's/^pid [0-9]* collections \([0-9]*\) .*/\1/p' "$work/concurrent.out")" 1
else
    echo "skip SWIFTGC_CONCURRENT=1: concurrent collection is not available here"
fi

# 5. An unwritable trace file: one swiftgc: line, and the program runs on.
SWIFTGC_TRACE_FILE="$work/missing-directory/trace.jsonl" "$program" >"$work/unwritable.out" 2>"$work/unwritable.err"
if [ "$?" = 0 ] && [ "$(grep -c '^swiftgc: cannot open SWIFTGC_TRACE_FILE' "$work/unwritable.err")" = 1 ]; then
    pass "an unwritable SWIFTGC_TRACE_FILE: one swiftgc: line, the program runs on"
else fail "an unwritable SWIFTGC_TRACE_FILE:"; cat "$work/unwritable.err" | head -3; fi

# 6. The plot tool on the parent's trace writes a PNG.
if "$plot_tool" "$work/trace-$parent.jsonl" -o "$work/trace.png" >"$work/plot.out" 2>&1 \
   && [ "$(head -c 8 "$work/trace.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
   && [ "$(stat -c %s "$work/trace.png")" -gt 1000 ]; then
    pass "tools/swiftgc-plot: draws the trace into a PNG ($(stat -c %s "$work/trace.png") bytes)"
else fail "tools/swiftgc-plot did not write a PNG:"; cat "$work/plot.out"; fi

echo "$passes passed, $failures failed"
[ "$failures" = 0 ]
