// swift-tools-version: 6.1
//
// Two builds of the same collector sources:
//
// * Default (what a package that depends on SwiftGC by URL gets): GCCore is
//   compiled as ordinary Swift and linked into the SwiftGC product. No unsafe
//   flags, so dependents can build it.
// * SWIFTGC_EMBEDDED=1 (used only by the Makefile): GCCore is compiled in
//   Embedded Swift mode into the dynamic library `libswiftgc.so`, which needs
//   only libc and libunwind. Embedded objects define weak Swift runtime
//   symbols, so they must never be linked into a normal Swift binary; the
//   version script keeps them out of the library's exports.
import PackageDescription

let isEmbeddedBuild = Context.environment["SWIFTGC_EMBEDDED"] == "1"
// SWIFTGC_PRELOAD=1 (with SWIFTGC_EMBEDDED=1, used only by the Makefile)
// builds `libswiftgc-preload.so` instead: the same collector compiled with
// SWIFTGC_PRELOAD, plus the C shim that defines malloc, free and the rest of
// the family. It has its own scratch path and version script.
let isPreloadBuild = isEmbeddedBuild && Context.environment["SWIFTGC_PRELOAD"] == "1"
let packageDirectory = Context.packageDirectory

var coreSwiftSettings: [SwiftSetting] = []
var coreLinkerSettings: [LinkerSetting] = [.linkedLibrary("unwind")]
// The C library interposes pthread_create so that every thread is registered
// before it runs. The Swift package does not: it is linked into programs whose
// runtime (Foundation, Dispatch, Swift Testing) creates threads of its own, and
// there threads register on their first allocation or with
// GC.registerCurrentThread().
var shimCSettings: [CSetting] = []
if isEmbeddedBuild {
    shimCSettings += [.define("SWIFTGC_INTERPOSE_PTHREAD_CREATE")]
}
if isEmbeddedBuild {
    coreSwiftSettings += [
        .enableExperimentalFeature("Embedded"),
        // No dynamic exclusivity checks: each access to a global (the preload
        // mode, the collector state) would otherwise call swift_beginAccess.
        .unsafeFlags(["-wmo", "-Xfrontend", "-disable-stack-protector", "-enforce-exclusivity=unchecked"]),
        // One section per function, so the linker can drop the Embedded
        // runtime functions nothing calls (see below).
        .unsafeFlags(["-Xfrontend", "-function-sections"]),
    ]
    coreLinkerSettings += [
        .unsafeFlags(["-Xlinker", "--version-script=\(packageDirectory)/Sources/GCCore/"
                      + (isPreloadBuild ? "preload.map" : "exports.map")]),
        // Embedded Swift emits its runtime (swift_allocObject, swift_slowAlloc
        // and Hasher's seeding) into every module; they call posix_memalign,
        // free and arc4random_buf. The collector never calls them, and lld's
        // --gc-sections removes them with their references (gold removes
        // the code but keeps the undefined symbols). `make check-library`
        // checks that no malloc-family symbol is referenced.
        .unsafeFlags(["-use-ld=lld", "-Xlinker", "--gc-sections"]),
    ]
}
if isPreloadBuild {
    coreSwiftSettings += [.define("SWIFTGC_PRELOAD")]
} else if isEmbeddedBuild {
    // libswiftgc.so.0: programs linked with -lswiftgc record the ABI's major
    // version, and the Makefile installs libswiftgc.so.0.MINOR.PATCH with
    // the two symlinks. (The preload library keeps its plain name: it is
    // preloaded by path, never linked.)
    coreLinkerSettings += [.unsafeFlags(["-Xlinker", "-soname=libswiftgc.so.0"])]
}

let shimTarget: Target = .target(
    name: "_CSwiftGC",
    cSettings: shimCSettings,
    linkerSettings: [.linkedLibrary("unwind"), .linkedLibrary("dl")]
)
// The malloc-replacement front end is compiled only into the preload library,
// whose C target defines the leak check's stack capture that it calls.
let preloadOnlySources = ["MallocAPI", "Exports/MallocExports.swift"]
let coreTarget: Target = .target(
    name: "GCCore",
    dependencies: ["_CSwiftGC"],
    exclude: ["README.md", "exports.map", "preload.map"] + (isPreloadBuild ? [] : preloadOnlySources),
    swiftSettings: coreSwiftSettings,
    linkerSettings: coreLinkerSettings
)

// The bdwgc compatibility layer (GC_* functions), C above the collector: it
// forwards to gc_* and the internal swiftgc_kinds_* exports, resolved when
// libswiftgc.so is linked, so it needs GCCore as no dependency; it includes
// the shim's collection_hooks.h by path, to register its hooks. Part of
// libswiftgc.so only, so that a Swift program using the package can still
// link bdwgc.
let boehmTarget: Target = .target(name: "_CSwiftGCBoehm")
// The C of libswiftgc-preload.so: the malloc family, forwarding to GCCore's
// exports, and the leak check's stack capture, which GCCore calls through
// declarations in _CSwiftGC.h.
let preloadTarget: Target = .target(name: "_CSwiftGCPreload", dependencies: ["_CSwiftGC"])

let package: Package
if isPreloadBuild {
    package = Package(
        name: "SwiftGC",
        products: [.library(name: "swiftgc-preload", type: .dynamic, targets: ["GCCore", "_CSwiftGCPreload"])],
        targets: [shimTarget, coreTarget, preloadTarget]
    )
} else if isEmbeddedBuild {
    package = Package(
        name: "SwiftGC",
        products: [.library(name: "swiftgc", type: .dynamic, targets: ["GCCore", "_CSwiftGCBoehm"])],
        targets: [shimTarget, coreTarget, boehmTarget]
    )
} else {
    package = Package(
        name: "SwiftGC",
        products: [.library(name: "SwiftGC", targets: ["SwiftGC"])],
        targets: [
            shimTarget,
            coreTarget,
            .target(name: "SwiftGC", dependencies: ["GCCore", "_CSwiftGC"]),
            .testTarget(name: "GCCoreTests", dependencies: ["GCCore", "_CSwiftGC"]),
            .testTarget(name: "SwiftGCTests", dependencies: ["SwiftGC"]),
        ]
    )
}
