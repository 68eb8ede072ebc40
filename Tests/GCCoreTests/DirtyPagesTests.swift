import Testing
import Glibc
@testable import GCCore
import _CSwiftGC

/// The dirty-page backends available on this machine (uffd on Linux 6.7+,
/// mprotect everywhere) must report exactly the pages written, each once,
/// and keep tracking across re-protection, decommit, kernel writes and
/// fork; soft-dirty must be refused where the kernel sets no bits.
/// Serialized: the mprotect backend owns the process's SIGSEGV handler.
@Suite(.serialized)
struct DirtyPagesTests {
    static let backendsAvailableHere: [DirtyPageBackend] =
        kernelHasAsynchronousWriteProtection ? [.userfaultfd, .mprotect] : [.mprotect]

    @Test(arguments: backendsAvailableHere)
    func scatteredWritesAreFoundExactly(backend: DirtyPageBackend) throws {
        var mapping = try TrackedMapping(backend: backend, pages: 2048)
        defer { mapping.finish() }
        // 600 isolated pages: more runs than one scratch buffer of regions
        // holds (170), so the scan must go on from where it stopped.
        var generator = SplitMix(seed: 13)
        var written = Set<Int>()
        while written.count < 600 {
            let page = Int(generator.next() % 1024) * 2
            written.insert(page)
        }
        for page in written { mapping.write(page) }
        let seen = mapping.collect()
        #expect(seen.isComplete, "\(backend.name): the collection completes")
        #expect(seen.pages == written.sorted(), "\(backend.name): exactly the 600 pages written are reported")
    }

