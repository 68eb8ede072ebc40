/* Leak check (SWIFTGC_MODE=leak-check in libswiftgc-preload.so): capturing
 * the stack of each allocation with libunwind, describing return addresses
 * with dladdr, and ending the process with the leak exit status. The stack
 * depot and the report are in Swift (GCCore/MallocAPI), which is compiled
 * only into the preload library, like this file; the functions are declared
 * in _CSwiftGC.h, where the collector finds them. */
#define _GNU_SOURCE
#include "_CSwiftGC.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <libunwind.h>

/* Set while this thread captures a stack: libunwind may call malloc, and a
 * malloc made then must not capture again. */
static __thread int is_capturing __attribute__((tls_model("initial-exec")));

/* The address range of the module holding this file (the collector), whose
 * frames are left out of captured stacks; found once, on first capture. */
static uintptr_t own_module_low, own_module_high;
static int own_module_is_known;

static int find_own_module(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    uintptr_t probe = (uintptr_t)data;
    uintptr_t low = UINTPTR_MAX, high = 0;
    for (int index = 0; index < info->dlpi_phnum; index++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[index];
        if (header->p_type != PT_LOAD) continue;
        uintptr_t start = info->dlpi_addr + header->p_vaddr;
        if (start < low) low = start;
        if (start + header->p_memsz > high) high = start + header->p_memsz;
    }
    if (probe < low || probe >= high) return 0;
    own_module_low = low;
    own_module_high = high;
    return 1;
}

int swiftgc_capture_stack(uintptr_t *frames, int capacity) {
    if (is_capturing || capacity <= 0) return 0;
    is_capturing = 1;
    if (!__atomic_load_n(&own_module_is_known, __ATOMIC_ACQUIRE)) {
        dl_iterate_phdr(find_own_module, (void *)(uintptr_t)&swiftgc_capture_stack);
        __atomic_store_n(&own_module_is_known, 1, __ATOMIC_RELEASE);
    }
    enum { raw_capacity = 64 };
    void *raw[raw_capacity];
    /* A few more than capacity, for the collector's own frames on top. */
    int raw_count = unw_backtrace(raw, capacity + 8 < raw_capacity ? capacity + 8 : raw_capacity);
    int first = 0;
    while (first < raw_count && (uintptr_t)raw[first] >= own_module_low && (uintptr_t)raw[first] < own_module_high) {
        first++;
    }
    int count = 0;
    while (first + count < raw_count && count < capacity) {
        frames[count] = (uintptr_t)raw[first + count];
        count++;
    }
    is_capturing = 0;
    return count;
}

/* The main program's absolute path, from /proc/self/exe. */
static char main_program_path[512];

int swiftgc_describe_address(uintptr_t address, swiftgc_address_description *description) {
    Dl_info info;
    struct link_map *map = NULL;
    memset(description, 0, sizeof *description);
    if (dladdr1((void *)address, &info, (void **)&map, RTLD_DL_LINKMAP) == 0) return 0;
    description->module = info.dli_fname;
    /* For the main program dladdr gives argv[0], which may be relative or
     * a bare name; its link map's name is empty. */
    int is_main_program = map ? !map->l_name || !map->l_name[0] : !info.dli_fname || !info.dli_fname[0];
    if (is_main_program) {
        if (!main_program_path[0]) {
            ssize_t length = readlink("/proc/self/exe", main_program_path, sizeof main_program_path - 1);
            main_program_path[length > 0 ? length : 0] = 0;
        }
        if (main_program_path[0]) description->module = main_program_path;
    }
    /* The load bias, so module+offset is what addr2line -e module expects
     * (for a non-PIE executable the bias is 0 and the offset absolute). */
    description->module_base = map ? (uintptr_t)map->l_addr : (uintptr_t)info.dli_fbase;
    description->symbol = info.dli_sname;
    description->symbol_address = (uintptr_t)info.dli_saddr;
    return 1;
}

