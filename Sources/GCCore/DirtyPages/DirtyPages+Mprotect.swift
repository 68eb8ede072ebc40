import _CSwiftGC

/// The mprotect backend: tracked pages are made read-only; the first write
/// to one raises SIGSEGV, whose handler makes the page writable and sets
/// its bit in a bitmap. Works on any kernel, at a signal per first write.
///
/// The fault record, mapped with mmap (the handler reaches it through the
/// context pointer it is installed with):
///
///     word 0   low: the first tracked page (written once, before install)
///     word 1   high: the end of the tracked range (grows; handlers read it)
///     word 2   limit: the end the bitmap covers
///     word 3   everything written: 1 once a handler could not unprotect
///              a single page and unprotected the whole range instead
///     word 4   the page size
///     word 8…  the bitmap: bit i (bit i % 64 of word 8 + i / 64) is set
///              when page low + i × page size was written
///
/// Orderings that make a collection miss no write:
/// - the handler unprotects the page, then sets its bit; the collector
///   clears the bit, then protects the page, then reports it. A write that
///   succeeded found the page writable, so some handler unprotected it and
///   set the bit afterwards (before the writing thread ran on). If the
///   collector cleared that bit, it protected the page after, and reports it
///   after that, so the rescan reads the write; otherwise the bit is still
///   set and the next collection reports the page.
/// - bits are set and cleared with atomic read-modify-writes (acquire and
///   release); mprotect is a full barrier between the threads involved
///   (its TLB shootdown waits for every CPU running the process).
///
/// Failure modes (more in docs/DESIGN.md, "Dirty pages"):
/// - each unprotected page between protected ones is a mapping of its own,
///   and a process may have vm.max_map_count of them (65530 by default).
///   When unprotecting one page fails, the handler unprotects the whole range
///   and sets "everything written"; the next collection reports it all.
///   When protecting again fails, the bit is set again, so the page is
///   reported again next time.
/// - a system call that writes into a protected page (read(2), recv(2),
///   stat(2), ...) does not fault in user mode: it fails with EFAULT, and
///   the program sees the error. We cannot wrap every system call (bdwgc
///   wraps read; a preloaded program calls the kernel from libc and from
///   syscall(2) directly). What the collector does instead is written in
///   docs/DESIGN.md: protect only pages that can hold pointers, prefer uffd,
///   and never use this backend in the preload library.
/// - a program that installs its own SIGSEGV handler while pages are
///   protected takes the faults first: if its handler forwards to the one
///   it replaced, as crash reporters do, tracking goes on; if not, the
///   program would crash or spin on its next write to a protected page.
///   Only our handler makes a protected page writable, and it records the
///   page first, so no write is lost either way. Every collection checks
///   that our handler is still current; if it is not, tracking stops (all
///   pages writable, one `swiftgc:` line) and the collection returns false.
///   Installing ours in front again would make a handler that forwards to
///   ours recurse forever on a real fault.
extension DirtyPages {
    private static let recordHeaderWords = 8

    mutating func startMprotect(_ range: Range<Address>, limit: Address) -> DirtyPageRefusal? {
        let recordBytes = mprotectRecordBytes(limit: limit, low: range.lowerBound)
        guard let mapping = OS.reserve(bytes: recordBytes) else {
            return DirtyPageRefusal("cannot map its bitmap", errorNumber: swiftgc_errno())
        }
        let words = mapping.bindMemory(to: UInt64.self, capacity: Int(recordBytes / 8))
        words[0] = UInt64(range.lowerBound.value)
        words[1] = UInt64(range.upperBound.value)
        words[2] = UInt64(limit.value)
        words[3] = 0
        words[4] = UInt64(pageSize)
        guard swiftgc_install_write_fault_handler(recordWriteFault, UnsafeMutableRawPointer(words)) == 0 else {
            let error = swiftgc_errno()
            OS.release(mapping, bytes: recordBytes)
            return error == EBUSY
                ? DirtyPageRefusal("another mprotect tracker is active in this process")
                : DirtyPageRefusal("cannot install its SIGSEGV handler", errorNumber: error)
        }
        guard protect(range, isWritable: false) else {
            let error = swiftgc_errno()
            _ = protect(range, isWritable: true)
            swiftgc_remove_write_fault_handler(1)
            OS.release(mapping, bytes: recordBytes)
            return DirtyPageRefusal("mprotect failed", errorNumber: error)
        }
        faultRecord = words
        return nil
    }

    /// Publishes the new end first, so a fault in the added pages finds
    /// them tracked, then protects them.
    mutating func extendMprotect(_ added: Range<Address>) -> Bool {
        guard let words = faultRecord else { return false }
        Atomics.store(releasing: words + 1, UInt64(added.upperBound.value))
        guard protect(added, isWritable: false) else {
            _ = protect(added, isWritable: true)
            Atomics.store(releasing: words + 1, UInt64(added.lowerBound.value))
            return false
        }
        return true
    }

