/*
 * test_hiding_mutator_concurrent — test_hiding_mutator while mostly-concurrent
 * cycles (SWIFTGC_CONCURRENT=1) mark beside the moving pointers: the case
 * where a concurrent collector loses data. See test_hiding_mutator.c.
 */
#define HIDING_CONCURRENT 1
#include "test_hiding_mutator.c"
