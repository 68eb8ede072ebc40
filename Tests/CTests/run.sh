#!/usr/bin/env bash
# `make c-tests`: runs each C test program given and fails if any failed.
# Each program prints its checks and "N passed, M failed", and exits non-zero
# on failure; all of them run even after one fails.
#
# By hand, from the repository root:
#   make c-tests                    (builds the programs, then runs this)
#   Tests/CTests/run.sh build/tests/test_threads build/tests/test_misuse
set -uo pipefail

failed=""
for test in "$@"; do
    echo "== $test"
    "$test" || failed="$failed $(basename "$test")"
done
if [ -n "$failed" ]; then
    echo "C tests failed:$failed"
    exit 1
fi
echo "All $# C test programs passed."
