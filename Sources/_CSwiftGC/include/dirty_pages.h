/*
 * dirty_pages.h: the kernel interfaces behind the collector's dirty-page
 * tracking (Sources/GCCore/OS/DirtyPages.swift), under names of our own.
 *
 * Debian 12's kernel headers (Linux 6.1) predate userfaultfd's asynchronous
 * write-protection (UFFD_FEATURE_WP_ASYNC, Linux 6.7), write-protection of
 * unpopulated pages (UFFD_FEATURE_WP_UNPOPULATED, 6.4) and the PAGEMAP_SCAN
 * ioctl on /proc/<pid>/pagemap (6.7), so the constants and structs are
 * spelled out here with the kernel's values (include/uapi/linux/userfaultfd.h
 * and include/uapi/linux/fs.h). The functions are C only because ioctl is
 * variadic, and because a signal handler has to read siginfo_t's si_addr,
 * which glibc defines as a macro; all decisions are made in Swift.
 */
#ifndef SWIFTGC_DIRTY_PAGES_H
#define SWIFTGC_DIRTY_PAGES_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- userfaultfd ---------------------------------------------------------- */

/* userfaultfd(2) flags: O_CLOEXEC | O_NONBLOCK, and UFFD_USER_MODE_ONLY,
 * which lets a process without CAP_SYS_PTRACE open one when
 * vm.unprivileged_userfaultfd is 0 (Linux 5.11+; older kernels reject the
 * flag with EINVAL). Asynchronous write faults are resolved by the kernel
 * before the user-mode-only rule applies, so kernel writes (read(2) into a
 * protected page) are still tracked. */
#define SWIFTGC_UFFD_USER_MODE_ONLY 1

#define SWIFTGC_UFFD_API 0xAAull
/* Write faults on protected pages are resolved by the kernel, which clears
 * the page's protection and leaves it marked written; no thread reads the
 * descriptor. */
#define SWIFTGC_UFFD_FEATURE_WP_ASYNC (1ull << 15)
/* Pages that are not populated (never touched, or MADV_DONTNEED'd) are
 * protected too, through page-table markers. */
#define SWIFTGC_UFFD_FEATURE_WP_UNPOPULATED (1ull << 13)
#define SWIFTGC_UFFDIO_REGISTER_MODE_WP (1ull << 1)
#define SWIFTGC_UFFDIO_WRITEPROTECT_MODE_WP (1ull << 0)

/* Opens a userfaultfd with flags (O_CLOEXEC | O_NONBLOCK are added).
 * Returns the descriptor, or -1 with errno. */
int swiftgc_userfaultfd_open(int flags);
/* UFFDIO_API: asks for features; on success stores the granted features in
 * *granted and returns 0, else -1 with errno. Allowed once per descriptor. */
int swiftgc_userfaultfd_api(int descriptor, uint64_t features, uint64_t *granted);
/* UFFDIO_REGISTER of [start, start + length) with mode. 0 or -1 with errno. */
int swiftgc_userfaultfd_register(int descriptor, uintptr_t start, size_t length, uint64_t mode);
/* UFFDIO_UNREGISTER of [start, start + length). 0 or -1 with errno. */
int swiftgc_userfaultfd_unregister(int descriptor, uintptr_t start, size_t length);
/* UFFDIO_WRITEPROTECT of [start, start + length): protects when
 * is_protecting, else unprotects. 0 or -1 with errno. */
int swiftgc_userfaultfd_write_protect(int descriptor, uintptr_t start, size_t length, int is_protecting);

/* ---- PAGEMAP_SCAN ----------------------------------------------------------- */

/* Page categories (struct page_region.categories and the masks). */
#define SWIFTGC_PAGE_IS_WPALLOWED (1ull << 0)
/* Written since it was last write-protected through userfaultfd. */
#define SWIFTGC_PAGE_IS_WRITTEN (1ull << 1)

