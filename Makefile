# SwiftGC: build, install, demo, test and bench.
#
#   make            the release libswiftgc.so and libswiftgc-preload.so in build/lib
#   make demo       build it and run c-examples/demo.c
#   make test       Swift tests, C tests, preload and bdwgc tests, library and layer checks
#   make test-stress C tests and examples under SWIFTGC_STRESS and SWIFTGC_VERIFY=1
#   make test-model the model-based random test at length (see MODEL_* below)
#   make plot TRACE=file.jsonl   draw a SWIFTGC_TRACE_FILE trace (tools/swiftgc-plot)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (see Tests/Fuzz)
#   make bench      side-by-side benchmarks (see Benchmarks/README.md)
#   make install    PREFIX=/usr/local by default
#
# Debian packages that are missing are installed with apt-get first. The
# recipes longer than a line are scripts, each runnable by hand: scripts/
# (checks of the libraries and the sources, package installation) and the
# runner in each Tests/ folder; fuzzing is in Tests/Fuzz/fuzz.mk.

PREFIX ?= /usr/local
# The library's version. Its SONAME is libswiftgc.so.$(ABI_VERSION) (set in
# Package.swift); the file is libswiftgc.so.$(VERSION), with the symlinks
# libswiftgc.so.$(ABI_VERSION) and libswiftgc.so, in build/lib as installed.
VERSION := 0.1.0
ABI_VERSION := 0
BUILD := build
EMBEDDED_SCRATCH := .build-embedded
LIBRARY := $(BUILD)/lib/libswiftgc.so
LIBRARY_FILE := libswiftgc.so.$(VERSION)
LIBRARY_SONAME := libswiftgc.so.$(ABI_VERSION)
PRELOAD_SCRATCH := .build-preload
PRELOAD_LIBRARY := $(BUILD)/lib/libswiftgc-preload.so
LIBRARY_DIRECTORY := $(abspath $(BUILD)/lib)
CC ?= cc
C_FLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Iinclude
LINK_SWIFTGC := -L$(BUILD)/lib -lswiftgc -Wl,-rpath,$(LIBRARY_DIRECTORY)

BUILD_PACKAGES := libunwind-dev
BENCH_PACKAGES := libgc-dev libjemalloc-dev libmimalloc-dev
# The libraries Benchmarks/preload.sh preloads, and the programs it runs.
BENCH_PACKAGES += libjemalloc2 libmimalloc2.0 python3 perl sqlite3 xz-utils gcc time
# Real programs the preload tests run under libswiftgc-preload.so.
PRELOAD_TEST_PACKAGES := g++ python3 perl sqlite3 git xz-utils
# tools/swiftgc-plot draws with matplotlib.
PLOT_PACKAGES := python3 python3-matplotlib
# bdwgc itself, for the reference runs of the bdwgc compatibility tests
# (g++ for bdwgc's C++ test).
BOEHM_TEST_PACKAGES := libgc-dev w3m mmv guile-3.0 chase debfoster g++ ecl poke neko

