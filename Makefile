# SwiftGC: build, install, demo, test and bench.
#
#   make            the release libswiftgc.so in build/lib
#   make demo       build it and run c-examples/demo.c
#   make test       Swift tests, C tests and library checks
#   make test-stress C tests and examples under SWIFTGC_STRESS and SWIFTGC_VERIFY=1
#   make test-model the model-based random test at length (see MODEL_* below)
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
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

CORE_SOURCES := $(shell find Sources/GCCore Sources/_CSwiftGC include -type f) Package.swift
EXAMPLES := $(patsubst c-examples/%.c,$(BUILD)/examples/%,$(wildcard c-examples/*.c))
C_TESTS := $(patsubst Tests/CTests/%.c,$(BUILD)/tests/%,$(wildcard Tests/CTests/test_*.c))
C_TEST_LIBRARIES := $(patsubst Tests/CTests/%.c,$(BUILD)/tests/%.so,$(wildcard Tests/CTests/lib_*.c))

.PHONY: all deps bench-deps demo examples test swift-test c-tests check-library bench install uninstall clean test-stress test-model

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

test: check-library c-tests swift-test examples

swift-test: | deps
	swift test --no-parallel

# Each C test prints "N passed, M failed" and exits non-zero on failure.
c-tests: $(C_TESTS) $(C_TEST_LIBRARIES)
	@failed=""; for test in $(C_TESTS); do \
	  echo "== $$test"; ./$$test || failed="$$failed $$(basename $$test)"; done; \
	if [ -n "$$failed" ]; then echo "C tests failed:$$failed"; exit 1; fi; \
	echo "All $(words $(C_TESTS)) C test programs passed."

# Every C test and example again, collecting every STRESS allocations and
# verifying the heap at each collection. STRESS_LONG applies to the programs
# in STRESS_LONG_PROGRAMS, whose heaps are so big that a collection every few
# thousand allocations would take hours. CI runs `make test-stress STRESS=5000`
# (about a minute); the default is the thorough run.
STRESS ?= 1000
STRESS_LONG ?= 200000
STRESS_LONG_PROGRAMS := test_long_list
test-stress: $(C_TESTS) $(C_TEST_LIBRARIES) $(EXAMPLES)
	@failed=""; for program in $(C_TESTS) $(EXAMPLES); do \
	  interval=$(STRESS); \
	  case " $(STRESS_LONG_PROGRAMS) " in *" $$(basename $$program) "*) interval=$(STRESS_LONG);; esac; \
	  echo "== SWIFTGC_STRESS=$$interval SWIFTGC_VERIFY=1 $$program"; \
	  SWIFTGC_STRESS=$$interval SWIFTGC_VERIFY=1 ./$$program > $(BUILD)/stress-output.txt 2>&1 \
	    || { cat $(BUILD)/stress-output.txt; failed="$$failed $$(basename $$program)"; }; \
	  tail -n 1 $(BUILD)/stress-output.txt; done; \
	if [ -n "$$failed" ]; then echo "Failed under stress:$$failed"; exit 1; fi; \
	echo "All $(words $(C_TESTS) $(EXAMPLES)) programs passed under stress and verification."

# The model-based random test at length: MODEL_OPERATIONS per thread, over
# MODEL_SEEDS consecutive seeds from MODEL_SEED (default: from the clock),
# single-threaded and with 3 threads. `make test` runs it briefly.
MODEL_OPERATIONS ?= 2000000
MODEL_SEEDS ?= 5
test-model: $(BUILD)/tests/test_model
	@seed=$${MODEL_SEED:-$$(date +%s)}; for index in $$(seq 1 $(MODEL_SEEDS)); do \
	  ./$(BUILD)/tests/test_model $$seed $(MODEL_OPERATIONS) 1 || exit 1; \
	  ./$(BUILD)/tests/test_model $$((seed + 1000)) $$(($(MODEL_OPERATIONS) / 4)) 3 || exit 1; \
	  seed=$$((seed + 1)); done

# The library must need only libc (with its dynamic loader) and libunwind,
# and export only the C API.
check-library: $(LIBRARY)
	@needed=$$(readelf -d $(LIBRARY) | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -v '^ld-linux' | sort | tr '\n' ' '); \
	if [ "$$needed" != "libc.so.6 libunwind.so.8 " ]; then \
	  echo "libswiftgc.so needs [$$needed], expected only libc.so.6 and libunwind.so.8"; exit 1; fi; \
	exported=$$(nm -D --defined-only $(LIBRARY) | awk '$$2 ~ /^[TDBRVW]$$/ {print $$3}' | grep -v -e '^gc_' -e '^pthread_create$$' || true); \
	if [ -n "$$exported" ]; then echo "libswiftgc.so exports more than gc_* and pthread_create: $$exported"; exit 1; fi; \
	echo "libswiftgc.so needs only libc and libunwind and exports only gc_* and pthread_create."

bench: $(LIBRARY) | bench-deps
	Benchmarks/run.sh

install: $(LIBRARY)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/swiftgc.h $(DESTDIR)$(PREFIX)/include/swiftgc.h
	install -m 755 $(LIBRARY) $(DESTDIR)$(PREFIX)/lib/libswiftgc.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' swiftgc.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/swiftgc.h $(DESTDIR)$(PREFIX)/lib/libswiftgc.so \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc.pc

clean:
	rm -rf $(BUILD) $(EMBEDDED_SCRATCH) .build
