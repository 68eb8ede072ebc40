# Fuzzing, included by the Makefile (which defines BUILD, CC, C_FLAGS,
# LIBRARY, LIBRARY_SOURCES and LINK_SWIFTGC).
#
# Three libFuzzer targets (Tests/Fuzz): the /proc/self/maps reader and the
# option parser (Swift, compiled with the GCCore files they need) and API call
# sequences (C, against a libswiftgc.so built with coverage instrumentation).
# `make fuzz` runs each for FUZZ_SECONDS in turn (Tests/Fuzz/run.sh), niced,
# in $(BUILD)/fuzz, and merges inputs that reach new edges into
# Tests/Fuzz/<target>/corpus. Crashes are saved as
# $(BUILD)/fuzz/<target>-crash-*. `make fuzz-replay` (part of `make test`)
# runs the committed corpus through uninstrumented builds (Tests/Fuzz/replay.sh).

.PHONY: fuzz fuzz-replay

FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ := $(BUILD)/fuzz
FUZZ_SCRATCH := .build-fuzz
FUZZ_TARGETS := maps options api
FUZZ_SWIFT_SOURCES := $(addprefix Sources/GCCore/,Config/Options.swift Config/OptionParser.swift Config/PreloadMode.swift \
  Roots/MapsParser.swift Roots/LineReader.swift Roots/DataSegments.swift Roots/AnonymousMappings.swift \
  DirtyPages/DirtyPageBackend.swift) \
  $(wildcard Sources/GCCore/OS/*.swift Sources/GCCore/Support/*.swift) Tests/Fuzz/FuzzCheck.swift
# The two bottom layers, OS and Support, come along whole, and so do the shim
# files that implement the OS wrappers.
FUZZ_SHIM_OBJECTS := $(FUZZ)/shim.o $(FUZZ)/threads.o
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
$(FUZZ)/fuzz_$(1): Tests/Fuzz/$(2) $(FUZZ_SWIFT_SOURCES) $(FUZZ_SHIM_OBJECTS) | $(FUZZ)/module/module.modulemap
	@swiftc -sanitize=fuzzer,address $(FUZZ_SWIFT_FLAGS) $$(filter-out %.modulemap,$$^) -o $$@ > $$@.log 2>&1; \
	  status=$$$$?; grep -v 'Cannot export local symbol' $$@.log; exit $$$$status
$(FUZZ)/replay_$(1): Tests/Fuzz/$(2) $(FUZZ_SWIFT_SOURCES) $(FUZZ_SHIM_OBJECTS) $(FUZZ)/replay_main.o | $(FUZZ)/module/module.modulemap
	swiftc $(FUZZ_SWIFT_FLAGS) $$(filter-out %.modulemap,$$^) -o $$@
endef
$(eval $(call fuzz_swift_target,maps,maps/FuzzMaps.swift))
$(eval $(call fuzz_swift_target,options,options/FuzzOptions.swift))

# The collector with coverage instrumentation for fuzz_api (its own scratch
# path). Edge counters only: comparison tracing (trace-cmp) in the marking
# loops halved the executions per second. SwiftPM does not rebuild objects
# when only these flags change: remove $(FUZZ_SCRATCH) after editing them.
$(FUZZ)/lib/libswiftgc.so: $(LIBRARY_SOURCES) | deps
	SWIFTGC_EMBEDDED=1 swift build -c release --product swiftgc --scratch-path $(FUZZ_SCRATCH) \
	  -Xswiftc -sanitize=fuzzer -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table \
	  -Xcc -fsanitize-coverage=inline-8bit-counters,pc-table
	@mkdir -p $(@D)
	cp $(FUZZ_SCRATCH)/release/libswiftgc.so $@
	ln -sf libswiftgc.so $(@D)/libswiftgc.so.0

$(FUZZ)/fuzz_api: Tests/Fuzz/api/fuzz_api.c $(FUZZ)/lib/libswiftgc.so include/swiftgc.h
	$(FUZZ_CC) $(C_FLAGS) -fsanitize=fuzzer -fno-sanitize-coverage=trace-cmp $< -L$(FUZZ)/lib -lswiftgc -Wl,-rpath,$(abspath $(FUZZ)/lib) -o $@

$(FUZZ)/replay_api: Tests/Fuzz/api/fuzz_api.c $(FUZZ)/replay_main.o $(LIBRARY) include/swiftgc.h
	$(CC) $(C_FLAGS) $< $(FUZZ)/replay_main.o $(LINK_SWIFTGC) -o $@

fuzz: $(foreach target,$(FUZZ_TARGETS),$(FUZZ)/fuzz_$(target))
	Tests/Fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-replay: $(foreach target,$(FUZZ_TARGETS),$(FUZZ)/replay_$(target))
	@Tests/Fuzz/replay.sh $(FUZZ) $(FUZZ_TARGETS)