    @Test(arguments: backendsAvailableHere)
    func nothingWrittenReportsNothing(backend: DirtyPageBackend) throws {
        var mapping = try TrackedMapping(backend: backend, pages: 256)
        defer { mapping.finish() }
        for page in 0..<256 { _ = mapping.read(page) }
        for round in 0..<2 {
            let seen = mapping.collect()
            #expect(seen.isComplete && seen.pages.isEmpty,
                    "\(backend.name): round \(round) reads only, so no page is reported; got \(seen.pages)")
        }
    }

    @Test(arguments: backendsAvailableHere)
    func secondCollectionSeesOnlyNewWrites(backend: DirtyPageBackend) throws {
        var mapping = try TrackedMapping(backend: backend, pages: 128)
        defer { mapping.finish() }
        for page in [1, 2, 3, 64, 100] { mapping.write(page) }
        #expect(mapping.collect().pages == [1, 2, 3, 64, 100], "\(backend.name): the first writes")
        for page in [3, 5, 127] { mapping.write(page) }
        for page in [1, 64] { _ = mapping.read(page) }
        #expect(mapping.collect().pages == [3, 5, 127],
                "\(backend.name): only the pages written after the first collection (3 again, 5, 127)")
        #expect(mapping.collect().pages.isEmpty, "\(backend.name): nothing after that")
    }

    @Test func kernelWriteFromReadIsReportedWithUserfaultfd() throws {
        try #require(DirtyPagesTests.kernelHasAsynchronousWriteProtection)
        var mapping = try TrackedMapping(backend: .userfaultfd, pages: 16)
        defer { mapping.finish() }
        let (result, error) = mapping.readFromPipe(into: 5, bytes: "written by the kernel")
        #expect(result == 21, "read(2) into a write-protected page succeeds (errno \(error))")
        #expect(mapping.collect().pages == [5], "the page read(2) wrote is reported")
    }

    /// The mprotect backend cannot catch a kernel write: the system call
    /// fails with EFAULT and writes nothing (docs/DESIGN.md, "Dirty pages").
    @Test func kernelWriteFromReadFailsWithMprotect() throws {
        var mapping = try TrackedMapping(backend: .mprotect, pages: 16)
        defer { mapping.finish() }
        let (result, error) = mapping.readFromPipe(into: 5, bytes: "written by the kernel")
        #expect(result == -1 && error == EFAULT, "read(2) into a read-only page fails with EFAULT; got \(result), errno \(error)")
        #expect(mapping.collect().pages.isEmpty, "nothing was written, so nothing is reported")
    }

    @Test(arguments: backendsAvailableHere)
    func decommittedPagesStayTracked(backend: DirtyPageBackend) throws {
        var mapping = try TrackedMapping(backend: backend, pages: 32)
        defer { mapping.finish() }
        mapping.decommit(4..<8)
        let afterDecommit = mapping.collect()
        #expect(afterDecommit.isComplete && Set(afterDecommit.pages).isSubset(of: 4..<8),
                "\(backend.name): decommitting may report the decommitted pages, nothing else; got \(afterDecommit.pages)")
        #expect(mapping.collect().pages.isEmpty, "\(backend.name): then nothing")
        mapping.write(5)
        #expect(mapping.collect().pages == [5], "\(backend.name): a decommitted page is still tracked when written again")
        #expect(mapping.read(5) == 6 && mapping.read(6) == 0, "\(backend.name): its contents are the new write, its neighbour zero")
    }

    @Test(arguments: backendsAvailableHere)
    func extendedRangeIsTracked(backend: DirtyPageBackend) throws {
        var mapping = try TrackedMapping(backend: backend, pages: 64, trackedPages: 32)
        defer { mapping.finish() }
        mapping.write(40)
        #expect(mapping.collect().pages.isEmpty, "\(backend.name): page 40 is not tracked yet")
        let isExtended = mapping.tracker.extendTracking(to: mapping.address(of: 64))
        #expect(isExtended, "\(backend.name): extends to 64 pages")
        #expect(mapping.collect().pages.isEmpty, "\(backend.name): pages added count as not written")
        for page in [31, 32, 63] { mapping.write(page) }
        #expect(mapping.collect().pages == [31, 32, 63], "\(backend.name): both sides of the old end are tracked")
    }

    /// The child's tracker refuses to act through the parent's descriptors,
    /// reinitialises (uffd: reports everything once; mprotect: exact), and
    /// the parent's written page is still reported to the parent.
    @Test(arguments: backendsAvailableHere)
    func forkedChildReinitializes(backend: DirtyPageBackend) throws {
        var mapping = try TrackedMapping(backend: backend, pages: 64)
        defer { mapping.finish() }
        // Collect once first, so that the child finds every type's metadata
        // made already (making it could take a lock another thread held).
        #expect(mapping.collect().pages.isEmpty)
        mapping.write(3)
        let child = fork()
        if child == 0 { _exit(mapping.childAfterFork()) }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {}
        let childExit = (status >> 8) & 0xff
        #expect(status & 0x7f == 0 && childExit == 0,
                "\(backend.name): the child's checks pass (failed step \(childExit), status \(status))")
        #expect(mapping.collect().pages == [3], "\(backend.name): the parent still sees its write; the child took nothing")
    }

    @Test func softDirtyIsUsedOnlyWhereTheKernelSetsTheBits() {
        let refusal = DirtyPages.selfTest(.softDirty, refusingUserfaultfd: false)
        if DirtyPagesTests.kernelSetsSoftDirtyBits {
            #expect(refusal == nil, "this kernel sets soft-dirty bits, so the self-test passes")
        } else {
            #expect(refusal != nil && "\(refusal!.reason)".contains("soft-dirty"),
                    "this kernel sets no soft-dirty bits; the self-test must say so")
        }
    }

    @Test func probeFallsBackInOrder() {
        let noSoftDirty = !DirtyPagesTests.kernelSetsSoftDirtyBits
        #expect(DirtyPages.probe(requested: .none, refusingUserfaultfd: false) == .none)
        #expect(DirtyPages.probe(requested: .mprotect, refusingUserfaultfd: false) == .mprotect)
        if DirtyPagesTests.kernelHasAsynchronousWriteProtection {
            #expect(DirtyPages.probe(requested: .automatic, refusingUserfaultfd: false) == .userfaultfd)
        }
        if noSoftDirty {
            #expect(DirtyPages.probe(requested: .automatic, refusingUserfaultfd: true) == .mprotect,
                    "uffd refused and soft-dirty absent: auto takes mprotect")
            #expect(DirtyPages.probe(requested: .userfaultfd, refusingUserfaultfd: true) == .mprotect,
                    "uffd asked for but refused: falls back as auto would")
        }
    }

    /// Another SIGSEGV handler that forwards to the one it replaced keeps
    /// writes working; the next collection notices and stops tracking.
    @Test func programHandlerInstalledLaterIsDetected() throws {
        var mapping = try TrackedMapping(backend: .mprotect, pages: 8)
        defer { mapping.finish() }
        ProgramHandler.install()
        defer { ProgramHandler.restore() }
        mapping.write(2)
        #expect(ProgramHandler.calls == 1, "the program's handler took the fault and forwarded it to ours")
        #expect(mapping.read(2) == 3, "the write went through")
        let seen = mapping.collect()
        #expect(!seen.isComplete && !mapping.tracker.isTracking, "the collection sees the replaced handler and stops")
        mapping.write(4)
        #expect(ProgramHandler.calls == 1, "no page is protected any more")
    }

    /// A SIGSEGV that is not a write to a tracked page goes to the handler
    /// that was installed before ours.
    @Test func otherFaultsReachThePreviousHandler() throws {
        ProgramHandler.install()
        defer { ProgramHandler.restore() }
        var mapping = try TrackedMapping(backend: .mprotect, pages: 8)
        defer { mapping.finish() }
        raise(SIGSEGV)
        #expect(ProgramHandler.calls == 1, "raise(SIGSEGV) reached the program's handler through ours")
        mapping.write(1)
        #expect(ProgramHandler.calls == 1 && mapping.collect().pages == [1], "a write fault stays ours")
    }

    // ---- Oracles about this kernel, independent of the code under test.

    /// Linux 6.7 added UFFD_FEATURE_WP_ASYNC and PAGEMAP_SCAN.
    static let kernelHasAsynchronousWriteProtection: Bool = {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return numbers.count == 2 && (numbers[0], numbers[1]) >= (6, 7)
    }()

    /// Clears the soft-dirty bits, writes a page, and reads its bit 55.
    static let kernelSetsSoftDirtyBits: Bool = {
        let clearReferences = open("/proc/self/clear_refs", O_WRONLY)
        let pagemap = open("/proc/self/pagemap", O_RDONLY)
        defer { close(clearReferences); close(pagemap) }
        guard clearReferences >= 0, pagemap >= 0, write(clearReferences, "4", 1) == 1 else { return false }
        let page = UnsafeMutablePointer<UInt64>.allocate(capacity: 512)
        defer { page.deallocate() }
        page[0] = 1
        var entry: UInt64 = 0
        let offset = off_t(UInt(bitPattern: page) / UInt(getpagesize()) * 8)
        guard pread(pagemap, &entry, 8, offset) == 8 else { return false }
        return entry & (1 << 55) != 0
    }()
}

