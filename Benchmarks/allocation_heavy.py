# An allocation-heavy Python workload for Benchmarks/preload.sh: builds and
# drops dicts of lists, tuples and strings, sorts strings and fills a set.
# Argument: rounds (default 4). Prints a deterministic summary.
import random
import sys

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 4
random.seed(7)
total = 0
for round_index in range(rounds):
    table = {}
    for index in range(200000):
        table[index % 5000] = [str(index)] * (index % 17) + [{"key": index, "pair": (index, index * 2)}]
    for key, value in table.items():
        total += len(value) + value[-1]["key"]
    words = sorted("".join(random.choice("abcdef") for _ in range(8)) for _ in range(40000))
    total += len(set(words))
print(total)
