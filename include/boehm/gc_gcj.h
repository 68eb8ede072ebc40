/* gc_gcj.h — bdwgc source compatibility for SwiftGC; see gc/gc_gcj.h. */
#include "gc/gc_gcj.h"