/// A mapping of `pages` pages whose first `trackedPages` are tracked; even
/// pages are populated before tracking starts, odd ones are not.
struct TrackedMapping {
    let base: UnsafeMutableRawPointer
    let pages: Int
    let pageSize = Int(OS.systemPageSize)
    let scratch: UnsafeMutableRawBufferPointer
    var tracker: DirtyPages

    init(backend: DirtyPageBackend, pages: Int, trackedPages: Int? = nil) throws {
        self.pages = pages
        let pageSize = Int(OS.systemPageSize)
        base = try #require(OS.reserve(bytes: UInt((pages + 1) * pageSize))?.pointer)
        scratch = UnsafeMutableRawBufferPointer(start: base + pages * pageSize, count: DirtyPages.minimumScratchBytes)
        for page in stride(from: 0, to: pages, by: 2) { base.storeBytes(of: 1, toByteOffset: page * pageSize, as: UInt8.self) }
        tracker = DirtyPages(backend: backend)
        let low = Address(base)
        let refusal = tracker.track(low..<(low + UInt((trackedPages ?? pages) * pageSize)),
                                    growingTo: low + UInt(pages * pageSize))
        #expect(refusal == nil, "\(backend.name) starts tracking: \(refusal.map { "\($0.reason)" } ?? "")")
        try #require(refusal == nil)
    }

