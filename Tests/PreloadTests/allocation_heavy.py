# An allocation-heavy Python workload for the preload tests: dicts of lists,
# tuples and strings, sorting, and a set; prints a deterministic summary.
import random

random.seed(7)
table = {}
for index in range(200000):
    table[index % 5000] = [str(index)] * (index % 17) + [{"key": index, "pair": (index, index * 2)}]
total = 0
for key, value in table.items():
    total += len(value) + value[-1]["key"]
words = sorted("".join(random.choice("abcdef") for _ in range(8)) for _ in range(40000))
print(total, words[0], words[-1], len(set(words)))
