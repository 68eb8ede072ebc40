// new and delete of a C++ program go through the preload library: every
// block they return is one SwiftGC recognises (gc_base, found with dlsym).
#include <dlfcn.h>
#include <malloc.h>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

static int failures = 0;
static int passes = 0;
static void check(bool condition, const char *expectation) {
    if (condition) { passes++; return; }
    failures++;
    std::printf("FAIL: expected %s\n", expectation);
}

struct alignas(256) Aligned { char bytes[300]; };

int main() {
    auto gc_base = reinterpret_cast<void *(*)(const void *)>(dlsym(RTLD_DEFAULT, "gc_base"));
    check(gc_base != nullptr, "gc_base is exported: libswiftgc-preload.so is preloaded");
    if (!gc_base) { std::printf("%d passed, %d failed\n", passes, failures); return 1; }

    int *number = new int(42);
    check(gc_base(number) == number, "new int is a SwiftGC block");
    check(malloc_usable_size(number) >= sizeof(int), "malloc_usable_size knows a new'ed block");
    delete number;

    auto *array = new double[1000];
    check(gc_base(array) == array || gc_base(array) != nullptr, "new double[1000] is a SwiftGC block");
    delete[] array;

    auto *aligned = new Aligned;
    check(gc_base(aligned) == aligned, "aligned new is a SwiftGC block");
    check((reinterpret_cast<std::uintptr_t>(aligned) & 255) == 0, "aligned new honours alignas(256)");
    delete aligned;

    std::map<std::string, std::vector<int>> table;
    for (int index = 0; index < 20000; index++) {
        table["key " + std::to_string(index)].assign(index % 50, index);
    }
    long sum = 0, expected = 0;
    for (auto &entry : table) for (int value : entry.second) sum += value;
    for (long index = 0; index < 20000; index++) expected += (index % 50) * index;
    check(table.size() == 20000 && sum == expected, "a map of vectors holds what was put in");
    auto &sample = table["key 1234"];
    check(gc_base(sample.data()) == sample.data(), "std::vector storage is a SwiftGC block");
    auto shared = std::make_shared<std::string>(1000, 'x');
    check(gc_base(shared->data()) != nullptr, "std::string storage is a SwiftGC block");

    std::printf("%d passed, %d failed\n", passes, failures);
    return failures == 0 ? 0 : 1;
}
