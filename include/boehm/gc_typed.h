/* gc_typed.h — bdwgc source compatibility for SwiftGC; see gc/gc_typed.h. */
#include "gc/gc_typed.h"
