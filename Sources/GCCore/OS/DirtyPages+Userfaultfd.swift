import _CSwiftGC

/// The uffd backend: userfaultfd write-protection in asynchronous mode,
/// read and re-protected with PAGEMAP_SCAN (Linux 6.7+).
///
/// The tracked range is registered with UFFDIO_REGISTER_MODE_WP on a
/// userfaultfd opened with UFFD_FEATURE_WP_ASYNC and
/// UFFD_FEATURE_WP_UNPOPULATED, then write-protected as a whole. A write to
/// a protected page (by a thread, or by the kernel copying out for a
/// system call such as read(2)) faults once; the kernel itself lifts the
/// protection and leaves the page marked written. No signal is delivered
/// and no thread reads the descriptor. Unpopulated pages carry the
/// protection as a page-table marker, so pages never touched, and pages
/// given back with MADV_DONTNEED, stay tracked (MADV_DONTNEED'd pages read
/// as written once: the collector decommits only free pages, so that costs
/// one needless rescan).
///
/// PAGEMAP_SCAN with PM_SCAN_WP_MATCHING reports the written pages and
/// protects them again in the same page-table walk, under the page-table
/// lock: a write races either before the walk reaches the page (reported
/// now) or after (faults, reported next time). PM_SCAN_CHECK_WPASYNC makes
/// the scan fail instead of reporting a page that is not protected at all
/// (the range lost its registration), so a scan never claims "clean" for
/// memory it cannot see.
///
/// Costs and failure modes: docs/DESIGN.md, "Dirty pages".
extension DirtyPages {
    /// Opens the descriptors and protects `range`.
    mutating func startUserfaultfd(_ range: Range<Address>) -> DirtyPageRefusal? {
        if refusesUserfaultfd {
            return DirtyPageRefusal("the kernel refused userfaultfd (simulated by SWIFTGC_REFUSE_USERFAULTFD)")
        }
        // UFFD_USER_MODE_ONLY first: it needs no privilege. Kernels before
        // 5.11 do not know the flag (EINVAL).
        var userfaultfd = swiftgc_userfaultfd_open(Int32(SWIFTGC_UFFD_USER_MODE_ONLY))
        if userfaultfd < 0 && swiftgc_errno() == EINVAL { userfaultfd = swiftgc_userfaultfd_open(0) }
        guard userfaultfd >= 0 else {
            return DirtyPageRefusal("the kernel refused userfaultfd", errorNumber: swiftgc_errno())
        }
        descriptor = userfaultfd
        let wanted = SWIFTGC_UFFD_FEATURE_WP_ASYNC | SWIFTGC_UFFD_FEATURE_WP_UNPOPULATED
        var granted: UInt64 = 0
        guard swiftgc_userfaultfd_api(userfaultfd, wanted, &granted) == 0, granted & wanted == wanted else {
            let error = swiftgc_errno()
            closeDescriptors()
            return DirtyPageRefusal("userfaultfd lacks asynchronous write-protection (Linux 6.7+)", errorNumber: error)
        }
        pagemap = OS.openForReading("/proc/self/pagemap")
        guard pagemap >= 0 else {
            let error = swiftgc_errno()
            closeDescriptors()
            return DirtyPageRefusal("cannot open /proc/self/pagemap", errorNumber: error)
        }
        guard register(range) else {
            let error = swiftgc_errno()
            closeDescriptors()
            return DirtyPageRefusal("UFFDIO_REGISTER or UFFDIO_WRITEPROTECT failed", errorNumber: error)
        }
        return nil
    }

    /// Registers and write-protects `added`, which continues the tracked
    /// range; the two registrations merge into one mapping in the kernel.
    mutating func extendUserfaultfd(_ added: Range<Address>) -> Bool {
        register(added)
    }

    /// Protects the whole tracked range again (after fork, when what was
    /// written is unknown and is reported as a whole).
    mutating func reprotectAllUserfaultfd() -> Bool {
        swiftgc_userfaultfd_write_protect(descriptor, tracked.lowerBound.value,
                                          Int(tracked.upperBound - tracked.lowerBound), 1) == 0
    }

    /// PAGEMAP_SCAN over `range`, a buffer of regions at a time: each call
    /// fills up to `scratch` with runs of written pages, protects exactly
    /// those, and says where it stopped (walk_end); the loop goes on from
    /// there until the range is done.
    mutating func collectUserfaultfd(_ range: Range<Address>, scratch: UnsafeMutableRawBufferPointer,
                                     visit: (Range<Address>) -> Void) -> Bool {
        let capacity = scratch.count / MemoryLayout<swiftgc_page_region>.stride
        let regions = scratch.baseAddress!.bindMemory(to: swiftgc_page_region.self, capacity: capacity)
        var start = range.lowerBound.value
        let end = range.upperBound.value
        while start < end {
            var argument = swiftgc_pagemap_scan_argument(
                size: UInt64(MemoryLayout<swiftgc_pagemap_scan_argument>.size),
                flags: SWIFTGC_PM_SCAN_WP_MATCHING | SWIFTGC_PM_SCAN_CHECK_WPASYNC,
                start: UInt64(start), end: UInt64(end), walk_end: 0,
                vec: UInt64(UInt(bitPattern: regions)), vec_len: UInt64(capacity), max_pages: 0,
                category_inverted: 0, category_mask: SWIFTGC_PAGE_IS_WRITTEN, category_anyof_mask: 0,
                return_mask: SWIFTGC_PAGE_IS_WRITTEN)
            let filled = swiftgc_pagemap_scan(pagemap, &argument)
            if filled < 0 {
                if swiftgc_errno() == EINTR { continue }
                return false
            }
            for index in 0..<Int(filled) {
                visit(Address(UInt(regions[index].start))..<Address(UInt(regions[index].end)))
            }
            // walk_end carries no address tag on x86-64 or AArch64 user
            // addresses; a walk that did not move would loop forever.
            let walkEnd = UInt(argument.walk_end)
            guard walkEnd > start else { return false }
            start = walkEnd
        }
        return true
    }

    /// Unregisters the range (the kernel drops its protection and markers)
    /// and closes the descriptors.
    mutating func stopUserfaultfd() {
        _ = swiftgc_userfaultfd_unregister(descriptor, tracked.lowerBound.value,
                                           Int(tracked.upperBound - tracked.lowerBound))
        closeDescriptors()
    }

    /// UFFDIO_REGISTER in write-protect mode, then UFFDIO_WRITEPROTECT:
    /// registration alone protects nothing.
    private func register(_ range: Range<Address>) -> Bool {
        let length = Int(range.upperBound - range.lowerBound)
        guard swiftgc_userfaultfd_register(descriptor, range.lowerBound.value, length,
                                           SWIFTGC_UFFDIO_REGISTER_MODE_WP) == 0 else { return false }
        guard swiftgc_userfaultfd_write_protect(descriptor, range.lowerBound.value, length, 1) == 0 else {
            _ = swiftgc_userfaultfd_unregister(descriptor, range.lowerBound.value, length)
            return false
        }
        return true
    }
}
