import _CSwiftGC

/// Finds the writable data segments (.data and .bss) of the executable and
/// of every loaded shared library by reading /proc/self/maps, which is read
/// afresh at each collection so libraries opened later are included.
///
/// A segment is a private, readable and writable mapping of a file, plus the
/// anonymous mapping that starts exactly where such a mapping ends (the part
/// of .bss past the file's last page). Other anonymous memory (the malloc
/// heap, thread stacks, mmap) is not a root.
struct DataSegments {
    /// Reads the maps through `buffer` and calls `visit` with each root
    /// range. Returns false if /proc/self/maps could not be read.
    ///
    /// With `anonymousMappingsBelow` set (the preload library outside
    /// malloc mode), also visits the mappings `AnonymousMappings` makes
    /// roots; the address is the collecting thread's stack pointer.
    static func forEach(buffer: UnsafeMutablePointer<UInt8>, capacity: Int,
                        anonymousMappingsBelow collectorStackPointer: Address? = nil,
                        _ visit: (Address, Address) -> Void) -> Bool {
        let descriptor = OS.openForReading("/proc/self/maps")
        if descriptor < 0 { return false }
        defer { OS.close(descriptor) }
        var previousDataEnd = Address.null
        return LineReader.forEachLine(buffer: buffer, capacity: capacity,
                                      read: { OS.read(descriptor, into: $0, capacity: $1) }) { line in
            visitRoots(ofLine: line, anonymousMappingsBelow: collectorStackPointer,
                       previousDataEnd: &previousDataEnd, visit)
        }
    }

    /// The work of `forEach` for one line of the maps; `previousDataEnd`
    /// carries over from line to line, starting at `.null`.
    static func visitRoots(ofLine line: UnsafeBufferPointer<UInt8>, anonymousMappingsBelow collectorStackPointer: Address?,
                           previousDataEnd: inout Address, _ visit: (Address, Address) -> Void) {
        guard let mapping = MapsParser.parse(line: line) else { return }
        if let collectorStackPointer,
           AnonymousMappings.isRoot(mapping, collectorStackPointer: collectorStackPointer) {
            visit(mapping.start, mapping.end)
            previousDataEnd = .null
        } else {
            classify(mapping, previousDataEnd: &previousDataEnd, visit)
        }
    }

    /// Decides whether one mapping is a root, given where the last data
    /// segment ended.
    static func classify(_ mapping: MappingLine, previousDataEnd: inout Address,
                         _ visit: (Address, Address) -> Void) {
        let isPrivateData = mapping.isReadable && mapping.isWritable && mapping.isPrivate
        if isPrivateData && mapping.isFileBacked {
            visit(mapping.start, mapping.end)
            previousDataEnd = mapping.end
        } else if isPrivateData && mapping.isAnonymous && mapping.start == previousDataEnd
                    && previousDataEnd != .null {
            visit(mapping.start, mapping.end)
            previousDataEnd = .null
        } else {
            previousDataEnd = .null
        }
    }
}
