/* gc_mark.h — bdwgc source compatibility for SwiftGC; see gc/gc_mark.h. */
#include "gc/gc_mark.h"