    func address(of page: Int) -> Address { Address(base + page * pageSize) }
    func write(_ page: Int) { base.storeBytes(of: UInt8(truncatingIfNeeded: page + 1), toByteOffset: page * pageSize + 8, as: UInt8.self) }
    func read(_ page: Int) -> UInt8 { base.load(fromByteOffset: page * pageSize + 8, as: UInt8.self) }
    func decommit(_ range: Range<Int>) { OS.decommit(address(of: range.lowerBound), bytes: UInt(range.count * pageSize)) }

    func readFromPipe(into page: Int, bytes text: String) -> (result: Int, error: Int32) {
        var ends: [Int32] = [0, 0]
        pipe(&ends)
        defer { close(ends[0]); close(ends[1]) }
        _ = text.withCString { Glibc.write(ends[1], $0, strlen($0)) }
        let result = Glibc.read(ends[0], base + page * pageSize, 64)
        return (result, errno)
    }

    /// The pages reported by one collection, sorted.
    mutating func collect() -> (isComplete: Bool, pages: [Int]) {
        var reported: [Int] = []
        let isComplete = collectWithoutAllocating { page in reported.append(page) }
        return (isComplete, reported)
    }

    /// Collects, calling `body` with each page index reported; allocates
    /// nothing itself, so the forked child can use it.
    mutating func collectWithoutAllocating(_ body: (Int) -> Void) -> Bool {
        let low = Address(base)
        let pageSize = UInt(self.pageSize)
        return tracker.collectAndReprotect(low..<(low + UInt(pages) * pageSize), scratch: scratch) { run in
            var page = run.lowerBound
            while page < run.upperBound {
                body(Int((page - low) / pageSize))
                page = page + pageSize
            }
        }
    }

    /// The child's half of `forkedChildReinitializes`: 0, or the step that
    /// failed. No allocation: the parent may have other threads.
    mutating func childAfterFork() -> Int32 {
        var count = 0
        if collectWithoutAllocating({ _ in count += 1 }) || count != 0 { return 1 }
        if tracker.reinitializeAfterFork() != .tracking { return 2 }
        var pagesSeen: UInt64 = 0
        guard collectWithoutAllocating({ pagesSeen |= 1 << UInt64($0) }) else { return 3 }
        // uffd: what happened since the parent's last collection is unknown,
        // so everything is reported; mprotect: the bit inherited from the parent.
        let expected: UInt64 = tracker.backend == .userfaultfd ? UInt64.max : 1 << 3
        if pagesSeen != expected { return 4 }
        write(7)
        pagesSeen = 0
        guard collectWithoutAllocating({ pagesSeen |= 1 << UInt64($0) }) else { return 5 }
        if pagesSeen != 1 << 7 { return 6 }
        tracker.stopTracking()
        return 0
    }

    mutating func finish() {
        tracker.stopTracking()
        OS.release(Address(base), bytes: UInt((pages + 1) * pageSize))
    }
}

/// A SIGSEGV handler of "the program's", which counts its calls and
/// forwards faults (not raised signals) to the action it replaced, as crash
/// reporters do.
enum ProgramHandler {
    nonisolated(unsafe) static var calls = 0
    nonisolated(unsafe) static var replaced = sigaction()

    static func install() {
        calls = 0
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = { signal, information, context in
            ProgramHandler.calls += 1
            let previous = ProgramHandler.replaced
            if (information?.pointee.si_code ?? 0) == Int32(SEGV_ACCERR), previous.sa_flags & SA_SIGINFO != 0,
               let forward = previous.__sigaction_handler.sa_sigaction {
                forward(signal, information, context)
            }
        }
        action.sa_flags = SA_SIGINFO
        sigemptyset(&action.sa_mask)
        sigaction(SIGSEGV, &action, &replaced)
    }

    static func restore() {
        sigaction(SIGSEGV, &replaced, nil)
    }
}

/// A small deterministic generator for the scattered pages.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
