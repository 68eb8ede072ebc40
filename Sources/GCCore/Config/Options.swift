import _CSwiftGC

/// Every `SWIFTGC_*` option. `descriptor` is the single table of names,
/// kinds, defaults and one-line documentation; README's option list is
/// checked against it by the test suite.
enum Option: Int {
    case heapGrowth
    case initialHeap
    case maxHeap
    case reserve
    case markStackLimit
    case stats
    case abortOnError
    case suspendSignal
    case restartSignal
    case mode
    case leakExitCode
    case stress
    case verify
    case quarantine
    case markers
    case dirtyPages
    case refuseUserfaultfd
    case concurrent
    case concurrentHeap
    case markCPUShare
    case arenaCheck
    case trace
    case traceFile
    case verbose

    static let count = 24

    var descriptor: OptionDescriptor {
        switch self {
        case .heapGrowth:
            return OptionDescriptor(name: "SWIFTGC_HEAP_GROWTH", kind: .percent, defaultValue: 100,
                documentation: "Collect when the bytes allocated since the last collection reach this percentage of the live heap (like GOGC).")
        case .initialHeap:
            return OptionDescriptor(name: "SWIFTGC_INITIAL_HEAP", kind: .bytes, defaultValue: 4 << 20,
                documentation: "The smallest allocation budget between collections, so small heaps do not collect constantly.")
        case .maxHeap:
            return OptionDescriptor(name: "SWIFTGC_MAX_HEAP", kind: .bytes, defaultValue: 0,
                documentation: "Hard limit on the heap size; allocations that would pass it after a collection return NULL with ENOMEM. 0 means no limit.")
        case .reserve:
            return OptionDescriptor(name: "SWIFTGC_RESERVE", kind: .bytes, defaultValue: 256 << 30,
                documentation: "Address space reserved for the heap at start-up (not memory used); halved until the kernel accepts it.")
        case .markStackLimit:
            return OptionDescriptor(name: "SWIFTGC_MARK_STACK_LIMIT", kind: .count, defaultValue: 0,
                documentation: "Caps the mark stack at this many entries to exercise overflow recovery in tests. 0 means the built-in maximum.")
        case .stats:
            return OptionDescriptor(name: "SWIFTGC_STATS", kind: .boolean, defaultValue: 0,
                documentation: "1 prints a one-line summary of the collector's statistics on stderr at exit.")
        case .abortOnError:
            return OptionDescriptor(name: "SWIFTGC_ABORT_ON_ERROR", kind: .boolean, defaultValue: 0,
                documentation: "1 makes misuse such as a double free abort the process after its message, instead of continuing.")
        case .suspendSignal:
            return OptionDescriptor(name: "SWIFTGC_SUSPEND_SIGNAL", kind: .signal, defaultValue: 30,
                documentation: "Signal that stops threads for a collection (default SIGPWR, as bdwgc).")
        case .restartSignal:
            return OptionDescriptor(name: "SWIFTGC_RESTART_SIGNAL", kind: .signal, defaultValue: BuildFlavor.defaultRestartSignal,
                documentation: "Signal that restarts stopped threads (default SIGXCPU, as bdwgc; 63 in the preload library).")
        case .mode:
            return OptionDescriptor(name: "SWIFTGC_MODE", kind: .mode, defaultValue: 0,
                documentation: "What libswiftgc-preload.so does with malloc memory: malloc, collect, ignore-free, leak-check or safe-free.")
        case .leakExitCode:
            return OptionDescriptor(name: "SWIFTGC_LEAK_EXIT_CODE", kind: .count, defaultValue: 23,
                documentation: "Exit status of a program whose leak-check report found leaks; 0 keeps the program's own status.")
        case .stress:
            return OptionDescriptor(name: "SWIFTGC_STRESS", kind: .count, defaultValue: 0,
                documentation: "Testing: collect at every Nth allocation (1: at every allocation). Slow. 0 means off.")
        case .verify:
            return OptionDescriptor(name: "SWIFTGC_VERIFY", kind: .boolean, defaultValue: 0,
                documentation: "Testing: 1 checks the heap's invariants during every collection and aborts with a message on the first violation. Slow.")
        case .quarantine:
            return OptionDescriptor(name: "SWIFTGC_QUARANTINE", kind: .percent, defaultValue: 100,
                documentation: "safe-free mode: collect when freed blocks waiting in quarantine reach this percentage of what the last collection scanned, the heap in use plus the roots (and at least SWIFTGC_INITIAL_HEAP).")
        case .markers:
            return OptionDescriptor(name: "SWIFTGC_MARKERS", kind: .count, defaultValue: 0,
                documentation: "Threads that mark during a collection, the collecting one included (at most 8). 0: one per CPU the process may use; 1: no helper threads.")
        case .dirtyPages:
            return OptionDescriptor(name: "SWIFTGC_DIRTY_PAGES", kind: .dirtyPages, defaultValue: 0,
                documentation: "Where concurrent marking learns which pages were written: auto (the first of uffd, soft-dirty, mprotect whose self-test passes), uffd, soft-dirty, mprotect or none.")
        case .refuseUserfaultfd:
            return OptionDescriptor(name: "SWIFTGC_REFUSE_USERFAULTFD", kind: .boolean, defaultValue: 0,
                documentation: "Testing: 1 makes opening a userfaultfd fail as if the kernel refused it (EPERM), to exercise the fallbacks.")
        case .concurrent:
            return OptionDescriptor(name: "SWIFTGC_CONCURRENT", kind: .concurrency, defaultValue: Concurrency.automatic.rawValue,
                documentation: "auto marks mostly concurrently once the live heap reaches SWIFTGC_CONCURRENT_HEAP, where the uffd dirty-page backend works: a background thread marks while the program runs, between two short pauses. 1: from the first collection. 0: every collection stops the world.")
        case .markCPUShare:
            return OptionDescriptor(name: "SWIFTGC_MARK_CPU_SHARE", kind: .percent, defaultValue: 25,
                documentation: "The share of the CPUs the process may use that the background collector takes while it marks beside the program (Go's 25%; with 2 CPUs, half of one). Allocating threads make up the rest by assisting when they outrun it.")
        case .concurrentHeap:
            return OptionDescriptor(name: "SWIFTGC_CONCURRENT_HEAP", kind: .bytes, defaultValue: 256 << 20,
                documentation: "With SWIFTGC_CONCURRENT=auto, the live heap from which collections mark concurrently; below it they stop the world, which is then short and cheaper.")
        case .arenaCheck:
            return OptionDescriptor(name: "SWIFTGC_ARENA_CHECK", kind: .boolean, defaultValue: 0,
                documentation: "1 makes gc_arena_reset and gc_arena_destroy run gc_arena_check first; an arena still pointed into is quarantined (reads as zeros, never reused) instead of freed.")
        case .trace:
            return OptionDescriptor(name: "SWIFTGC_TRACE", kind: .boolean, defaultValue: 0,
                documentation: "1 prints one line per collection on stderr, beginning `swiftgc: gc N` (README lists the fields).")
        case .traceFile:
            return OptionDescriptor(name: "SWIFTGC_TRACE_FILE", kind: .path, defaultValue: 0,
                documentation: "Appends one JSON object per collection to this file (JSON Lines); %p in the path becomes the process id.")
        case .verbose:
            return OptionDescriptor(name: "SWIFTGC_VERBOSE", kind: .boolean, defaultValue: 0,
                documentation: "1 prints reports that are quiet by default, such as leak-check's summary when nothing leaked.")
        }
    }
}

