/* Threads: the pthread_create wrapper that registers every new thread, and
 * the signal handshake that stops and restarts threads for a collection.
 * The registry and the collection itself are in Swift (GCCore/Threads). */
#define _GNU_SOURCE
#include "_CSwiftGC.h"

#include <dlfcn.h>
#include <sched.h>
#include <semaphore.h>
#include <libunwind.h>
#include <malloc.h>

__thread void *swiftgc_thread_record_slot __attribute__((tls_model("initial-exec")));

/* ---- Stop-the-world handshake ------------------------------------------- */

static int suspend_signal_number;
static int restart_signal_number;
static sem_t acknowledgements;
static uint64_t stop_epoch;     /* incremented by the collector for each stop */
static uint64_t release_epoch;  /* threads stopped for epochs <= this may go */

__attribute__((noinline)) static void record_stack_pointer(swiftgc_suspension *suspension) {
    /* This frame lies below the handler's saved registers. */
    __atomic_store_n(&suspension->stack_pointer, (uintptr_t)__builtin_frame_address(0), __ATOMIC_RELAXED);
}

static void suspend_handler(int signal_number, siginfo_t *info, void *context) {
    (void)signal_number; (void)info; (void)context;
    int saved_errno = errno;
    swiftgc_suspension *suspension = swiftgc_thread_record_slot;
    uint64_t epoch = __atomic_load_n(&stop_epoch, __ATOMIC_ACQUIRE);
    /* Unregistered threads, and repeats of a signal already answered, go on. */
    if (suspension == NULL || __atomic_load_n(&suspension->acknowledged_epoch, __ATOMIC_ACQUIRE) == epoch) {
        errno = saved_errno;
        return;
    }
    unw_context_t registers;
    unw_getcontext(&registers);
    record_stack_pointer(suspension);
    __atomic_store_n(&suspension->acknowledged_epoch, epoch, __ATOMIC_RELEASE);
    sem_post(&acknowledgements);

    sigset_t wait_mask;
    sigfillset(&wait_mask);
    sigdelset(&wait_mask, restart_signal_number);
    while (__atomic_load_n(&release_epoch, __ATOMIC_ACQUIRE) < epoch) {
        sigsuspend(&wait_mask);
    }
    __asm__ volatile("" : : "r"(&registers) : "memory");
    errno = saved_errno;
}

static void restart_handler(int signal_number) { (void)signal_number; }

int swiftgc_install_stop_signals(int suspend_signal, int restart_signal) {
    if (suspend_signal <= 0 || restart_signal <= 0 || suspend_signal >= NSIG || restart_signal >= NSIG
        || suspend_signal == restart_signal) return -1;
    suspend_signal_number = suspend_signal;
    restart_signal_number = restart_signal;
    sem_init(&acknowledgements, 0, 0);

    struct sigaction suspend_action;
    memset(&suspend_action, 0, sizeof suspend_action);
    suspend_action.sa_sigaction = suspend_handler;
    suspend_action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&suspend_action.sa_mask);   /* nothing interrupts a stopped thread but restart */
    sigdelset(&suspend_action.sa_mask, SIGSEGV);
    sigdelset(&suspend_action.sa_mask, SIGBUS);
    if (sigaction(suspend_signal, &suspend_action, NULL) != 0) return -1;

    struct sigaction restart_action;
    memset(&restart_action, 0, sizeof restart_action);
    restart_action.sa_handler = restart_handler;
    restart_action.sa_flags = SA_RESTART;
    sigemptyset(&restart_action.sa_mask);
    if (sigaction(restart_signal, &restart_action, NULL) != 0) return -1;
    return 0;
}

void swiftgc_accept_stop_signals(void) {
    if (suspend_signal_number == 0) return;
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, suspend_signal_number);
    sigaddset(&signals, restart_signal_number);
    pthread_sigmask(SIG_UNBLOCK, &signals, NULL);
}

uint64_t swiftgc_begin_stop(void) { return __atomic_add_fetch(&stop_epoch, 1, __ATOMIC_ACQ_REL); }

void swiftgc_release_stop(uint64_t epoch) { __atomic_store_n(&release_epoch, epoch, __ATOMIC_RELEASE); }

void swiftgc_wait_for_acknowledgement(unsigned milliseconds) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += (long)milliseconds * 1000000L;
    while (deadline.tv_nsec >= 1000000000L) { deadline.tv_nsec -= 1000000000L; deadline.tv_sec += 1; }
    while (sem_timedwait(&acknowledgements, &deadline) != 0 && errno == EINTR) {}
}

int swiftgc_send_suspend(uintptr_t thread) { return pthread_kill((pthread_t)thread, suspend_signal_number); }
int swiftgc_send_restart(uintptr_t thread) { return pthread_kill((pthread_t)thread, restart_signal_number); }

