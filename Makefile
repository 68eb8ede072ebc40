# SwiftGC: build, install, demo, test and bench.
#
#   make            the release libswiftgc.so in build/lib
#   make demo       build it and run c-examples/demo.c
#   make test       Swift tests, C tests and library checks
#   make bench      side-by-side benchmarks (see Benchmarks/README.md)
#   make install    PREFIX=/usr/local by default
#
# Debian packages that are missing are installed with apt-get first.

PREFIX ?= /usr/local
BUILD := build
EMBEDDED_SCRATCH := .build-embedded
LIBRARY := $(BUILD)/lib/libswiftgc.so
LIBRARY_DIRECTORY := $(abspath $(BUILD)/lib)
CC ?= cc
C_FLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Iinclude
LINK_SWIFTGC := -L$(BUILD)/lib -lswiftgc -Wl,-rpath,$(LIBRARY_DIRECTORY)

BUILD_PACKAGES := libunwind-dev
BENCH_PACKAGES := libgc-dev libjemalloc-dev libmimalloc-dev
# bdwgc itself, for the reference runs of the bdwgc compatibility tests.
BOEHM_TEST_PACKAGES := libgc-dev w3m mmv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

CORE_SOURCES := $(shell find Sources/GCCore Sources/_CSwiftGC include -type f) Package.swift
EXAMPLES := $(patsubst c-examples/%.c,$(BUILD)/examples/%,$(wildcard c-examples/*.c))
C_TESTS := $(patsubst Tests/CTests/%.c,$(BUILD)/tests/%,$(wildcard Tests/CTests/test_*.c))
C_TEST_LIBRARIES := $(patsubst Tests/CTests/%.c,$(BUILD)/tests/%.so,$(wildcard Tests/CTests/lib_*.c))

.PHONY: all deps bench-deps boehm-test-deps demo examples test swift-test c-tests boehm-tests check-library bench install uninstall clean

all: $(LIBRARY)

# Installs the Debian packages in $(1) that are not installed yet, saying which.
define install_packages
	@missing=""; for package in $(1); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing Debian packages:$$missing"; \
	  $(SUDO) apt-get install -y $$missing || { $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; }; \
	fi
endef

deps:
	$(call install_packages,$(BUILD_PACKAGES))

bench-deps: deps
	$(call install_packages,$(BENCH_PACKAGES))

boehm-test-deps: deps
	$(call install_packages,$(BOEHM_TEST_PACKAGES))

$(LIBRARY): $(CORE_SOURCES) | deps
	SWIFTGC_EMBEDDED=1 swift build -c release --product swiftgc --scratch-path $(EMBEDDED_SCRATCH)
	@mkdir -p $(BUILD)/lib
	cp $(EMBEDDED_SCRATCH)/release/libswiftgc.so $@

$(BUILD)/examples/%: c-examples/%.c $(LIBRARY) include/swiftgc.h
	@mkdir -p $(BUILD)/examples
	$(CC) $(C_FLAGS) -O2 $< $(LINK_SWIFTGC) -o $@

examples: $(EXAMPLES)

demo: $(BUILD)/examples/demo
	./$(BUILD)/examples/demo

$(BUILD)/tests/%.so: Tests/CTests/%.c include/swiftgc.h
	@mkdir -p $(BUILD)/tests
	$(CC) $(C_FLAGS) -fPIC -shared $< -o $@

$(BUILD)/tests/%: Tests/CTests/%.c $(wildcard Tests/CTests/*.h) $(LIBRARY) include/swiftgc.h
	@mkdir -p $(BUILD)/tests
	$(CC) $(C_FLAGS) -ITests/CTests $< $(LINK_SWIFTGC) -ldl -lpthread -o $@

test: check-library c-tests boehm-tests swift-test examples

# bdwgc compatibility: one program written against gc.h, built with our
# headers (-lswiftgc) and with Debian's (-lgc). The -lgc binary runs on bdwgc
# for the reference output, then on SwiftGC through LD_PRELOAD; all three
# outputs must be identical, and the preloaded run must really use SwiftGC.
BOEHM_PROGRAM := Tests/BoehmTests/bdwgc_program.c
$(BUILD)/boehm/on_swiftgc: $(BOEHM_PROGRAM) $(LIBRARY) $(wildcard include/boehm/*.h include/boehm/gc/*.h)
	@mkdir -p $(BUILD)/boehm
	$(CC) $(C_FLAGS) -Iinclude/boehm $< $(LINK_SWIFTGC) -ldl -lpthread -o $@

$(BUILD)/boehm/on_bdwgc: $(BOEHM_PROGRAM) | boehm-test-deps
	@mkdir -p $(BUILD)/boehm
	$(CC) $(filter-out -Iinclude,$(C_FLAGS)) $< -lgc -ldl -lpthread -o $@

boehm-tests: $(BUILD)/boehm/on_swiftgc $(BUILD)/boehm/on_bdwgc | boehm-test-deps
	@cd $(BUILD)/boehm && \
	EXPECT_COLLECTOR=bdwgc ./on_bdwgc > bdwgc.out && \
	EXPECT_COLLECTOR=swiftgc ./on_swiftgc > swiftgc.out && \
	LD_PRELOAD=$(LIBRARY_DIRECTORY)/libswiftgc.so EXPECT_COLLECTOR=swiftgc ./on_bdwgc > preload.out && \
	diff -u bdwgc.out swiftgc.out && diff -u bdwgc.out preload.out && \
	echo "bdwgc program: same output on bdwgc, with SwiftGC's gc.h, and on SwiftGC via LD_PRELOAD."
	@Tests/BoehmTests/generate_page.sh > $(BUILD)/boehm/page.html && \
	w3m -dump -cols 100 $(BUILD)/boehm/page.html > $(BUILD)/boehm/w3m-bdwgc.txt && \
	LD_PRELOAD=$(LIBRARY_DIRECTORY)/libswiftgc.so SWIFTGC_STATS=1 w3m -dump -cols 100 $(BUILD)/boehm/page.html \
	  > $(BUILD)/boehm/w3m-swiftgc.txt 2> $(BUILD)/boehm/w3m-swiftgc.err && \
	grep -q '^swiftgc: collections [1-9]' $(BUILD)/boehm/w3m-swiftgc.err && \
	cmp $(BUILD)/boehm/w3m-bdwgc.txt $(BUILD)/boehm/w3m-swiftgc.txt && \
	echo "w3m -dump of a $$(wc -c < $(BUILD)/boehm/page.html)-byte page: identical on bdwgc and on SwiftGC (LD_PRELOAD), which collected."
	@for collector in bdwgc swiftgc; do \
	  rm -rf $(BUILD)/boehm/mmv-$$collector && mkdir -p $(BUILD)/boehm/mmv-$$collector && \
	  (cd $(BUILD)/boehm/mmv-$$collector && for i in $$(seq 1 300); do : > file_$$i.txt; done && \
	   if [ $$collector = swiftgc ]; then export LD_PRELOAD=$(LIBRARY_DIRECTORY)/libswiftgc.so; fi && \
	   mmv -v '*.txt' '#1.md' > ../mmv-$$collector.out && ls > ../mmv-$$collector.files) || exit 1; \
	done; \
	cmp $(BUILD)/boehm/mmv-bdwgc.out $(BUILD)/boehm/mmv-swiftgc.out && \
	cmp $(BUILD)/boehm/mmv-bdwgc.files $(BUILD)/boehm/mmv-swiftgc.files && \
	echo "mmv renaming 300 files: same output and result on bdwgc and on SwiftGC (LD_PRELOAD)."

swift-test: | deps
	swift test --no-parallel

# Each C test prints "N passed, M failed" and exits non-zero on failure.
c-tests: $(C_TESTS) $(C_TEST_LIBRARIES)
	@failed=""; for test in $(C_TESTS); do \
	  echo "== $$test"; ./$$test || failed="$$failed $$(basename $$test)"; done; \
	if [ -n "$$failed" ]; then echo "C tests failed:$$failed"; exit 1; fi; \
	echo "All $(words $(C_TESTS)) C test programs passed."

# The library must need only libc (with its dynamic loader) and libunwind,
# and export only the C API and the bdwgc compatibility layer.
check-library: $(LIBRARY)
	@needed=$$(readelf -d $(LIBRARY) | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -v '^ld-linux' | sort | tr '\n' ' '); \
	if [ "$$needed" != "libc.so.6 libunwind.so.8 " ]; then \
	  echo "libswiftgc.so needs [$$needed], expected only libc.so.6 and libunwind.so.8"; exit 1; fi; \
	exported=$$(nm -D --defined-only $(LIBRARY) | awk '$$2 ~ /^[TDBRVW]$$/ {print $$3}' | grep -v -e '^gc_' -e '^GC_' -e '^pthread_create$$' || true); \
	if [ -n "$$exported" ]; then echo "libswiftgc.so exports more than gc_*, GC_* and pthread_create: $$exported"; exit 1; fi; \
	echo "libswiftgc.so needs only libc and libunwind and exports only gc_*, GC_* (bdwgc layer) and pthread_create."

bench: $(LIBRARY) | bench-deps
	Benchmarks/run.sh

install: $(LIBRARY)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/swiftgc.h $(DESTDIR)$(PREFIX)/include/swiftgc.h
	install -m 755 $(LIBRARY) $(DESTDIR)$(PREFIX)/lib/libswiftgc.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' swiftgc.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc.pc
	install -d $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc
	install -m 644 include/boehm/gc.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc.h
	install -m 644 include/boehm/gc_typed.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc_typed.h
	install -m 644 include/boehm/gc/gc.h include/boehm/gc/gc_typed.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc/
	sed -e 's|@PREFIX@|$(PREFIX)|g' swiftgc-boehm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc-boehm.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/swiftgc.h $(DESTDIR)$(PREFIX)/lib/libswiftgc.so \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc-boehm.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/swiftgc-boehm

clean:
	rm -rf $(BUILD) $(EMBEDDED_SCRATCH) .build
