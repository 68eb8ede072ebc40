/* gc.h — bdwgc source compatibility for SwiftGC; see gc/gc.h. */
#include "gc/gc.h"
