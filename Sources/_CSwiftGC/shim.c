/* Implementations of the thin wrappers declared in _CSwiftGC.h. */
#define _GNU_SOURCE
#include <string.h>
#include "_CSwiftGC.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <libunwind.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

__thread void *swiftgc_thread_cache_slot __attribute__((tls_model("initial-exec")));
__thread unsigned swiftgc_lock_depth_slot __attribute__((tls_model("initial-exec")));
__thread struct swiftgc_quarantine_tally swiftgc_quarantine_tally_slot __attribute__((tls_model("initial-exec")));

static uint32_t initialization_lock;
uint32_t *swiftgc_initialization_lock_word(void) { return &initialization_lock; }

extern char **environ;
char **swiftgc_environment(void) { return environ; }

int swiftgc_open_read_only(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }
int swiftgc_open_for_appending(const char *path) { return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644); }

ssize_t swiftgc_read_own_memory(const struct iovec *local, unsigned long local_count,
                                const struct iovec *remote, unsigned long remote_count) {
    return process_vm_readv(getpid(), local, local_count, remote, remote_count, 0);
}

void swiftgc_futex_wait(uint32_t *word, uint32_t expected) {
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

void swiftgc_futex_wake(uint32_t *word, int count) {
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

/* glibc records the main thread's initial stack pointer here; everything
 * above it is argv, the environment and the auxiliary vector. */
extern void *__libc_stack_end;

static __thread void *cached_stack_base;
static __thread void *cached_stack_limit;

/* Finds and caches the calling thread's stack bounds. */
static void find_stack_bounds(void) {
    void *base = NULL;
    void *limit = NULL;
    /* __libc_stack_end is the main thread's stack; after fork from another
     * thread, the only thread is not the main one, so check the frame is
     * really on that stack. The main stack's limit stays unknown (NULL). */
    char *frame = __builtin_frame_address(0);
    if (getpid() == gettid() && frame < (char *)__libc_stack_end
        && (char *)__libc_stack_end - frame < (ptrdiff_t)(1 << 30)) {
        base = __libc_stack_end;
    } else {
        /* Note: glibc's pthread_getattr_np may call malloc. */
        pthread_attr_t attributes;
        if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
            void *low = NULL;
            size_t size = 0;
            pthread_attr_getstack(&attributes, &low, &size);
            pthread_attr_destroy(&attributes);
            base = (char *)low + size;
            limit = low;
        }
    }
    if (!base) base = __builtin_frame_address(0);
    cached_stack_limit = limit;
    cached_stack_base = base;
}

void *swiftgc_current_stack_base(void) {
    if (!cached_stack_base) find_stack_bounds();
    return cached_stack_base;
}

void *swiftgc_current_stack_limit(void) {
    if (!cached_stack_base) find_stack_bounds();
    return cached_stack_limit;
}

__attribute__((noinline)) void swiftgc_clear_stack_below(size_t bytes) {
    enum { chunk = 4096 };
    volatile char buffer[chunk];
    memset((char *)buffer, 0, sizeof buffer);
    if (bytes > chunk) swiftgc_clear_stack_below(bytes - chunk);
    __asm__ volatile("" : : "r"(buffer) : "memory");
}

/* Kept out of line so its frame lies below the caller's saved context. */
__attribute__((noinline)) static void visit_from_here(void *stack_base, swiftgc_stack_visitor visit, void *context) {
    void *low = __builtin_frame_address(0);
    visit(low, stack_base, context);
}

/* The calling thread called into the collector, so by the ABI only its
 * callee-saved registers can hold the program's pointers: __builtin_unwind_init
 * makes this frame save them all on the stack, where the visit scans them.
 * The caller-saved ones are left out on purpose: they hold the collector's
 * own temporaries (a copy of the arena start retained the object there). */
void swiftgc_visit_stack_with_registers(void *stack_base, swiftgc_stack_visitor visit, void *context) {
    __builtin_unwind_init();
    visit_from_here(stack_base, visit, context);
    /* Keep this frame, with the saved registers, until the visit is over. */
    __asm__ volatile("" : : : "memory");
}

/* Process and descriptor services behind OS/Files.swift and OS/Process.swift
 * (every library uses them; leak-check reports were the first user). */
int swiftgc_duplicate_standard_error(void) { return fcntl(2, F_DUPFD_CLOEXEC, 64); }

int swiftgc_descriptor_is_open(int descriptor) { return fcntl(descriptor, F_GETFD) != -1; }

void swiftgc_flush_and_exit(int status) {
    fflush(NULL);
    _exit(status);
}