    mutating func collectMprotect(_ range: Range<Address>, visit: (Range<Address>) -> Void) -> Bool {
        guard let words = faultRecord else { return false }
        guard swiftgc_write_fault_handler_is_current() != 0 else {
            reportLine {
                $0.append("the program replaced the SIGSEGV handler that SWIFTGC_DIRTY_PAGES=mprotect needs; ")
                $0.append("dirty-page tracking stops and collections stop the world")
            }
            stopTracking()
            return false
        }
        let bitmap = words + DirtyPages.recordHeaderWords
        let low = tracked.lowerBound
        if Atomics.fetchAnd(acquiringAndReleasing: words + 3, 0) != 0 {
            // A handler unprotected everything: every page counts as written.
            setBits(bitmap, pages: 0..<((tracked.upperBound - low) / pageSize))
        }
        let firstPage = (range.lowerBound - low) / pageSize
        let endPage = (range.upperBound - low) / pageSize
        var runStart: UInt = 0
        var runEnd: UInt = 0
        var word = firstPage / 64
        while word * 64 < endPage {
            // This word's bits that lie in [firstPage, endPage).
            let wordLow = word * 64
            var mask = UInt64.max
            if firstPage > wordLow { mask &= UInt64.max << UInt64(firstPage - wordLow) }
            if endPage < wordLow + 64 { mask &= UInt64.max >> UInt64(wordLow + 64 - endPage) }
            var bits = Atomics.fetchAnd(acquiringAndReleasing: bitmap + Int(word), ~mask) & mask
            while bits != 0 {
                let first = UInt(bits.trailingZeroBitCount)
                let length = UInt((~(bits >> UInt64(first))).trailingZeroBitCount)
                if runEnd == wordLow + first && runStart < runEnd {
                    runEnd += length
                } else {
                    reprotectAndVisit(runStart..<runEnd, bitmap: bitmap, visit: visit)
                    runStart = wordLow + first
                    runEnd = runStart + length
                }
                bits = first + length >= 64 ? 0 : bits & (UInt64.max << UInt64(first + length))
            }
            word += 1
        }
        reprotectAndVisit(runStart..<runEnd, bitmap: bitmap, visit: visit)
        return true
    }

    /// Makes every page writable, stops the handler and unmaps the record.
    /// In a forked child that has not reinitialised, the record stays
    /// mapped: a handler of a thread that was running at the fork never
    /// returns there.
    mutating func stopMprotect() {
        guard let words = faultRecord else { return }
        _ = protect(tracked, isWritable: true)
        let isOwner = self.isOwner
        swiftgc_remove_write_fault_handler(isOwner ? 1 : 0)
        if isOwner {
            OS.release(UnsafeMutableRawPointer(words),
                       bytes: mprotectRecordBytes(limit: limit, low: tracked.lowerBound))
        }
        faultRecord = nil
    }

    private func mprotectRecordBytes(limit: Address, low: Address) -> UInt {
        let pages = (limit - low) / pageSize
        let bytes = UInt(DirtyPages.recordHeaderWords) * 8 + (pages + 63) / 64 * 8
        return roundUp(bytes, toMultipleOf: pageSize)
    }

    /// Protects the pages [run) (indices from the tracked range's start),
    /// then reports them. If protecting fails, their bits are set again so
    /// that the next collection reports them too.
    private func reprotectAndVisit(_ run: Range<UInt>, bitmap: UnsafeMutablePointer<UInt64>,
                                   visit: (Range<Address>) -> Void) {
        guard run.lowerBound < run.upperBound else { return }
        let pages = tracked.lowerBound + run.lowerBound * pageSize..<tracked.lowerBound + run.upperBound * pageSize
        if !protect(pages, isWritable: false) { setBits(bitmap, pages: run) }
        visit(pages)
    }

    /// Sets the bits of `pages`, a word at a time.
    private func setBits(_ bitmap: UnsafeMutablePointer<UInt64>, pages: Range<UInt>) {
        var page = pages.lowerBound
        while page < pages.upperBound {
            let offset = page % 64
            let count = min(64 - offset, pages.upperBound - page)
            let mask = count == 64 ? UInt64.max : ((1 << UInt64(count)) - 1) << UInt64(offset)
            _ = Atomics.fetchOr(acquiringAndReleasing: bitmap + Int(page / 64), mask)
            page += count
        }
    }

    private func protect(_ range: Range<Address>, isWritable: Bool) -> Bool {
        mprotect(range.lowerBound.pointer, Int(range.upperBound - range.lowerBound),
                 isWritable ? PROT_READ | PROT_WRITE : PROT_READ) == 0
    }
}

/// The SIGSEGV handler's work, on the faulting thread: if `address` is in
/// the tracked range, unprotect its page and then set its bit. Returns 1 if
/// the fault was ours, 0 to forward it. Async-signal-safe: only mprotect
/// and atomic operations on the record.
private func recordWriteFault(_ address: UInt, _ context: UnsafeMutableRawPointer?) -> Int32 {
    guard let context else { return 0 }
    let words = context.assumingMemoryBound(to: UInt64.self)
    let low = UInt(words[0])
    let high = UInt(Atomics.load(acquiring: words + 1))
    guard address >= low && address < high else { return 0 }
    let pageSize = UInt(words[4])
    let page = (address - low) / pageSize
    if mprotect(UnsafeMutableRawPointer(bitPattern: low + page * pageSize), Int(pageSize), PROT_READ | PROT_WRITE) != 0 {
        // Most likely out of mappings (vm.max_map_count): unprotecting the
        // whole range merges it back into one.
        guard mprotect(UnsafeMutableRawPointer(bitPattern: low), Int(high - low), PROT_READ | PROT_WRITE) == 0 else {
            return 0
        }
        Atomics.store(releasing: words + 3, 1)
        return 1
    }
    let bitmap = words + 8
    _ = Atomics.fetchOr(acquiringAndReleasing: bitmap + Int(page / 64), 1 << UInt64(page % 64))
    return 1
}
