/*
 * test_misuse_catalogue — the misuse cases of RELIABILITY.md that
 * test_misuse does not cover. Each case runs in a forked child, so a crash
 * fails that case alone; a case passes when its child exits 0.
 *
 *   - gc_base and gc_size of NULL, a stack, a libc and a foreign pointer,
 *     and of an interior pointer.
 *   - gc_add_roots with a reversed range and with a range that is empty
 *     after rounding inward: one swiftgc: line each, nothing registered.
 *   - Junk in every SWIFTGC_* option: the program starts, prints a
 *     swiftgc: warning naming the option, and works with the defaults.
 *   - Calls before initialisation: gc_free, gc_size, gc_base, gc_collect
 *     and gc_get_stats as the very first call.
 *   - gc_base and gc_size from a signal handler (the documented safe subset).
 *   - Address space exhausted (RLIMIT_AS): allocations return NULL with
 *     ENOMEM or the collector says why, and nothing crashes.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "process.h"
#include "swiftgc.h"

static int child_queries(void) {
    int local = 0;
    void *libc_block = malloc(64);
    char *object = gc_malloc(100);
    int ok = gc_base(NULL) == NULL && gc_size(NULL) == 0
        && gc_base(&local) == NULL && gc_size(&local) == 0
        && gc_base(libc_block) == NULL && gc_size(libc_block) == 0
        && gc_base((void *)16) == NULL && gc_size((void *)16) == 0
        && gc_base((void *)UINTPTR_MAX) == NULL
        && gc_base(object + 50) == object && gc_size(object + 50) >= 100
        && gc_base(object + 100) == object; /* one past the requested end */
    free(libc_block);
    return ok ? 0 : 1;
}

static int child_bad_root_ranges(void) {
    static uintptr_t words[8];
    struct stderr_capture capture;
    char text[1024];
    capture_stderr_begin(&capture);
    gc_add_roots(&words[6], &words[2]);                    /* reversed */
    gc_add_roots((char *)&words[1] + 1, (char *)&words[1] + 7); /* empty once aligned */
    gc_add_roots(NULL, NULL);
    capture_stderr_end(&capture, text, sizeof text);
    return count_lines(text) == 3 && strstr(text, "swiftgc: gc_add_roots") ? 0 : 1;
}

static int child_works(void) {
    for (int round = 0; round < 1000; round++) {
        char *object = gc_malloc(1000);
        if (object == NULL) return 1;
        object[999] = 1;
    }
    gc_collect();
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats.collections >= 1 ? 0 : 1;
}

static int child_first_call(const char *which) {
    int local = 0;
    if (strcmp(which, "free") == 0) gc_free(&local);
    else if (strcmp(which, "size") == 0) { if (gc_size(&local) != 0) return 1; }
    else if (strcmp(which, "base") == 0) { if (gc_base(&local) != NULL) return 1; }
    else if (strcmp(which, "collect") == 0) gc_collect();
    else { struct gc_stats stats; gc_get_stats(&stats); if (stats.collections != 0) return 1; }
    return child_works();
}

static char *signal_object;
static volatile int signal_result = -1;

static void query_in_handler(int signal_number) {
    (void)signal_number;
    signal_result = gc_base(signal_object + 10) == signal_object && gc_size(signal_object) >= 64;
}

static int child_signal_handler(void) {
    signal_object = gc_malloc(64);
    signal(SIGUSR1, query_in_handler);
    raise(SIGUSR1);
    return signal_result == 1 ? 0 : 1;
}

static void *volatile address_space_chain;

static int child_address_space(void) {
    /* Set in the child before the collector reserves its heap: room for
     * the program, far too little for the default 256G reservation, which
     * is halved until it fits. */
    struct rlimit limit = { (rlim_t)2 << 30, (rlim_t)2 << 30 };
    if (setrlimit(RLIMIT_AS, &limit) != 0) return 0;
    for (int round = 0; round < 8192; round++) {
        void **object = gc_malloc(1 << 20);
        if (object == NULL) return errno == ENOMEM ? 0 : 1;
        object[0] = address_space_chain; /* keep every object live */
        address_space_chain = object;
    }
    return 1; /* 8 GiB live in a 2 GiB address space cannot happen */
}

static int run_child(int (*body)(void)) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) _exit(body());
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static const char *const option_names[] = {
    "SWIFTGC_HEAP_GROWTH", "SWIFTGC_INITIAL_HEAP", "SWIFTGC_MAX_HEAP", "SWIFTGC_RESERVE",
    "SWIFTGC_MARK_STACK_LIMIT", "SWIFTGC_STATS", "SWIFTGC_ABORT_ON_ERROR", "SWIFTGC_SUSPEND_SIGNAL",
    "SWIFTGC_RESTART_SIGNAL", "SWIFTGC_STRESS", "SWIFTGC_VERIFY",
};
static const char *const junk_values[] = { "", "-1", "12x", "99999999999999999999999", "0x10", "\xff\xfe", " 1" };

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "first") == 0) return child_first_call(argv[2]);
    if (argc > 1 && strcmp(argv[1], "works") == 0) return child_works();

    CHECK(run_child(child_queries), "gc_base/gc_size of NULL, stack, libc, junk and interior pointers to answer, not crash");
    CHECK(run_child(child_bad_root_ranges), "one swiftgc: line per bad gc_add_roots range, nothing else");
    CHECK(run_child(child_signal_handler), "gc_base and gc_size to work inside a signal handler");
    CHECK(run_child(child_address_space), "under RLIMIT_AS=2G, keeping 1 MiB objects live ends in NULL with ENOMEM, no crash");

    const char *first_calls[] = { "free", "size", "base", "collect", "stats" };
    for (int index = 0; index < 5; index++) {
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            execl("/proc/self/exe", "/proc/self/exe", "first", first_calls[index], (char *)NULL);
            _exit(127);
        }
        int status = 0;
        waitpid(child, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "gc_%s as the first call to work and leave the collector usable (status %d)", first_calls[index], status);
    }

    for (size_t option = 0; option < sizeof option_names / sizeof *option_names; option++) {
        for (size_t value = 0; value < sizeof junk_values / sizeof *junk_values; value++) {
            struct stderr_capture capture;
            char text[4096];
            capture_stderr_begin(&capture);
            int status = run_self_in_child("works", option_names[option], junk_values[value]);
            capture_stderr_end(&capture, text, sizeof text);
            int warned = strstr(text, "swiftgc: ignoring ") && strstr(text, option_names[option]);
            /* "0x10" and " 1" are junk for every option; "" and "-1" too. Some
             * values are valid for some options (none of these are). */
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && warned,
                  "%s='%s' to start, warn with a swiftgc: line and work with the default (status %d, stderr: %s)",
                  option_names[option], junk_values[value], status, text);
        }
    }
    return check_finish();
}
