#!/usr/bin/env bash
# `make test-model`: the model-based random test (test_model.c) at length:
# MODEL_OPERATIONS operations per thread, over MODEL_SEEDS consecutive seeds
# from MODEL_SEED (default: from the clock), each seed once single-threaded
# and once (seed + 1000, a quarter of the operations) with 3 threads. Stops
# at the first failure; the failing seed is in test_model's output.
#
# By hand, from the repository root:
#   make build/tests/test_model
#   MODEL_OPERATIONS=2000000 MODEL_SEEDS=5 Tests/CTests/model.sh build/tests/test_model
set -euo pipefail

program=$1
: "${MODEL_OPERATIONS:?}" "${MODEL_SEEDS:?}"
seed=${MODEL_SEED:-$(date +%s)}
for _ in $(seq 1 "$MODEL_SEEDS"); do
    "$program" "$seed" "$MODEL_OPERATIONS" 1
    "$program" $((seed + 1000)) $((MODEL_OPERATIONS / 4)) 3
    seed=$((seed + 1))
done