/* ---- Thread-local storage -------------------------------------------------
 * glibc keeps each thread's static TLS next to its thread descriptor
 * (struct pthread, the TCB): below the thread pointer on x86-64 (TLS
 * variant II), above it on AArch64 (variant I). The descriptor's second word
 * (x86-64) or first word (AArch64) is the DTV: entry 0 holds the generation,
 * entry -1 the number of entries, and entry i of module i is {block, address
 * to free}. Blocks of dlopened modules come from malloc; those of modules
 * loaded at start-up are inside the static area and have no address to free. */

extern void _dl_get_tls_static_info(size_t *size, size_t *alignment);
/* sizeof(struct pthread), which glibc publishes for libthread_db. */
extern const uint32_t _thread_db_sizeof_pthread __attribute__((weak));

typedef struct { void *block; void *to_free; } dtv_entry;
#define TLS_UNALLOCATED ((void *)-1l)

static size_t static_tls_size(void) {
    static size_t cached;
    size_t size = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (size == 0) {
        size_t alignment = 0;
        _dl_get_tls_static_info(&size, &alignment);
        __atomic_store_n(&cached, size, __ATOMIC_RELAXED);
    }
    return size;
}

static size_t thread_descriptor_size(void) {
    return &_thread_db_sizeof_pthread ? _thread_db_sizeof_pthread : 2304;
}

void swiftgc_visit_thread_storage(uintptr_t thread_pointer, swiftgc_stack_visitor visit, void *context) {
    if (thread_pointer == 0) return;
    size_t size = static_tls_size();
#if defined(__x86_64__)
    /* The static size includes the descriptor, which starts at the pointer. */
    uintptr_t low = thread_pointer + thread_descriptor_size() - size;
    uintptr_t high = thread_pointer + thread_descriptor_size();
    dtv_entry *dtv = ((dtv_entry **)thread_pointer)[1];
#elif defined(__aarch64__)
    uintptr_t low = thread_pointer - thread_descriptor_size();
    uintptr_t high = thread_pointer + size;
    dtv_entry *dtv = ((dtv_entry **)thread_pointer)[0];
#else
    return;
#endif
    if (size > thread_descriptor_size() && size < (64u << 20)) visit((void *)low, (void *)high, context);

    if (dtv == NULL || ((uintptr_t)dtv & 7) != 0) return;
    size_t count = (size_t)dtv[-1].block;
    if (count > 1u << 16) return;
    for (size_t module = 1; module <= count; module++) {
        void *block = dtv[module].block;
        char *start = dtv[module].to_free;
        if (block == TLS_UNALLOCATED || block == NULL || start == NULL || ((uintptr_t)start & 15) != 0) continue;
        size_t usable = malloc_usable_size(start);
        if (usable == 0 || usable > (1u << 30)) continue;
        if ((char *)block < start || (char *)block >= start + usable) continue;
        visit(block, start + usable, context);
    }
}

/* ---- Thread facts ---------------------------------------------------------- */

int swiftgc_at_fork(void (*prepare)(void), void (*parent)(void), void (*child)(void)) {
    return pthread_atfork(prepare, parent, child);
}

static pthread_key_t exit_key;

int swiftgc_create_exit_key(void (*destructor)(void *)) { return pthread_key_create(&exit_key, destructor); }
void swiftgc_arm_exit_key(void *value) { pthread_setspecific(exit_key, value); }

/* ---- pthread_create, pthread_exit, the joins and pthread_detach ---------
 * Every thread the program creates is registered before its start routine
 * runs, and unregistered when it returns, calls pthread_exit or is
 * cancelled. Its result stays a root from then until a join succeeds
 * (pthread_join, or glibc's pthread_tryjoin_np, pthread_timedjoin_np and
 * pthread_clockjoin_np) or pthread_detach: in between it lives only in the exited thread's
 * descriptor, which is no longer scanned. The real functions come from the
 * next library. */
#ifdef SWIFTGC_INTERPOSE_PTHREAD_CREATE

