import _CSwiftGC

/// Which pages of private anonymous memory may hold data, read from
/// /proc/self/pagemap. A page that is neither present nor swapped out has
/// not been written since it was mapped or decommitted, so it reads as
/// zeros and holds no pointer. Scanning it anyway would map the zero page
/// into it: one page fault per page, and a second when the program writes
/// it. (`sort` mallocs a buffer of hundreds of MiB and fills it gradually.)
///
/// Only for private anonymous memory: an untouched page of a file mapping
/// holds the file's bytes. Unprivileged processes can read the present and
/// swapped flags (the frame numbers read as zero). The file is opened per
/// collection, as an open pagemap keeps describing the process that opened
/// it, which after fork is the parent.
struct PageResidency {
    /// Pages looked up per read of the pagemap (8 bytes each).
    static let windowPages: UInt = 256

    /// The open pagemap, or -1: then every page counts as written.
    private(set) var descriptor: Int32 = -1
    private var pageSize: UInt = 4096
    /// Room for `windowPages` entries, in the collector's metadata (a
    /// buffer this big on the stack would be heap-allocated in Embedded
    /// Swift, by malloc).
    private var entries: UnsafeMutablePointer<UInt64>? = nil

    static let bufferBytes = Int(windowPages) * 8

    static func open(buffer: UnsafeMutablePointer<UInt64>) -> PageResidency {
        var residency = PageResidency()
        residency.descriptor = OS.openForReading("/proc/self/pagemap")
        residency.pageSize = OS.systemPageSize
        residency.entries = buffer
        return residency
    }

    /// Another thread's view of an open pagemap, with a buffer of its own;
    /// the opener closes it.
    init(sharing descriptor: Int32, buffer: UnsafeMutablePointer<UInt64>) {
        self.descriptor = descriptor
        self.pageSize = OS.systemPageSize
        self.entries = buffer
    }

    init() {}

    mutating func close() {
        if descriptor >= 0 { OS.close(descriptor) }
        descriptor = -1
    }

    var isOpen: Bool { descriptor >= 0 }

    /// The end of the window that starts at `low`: the most one read of
    /// the pagemap looks up.
    func windowEnd(from low: UInt) -> UInt {
        (low & ~(pageSize &- 1)) &+ PageResidency.windowPages &* pageSize
    }

    /// Calls `body` with each run of pages in [low, high) that may hold
    /// data, clipped to [low, high), in address order, reading the pagemap
    /// a window at a time. A window whose pagemap entries cannot be read is
    /// one run.
    func forEachWrittenRun(low: UInt, high: UInt, _ body: (UInt, UInt) -> Void) {
        var windowLow = low
        while windowLow < high {
            let windowHigh = min(high, windowEnd(from: windowLow))
            forEachWrittenRunInWindow(low: windowLow, high: windowHigh, body)
            windowLow = windowHigh
        }
    }

    private func forEachWrittenRunInWindow(low: UInt, high: UInt, _ body: (UInt, UInt) -> Void) {
        guard low < high else { return }
        guard descriptor >= 0, let entries else { return body(low, high) }
        let firstPage = low / pageSize
        let pageCount = Int((high &- 1) / pageSize &- firstPage &+ 1)
        let bytes = pageCount &* 8
        let read = OS.read(descriptor, into: UnsafeMutableRawPointer(entries), capacity: bytes, at: Int(firstPage &* 8))
        guard read == bytes else { return body(low, high) }
        let presentOrSwapped: UInt64 = 3 &<< 62
        var runStart: UInt? = nil
        for page in 0..<pageCount {
            let pageLow = max(low, (firstPage &+ UInt(page)) &* pageSize)
            if entries[page] & presentOrSwapped != 0 {
                if runStart == nil { runStart = pageLow }
            } else if let start = runStart {
                body(start, pageLow)
                runStart = nil
            }
        }
        if let start = runStart { body(start, high) }
    }
}
