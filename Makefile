# SwiftGC: build, install, demo, test and bench.
#
#   make            the release libswiftgc.so and libswiftgc-preload.so in build/lib
#   make demo       build it and run c-examples/demo.c
#   make test       Swift tests, C tests and library checks
#   make test-stress C tests and examples under SWIFTGC_STRESS and SWIFTGC_VERIFY=1
#   make test-model the model-based random test at length (see MODEL_* below)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (see Tests/Fuzz)
#   make bench      side-by-side benchmarks (see Benchmarks/README.md)
#   make install    PREFIX=/usr/local by default
#
# Debian packages that are missing are installed with apt-get first.

PREFIX ?= /usr/local
BUILD := build
EMBEDDED_SCRATCH := .build-embedded
LIBRARY := $(BUILD)/lib/libswiftgc.so
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
# bdwgc itself, for the reference runs of the bdwgc compatibility tests.
BOEHM_TEST_PACKAGES := libgc-dev w3m mmv guile-3.0 chase debfoster
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

CORE_SOURCES := $(shell find Sources/GCCore Sources/_CSwiftGC include -type f) Package.swift
PRELOAD_SOURCES := $(CORE_SOURCES) $(shell find Sources/_CSwiftGCPreload -type f)
EXAMPLES := $(patsubst c-examples/%.c,$(BUILD)/examples/%,$(wildcard c-examples/*.c))
C_TESTS := $(patsubst Tests/CTests/%.c,$(BUILD)/tests/%,$(wildcard Tests/CTests/test_*.c))
C_TEST_LIBRARIES := $(patsubst Tests/CTests/%.c,$(BUILD)/tests/%.so,$(wildcard Tests/CTests/lib_*.c))

.PHONY: all deps bench-deps boehm-test-deps demo examples test swift-test c-tests boehm-tests check-library bench install uninstall clean
.PHONY: check-preload-library preload-tests test-stress test-model check-no-malloc fuzz fuzz-replay

all: $(LIBRARY) $(PRELOAD_LIBRARY)

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

$(BUILD)/tests/%: Tests/CTests/%.c $(wildcard Tests/CTests/*.h) $(LIBRARY) include/swiftgc.h
	@mkdir -p $(BUILD)/tests
	$(CC) $(C_FLAGS) -ITests/CTests $< $(LINK_SWIFTGC) -ldl -lpthread -o $@

test: check-library check-preload-library check-no-malloc fuzz-replay c-tests preload-tests boehm-tests swift-test examples

PRELOAD_TEST_PROGRAMS := $(BUILD)/preload-tests/malloc_family $(BUILD)/preload-tests/new_delete \
  $(BUILD)/preload-tests/planted_bugs $(BUILD)/preload-tests/planted_leaks \
  $(BUILD)/preload-tests/aligned_misuse
PRELOAD_TEST_PROGRAMS += $(BUILD)/preload-tests/cross_thread_free $(BUILD)/preload-tests/memory_after_peak
PRELOAD_TEST_PROGRAMS += $(BUILD)/preload-tests/recently_freed $(BUILD)/preload-tests/thread_stack_frames

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
	$(call install_packages,$(PRELOAD_TEST_PACKAGES))
	Tests/PreloadTests/run.sh $(PRELOAD_LIBRARY) $(BUILD)/preload-tests

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
	@guile --no-auto-compile Tests/BoehmTests/guile_allocation.scm > $(BUILD)/boehm/guile-bdwgc.out && \
	LD_PRELOAD=$(LIBRARY_DIRECTORY)/libswiftgc.so SWIFTGC_STATS=1 guile --no-auto-compile \
	  Tests/BoehmTests/guile_allocation.scm > $(BUILD)/boehm/guile-swiftgc.out 2> $(BUILD)/boehm/guile-swiftgc.err && \
	grep -q '^swiftgc: collections [1-9]' $(BUILD)/boehm/guile-swiftgc.err && \
	cmp $(BUILD)/boehm/guile-bdwgc.out $(BUILD)/boehm/guile-swiftgc.out && \
	echo "guile 3.0 (object kinds, mark procedures, weak tables, guardians): same output on bdwgc and on SwiftGC (LD_PRELOAD), which collected."
	@rm -rf $(BUILD)/boehm/chase && mkdir -p $(BUILD)/boehm/chase/level0 && cd $(BUILD)/boehm/chase && \
	(cd level0 && seq 1 2000 | sed 's/^/target_/' | xargs touch) && \
	for level in 1 2 3 4 5; do mkdir level$$level && cp -s "$$PWD"/level$$((level - 1))/* level$$level/ || exit 1; done && \
	ls -d "$$PWD"/level5/* > names.txt && \
	chase -f names.txt > ../chase-bdwgc.out && \
	LD_PRELOAD=$(LIBRARY_DIRECTORY)/libswiftgc.so SWIFTGC_STATS=1 SWIFTGC_INITIAL_HEAP=256K chase -f names.txt \
	  > ../chase-swiftgc.out 2> ../chase-swiftgc.err && \
	grep -q '^swiftgc: collections [1-9]' ../chase-swiftgc.err && cmp ../chase-bdwgc.out ../chase-swiftgc.out && \
	echo "chase following 2000 chains of 5 symlinks: same output on bdwgc and on SwiftGC (LD_PRELOAD, 256K budget), which collected."
	@for options in "-n -d libgc-dev" "-n -i -s"; do \
	  debfoster $$options > $(BUILD)/boehm/debfoster-bdwgc.out && \
	  LD_PRELOAD=$(LIBRARY_DIRECTORY)/libswiftgc.so SWIFTGC_STATS=1 SWIFTGC_INITIAL_HEAP=256K debfoster $$options \
	    > $(BUILD)/boehm/debfoster-swiftgc.out 2> $(BUILD)/boehm/debfoster-swiftgc.err && \
	  grep -q '^swiftgc: collections [1-9]' $(BUILD)/boehm/debfoster-swiftgc.err && \
	  cmp $(BUILD)/boehm/debfoster-bdwgc.out $(BUILD)/boehm/debfoster-swiftgc.out || exit 1; \
	done; echo "debfoster reading the package database (-d libgc-dev, -s): same output on bdwgc and on SwiftGC (LD_PRELOAD, 256K budget), which collected."

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
# Marking threads under stress: more than most machines have cores, so the
# helpers' interleavings vary and the verifier checks every parallel mark.
STRESS_MARKERS ?= 3
STRESS_LONG_PROGRAMS := test_long_list
test-stress: $(C_TESTS) $(C_TEST_LIBRARIES) $(EXAMPLES)
	@failed=""; for program in $(C_TESTS) $(EXAMPLES); do \
	  interval=$(STRESS); \
	  case " $(STRESS_LONG_PROGRAMS) " in *" $$(basename $$program) "*) interval=$(STRESS_LONG);; esac; \
	  echo "== SWIFTGC_STRESS=$$interval SWIFTGC_VERIFY=1 SWIFTGC_MARKERS=$(STRESS_MARKERS) $$program"; \
	  SWIFTGC_STRESS=$$interval SWIFTGC_VERIFY=1 SWIFTGC_MARKERS=$(STRESS_MARKERS) ./$$program \
	    > $(BUILD)/stress-output.txt 2>&1 \
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
# and export only the C API and the bdwgc compatibility layer.
check-library: $(LIBRARY)
	@needed=$$(readelf -d $(LIBRARY) | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -v '^ld-linux' | sort | tr '\n' ' '); \
	if [ "$$needed" != "libc.so.6 libunwind.so.8 " ]; then \
	  echo "libswiftgc.so needs [$$needed], expected only libc.so.6 and libunwind.so.8"; exit 1; fi; \
	exported=$$(nm -D --defined-only $(LIBRARY) | awk '$$2 ~ /^[TDBRVW]$$/ {print $$3}' | grep -v -e '^gc_' -e '^GC_' -e '^pthread_\(create\|exit\|join\|detach\|tryjoin_np\|timedjoin_np\|clockjoin_np\)$$' || true); \
	if [ -n "$$exported" ]; then echo "libswiftgc.so exports more than gc_*, GC_* and the pthread wrappers: $$exported"; exit 1; fi; \
	echo "libswiftgc.so needs only libc and libunwind and exports only gc_*, GC_* (bdwgc layer) and the pthread wrappers."

# The same for the preload library, whose exports add the malloc family.
PRELOAD_EXPORTS := malloc free calloc realloc reallocarray posix_memalign aligned_alloc memalign valloc \
  pvalloc malloc_usable_size __libc_malloc __libc_free __libc_calloc __libc_realloc __libc_memalign \
  __libc_valloc __libc_pvalloc pthread_create pthread_exit pthread_join pthread_detach \
  pthread_tryjoin_np pthread_timedjoin_np pthread_clockjoin_np
check-preload-library: $(PRELOAD_LIBRARY)
	@needed=$$(readelf -d $(PRELOAD_LIBRARY) | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -v '^ld-linux' | sort | tr '\n' ' '); \
	if [ "$$needed" != "libc.so.6 libunwind.so.8 " ]; then \
	  echo "libswiftgc-preload.so needs [$$needed], expected only libc.so.6 and libunwind.so.8"; exit 1; fi; \
	exported=$$(nm -D --defined-only $(PRELOAD_LIBRARY) | awk '$$2 ~ /^[TDBRVWi]$$/ {print $$3}' | sort -u); \
	extra=$$(echo "$$exported" | grep -v '^gc_' | grep -vxF $(foreach name,$(PRELOAD_EXPORTS),-e $(name)) || true); \
	if [ -n "$$extra" ]; then echo "libswiftgc-preload.so exports more than gc_*, the pthread wrappers and the malloc family: $$extra"; exit 1; fi; \
	for name in $(PRELOAD_EXPORTS); do echo "$$exported" | grep -qx "$$name" || { echo "libswiftgc-preload.so does not export $$name"; exit 1; }; done; \
	echo "libswiftgc-preload.so needs only libc and libunwind and exports gc_*, the pthread wrappers and the malloc family."

# The collector never calls malloc. Embedded Swift compiles its own runtime
# into each module (swift_allocObject, swift_slowAlloc: posix_memalign and
# free; Hasher's seed: arc4random_buf); nothing calls it, and the link
# (-function-sections, lld --gc-sections, see Package.swift) must drop it. Both
# libraries must keep no Swift runtime allocation function, and libswiftgc.so
# no reference to the malloc family. (malloc_usable_size, a query, is allowed:
# threads.c measures dynamic TLS blocks with it.)
SWIFT_RUNTIME_ALLOCATORS := swift_allocObject swift_slowAlloc swift_coroFrameAlloc swift_allocBox swift_allocEmptyBox
MALLOC_FAMILY := malloc calloc realloc reallocarray free posix_memalign aligned_alloc memalign valloc pvalloc \
  strdup strndup arc4random arc4random_buf
check-no-malloc: $(LIBRARY) $(PRELOAD_LIBRARY)
	@for library in $(LIBRARY) $(PRELOAD_LIBRARY); do \
	  found=$$(nm $$library | awk '{print $$NF}' | grep -xF $(foreach name,$(SWIFT_RUNTIME_ALLOCATORS),-e $(name)) || true); \
	  if [ -n "$$found" ]; then echo "$$library contains Swift runtime allocation functions:" $$found; exit 1; fi; done; \
	found=$$(nm -D --undefined-only $(LIBRARY) | awk '{print $$2}' | sed 's/@.*//' | grep -xF $(foreach name,$(MALLOC_FAMILY),-e $(name)) || true); \
	if [ -n "$$found" ]; then echo "libswiftgc.so references the malloc family:" $$found; exit 1; fi; \
	found=$$(objdump -d --no-show-raw-insn $(PRELOAD_LIBRARY) | awk -v family="$(MALLOC_FAMILY)" \
	  'BEGIN { gsub(/ /, "|", family); pattern = "<(" family ")(@plt)?>$$" } \
	   /^[0-9a-f]+ <.*>:$$/ { function_name = $$2; next } \
	   /\t(call|jmp)/ && $$NF ~ pattern && function_name ~ /GCCore|swift_/ { print function_name "->" $$NF }' | sort -u); \
	if [ -n "$$found" ]; then echo "Swift code in the preload library calls the malloc family:" $$found; exit 1; fi; \
	echo "Neither library contains the Swift runtime's allocator; libswiftgc.so references no malloc-family function;" \
	  "no Swift code in libswiftgc-preload.so calls one."

# ---- Fuzzing ----------------------------------------------------------------
# Three libFuzzer targets (Tests/Fuzz): the /proc/self/maps reader and the
# option parser (Swift, compiled with the GCCore files they need) and API call
# sequences (C, against a libswiftgc.so built with coverage instrumentation).
# `make fuzz` runs each for FUZZ_SECONDS in turn, niced, in $(BUILD)/fuzz, and
# merges inputs that reach new edges (not merely new hit counts, which would
# add hundreds of files) into Tests/Fuzz/<target>/corpus. Crashes are
# saved as $(BUILD)/fuzz/<target>-crash-*. `make fuzz-replay` (part of
# `make test`) runs the committed corpus through uninstrumented builds.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ := $(BUILD)/fuzz
FUZZ_SCRATCH := .build-fuzz
FUZZ_TARGETS := maps options api
FUZZ_SWIFT_SOURCES := $(addprefix Sources/GCCore/,Support/Address.swift Support/Message.swift \
  Config/Options.swift Config/OptionParser.swift Config/PreloadMode.swift OS/OS.swift \
  Roots/MapsParser.swift Roots/LineReader.swift Roots/DataSegments.swift Roots/AnonymousMappings.swift) \
  Tests/Fuzz/FuzzCheck.swift
FUZZ_SWIFT_FLAGS := -O -parse-as-library -module-name GCCoreFuzz -I $(FUZZ)/module -lunwind

$(FUZZ)/module/module.modulemap:
	@mkdir -p $(@D)
	@printf 'module _CSwiftGC {\n    header "%s"\n    export *\n}\n' $(abspath Sources/_CSwiftGC/include/_CSwiftGC.h) > $@

$(FUZZ)/%.o: Sources/_CSwiftGC/%.c Sources/_CSwiftGC/include/_CSwiftGC.h
	@mkdir -p $(@D)
	$(CC) -O1 -g -ISources/_CSwiftGC/include -c $< -o $@

$(FUZZ)/replay_main.o: Tests/Fuzz/replay_main.c
	@mkdir -p $(@D)
	$(CC) $(C_FLAGS) -c $< -o $@

# fuzz_<target>: the libFuzzer binary; replay_<target>: the same checks, no
# instrumentation, run over files. swiftc's warnings about the sanitizer
# runtime's local symbols are dropped.
define fuzz_swift_target
$(FUZZ)/fuzz_$(1): Tests/Fuzz/$(2) $(FUZZ_SWIFT_SOURCES) $(FUZZ)/shim.o | $(FUZZ)/module/module.modulemap
	@swiftc -sanitize=fuzzer,address $(FUZZ_SWIFT_FLAGS) $$(filter-out %.modulemap,$$^) -o $$@ > $$@.log 2>&1; \
	  status=$$$$?; grep -v 'Cannot export local symbol' $$@.log; exit $$$$status
$(FUZZ)/replay_$(1): Tests/Fuzz/$(2) $(FUZZ_SWIFT_SOURCES) $(FUZZ)/shim.o $(FUZZ)/replay_main.o | $(FUZZ)/module/module.modulemap
	swiftc $(FUZZ_SWIFT_FLAGS) $$(filter-out %.modulemap,$$^) -o $$@
endef
$(eval $(call fuzz_swift_target,maps,maps/FuzzMaps.swift))
$(eval $(call fuzz_swift_target,options,options/FuzzOptions.swift))

# The collector with coverage instrumentation for fuzz_api (its own scratch
# path). Edge counters only: comparison tracing (trace-cmp) in the marking
# loops halved the executions per second. SwiftPM does not rebuild objects
# when only these flags change: remove $(FUZZ_SCRATCH) after editing them.
$(FUZZ)/lib/libswiftgc.so: $(CORE_SOURCES) | deps
	SWIFTGC_EMBEDDED=1 swift build -c release --product swiftgc --scratch-path $(FUZZ_SCRATCH) \
	  -Xswiftc -sanitize=fuzzer -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table \
	  -Xcc -fsanitize-coverage=inline-8bit-counters,pc-table
	@mkdir -p $(@D)
	cp $(FUZZ_SCRATCH)/release/libswiftgc.so $@

$(FUZZ)/fuzz_api: Tests/Fuzz/api/fuzz_api.c $(FUZZ)/lib/libswiftgc.so include/swiftgc.h
	$(FUZZ_CC) $(C_FLAGS) -fsanitize=fuzzer -fno-sanitize-coverage=trace-cmp $< -L$(FUZZ)/lib -lswiftgc -Wl,-rpath,$(abspath $(FUZZ)/lib) -o $@

$(FUZZ)/replay_api: Tests/Fuzz/api/fuzz_api.c $(FUZZ)/replay_main.o $(LIBRARY) include/swiftgc.h
	$(CC) $(C_FLAGS) $< $(FUZZ)/replay_main.o $(LINK_SWIFTGC) -o $@

fuzz: $(foreach target,$(FUZZ_TARGETS),$(FUZZ)/fuzz_$(target))
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ)/corpus-$$target; \
	  echo "== fuzzing $$target for $(FUZZ_SECONDS) s"; \
	  (cd $(FUZZ) && SWIFT_BACKTRACE=enable=no nice -n 19 ./fuzz_$$target -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=4096 -close_fd_mask=2 -print_final_stats=1 -artifact_prefix=$$target- \
	    corpus-$$target ../../Tests/Fuzz/$$target/corpus > $$target.log 2>&1); status=$$?; \
	  grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|SUMMARY|Fatal error|fuzz_api:' $(FUZZ)/$$target.log; \
	  if [ $$status != 0 ]; then echo "fuzz_$$target failed: see $(FUZZ)/$$target.log and $(FUZZ)/$$target-crash-*"; exit 1; fi; \
	  (cd $(FUZZ) && SWIFT_BACKTRACE=enable=no ./fuzz_$$target -set_cover_merge=1 -use_counters=0 -use_cmp=0 -close_fd_mask=2 \
	    ../../Tests/Fuzz/$$target/corpus corpus-$$target > $$target-merge.log 2>&1) || exit 1; \
	  echo "Tests/Fuzz/$$target/corpus: $$(ls Tests/Fuzz/$$target/corpus | wc -l) inputs"; \
	done

fuzz-replay: $(foreach target,$(FUZZ_TARGETS),$(FUZZ)/replay_$(target))
	@for target in $(FUZZ_TARGETS); do \
	  ./$(FUZZ)/replay_$$target Tests/Fuzz/$$target/corpus 2>$(FUZZ)/replay-$$target.err \
	    || { tail -n 5 $(FUZZ)/replay-$$target.err; exit 1; }; done

bench: $(LIBRARY) $(PRELOAD_LIBRARY) | bench-deps
	Benchmarks/run.sh
	Benchmarks/preload.sh
	Benchmarks/latency.sh

install: $(LIBRARY) $(PRELOAD_LIBRARY)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/swiftgc.h $(DESTDIR)$(PREFIX)/include/swiftgc.h
	install -m 755 $(LIBRARY) $(DESTDIR)$(PREFIX)/lib/libswiftgc.so
	install -m 755 $(PRELOAD_LIBRARY) $(DESTDIR)$(PREFIX)/lib/libswiftgc-preload.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' swiftgc.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc.pc
	install -d $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc
	install -m 644 include/boehm/gc.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc.h
	install -m 644 include/boehm/gc_typed.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc_typed.h
	install -m 644 include/boehm/gc_mark.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc_mark.h
	install -m 644 include/boehm/gc/gc.h include/boehm/gc/gc_typed.h include/boehm/gc/gc_mark.h $(DESTDIR)$(PREFIX)/include/swiftgc-boehm/gc/
	sed -e 's|@PREFIX@|$(PREFIX)|g' swiftgc-boehm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc-boehm.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/swiftgc.h $(DESTDIR)$(PREFIX)/lib/libswiftgc.so \
	  $(DESTDIR)$(PREFIX)/lib/libswiftgc-preload.so \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/swiftgc-boehm.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/swiftgc-boehm

clean:
	rm -rf $(BUILD) $(EMBEDDED_SCRATCH) $(PRELOAD_SCRATCH) $(FUZZ_SCRATCH) .build
