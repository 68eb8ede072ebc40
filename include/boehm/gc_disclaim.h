/* gc_disclaim.h — bdwgc source compatibility for SwiftGC; see gc/gc_disclaim.h. */
#include "gc/gc_disclaim.h"
