/*
 * test_vanished_root_range — a range registered with gc_add_roots that
 * stops being readable is skipped with one "swiftgc:" line, and collections
 * go on: objects held by the other, valid roots stay intact.
 *
 * Each case runs in a child process (this program again, with the case's
 * name as argument), so a collection killed by SIGSEGV is a failed check
 * here, not the end of the test. A child registers a malloc block holding
 * the only pointers to a few cargos (cargo.h) and one or more ranges that
 * then go away:
 *   - unmapped: an mmap'd range, munmap'd;
 *   - protected: an mmap'd range made PROT_NONE, and a three-page range whose
 *     middle page only is made PROT_NONE (its first and last pages hold the
 *     only pointers to two more cargos, which must survive); then the first
 *     range is made readable again and holds a cargo that must survive,
 *     with no new line;
 *   - unloaded: the .data and .bss slots of lib_roots.so (next to this
 *     program), registered, then the library is dlclose'd and unmapped.
 * Three collections with garbage in between run while stderr is captured:
 * there must be exactly one "swiftgc:" line per bad range (not one per
 * collection), each naming its range.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cargo.h"
#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

enum { valid_cargos = 8, nodes_per_cargo = 4, collection_rounds = 3 };

static size_t page_size;
static void **valid_roots; /* system malloc, registered: the valid root */

__attribute__((noinline)) static void fill_valid_roots(void) {
    valid_roots = calloc(valid_cargos, sizeof(void *));
    gc_add_roots(valid_roots, valid_roots + valid_cargos);
    for (unsigned cargo = 0; cargo < valid_cargos; cargo++) {
        valid_roots[cargo] = cargo_build(1, cargo, 1, nodes_per_cargo);
    }
}

static void check_cargo(const void *head, unsigned owner, unsigned cargo, const char *held_by) {
    unsigned index;
    const struct cargo_node *node;
    const char *fault = cargo_fault(head, owner, cargo, 1, nodes_per_cargo, &index, &node);
    CHECK(fault == NULL, "the cargo held by %s to be intact, but node %u at %p %s", held_by, index,
          (const void *)node, fault ? fault : "");
}

static void check_valid_roots(void) {
    for (unsigned cargo = 0; cargo < valid_cargos; cargo++) check_cargo(valid_roots[cargo], 1, cargo, "a valid range");
}

/* Collects collection_rounds times with garbage in between, capturing what
 * the collector writes; checks one line per range in bad_starts. */
static void collect_and_check_reports(void *const *bad_starts, int bad_count, const char *case_name) {
    struct stderr_capture capture;
    static char report[16384];
    capture_stderr_begin(&capture);
    for (int round = 0; round < collection_rounds; round++) {
        allocate_garbage(1 << 20);
        collect_with_clean_stack();
    }
    capture_stderr_end(&capture, report, sizeof report);
    int swiftgc_lines = 0;
    for (const char *line = report; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
        if (strncmp(line, "swiftgc:", 8) == 0) swiftgc_lines += 1;
    }
    CHECK(swiftgc_lines == bad_count && count_lines(report) == bad_count,
          "%s: %d collections to print exactly %d \"swiftgc:\" line(s), one per bad range, got \"%s\"",
          case_name, collection_rounds, bad_count, report);
    for (int index = 0; index < bad_count; index++) {
        CHECK(text_mentions_address(report, bad_starts[index]), "%s: a line naming the range at %p, got \"%s\"",
              case_name, bad_starts[index], report);
    }
}

static void *map_pages(size_t pages) {
    void *memory = mmap(NULL, pages * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) abort();
    return memory;
}

/* Whether [start, start + bytes) still has pages mapped (mincore fails
 * with ENOMEM on unmapped ones). */
static int is_mapped(void *start, size_t bytes) {
    unsigned char residency[64];
    uintptr_t low = (uintptr_t)start & ~(page_size - 1);
    size_t length = (uintptr_t)start + bytes - low;
    return length <= 64 * page_size && mincore((void *)low, length, residency) == 0;
}

