/*
 * test_dirty_pages_backends — SWIFTGC_DIRTY_PAGES chooses the backend that
 * gc_dirty_pages_backend() names, a backend asked for by name that cannot
 * work prints exactly one "swiftgc:" line and falls back as auto would, and
 * SWIFTGC_REFUSE_USERFAULTFD=1 makes the probe behave as if the kernel
 * refused userfaultfd.
 *
 * The program runs itself again in a child per setting ("query" mode): the
 * probe runs once per process, at the first call. What this kernel can do
 * is found here independently of the collector (a userfaultfd with
 * asynchronous write-protection; a soft-dirty bit set by a write), so the
 * expectations hold on other kernels too.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "process.h"
#include "swiftgc.h"

/* ---- What this kernel can do ---------------------------------------------- */

struct userfaultfd_api_request { uint64_t api, features, ioctls; };
enum { asynchronous_write_protection = (1 << 15) | (1 << 13) }; /* WP_ASYNC | WP_UNPOPULATED */

static int kernel_has_asynchronous_write_protection(void) {
    int descriptor = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | 1 /* UFFD_USER_MODE_ONLY */);
    if (descriptor < 0) return 0;
    struct userfaultfd_api_request request = { .api = 0xAA, .features = asynchronous_write_protection };
    int is_granted = ioctl(descriptor, _IOWR(0xAA, 0x3F, struct userfaultfd_api_request), &request) == 0
        && (request.features & asynchronous_write_protection) == asynchronous_write_protection;
    close(descriptor);
    return is_granted;
}

static int kernel_sets_soft_dirty_bits(void) {
    int clear_references = open("/proc/self/clear_refs", O_WRONLY);
    int pagemap = open("/proc/self/pagemap", O_RDONLY);
    long page_size = sysconf(_SC_PAGESIZE);
    char *page = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t entry = 0;
    int is_set = clear_references >= 0 && pagemap >= 0 && page != MAP_FAILED
        && write(clear_references, "4", 1) == 1
        && (page[0] = 1, pread(pagemap, &entry, 8, (off_t)((uintptr_t)page / page_size * 8)) == 8)
        && (entry >> 55 & 1);
    if (page != MAP_FAILED) munmap(page, page_size);
    if (clear_references >= 0) close(clear_references);
    if (pagemap >= 0) close(pagemap);
    return is_set;
}

/* ---- Child: ask twice, from two threads ------------------------------------ */

static void *ask_from_thread(void *result) {
    *(const char **)result = gc_dirty_pages_backend();
    return NULL;
}

/* Expectations come from the environment: EXPECT_BACKEND, EXPECT_LINES and
 * optionally EXPECT_TEXT (which the lines must contain). */
static int run_query(void) {
    const char *expected = getenv("EXPECT_BACKEND");
    int expected_lines = atoi(getenv("EXPECT_LINES"));
    const char *expected_text = getenv("EXPECT_TEXT");
    const char *setting = getenv("SWIFTGC_DIRTY_PAGES");
    const char *refusal = getenv("SWIFTGC_REFUSE_USERFAULTFD");

    struct stderr_capture capture;
    char text[4096];
    capture_stderr_begin(&capture);
    const char *from_thread = NULL;
    pthread_t thread;
    int is_started = pthread_create(&thread, NULL, ask_from_thread, &from_thread) == 0;
    const char *first = gc_dirty_pages_backend();
    if (is_started) pthread_join(thread, NULL);
    const char *second = gc_dirty_pages_backend();
    capture_stderr_end(&capture, text, sizeof text);

    printf("SWIFTGC_DIRTY_PAGES=%s SWIFTGC_REFUSE_USERFAULTFD=%s: %s\n", setting ? setting : "(unset)",
           refusal ? refusal : "(unset)", first);
    CHECK(first != NULL && strcmp(first, expected) == 0, "the backend is %s; got %s", expected, first);
    CHECK(second == first && from_thread == first,
          "every call, from any thread, returns the same static string (%p, %p, %p)",
          (const void *)first, (const void *)second, (const void *)from_thread);
    CHECK(count_lines(text) == expected_lines, "exactly %d swiftgc: line(s); got:\n%s", expected_lines, text);
    CHECK(expected_lines == 0 || strncmp(text, "swiftgc: ", 9) == 0, "the line starts with swiftgc:; got:\n%s", text);
    CHECK(expected_text == NULL || strstr(text, expected_text) != NULL, "the line mentions \"%s\"; got:\n%s",
          expected_text, text);
    return check_finish();
}

