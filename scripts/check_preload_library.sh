#!/usr/bin/env bash
# `make check-preload-library`: libswiftgc-preload.so needs only libc (with
# its dynamic loader) and libunwind, exports every function of the malloc
# family (glibc's __libc_* names included) and the pthread wrappers, and
# nothing else but the C API (gc_*).
#
# By hand, from the repository root:
#   make build/lib/libswiftgc-preload.so && scripts/check_preload_library.sh build/lib/libswiftgc-preload.so
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 LIBSWIFTGC_PRELOAD_SO" >&2
    exit 2
fi
library=$1
required_exports=(malloc free calloc realloc reallocarray posix_memalign aligned_alloc memalign valloc
    pvalloc malloc_usable_size __libc_malloc __libc_free __libc_calloc __libc_realloc __libc_memalign
    __libc_valloc __libc_pvalloc pthread_create pthread_exit pthread_join pthread_detach
    pthread_tryjoin_np pthread_timedjoin_np pthread_clockjoin_np)

needed=$(readelf -d "$library" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -v '^ld-linux' | sort | tr '\n' ' ')
if [ "$needed" != "libc.so.6 libunwind.so.8 " ]; then
    echo "libswiftgc-preload.so needs [$needed], expected only libc.so.6 and libunwind.so.8"
    exit 1
fi
exported=$(nm -D --defined-only "$library" | awk '$2 ~ /^[TDBRVWi]$/ {print $3}' | sort -u)
extra=$(echo "$exported" | grep -v '^gc_' | grep -vxF "${required_exports[@]/#/-e}" || true)
if [ -n "$extra" ]; then
    echo "libswiftgc-preload.so exports more than gc_*, the pthread wrappers and the malloc family: $extra"
    exit 1
fi
for name in "${required_exports[@]}"; do
    if ! echo "$exported" | grep -qx "$name"; then
        echo "libswiftgc-preload.so does not export $name"
        exit 1
    fi
done
echo "libswiftgc-preload.so needs only libc and libunwind and exports gc_*, the pthread wrappers and the malloc family."
