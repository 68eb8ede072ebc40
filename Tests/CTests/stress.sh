#!/usr/bin/env bash
# `make test-stress`: every C test and example again, collecting at every
# STRESS-th allocation (SWIFTGC_STRESS), verifying the heap at each
# collection (SWIFTGC_VERIFY=1) and marking with STRESS_MARKERS threads.
# Programs named in STRESS_LONG_PROGRAMS, whose heaps are so big that a
# collection every few thousand allocations would take hours, use
# STRESS_LONG instead. Each program's output is shown only if it fails.
#
# By hand, from the repository root (make passes its own values):
#   make test-stress STRESS=5000
#   STRESS=1000 STRESS_LONG=200000 STRESS_MARKERS=3 STRESS_LONG_PROGRAMS=test_long_list \
#     Tests/CTests/stress.sh build build/tests/test_threads build/examples/demo
set -uo pipefail

build=$1
shift
: "${STRESS:?}" "${STRESS_LONG:?}" "${STRESS_MARKERS:?}" "${STRESS_LONG_PROGRAMS=}"
output="$build/stress-output.txt"
failed=""
for program in "$@"; do
    interval=$STRESS
    case " $STRESS_LONG_PROGRAMS " in *" $(basename "$program") "*) interval=$STRESS_LONG ;; esac
    echo "== SWIFTGC_STRESS=$interval SWIFTGC_VERIFY=1 SWIFTGC_MARKERS=$STRESS_MARKERS $program"
    SWIFTGC_STRESS=$interval SWIFTGC_VERIFY=1 SWIFTGC_MARKERS=$STRESS_MARKERS "$program" > "$output" 2>&1 \
        || { cat "$output"; failed="$failed $(basename "$program")"; }
    tail -n 1 "$output"
done
# The same programs again with mostly-concurrent marking forced on (uffd;
# the verifier re-traces inside every final pause) and a small budget, so
# that cycles run beside them. Left out, with the reason:
# - test_dirty_pages_backends counts swiftgc: lines of backends that cannot
#   serve concurrent marking, which then say so once more;
# - test_parallel_marking counts the process's threads, and the background
#   collector is one more;
# - test_sparse_big_objects counts mapped pages with mincore, which reports
#   userfaultfd's write-protect markers on untouched pages as resident.
concurrent_skipped=" test_dirty_pages_backends test_parallel_marking test_sparse_big_objects "
concurrent_count=0
for program in "$@"; do
    case "$concurrent_skipped" in *" $(basename "$program") "*) continue ;; esac
    concurrent_count=$((concurrent_count + 1))
    echo "== SWIFTGC_CONCURRENT=1 SWIFTGC_VERIFY=1 SWIFTGC_INITIAL_HEAP=256K $program"
    SWIFTGC_CONCURRENT=1 SWIFTGC_VERIFY=1 SWIFTGC_INITIAL_HEAP=256K "$program" > "$output" 2>&1 \
        || { cat "$output"; failed="$failed $(basename "$program")(concurrent)"; }
    tail -n 1 "$output"
done
if [ -n "$failed" ]; then
    echo "Failed under stress:$failed"
    exit 1
fi
echo "All $# programs passed under stress and verification, and $concurrent_count with concurrent marking."