/// How an option's value is written.
enum OptionKind {
    /// A size: digits with an optional binary suffix K, M, G or T (also KB,
    /// KiB, MB, MiB, ...), case-insensitive. `64M` is 64 MiB.
    case bytes
    /// A whole percentage from 1 to 100000.
    case percent
    /// A plain count.
    case count
    /// `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off`.
    case boolean
    /// A signal number from 1 to 64, not SIGKILL, SIGSTOP, SIGSEGV or SIGBUS.
    case signal
    /// A preload mode name (see `PreloadMode`), stored as its raw value.
    case mode
    /// A dirty-page backend name or `auto` (see `DirtyPageRequest`), stored
    /// as its raw value.
    case dirtyPages
    /// A file path: the slot holds the address of the text in the
    /// environment entry (NUL-terminated there), 0 when unset. Read it at
    /// initialisation (`Options.path`): the program may change its
    /// environment later.
    case path
    /// `auto`, or a boolean (see `Concurrency`), stored as its raw value.
    case concurrency
}

/// SWIFTGC_CONCURRENT.
enum Concurrency: UInt64 {
    case off = 0
    case on = 1
    case automatic = 2
}

struct OptionDescriptor {
    let name: StaticString
    let kind: OptionKind
    let defaultValue: UInt64
    let documentation: StaticString
}