/* ---- Parent: one child per setting ------------------------------------------ */

struct setting {
    const char *value;          /* SWIFTGC_DIRTY_PAGES, or NULL for unset */
    int refuses_userfaultfd;    /* SWIFTGC_REFUSE_USERFAULTFD=1 */
    const char *expected;       /* gc_dirty_pages_backend() */
    int expected_lines;
    const char *expected_text;  /* in the line, or NULL */
};

static void run_setting(const struct setting *setting) {
    setenv("EXPECT_BACKEND", setting->expected, 1);
    char lines[16];
    snprintf(lines, sizeof lines, "%d", setting->expected_lines);
    setenv("EXPECT_LINES", lines, 1);
    if (setting->expected_text) setenv("EXPECT_TEXT", setting->expected_text, 1);
    else unsetenv("EXPECT_TEXT");
    if (setting->refuses_userfaultfd) setenv("SWIFTGC_REFUSE_USERFAULTFD", "1", 1);
    else unsetenv("SWIFTGC_REFUSE_USERFAULTFD");
    /* Unset: the child still gets one variable, one the collector ignores. */
    int status = setting->value ? run_self_in_child("query", "SWIFTGC_DIRTY_PAGES", setting->value)
                                : run_self_in_child("query", "EXPECT_UNSET", "1");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "SWIFTGC_DIRTY_PAGES=%s%s: the child's checks pass (status %d)", setting->value ? setting->value : "(unset)",
          setting->refuses_userfaultfd ? " with userfaultfd refused" : "", status);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "query") == 0) return run_query();
    unsetenv("SWIFTGC_DIRTY_PAGES");

    int has_userfaultfd = kernel_has_asynchronous_write_protection();
    int has_soft_dirty = kernel_sets_soft_dirty_bits();
    printf("this kernel: userfaultfd with asynchronous write-protection %s, soft-dirty bits %s\n",
           has_userfaultfd ? "yes" : "no", has_soft_dirty ? "yes" : "no");
    fflush(stdout);
    /* What auto picks, with userfaultfd available and refused. */
    const char *automatic = has_userfaultfd ? "uffd" : has_soft_dirty ? "soft-dirty" : "mprotect";
    const char *without_userfaultfd = has_soft_dirty ? "soft-dirty" : "mprotect";

    const struct setting settings[] = {
        { NULL, 0, automatic, 0, NULL },
        { "auto", 0, automatic, 0, NULL },
        { "uffd", 0, automatic, has_userfaultfd ? 0 : 1, has_userfaultfd ? NULL : "SWIFTGC_DIRTY_PAGES=uffd" },
        { "mprotect", 0, "mprotect", 0, NULL },
        { "soft-dirty", 0, has_soft_dirty ? "soft-dirty" : automatic, has_soft_dirty ? 0 : 1,
          has_soft_dirty ? NULL : "SWIFTGC_DIRTY_PAGES=soft-dirty is not available: the kernel sets no soft-dirty bits" },
        { "none", 0, "none", 0, NULL },
        { "bogus", 0, automatic, 1, "ignoring SWIFTGC_DIRTY_PAGES=bogus" },
        { "auto", 1, without_userfaultfd, 0, NULL },
        { "uffd", 1, without_userfaultfd, 1, "the kernel refused userfaultfd" },
        { "mprotect", 1, "mprotect", 0, NULL },
        { "none", 1, "none", 0, NULL },
    };
    for (size_t index = 0; index < sizeof settings / sizeof settings[0]; index++) run_setting(&settings[index]);
    return check_finish();
}
