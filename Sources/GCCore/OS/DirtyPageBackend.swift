/// Where the collector learns which pages the program wrote: the names that
/// `SWIFTGC_DIRTY_PAGES` takes and `gc_dirty_pages_backend()` returns. Kept
/// apart from `DirtyPages` (which calls the kernel) so that the option
/// parser, and the fuzzer built from it, need nothing else.
enum DirtyPageBackend: UInt8 {
    /// No tracking: every collection stops the world for all of its marking.
    case none = 0
    /// userfaultfd write-protection in asynchronous mode, read and
    /// re-protected in one step with PAGEMAP_SCAN (Linux 6.7+).
    case userfaultfd = 1
    /// Soft-dirty bits in /proc/self/pagemap, reset through
    /// /proc/self/clear_refs (x86, PowerPC and s390 kernels built with
    /// CONFIG_MEM_SOFT_DIRTY).
    case softDirty = 2
    /// PROT_READ on tracked pages and a SIGSEGV handler that records and
    /// unprotects the page written.
    case mprotect = 3

    /// The order `auto` tries them in: cheapest and most complete first.
    static let automaticOrder: (DirtyPageBackend, DirtyPageBackend, DirtyPageBackend) =
        (.userfaultfd, .softDirty, .mprotect)

    var name: StaticString {
        switch self {
        case .none: return "none"
        case .userfaultfd: return "uffd"
        case .softDirty: return "soft-dirty"
        case .mprotect: return "mprotect"
        }
    }

    /// `name` as a C string (static literals end with a NUL).
    var cName: UnsafePointer<CChar> {
        UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

/// What `SWIFTGC_DIRTY_PAGES` asks for: a backend, or `auto` (the first in
/// `DirtyPageBackend.automaticOrder` whose self-test passes). Stored in the
/// option table as its raw value.
enum DirtyPageRequest: UInt8 {
    case automatic = 0
    case userfaultfd = 1
    case softDirty = 2
    case mprotect = 3
    case none = 4

    /// The backend asked for by name, or nil for `auto`.
    var backend: DirtyPageBackend? {
        switch self {
        case .automatic: return nil
        case .userfaultfd: return .userfaultfd
        case .softDirty: return .softDirty
        case .mprotect: return .mprotect
        case .none: return DirtyPageBackend.none
        }
    }

    /// Parses one of `auto`, `uffd`, `soft-dirty`, `mprotect` or `none`,
    /// exactly.
    init?(name text: UnsafeBufferPointer<UInt8>) {
        if DirtyPageRequest.equals(text, "auto") { self = .automatic; return }
        if DirtyPageRequest.equals(text, "uffd") { self = .userfaultfd; return }
        if DirtyPageRequest.equals(text, "soft-dirty") { self = .softDirty; return }
        if DirtyPageRequest.equals(text, "mprotect") { self = .mprotect; return }
        if DirtyPageRequest.equals(text, "none") { self = .none; return }
        return nil
    }

    private static func equals(_ text: UnsafeBufferPointer<UInt8>, _ expected: StaticString) -> Bool {
        expected.withUTF8Buffer { bytes in
            guard bytes.count == text.count else { return false }
            for index in 0..<bytes.count where bytes[index] != text[index] { return false }
            return true
        }
    }
}
