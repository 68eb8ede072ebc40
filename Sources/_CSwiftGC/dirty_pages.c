/* The ioctls and the SIGSEGV handler declared in dirty_pages.h. */
#define _GNU_SOURCE
#include "_CSwiftGC.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

/* The kernel's request numbers: _IOWR/_IOR(type, number, struct), where the
 * struct only contributes its size. */
struct swiftgc_uffdio_api { uint64_t api, features, ioctls; };
struct swiftgc_uffdio_range { uint64_t start, length; };
struct swiftgc_uffdio_register { struct swiftgc_uffdio_range range; uint64_t mode, ioctls; };
struct swiftgc_uffdio_writeprotect { struct swiftgc_uffdio_range range; uint64_t mode; };

#define SWIFTGC_UFFDIO_API _IOWR(0xAA, 0x3F, struct swiftgc_uffdio_api)
#define SWIFTGC_UFFDIO_REGISTER _IOWR(0xAA, 0x00, struct swiftgc_uffdio_register)
#define SWIFTGC_UFFDIO_UNREGISTER _IOR(0xAA, 0x01, struct swiftgc_uffdio_range)
#define SWIFTGC_UFFDIO_WRITEPROTECT _IOWR(0xAA, 0x06, struct swiftgc_uffdio_writeprotect)
#define SWIFTGC_PAGEMAP_SCAN _IOWR('f', 16, swiftgc_pagemap_scan_argument)

_Static_assert(sizeof(swiftgc_pagemap_scan_argument) == 96, "struct pm_scan_arg is 96 bytes");
_Static_assert(sizeof(swiftgc_page_region) == 24, "struct page_region is 24 bytes");