static void case_unmapped(void) {
    void **range = map_pages(2);
    range[0] = cargo_build(2, 0, 1, nodes_per_cargo);
    gc_add_roots(range, range + 2 * page_size / sizeof(void *));
    munmap(range, 2 * page_size);
    void *bad[] = { range };
    collect_and_check_reports(bad, 1, "an unmapped range");
}

__attribute__((noinline)) static void fill_partly_protected(void **range) {
    range[0] = cargo_build(3, 0, 1, nodes_per_cargo);
    range[2 * page_size / sizeof(void *)] = cargo_build(3, 1, 1, nodes_per_cargo);
}

static void case_protected(void) {
    void **range = map_pages(1);
    range[0] = cargo_build(2, 0, 1, nodes_per_cargo); /* lost with its range: no check */
    gc_add_roots(range, range + page_size / sizeof(void *));
    mprotect(range, page_size, PROT_NONE);

    void **partly = map_pages(3);
    fill_partly_protected(partly);
    gc_add_roots(partly, partly + 3 * page_size / sizeof(void *));
    mprotect((char *)partly + page_size, page_size, PROT_NONE);

    void *bad[] = { range, partly };
    collect_and_check_reports(bad, 2, "a PROT_NONE range and a range with a PROT_NONE page");
    check_cargo(partly[0], 3, 0, "the first page of a range whose middle page is PROT_NONE");
    check_cargo(partly[2 * page_size / sizeof(void *)], 3, 1, "the last page of that range");

    /* Readable again, the range is a root again. */
    mprotect(range, page_size, PROT_READ | PROT_WRITE);
    range[1] = cargo_build(2, 1, 1, nodes_per_cargo);
    collect_and_check_reports(bad, 0, "the same ranges once the PROT_NONE one is readable again");
    check_cargo(range[1], 2, 1, "a range made readable again");
}

static void case_unloaded(void) {
    char executable[PATH_MAX], library_path[PATH_MAX + 32];
    ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (length <= 0) abort();
    executable[length] = '\0';
    snprintf(library_path, sizeof library_path, "%s/lib_roots.so", dirname(executable));
    void *library = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
    CHECK(library != NULL, "dlopen %s to succeed: %s", library_path, library ? "" : dlerror());
    if (library == NULL) return;
    void *(*data_slot_address)(void) = (void *(*)(void))dlsym(library, "roots_data_slot_address");
    void *(*bss_slot_address)(void) = (void *(*)(void))dlsym(library, "roots_bss_slot_address");
    void (*set_data_pointer)(void *) = (void (*)(void *))dlsym(library, "roots_set_data_pointer");
    void **data_slot = data_slot_address(), **bss_slot = bss_slot_address();
    /* Both slots, and the library's data between them: .data, then .bss. */
    void **low = data_slot < bss_slot ? data_slot : bss_slot;
    void **high = (data_slot < bss_slot ? bss_slot : data_slot) + 1;
    set_data_pointer(cargo_build(2, 0, 1, nodes_per_cargo));
    gc_add_roots(low, high);
    dlclose(library);
    CHECK(!is_mapped(low, (size_t)((char *)high - (char *)low)),
          "dlclose to unmap lib_roots.so's data at %p (otherwise this case tests nothing)", (void *)low);
    void *bad[] = { low };
    collect_and_check_reports(bad, 1, "a dlclose'd library's data segment");
}

static void run_case(const char *name) {
    int status = run_self_in_child(name, "SWIFTGC_ABORT_ON_ERROR", "0");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "the %s case to collect and exit with 0, wait status 0x%x (%s)", name, status,
          WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited");
}

int main(int argc, char **argv) {
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    if (argc < 2) {
        run_case("unmapped");
        run_case("protected");
        run_case("unloaded");
        return check_finish();
    }
    printf("== %s\n", argv[1]);
    fflush(stdout);
    fill_valid_roots();
    if (strcmp(argv[1], "unmapped") == 0) case_unmapped();
    else if (strcmp(argv[1], "protected") == 0) case_protected();
    else if (strcmp(argv[1], "unloaded") == 0) case_unloaded();
    else CHECK(0, "a known case, not %s", argv[1]);
    check_valid_roots();
    return check_finish();
}
