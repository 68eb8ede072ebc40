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
let packageDirectory = Context.packageDirectory

var coreSwiftSettings: [SwiftSetting] = []
var coreLinkerSettings: [LinkerSetting] = [.linkedLibrary("unwind")]
// Stop-the-world and the pthread_create wrapper are compiled only with
// SWIFTGC_STOP_THE_WORLD=1 for now: Tests/CTests/wip_threads.c still loses a
// live object in about 30% of runs, and in the Swift package the wrapper hung
// the test runner at start-up. Without it the collector scans only the
// collecting thread.
let stopsTheWorld = Context.environment["SWIFTGC_STOP_THE_WORLD"] == "1"
var shimCSettings: [CSetting] = []
if isEmbeddedBuild && stopsTheWorld {
    shimCSettings += [.define("SWIFTGC_STOP_THE_WORLD")]
    coreSwiftSettings += [.define("SWIFTGC_STOP_THE_WORLD")]
}
if isEmbeddedBuild {
    coreSwiftSettings += [
        .enableExperimentalFeature("Embedded"),
        .unsafeFlags(["-wmo", "-Xfrontend", "-disable-stack-protector"]),
    ]
    coreLinkerSettings += [
        .unsafeFlags(["-Xlinker", "--version-script=\(packageDirectory)/Sources/GCCore/exports.map"]),
    ]
}

let shimTarget: Target = .target(
    name: "_CSwiftGC",
    cSettings: shimCSettings,
    linkerSettings: [.linkedLibrary("unwind"), .linkedLibrary("dl")]
)
let coreTarget: Target = .target(
    name: "GCCore",
    dependencies: ["_CSwiftGC"],
    exclude: ["README.md", "exports.map"],
    swiftSettings: coreSwiftSettings,
    linkerSettings: coreLinkerSettings
)

let package: Package
if isEmbeddedBuild {
    package = Package(
        name: "SwiftGC",
        products: [.library(name: "swiftgc", type: .dynamic, targets: ["GCCore"])],
        targets: [shimTarget, coreTarget]
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