/// The values of all options, read once at initialisation.
struct Options {
    /// One slot per option (a tuple: Embedded Swift has no fixed arrays).
    private var values: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                         UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                         UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    init() {
        // A new option needs a new slot above: the subscript does not check.
        precondition(MemoryLayout.size(ofValue: values) == Option.count * 8, "Options.values has a slot per option")
        for index in 0..<Option.count {
            let option = Option(rawValue: index)!
            self[option] = option.descriptor.defaultValue
        }
    }

    subscript(option: Option) -> UInt64 {
        get {
            withUnsafeBytes(of: values) { $0.load(fromByteOffset: option.rawValue * 8, as: UInt64.self) }
        }
        set {
            withUnsafeMutableBytes(of: &values) { $0.storeBytes(of: newValue, toByteOffset: option.rawValue * 8, as: UInt64.self) }
        }
    }

    func isEnabled(_ option: Option) -> Bool { self[option] != 0 }

    /// A `.path` option's NUL-terminated text in the environment, or nil
    /// when unset.
    func path(_ option: Option) -> UnsafePointer<UInt8>? {
        UnsafePointer(bitPattern: UInt(truncatingIfNeeded: self[option]))
    }

    /// SWIFTGC_CONCURRENT.
    var concurrency: Concurrency { Concurrency(rawValue: self[.concurrent]) ?? .automatic }

    /// SWIFTGC_DIRTY_PAGES as the request it names.
    var dirtyPageRequest: DirtyPageRequest {
        DirtyPageRequest(rawValue: UInt8(truncatingIfNeeded: self[.dirtyPages])) ?? .automatic
    }

    /// Reads every `SWIFTGC_*` variable by walking `environ` directly, so it
    /// works before libc has finished starting. Malformed values and unknown
    /// names are reported on stderr and leave the default in place.
    static func fromEnvironment() -> Options {
        var options = Options()
        guard var entry = OS.environment else { return options }
        while let variable = entry.pointee {
            variable.withMemoryRebound(to: UInt8.self, capacity: 1) { options.apply(environmentEntry: $0) }
            entry += 1
        }
        return options
    }

    /// Applies one `NAME=value` entry if its name starts with `SWIFTGC_`.
    mutating func apply(environmentEntry: UnsafePointer<UInt8>) {
        var length = 0
        while environmentEntry[length] != 0 { length += 1 }
        apply(environmentEntry: UnsafeBufferPointer(start: environmentEntry, count: length))
    }

    mutating func apply(environmentEntry entry: UnsafeBufferPointer<UInt8>) {
        guard let equals = entry.firstIndex(of: 61) else { return }
        let name = UnsafeBufferPointer(rebasing: entry[..<equals])
        let value = UnsafeBufferPointer(rebasing: entry[(equals + 1)...])
        guard ByteText.hasPrefix(name, "SWIFTGC_") else { return }
        for index in 0..<Option.count {
            let option = Option(rawValue: index)!
            guard ByteText.equals(name, option.descriptor.name) else { continue }
            if let parsed = OptionParser.parse(value, as: option.descriptor.kind) {
                self[option] = parsed
            } else {
                reportLine { message in
                    message.append("ignoring ")
                    message.append(option.descriptor.name)
                    message.append("=")
                    message.append(bytes: value, limit: 60)
                    message.append(": not a valid value; using the default")
                }
            }
            return
        }
        reportLine { message in
            message.append("ignoring unknown option ")
            message.append(bytes: name, limit: 60)
        }
    }
}