CORE_SOURCES := $(shell find Sources/GCCore Sources/_CSwiftGC include -type f) Package.swift
LIBRARY_SOURCES := $(CORE_SOURCES) $(shell find Sources/_CSwiftGCBoehm -type f)
PRELOAD_SOURCES := $(CORE_SOURCES) $(shell find Sources/_CSwiftGCPreload -type f)
EXAMPLES := $(patsubst c-examples/%.c,$(BUILD)/examples/%,$(wildcard c-examples/*.c))
C_TESTS := $(patsubst Tests/CTests/%.c,$(BUILD)/tests/%,$(wildcard Tests/CTests/test_*.c))
C_TEST_LIBRARIES := $(patsubst Tests/CTests/%.c,$(BUILD)/tests/%.so,$(wildcard Tests/CTests/lib_*.c))

.PHONY: all deps bench-deps boehm-test-deps demo examples test swift-test c-tests boehm-tests check-library bench install uninstall clean
.PHONY: check-preload-library preload-tests test-stress test-model check-no-malloc check-layers
.PHONY: plot-deps trace-tests plot check-install

all: $(LIBRARY) $(PRELOAD_LIBRARY)

deps:
	@scripts/install_packages.sh $(BUILD_PACKAGES)

bench-deps: deps
	@scripts/install_packages.sh $(BENCH_PACKAGES)

boehm-test-deps: deps
	@scripts/install_packages.sh $(BOEHM_TEST_PACKAGES)

plot-deps:
	@scripts/install_packages.sh $(PLOT_PACKAGES)

$(LIBRARY): $(LIBRARY_SOURCES) | deps
	SWIFTGC_EMBEDDED=1 swift build -c release --product swiftgc --scratch-path $(EMBEDDED_SCRATCH)
	@mkdir -p $(BUILD)/lib
	cp $(EMBEDDED_SCRATCH)/release/libswiftgc.so $(BUILD)/lib/$(LIBRARY_FILE)
	ln -sf $(LIBRARY_FILE) $(BUILD)/lib/$(LIBRARY_SONAME)
	ln -sf $(LIBRARY_SONAME) $@

# The same collector built again with SWIFTGC_PRELOAD, plus the malloc shim.
$(PRELOAD_LIBRARY): $(PRELOAD_SOURCES) | deps
	SWIFTGC_EMBEDDED=1 SWIFTGC_PRELOAD=1 swift build -c release --product swiftgc-preload --scratch-path $(PRELOAD_SCRATCH)
	@mkdir -p $(BUILD)/lib
	cp $(PRELOAD_SCRATCH)/release/libswiftgc-preload.so $@

$(BUILD)/examples/%: c-examples/%.c $(LIBRARY) include/swiftgc.h
	@mkdir -p $(BUILD)/examples
	$(CC) $(C_FLAGS) -O2 $< $(LINK_SWIFTGC) -o $@

examples: $(EXAMPLES)

demo: $(BUILD)/examples/demo
	./$(BUILD)/examples/demo

$(BUILD)/tests/%.so: Tests/CTests/%.c include/swiftgc.h
	@mkdir -p $(BUILD)/tests
	$(CC) $(C_FLAGS) -fPIC -shared $< -o $@

# (test_hiding_mutator_concurrent.c includes test_hiding_mutator.c.)
$(BUILD)/tests/test_hiding_mutator_concurrent: Tests/CTests/test_hiding_mutator.c
$(BUILD)/tests/%: Tests/CTests/%.c $(wildcard Tests/CTests/*.h) $(LIBRARY) include/swiftgc.h
	@mkdir -p $(BUILD)/tests
	$(CC) $(C_FLAGS) -ITests/CTests $< $(LINK_SWIFTGC) -ldl -lpthread -o $@

test: check-layers check-library check-preload-library check-install check-no-malloc fuzz-replay c-tests preload-tests boehm-tests trace-tests swift-test examples

PRELOAD_TEST_PROGRAMS := $(BUILD)/preload-tests/malloc_family $(BUILD)/preload-tests/new_delete \
  $(BUILD)/preload-tests/planted_bugs $(BUILD)/preload-tests/planted_leaks \
  $(BUILD)/preload-tests/aligned_misuse
PRELOAD_TEST_PROGRAMS += $(BUILD)/preload-tests/cross_thread_free $(BUILD)/preload-tests/memory_after_peak
PRELOAD_TEST_PROGRAMS += $(BUILD)/preload-tests/recently_freed $(BUILD)/preload-tests/thread_stack_frames
PRELOAD_TEST_PROGRAMS += $(BUILD)/preload-tests/arenas

# The leak report names the allocating functions through dladdr, which sees
# only exported symbols: hence -rdynamic (and frame pointers for the stacks).
$(BUILD)/preload-tests/planted_leaks: Tests/PreloadTests/planted_leaks.c
	@mkdir -p $(BUILD)/preload-tests
	$(CC) $(C_FLAGS) -fno-omit-frame-pointer -rdynamic $< -ldl -o $@

$(BUILD)/preload-tests/%: Tests/PreloadTests/%.c Tests/CTests/check.h
	@mkdir -p $(BUILD)/preload-tests
	$(CC) $(C_FLAGS) -Wno-free-nonheap-object -Wno-use-after-free -Wno-alloc-size-larger-than $< -ldl -lpthread -o $@

$(BUILD)/preload-tests/%: Tests/PreloadTests/%.cpp
	@mkdir -p $(BUILD)/preload-tests
	$(CXX) -O1 -g -Wall $< -ldl -o $@

# The malloc family, planted bugs and real programs under the preload, in
# every mode (Tests/PreloadTests/run.sh).
preload-tests: $(PRELOAD_LIBRARY) $(PRELOAD_TEST_PROGRAMS)
	@scripts/install_packages.sh $(PRELOAD_TEST_PACKAGES)
	Tests/PreloadTests/run.sh $(PRELOAD_LIBRARY) $(BUILD)/preload-tests

# bdwgc compatibility (Tests/BoehmTests/run.sh): one program written against
# gc.h, built with our headers (-lswiftgc) and with Debian's (-lgc), and
# Debian's programs that use bdwgc (w3m, mmv, guile, chase, debfoster, and
# the ECL, GNU poke and Neko runtimes), each
# giving the same output on bdwgc and on SwiftGC; then bdwgc 8.2.2's own test
# programs (Tests/BoehmTests/bdwgc_suite.sh), fetched with apt-get source
# into $(BUILD)/boehm-suite, on bdwgc and on SwiftGC.
BOEHM_PROGRAM := Tests/BoehmTests/bdwgc_program.c
$(BUILD)/boehm/on_swiftgc: $(BOEHM_PROGRAM) $(LIBRARY) $(wildcard include/boehm/*.h include/boehm/gc/*.h)
	@mkdir -p $(BUILD)/boehm
	$(CC) $(C_FLAGS) -Iinclude/boehm $< $(LINK_SWIFTGC) -ldl -lpthread -o $@

$(BUILD)/boehm/on_bdwgc: $(BOEHM_PROGRAM) | boehm-test-deps
	@mkdir -p $(BUILD)/boehm
	$(CC) $(filter-out -Iinclude,$(C_FLAGS)) $< -lgc -ldl -lpthread -o $@

boehm-tests: $(BUILD)/boehm/on_swiftgc $(BUILD)/boehm/on_bdwgc | boehm-test-deps
	@Tests/BoehmTests/run.sh $(LIBRARY) $(BUILD)/boehm
	@Tests/BoehmTests/bdwgc_suite.sh $(LIBRARY) $(BUILD)/boehm-suite

# The collection trace (Tests/TraceTests/run.sh): SWIFTGC_TRACE lines and
# SWIFTGC_TRACE_FILE records, one per collection, and the plot tool on them.
$(BUILD)/trace-tests/trace_program: Tests/TraceTests/trace_program.c $(LIBRARY) include/swiftgc.h
	@mkdir -p $(BUILD)/trace-tests
	$(CC) $(C_FLAGS) $< $(LINK_SWIFTGC) -o $@

trace-tests: $(BUILD)/trace-tests/trace_program | plot-deps
	@Tests/TraceTests/run.sh $(BUILD)/trace-tests/trace_program tools/swiftgc-plot

# TRACE=file.jsonl [PLOT=file.png]: draws a trace file.
PLOT ?= $(basename $(TRACE)).png
plot: | plot-deps
	tools/swiftgc-plot $(TRACE) -o $(PLOT)

swift-test: | deps
	swift test --no-parallel

# Each C test prints "N passed, M failed" and exits non-zero on failure.
c-tests: $(C_TESTS) $(C_TEST_LIBRARIES)
	@Tests/CTests/run.sh $(C_TESTS)

# Every C test and example again, collecting every STRESS allocations and
# verifying the heap at each collection (Tests/CTests/stress.sh). STRESS_LONG
# applies to the programs in STRESS_LONG_PROGRAMS, whose heaps are so big that
# a collection every few thousand allocations would take hours. CI runs
# `make test-stress STRESS=5000` (about a minute); the default is the thorough run.
STRESS ?= 1000
STRESS_LONG ?= 200000
# Marking threads under stress: more than most machines have cores, so the
# helpers' interleavings vary and the verifier checks every parallel mark.
STRESS_MARKERS ?= 3
STRESS_LONG_PROGRAMS := test_long_list test_concurrent_lifecycle test_concurrent_finalization test_concurrent_faults
test-stress: $(C_TESTS) $(C_TEST_LIBRARIES) $(EXAMPLES)
	@STRESS=$(STRESS) STRESS_LONG=$(STRESS_LONG) STRESS_MARKERS=$(STRESS_MARKERS) \
	  STRESS_LONG_PROGRAMS="$(STRESS_LONG_PROGRAMS)" Tests/CTests/stress.sh $(BUILD) $(C_TESTS) $(EXAMPLES)

# The model-based random test at length: MODEL_OPERATIONS per thread, over
# MODEL_SEEDS consecutive seeds from MODEL_SEED (default: from the clock),
# single-threaded and with 3 threads (Tests/CTests/model.sh). `make test` runs
# it briefly.
MODEL_OPERATIONS ?= 2000000
MODEL_SEEDS ?= 5
test-model: $(BUILD)/tests/test_model
	@MODEL_OPERATIONS=$(MODEL_OPERATIONS) MODEL_SEEDS=$(MODEL_SEEDS) Tests/CTests/model.sh $(BUILD)/tests/test_model

# What the libraries need, export and call (scripts/check_library.sh,
# check_preload_library.sh, check_no_malloc.sh): only libc and libunwind; the
# C API, the bdwgc layer (libswiftgc.so) or the malloc family (the preload
# library) and the pthread wrappers; and never malloc from the collector.
# Also every GC_* symbol of Debian's libgc.so.1, or README's reason for its
# absence (scripts/check_bdwgc_exports.sh).
check-library: $(LIBRARY)
	@scripts/check_library.sh $(LIBRARY)
	@scripts/install_packages.sh libgc1
	@scripts/check_bdwgc_exports.sh $(LIBRARY) README.md

check-preload-library: $(PRELOAD_LIBRARY)
	@scripts/check_preload_library.sh $(PRELOAD_LIBRARY)

check-no-malloc: $(LIBRARY) $(PRELOAD_LIBRARY)
	@scripts/check_no_malloc.sh $(LIBRARY) $(PRELOAD_LIBRARY)

# No folder of Sources/GCCore names a type or function that a folder above it
# defines; the order is the layer table of Sources/GCCore/README.md, which
# scripts/check_layers.py reads. Prints every violation.
check-layers:
	@scripts/install_packages.sh python3
	@python3 scripts/check_layers.py

include Tests/Fuzz/fuzz.mk

bench: $(LIBRARY) $(PRELOAD_LIBRARY) | bench-deps plot-deps
	Benchmarks/run.sh
	Benchmarks/preload.sh
	Benchmarks/latency.sh
	Benchmarks/arena.sh
	Benchmarks/marking.sh
	Benchmarks/plots.sh

# swiftgc(3), from swiftgc.h's contract comments and README's tables.
MAN_PAGE := $(BUILD)/man/swiftgc.3
$(MAN_PAGE): include/swiftgc.h README.md scripts/make_manpage.py
	@mkdir -p $(@D)
	python3 scripts/make_manpage.py $(VERSION) $@

# `make install` into a scratch DESTDIR, then what it installed: the library's
# symlink chain and SONAME, the man page, pkg-config's version, and a program
# built with pkg-config's flags that runs (scripts/check_install.sh).
check-install: $(LIBRARY) $(PRELOAD_LIBRARY) $(MAN_PAGE)
	@scripts/check_install.sh $(VERSION)

install: $(LIBRARY) $(PRELOAD_LIBRARY) $(MAN_PAGE) | plot-deps
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -d $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 644 $(MAN_PAGE) $(DESTDIR)$(PREFIX)/share/man/man3/swiftgc.3
	install -m 755 tools/swiftgc-plot $(DESTDIR)$(PREFIX)/bin/swiftgc-plot
	install -m 644 include/swiftgc.h $(DESTDIR)$(PREFIX)/include/swiftgc.h
	install -m 755 $(BUILD)/lib/$(LIBRARY_FILE) $(DESTDIR)$(PREFIX)/lib/$(LIBRARY_FILE)
	ln -sf $(LIBRARY_FILE) $(DESTDIR)$(PREFIX)/lib/$(LIBRARY_SONAME)
	ln -sf $(LIBRARY_SONAME) $(DESTDIR)$(PREFIX)/lib/libswiftgc.so
	install -m 755 $(PRELOAD_LIBRARY) $(DESTDIR)$(PREFIX)/lib/libswiftgc-preload.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' swiftgc.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc.pc
	install -d $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc
	install -m 644 include/boehm/gc.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc.h
	install -m 644 include/boehm/gc_typed.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc_typed.h
	install -m 644 include/boehm/gc_mark.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc_mark.h
	install -m 644 include/boehm/gc_disclaim.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc_disclaim.h
	install -m 644 include/boehm/gc_gcj.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc_gcj.h
	install -m 644 include/boehm/gc/gc.h include/boehm/gc/gc_typed.h include/boehm/gc/gc_mark.h include/boehm/gc/gc_hooks.h \
	  include/boehm/gc/gc_disclaim.h include/boehm/gc/gc_gcj.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' swiftgc-boehm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc-boehm.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/swiftgc.h $(DESTDIR)$(PREFIX)/lib/libswiftgc.so \
	  $(DESTDIR)$(PREFIX)/lib/$(LIBRARY_SONAME) $(DESTDIR)$(PREFIX)/lib/$(LIBRARY_FILE) \
	  $(DESTDIR)$(PREFIX)/bin/swiftgc-plot $(DESTDIR)$(PREFIX)/share/man/man3/swiftgc.3 \
	  $(DESTDIR)$(PREFIX)/lib/libswiftgc-preload.so \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc-boehm.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/swiftgc-boehm

clean:
	rm -rf $(BUILD) $(EMBEDDED_SCRATCH) $(PRELOAD_SCRATCH) $(FUZZ_SCRATCH) .build