#define NEXT_FUNCTION(type, name)                                          \
    static type real_##name;                                               \
    type next_##name = __atomic_load_n(&real_##name, __ATOMIC_ACQUIRE);    \
    if (next_##name == NULL) {                                             \
        next_##name = (type)dlsym(RTLD_NEXT, #name);                       \
        __atomic_store_n(&real_##name, next_##name, __ATOMIC_RELEASE);     \
    }

typedef int (*pthread_create_function)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef void (*pthread_exit_function)(void *);
typedef int (*pthread_join_function)(pthread_t, void **);
typedef int (*pthread_detach_function)(pthread_t);
typedef int (*pthread_tryjoin_np_function)(pthread_t, void **);
typedef int (*pthread_timedjoin_np_function)(pthread_t, void **, const struct timespec *);
typedef int (*pthread_clockjoin_np_function)(pthread_t, void **, clockid_t, const struct timespec *);

static void unregister_at_exit(void *unused) {
    (void)unused;
    swiftgc_thread_will_exit();
}

static void *start_registered_thread(void *record) {
    void *(*start)(void *) = NULL;
    void *argument = NULL;
    swiftgc_thread_did_start(record, &start, &argument);
    void *result;
    pthread_cleanup_push(unregister_at_exit, NULL);
    result = start(argument);
    swiftgc_thread_keep_result(result);
    pthread_cleanup_pop(1);
    return result;
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attributes, void *(*start)(void *), void *argument) {
    NEXT_FUNCTION(pthread_create_function, pthread_create)
    if (next_pthread_create == NULL) return EAGAIN;
    int detach_state = PTHREAD_CREATE_JOINABLE;
    if (attributes != NULL) pthread_attr_getdetachstate(attributes, &detach_state);
    void *record = swiftgc_thread_start_record_acquire(start, argument, detach_state == PTHREAD_CREATE_DETACHED);
    if (record == NULL) return next_pthread_create(thread, attributes, start, argument);
    int result = next_pthread_create(thread, attributes, start_registered_thread, record);
    if (result != 0) swiftgc_thread_start_record_release(record);
    return result;
}

void pthread_exit(void *result) {
    NEXT_FUNCTION(pthread_exit_function, pthread_exit)
    swiftgc_thread_keep_result(result);
    next_pthread_exit(result);
    __builtin_unreachable();
}

int pthread_join(pthread_t thread, void **result) {
    NEXT_FUNCTION(pthread_join_function, pthread_join)
    if (next_pthread_join == NULL) return EINVAL;
    int status = next_pthread_join(thread, result);
    if (status == 0) swiftgc_thread_result_taken((uintptr_t)thread, 0);
    return status;
}

int pthread_tryjoin_np(pthread_t thread, void **result) {
    NEXT_FUNCTION(pthread_tryjoin_np_function, pthread_tryjoin_np)
    if (next_pthread_tryjoin_np == NULL) return EINVAL;
    int status = next_pthread_tryjoin_np(thread, result);
    if (status == 0) swiftgc_thread_result_taken((uintptr_t)thread, 0);
    return status;
}

int pthread_timedjoin_np(pthread_t thread, void **result, const struct timespec *deadline) {
    NEXT_FUNCTION(pthread_timedjoin_np_function, pthread_timedjoin_np)
    if (next_pthread_timedjoin_np == NULL) return EINVAL;
    int status = next_pthread_timedjoin_np(thread, result, deadline);
    if (status == 0) swiftgc_thread_result_taken((uintptr_t)thread, 0);
    return status;
}

int pthread_clockjoin_np(pthread_t thread, void **result, clockid_t clock, const struct timespec *deadline) {
    NEXT_FUNCTION(pthread_clockjoin_np_function, pthread_clockjoin_np)
    if (next_pthread_clockjoin_np == NULL) return EINVAL;
    int status = next_pthread_clockjoin_np(thread, result, clock, deadline);
    if (status == 0) swiftgc_thread_result_taken((uintptr_t)thread, 0);
    return status;
}

int pthread_detach(pthread_t thread) {
    NEXT_FUNCTION(pthread_detach_function, pthread_detach)
    if (next_pthread_detach == NULL) return EINVAL;
    int status = next_pthread_detach(thread);
    if (status == 0) swiftgc_thread_result_taken((uintptr_t)thread, 1);
    return status;
}
#endif /* SWIFTGC_INTERPOSE_PTHREAD_CREATE */

/* ---- The collector's own marking threads ---------------------------------
 * Created with the next library's pthread_create, not the wrapper above, so
 * they are never registered and never stopped; every signal is blocked in
 * them, and they run on a stack the collector maps itself. */
int swiftgc_start_marking_thread(void *(*body)(void *), void *argument, void *stack, size_t stack_bytes) {
#ifdef SWIFTGC_INTERPOSE_PTHREAD_CREATE
    pthread_create_function create = (pthread_create_function)dlsym(RTLD_NEXT, "pthread_create");
    if (create == NULL) return -1;
#else
    int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) = pthread_create;
#endif
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0) return -1;
    pthread_attr_setstack(&attributes, stack, stack_bytes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    /* The new thread starts with every signal blocked but the stop signals.
     * The creating thread keeps those open meanwhile: pthread_create
     * allocates (its DTV, with calloc, which the preload library serves from
     * our heap), and a collection may be stopping the world then; with the
     * suspend signal blocked this thread would never stop and the collection
     * would wait forever (seen: cross_thread_free in collect mode). The new
     * thread is never registered, so a stop signal reaching it returns at
     * once (suspend_handler). */
    sigset_t all, previous;
    sigfillset(&all);
    if (suspend_signal_number > 0) sigdelset(&all, suspend_signal_number);
    if (restart_signal_number > 0) sigdelset(&all, restart_signal_number);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_t thread;
    int result = create(&thread, &attributes, body, argument);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attributes);
    return result;
}

int swiftgc_available_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int count = CPU_COUNT(&set);
    return count > 0 ? count : 1;
}
