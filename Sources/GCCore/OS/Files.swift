import _CSwiftGC

/// File descriptors: /proc files the collector reads, the trace file, and stderr.
extension OS {
    /// Pre: `path` is a NUL-free absolute path. Post: a new close-on-exec
    /// descriptor open for reading, or -1. (open O_RDONLY | O_CLOEXEC)
    static func openForReading(_ path: StaticString) -> Int32 {
        path.withUTF8Buffer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                swiftgc_open_read_only($0)
            }
        }
    }

    /// Pre: `path` is NUL-terminated. Post: a new close-on-exec descriptor
    /// that appends to the file (created with mode 0644 if missing), or -1.
    /// Each `write` of a line lands whole at the end, even from several
    /// processes. (open O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC)
    static func openForAppending(_ path: UnsafePointer<UInt8>) -> Int32 {
        path.withMemoryRebound(to: CChar.self, capacity: 1) { swiftgc_open_for_appending($0) }
    }

    /// Pre: `buffer` has room for `capacity` bytes. Post: returns the count
    /// read, 0 at end of file, -1 on error; a signal never interrupts it. (read)
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        while true {
            let result = _CSwiftGC.read(descriptor, buffer, capacity)
            if result < 0 && swiftgc_errno() == EINTR { continue }
            return result
        }
    }

    /// Pre: `buffer` has room for `capacity` bytes. Post: returns the count
    /// read at file offset `offset` (the descriptor's own offset does not
    /// move), 0 at end, -1 on error; a signal never interrupts it. (pread)
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, capacity: Int, at offset: Int) -> Int {
        while true {
            let result = pread(descriptor, buffer, capacity, off_t(offset))
            if result < 0 && swiftgc_errno() == EINTR { continue }
            return result
        }
    }

    /// Pre: `buffer` holds `count` bytes. Post: returns how many of them
    /// were written (possibly fewer), or -1 with errno set. (write)
    static func write(_ descriptor: Int32, from buffer: UnsafeRawPointer, count: Int) -> Int {
        _CSwiftGC.write(descriptor, buffer, count)
    }

    /// Pre: the caller owns `descriptor`. Post: it is closed. (close)
    static func close(_ descriptor: Int32) { _ = _CSwiftGC.close(descriptor) }

    /// Post: a close-on-exec duplicate of stderr numbered 64 or more, or -1.
    /// (fcntl F_DUPFD_CLOEXEC)
    static func duplicateStandardError() -> Int32 { swiftgc_duplicate_standard_error() }

    /// Post: whether `descriptor` is open in this process. (fcntl F_GETFD)
    static func isOpen(_ descriptor: Int32) -> Bool { swiftgc_descriptor_is_open(descriptor) != 0 }
}
