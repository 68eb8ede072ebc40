/*
 * lib_tls — a shared library that test_thread_storage loads with dlopen.
 * Its __thread slot therefore lives in dynamic TLS: a block that
 * __tls_get_addr allocates with malloc for each thread on first use, which
 * no stack or data segment contains.
 */
static __thread void *slot;

void tls_set(void *object) { slot = object; }
void *tls_get(void) { return slot; }
