import _CSwiftGC

/// Address space: the collector's only source of memory.
extension OS {
    /// Pre: `bytes` > 0. Post: a new private anonymous mapping of at least
    /// `bytes`, OS-page aligned, readable, writable and reading as zero, with
    /// no swap committed for it; nil if the kernel refuses.
    /// (mmap with MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)
    static func reserve(bytes: UInt) -> UnsafeMutableRawPointer? {
        let result = mmap(nil, Int(bytes), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        if result == UnsafeMutableRawPointer(bitPattern: -1) || result == nil { return nil }
        return result
    }

    /// Pre: [start, start + bytes) is a whole mapping from `reserve` (or an
    /// OS-page-aligned part of one) that nothing uses any more.
    /// Post: the range is unmapped. (munmap)
    static func release(_ start: UnsafeMutableRawPointer, bytes: UInt) {
        _ = munmap(start, Int(bytes))
    }

    /// Pre: [start, start + bytes) lies in mappings from `reserve`.
    /// Post: the OS pages wholly inside the range are given back to the
    /// kernel; they stay mapped and read as zero when next touched. Partial
    /// pages at either end are left as they are. (madvise MADV_DONTNEED)
    static func decommit(_ start: UnsafeMutableRawPointer, bytes: UInt) {
        let pageSize = systemPageSize
        let low = (UInt(bitPattern: start) &+ pageSize &- 1) & ~(pageSize &- 1)
        let high = (UInt(bitPattern: start) &+ bytes) & ~(pageSize &- 1)
        if low < high {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: low), Int(high &- low), MADV_DONTNEED)
        }
    }

    /// Pre: `start` is OS-page aligned and [start, start + bytes) lies in a
    /// mapping from `reserve`. Post: every access to the range faults (a
    /// guard), or, if the kernel refuses, nothing changed. (mprotect PROT_NONE)
    static func makeInaccessible(_ start: UnsafeMutableRawPointer, bytes: UInt) {
        _ = mprotect(start, Int(bytes), PROT_NONE)
    }

    /// Pre: [start, start + bytes) lies in a mapping from `reserve`.
    /// Post: the kernel may back the range's 2 MiB-aligned parts with
    /// transparent huge pages when they are first touched (when THP is in
    /// `madvise` or `always` mode); if it refuses, nothing changed. Decommit
    /// keeps working at OS-page granularity: the kernel splits a huge page
    /// when part of it is given back. (madvise MADV_HUGEPAGE)
    static func adviseHugePages(_ start: UnsafeMutableRawPointer, bytes: UInt) {
        _ = madvise(start, Int(bytes), MADV_HUGEPAGE)
    }

    /// Pre: [start, start + bytes) lies in a mapping from `reserve` that
    /// `adviseHugePages` covers. Post: its 2 MiB-aligned parts already
    /// touched are backed by huge pages now, copied by the kernel, rather
    /// than whenever khugepaged comes by; if the kernel cannot (before Linux
    /// 6.1, no free huge page), nothing changed. (madvise MADV_COLLAPSE)
    static func collapseIntoHugePages(_ start: UnsafeMutableRawPointer, bytes: UInt) {
        _ = madvise(start, Int(bytes), MADV_COLLAPSE)
    }

    /// The kernel's page size in bytes, a power of two. (sysconf _SC_PAGESIZE)
    static var systemPageSize: UInt { UInt(sysconf(Int32(_SC_PAGESIZE))) }
}