int swiftgc_userfaultfd_open(int flags) {
#ifdef SYS_userfaultfd
    return (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | flags);
#else
    (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

int swiftgc_userfaultfd_api(int descriptor, uint64_t features, uint64_t *granted) {
    struct swiftgc_uffdio_api api = { .api = SWIFTGC_UFFD_API, .features = features };
    if (ioctl(descriptor, SWIFTGC_UFFDIO_API, &api) != 0) return -1;
    *granted = api.features;
    return 0;
}

int swiftgc_userfaultfd_register(int descriptor, uintptr_t start, size_t length, uint64_t mode) {
    struct swiftgc_uffdio_register request = { .range = { start, length }, .mode = mode };
    return ioctl(descriptor, SWIFTGC_UFFDIO_REGISTER, &request);
}

int swiftgc_userfaultfd_unregister(int descriptor, uintptr_t start, size_t length) {
    struct swiftgc_uffdio_range range = { start, length };
    return ioctl(descriptor, SWIFTGC_UFFDIO_UNREGISTER, &range);
}

int swiftgc_userfaultfd_write_protect(int descriptor, uintptr_t start, size_t length, int is_protecting) {
    struct swiftgc_uffdio_writeprotect request = {
        .range = { start, length }, .mode = is_protecting ? SWIFTGC_UFFDIO_WRITEPROTECT_MODE_WP : 0 };
    return ioctl(descriptor, SWIFTGC_UFFDIO_WRITEPROTECT, &request);
}

long swiftgc_pagemap_scan(int pagemap_descriptor, swiftgc_pagemap_scan_argument *argument) {
    return ioctl(pagemap_descriptor, SWIFTGC_PAGEMAP_SCAN, argument);
}

/* ---- SIGSEGV -----------------------------------------------------------------
 * install and remove are called by the collector with its lock held,
 * install before any page is protected, remove after every page is
 * writable again; the handler, on any thread, only reads them. */
static swiftgc_write_fault_handler write_fault_handler;
static void *write_fault_context;
/* Handlers between reading write_fault_handler and returning from it:
 * remove waits for zero before the context may be freed. */
static uint32_t write_fault_handlers_running;
static struct sigaction forwarded_action;

static int call_write_fault_handler(siginfo_t *information) {
    if (information == NULL || information->si_code != SEGV_ACCERR) return 0;
    __atomic_add_fetch(&write_fault_handlers_running, 1, __ATOMIC_SEQ_CST);
    int is_handled = 0;
    swiftgc_write_fault_handler handler = __atomic_load_n(&write_fault_handler, __ATOMIC_SEQ_CST);
    void *context = __atomic_load_n(&write_fault_context, __ATOMIC_SEQ_CST);
    if (handler != NULL && context != NULL) {
        is_handled = handler((uintptr_t)information->si_addr, context);
    }
    __atomic_sub_fetch(&write_fault_handlers_running, 1, __ATOMIC_SEQ_CST);
    return is_handled;
}

static void on_segmentation_fault(int signal_number, siginfo_t *information, void *context) {
    int saved_errno = errno;
    int is_handled = call_write_fault_handler(information);
    errno = saved_errno;
    if (is_handled) return;
    if (forwarded_action.sa_flags & SA_SIGINFO) {
        forwarded_action.sa_sigaction(signal_number, information, context);
    } else if (forwarded_action.sa_handler != SIG_DFL && forwarded_action.sa_handler != SIG_IGN) {
        forwarded_action.sa_handler(signal_number);
    } else if (forwarded_action.sa_handler == SIG_IGN && information != NULL && information->si_code <= 0) {
        /* Sent with kill or raise, and ignored before we came: still ignored. */
    } else {
        /* Blocked until this handler returns, then fatal: a real fault dies
         * where it happened, with the default action. */
        struct sigaction default_action = { .sa_handler = SIG_DFL };
        sigemptyset(&default_action.sa_mask);
        sigaction(SIGSEGV, &default_action, NULL);
        raise(SIGSEGV);
    }
}

static int action_is_ours(const struct sigaction *action) {
    return (action->sa_flags & SA_SIGINFO) && action->sa_sigaction == on_segmentation_fault;
}

int swiftgc_install_write_fault_handler(swiftgc_write_fault_handler handle_write_fault, void *context) {
    if (__atomic_load_n(&write_fault_context, __ATOMIC_SEQ_CST) != NULL) {
        errno = EBUSY;
        return -1;
    }
    struct sigaction current;
    if (sigaction(SIGSEGV, NULL, &current) != 0) return -1;
    if (!action_is_ours(&current)) {
        forwarded_action = current;
        struct sigaction ours = { .sa_sigaction = on_segmentation_fault };
        ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
        sigemptyset(&ours.sa_mask);
        if (sigaction(SIGSEGV, &ours, NULL) != 0) return -1;
    }
    __atomic_store_n(&write_fault_context, context, __ATOMIC_SEQ_CST);
    __atomic_store_n(&write_fault_handler, handle_write_fault, __ATOMIC_SEQ_CST);
    return 0;
}

int swiftgc_write_fault_handler_is_current(void) {
    struct sigaction current;
    if (sigaction(SIGSEGV, NULL, &current) != 0) return 0;
    return action_is_ours(&current);
}

void swiftgc_remove_write_fault_handler(int waits_for_running_handlers) {
    __atomic_store_n(&write_fault_handler, (swiftgc_write_fault_handler)NULL, __ATOMIC_SEQ_CST);
    __atomic_store_n(&write_fault_context, (void *)NULL, __ATOMIC_SEQ_CST);
    while (waits_for_running_handlers && __atomic_load_n(&write_fault_handlers_running, __ATOMIC_SEQ_CST) != 0) {
        swiftgc_spin_pause();
    }
    struct sigaction current;
    if (sigaction(SIGSEGV, NULL, &current) == 0 && action_is_ours(&current)) {
        sigaction(SIGSEGV, &forwarded_action, NULL);
    }
}

void swiftgc_write_fault_handlers_forget_running(void) {
    __atomic_store_n(&write_fault_handlers_running, 0, __ATOMIC_SEQ_CST);
}

int swiftgc_open_write_only(const char *path) { return open(path, O_WRONLY | O_CLOEXEC); }

static uint32_t probe_lock;
uint32_t *swiftgc_dirty_pages_probe_lock_word(void) { return &probe_lock; }
