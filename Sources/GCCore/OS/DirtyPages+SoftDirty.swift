import _CSwiftGC

/// The soft-dirty backend: bit 55 of each /proc/self/pagemap entry is set
/// when the page is written, and writing "4" to /proc/self/clear_refs
/// clears the bits (by write-protecting every page of the process, so that
/// the next write to each faults once in the kernel).
///
/// Weaker than uffd, which is why `auto` tries it second:
/// - reading and clearing are two system calls, so a write between them is
///   lost: `collectAndReprotect` is exact only while every other thread is
///   stopped (`needsStoppedWorldToCollect`);
/// - the clear covers the whole process, not the tracked range, so its
///   cost grows with everything the process maps, and only one soft-dirty
///   tracker per process can work (another tool clearing the bits, such as
///   CRIU, makes pages read as clean);
/// - the kernel may report pages written that were not (when mappings
///   merge, or are created after the clear): extra rescans only;
/// - only x86, PowerPC and s390 kernels built with CONFIG_MEM_SOFT_DIRTY
///   set the bit. Elsewhere every call succeeds and the bit stays 0 forever:
///   only the self-test's "nothing came back" tells (this machine's 6.18
///   kernel is one of those).
extension DirtyPages {
    /// Opens pagemap and clear_refs, and clears the bits.
    mutating func startSoftDirty(_ range: Range<Address>) -> DirtyPageRefusal? {
        pagemap = OS.openForReading("/proc/self/pagemap")
        descriptor = ("/proc/self/clear_refs" as StaticString).withUTF8Buffer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { swiftgc_open_write_only($0) }
        }
        guard pagemap >= 0, descriptor >= 0 else {
            let error = swiftgc_errno()
            closeDescriptors()
            return DirtyPageRefusal("cannot open /proc/self/pagemap and /proc/self/clear_refs", errorNumber: error)
        }
        guard clearSoftDirtyBits() else {
            let error = swiftgc_errno()
            closeDescriptors()
            return DirtyPageRefusal("writing 4 to /proc/self/clear_refs failed", errorNumber: error)
        }
        return nil
    }

    /// Clears every soft-dirty bit of the process.
    func clearSoftDirtyBits() -> Bool {
        ("4" as StaticString).withUTF8Buffer { bytes in
            while true {
                let written = _CSwiftGC.write(descriptor, bytes.baseAddress!, 1)
                if written < 0 && swiftgc_errno() == EINTR { continue }
                return written == 1
            }
        }
    }

    /// Reads the bits of the whole tracked range a window of pagemap
    /// entries at a time (as many as fit in `scratch`), reports the runs
    /// of soft-dirty pages, then clears the bits.
    func collectSoftDirty(scratch: UnsafeMutableRawBufferPointer, visit: (Range<Address>) -> Void) -> Bool {
        let softDirty: UInt64 = 1 << 55
        let windowPages = UInt(scratch.count / 8)
        let entries = scratch.baseAddress!.bindMemory(to: UInt64.self, capacity: Int(windowPages))
        var runStart: Address? = nil
        var window = tracked.lowerBound
        while window < tracked.upperBound {
            let pages = min(windowPages, (tracked.upperBound - window) / pageSize)
            let bytes = Int(pages * 8)
            let offset = Int((window.value / pageSize) * 8)
            guard OS.read(pagemap, into: UnsafeMutableRawPointer(entries), capacity: bytes, at: offset) == bytes else {
                return false
            }
            for index in 0..<Int(pages) {
                let page = window + UInt(index) * pageSize
                if entries[index] & softDirty != 0 {
                    if runStart == nil { runStart = page }
                } else if let start = runStart {
                    visit(start..<page)
                    runStart = nil
                }
            }
            window = window + pages * pageSize
        }
        if let start = runStart { visit(start..<tracked.upperBound) }
        return clearSoftDirtyBits()
    }

    /// Nothing to undo in the kernel: the bits go on being kept, unread.
    mutating func stopSoftDirty() {
        closeDescriptors()
    }
}
