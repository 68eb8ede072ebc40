/* Threads: objects held only in other threads' stacks and registers survive
 * collections forced from several threads; thread churn; fork from a
 * threaded process; a thread registered by hand. */
#include "check.h"
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <swiftgc.h>

typedef struct node { struct node *left, *right; long value; } node;

static node *make_tree(int depth, long *counter) {
    node *tree = gc_malloc(sizeof *tree);
    tree->value = (*counter)++;
    if (depth > 0) {
        tree->left = make_tree(depth - 1, counter);
        tree->right = make_tree(depth - 1, counter);
    }
    return tree;
}

static long count_nodes(node *tree) {
    return tree ? 1 + count_nodes(tree->left) + count_nodes(tree->right) : 0;
}

/* Builds trees held only on this thread's stack, forcing collections now
 * and then, and returns how many trees came back damaged. */
static void *build_and_verify(void *argument) {
    long id = (long)argument;
    long damaged = 0;
    for (int round = 0; round < 30; round++) {
        long counter = 0;
        node *tree = make_tree(12, &counter);
        if (round % 8 == id % 8) gc_collect();
        for (int index = 0; index < 3000; index++) gc_malloc(48);
        if (count_nodes(tree) != counter) damaged++;
    }
    return (void *)damaged;
}

static long run_threads(int thread_count) {
    pthread_t threads[16];
    long damaged = 0;
    for (long index = 0; index < thread_count; index++) {
        CHECK(pthread_create(&threads[index], NULL, build_and_verify, (void *)index) == 0,
              "pthread_create to succeed");
    }
    for (int index = 0; index < thread_count; index++) {
        void *result;
        pthread_join(threads[index], &result);
        damaged += (long)result;
    }
    return damaged;
}

static void *short_thread(void *argument) {
    node *object = gc_malloc(sizeof *object);
    object->value = (long)argument;
    if ((long)argument % 100 == 0) gc_collect();
    return (void *)(long)(object->value == (long)argument);
}

static void *registered_by_hand(void *argument) {
    (void)argument;
    gc_register_thread();
    gc_register_thread(); /* twice is harmless */
    long damaged = (long)build_and_verify((void *)3);
    gc_unregister_thread();
    return (void *)damaged;
}

int main(void) {
    int counts[] = {2, 4, 8, 16};
    for (int index = 0; index < 4; index++) {
        long damaged = run_threads(counts[index]);
        CHECK(damaged == 0, "no tree held by one of %d threads to be damaged by collections, %ld were",
              counts[index], damaged);
    }

    long intact = 0;
    for (long index = 0; index < 10000; index++) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        if (index % 2) pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&thread, &attributes, short_thread, (void *)index) != 0) continue;
        if (index % 2 == 0) {
            void *result;
            pthread_join(thread, &result);
            intact += (long)result;
        }
        pthread_attr_destroy(&attributes);
    }
    CHECK(intact == 5000, "all 5000 joined short threads to see their object intact, %ld did", intact);

    pthread_t helper;
    pthread_create(&helper, NULL, build_and_verify, (void *)1);
    pid_t child = fork();
    if (child == 0) {
        long counter = 0;
        node *tree = make_tree(14, &counter);
        gc_collect();
        for (int index = 0; index < 20000; index++) gc_malloc(64);
        gc_collect();
        _exit(count_nodes(tree) == counter ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "a child forked while another thread allocates to allocate and collect, wait status 0x%x", status);
    void *result;
    pthread_join(helper, &result);
    CHECK((long)result == 0, "the thread running across the fork to keep its trees intact");

    pthread_t manual;
    pthread_create(&manual, NULL, registered_by_hand, NULL);
    pthread_join(manual, &result);
    CHECK((long)result == 0, "a thread registered by hand to keep its trees intact");
    return check_finish();
}