/* Write-protect the pages that matched, in the same page-table walk that
 * reports them: nothing written between the report and the protection
 * can be missed. */
#define SWIFTGC_PM_SCAN_WP_MATCHING (1ull << 0)
/* Fail (EPERM) instead of skipping pages without asynchronous
 * write-protection: a range that lost its registration (after fork) is
 * reported as an error rather than as clean. */
#define SWIFTGC_PM_SCAN_CHECK_WPASYNC (1ull << 1)

/* struct page_region: [start, end) share the categories reported. */
typedef struct swiftgc_page_region {
    uint64_t start;
    uint64_t end;
    uint64_t categories;
} swiftgc_page_region;

/* struct pm_scan_arg, 96 bytes. The kernel writes walk_end: where the walk
 * stopped, which is end once the whole range is done, and earlier when the
 * region buffer filled up. */
typedef struct swiftgc_pagemap_scan_argument {
    uint64_t size;                /* sizeof(swiftgc_pagemap_scan_argument) */
    uint64_t flags;               /* SWIFTGC_PM_SCAN_* */
    uint64_t start;
    uint64_t end;
    uint64_t walk_end;            /* out */
    uint64_t vec;                 /* address of swiftgc_page_region[vec_len] */
    uint64_t vec_len;
    uint64_t max_pages;           /* 0: no limit */
    uint64_t category_inverted;   /* categories that match when absent */
    uint64_t category_mask;       /* a page matches only with all of these */
    uint64_t category_anyof_mask; /* ... and at least one of these, if any */
    uint64_t return_mask;         /* categories copied into the regions */
} swiftgc_pagemap_scan_argument;

/* ioctl(pagemap_descriptor, PAGEMAP_SCAN, argument): the number of regions
 * filled, or -1 with errno. */
long swiftgc_pagemap_scan(int pagemap_descriptor, swiftgc_pagemap_scan_argument *argument);

/* ---- The mprotect backend's SIGSEGV handler -------------------------------
 * One process-wide handler. For a fault with si_code SEGV_ACCERR it calls
 * handle_write_fault(fault address, context); a non-zero return means the
 * page was made writable and the faulting instruction may run again. Every
 * other SIGSEGV goes to the action that was installed before ours: its
 * sa_sigaction or sa_handler is called; under SIG_DFL (or SIG_IGN, for a
 * real fault) the default action is put back and the signal raised again,
 * so the program dies as it would have without us. */
typedef int (*swiftgc_write_fault_handler)(uintptr_t address, void *context);

/* Installs the handler with its context in front of the current SIGSEGV
 * action, which it keeps to forward to. 0, or -1 with errno (EBUSY when a
 * handler is installed already: one tracker per process). */
int swiftgc_install_write_fault_handler(swiftgc_write_fault_handler handle_write_fault, void *context);
/* 1 while our handler is the current SIGSEGV action, 0 if the program has
 * installed another since (or ours was never installed). */
int swiftgc_write_fault_handler_is_current(void);
/* Stops calling the handler; if waits_for_running_handlers, waits for calls
 * in progress on other threads to return (the context may be freed
 * afterwards; a forked child must not wait: a thread that was inside the
 * handler at the fork does not exist there). Then puts the forwarded action
 * back if ours is still the current one. */
void swiftgc_remove_write_fault_handler(int waits_for_running_handlers);

/* In a forked child: no handler is running (threads inside it at the fork
 * do not exist in the child), so a later remove may wait. */
void swiftgc_write_fault_handlers_forget_running(void);

/* open(path, O_WRONLY | O_CLOEXEC): /proc/self/clear_refs. */
int swiftgc_open_write_only(const char *path);

/* The lock word that serialises the first dirty-page probe (a HeapLock in
 * Swift; zero-initialised). */
uint32_t *swiftgc_dirty_pages_probe_lock_word(void);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_DIRTY_PAGES_H */
