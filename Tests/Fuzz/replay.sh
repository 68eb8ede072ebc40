#!/usr/bin/env bash
# `make fuzz-replay` (part of `make test`): runs the committed corpus of each
# fuzz target, Tests/Fuzz/<target>/corpus, through replay_<target>, the same
# checks built without instrumentation (Tests/Fuzz/fuzz.mk). A failing input
# stops the run and shows the end of FUZZ_DIRECTORY/replay-<target>.err.
#
# By hand, from the repository root:
#   make build/fuzz/replay_maps && Tests/Fuzz/replay.sh build/fuzz maps
set -uo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 FUZZ_DIRECTORY TARGET..." >&2
    exit 2
fi
fuzz=$1
shift
corpora=$(dirname "$0")

for target in "$@"; do
    "$fuzz/replay_$target" "$corpora/$target/corpus" 2> "$fuzz/replay-$target.err" \
        || { tail -n 5 "$fuzz/replay-$target.err"; exit 1; }
done
