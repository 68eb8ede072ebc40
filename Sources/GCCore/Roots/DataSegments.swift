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
    /// What the classification of one line needs from the lines before it.
    struct Context {
        /// Where the last data segment ended, if the previous line was one.
        var previousDataEnd = Address.null
        /// The inode of the previous line's file, 0 if it had none.
        var previousInode: UInt64 = 0
    }

    /// Reads the maps through `buffer` and calls `visit` with each root
    /// range. Returns false if /proc/self/maps could not be read.
    ///
    /// With `anonymousMappingsBelow` set (the preload library outside
    /// malloc mode), also visits the mappings `AnonymousMappings` makes
    /// roots, but `pointerFreeMapping`; the address is the collecting
    /// thread's stack pointer.
    static func forEach(buffer: UnsafeMutablePointer<UInt8>, capacity: Int,
                        anonymousMappingsBelow collectorStackPointer: Address? = nil,
                        pointerFreeMapping: (start: UInt, end: UInt) = (0, 0),
                        _ visit: (Address, Address) -> Void) -> Bool {
        let descriptor = OS.openForReading("/proc/self/maps")
        if descriptor < 0 { return false }
        defer { OS.close(descriptor) }
        var context = Context()
        return LineReader.forEachLine(buffer: buffer, capacity: capacity,
                                      read: { OS.read(descriptor, into: $0, capacity: $1) }) { line in
            visitRoots(ofLine: line, anonymousMappingsBelow: collectorStackPointer,
                       pointerFreeMapping: pointerFreeMapping, context: &context, visit)
        }
    }

    /// The work of `forEach` for one line of the maps; `context` carries
    /// over from line to line, starting empty.
    static func visitRoots(ofLine line: UnsafeBufferPointer<UInt8>, anonymousMappingsBelow collectorStackPointer: Address?,
                           pointerFreeMapping: (start: UInt, end: UInt) = (0, 0),
                           context: inout Context, _ visit: (Address, Address) -> Void) {
        guard let mapping = MapsParser.parse(line: line) else { return }
        if let collectorStackPointer,
           AnonymousMappings.isRoot(mapping, collectorStackPointer: collectorStackPointer,
                                    pointerFreeMapping: pointerFreeMapping) {
            visit(mapping.start, mapping.end)
            context = Context()
        } else {
            classify(mapping, context: &context, visit)
        }
    }

    /// Decides whether one mapping is a root, given the line before it.
    ///
    /// A private writable mapping of a file is a data segment only when
    /// the line before maps the same file: a loaded object maps its
    /// segments next to each other, read-only or executable first. A data
    /// file a program maps privately and writably on its own is no root:
    /// beyond the end of a short file, reading it raises SIGBUS.
    static func classify(_ mapping: MappingLine, context: inout Context,
                         _ visit: (Address, Address) -> Void) {
        let isPrivateData = mapping.isReadable && mapping.isWritable && mapping.isPrivate
        if isPrivateData && mapping.isFileBacked && mapping.inode != 0 && mapping.inode == context.previousInode {
            visit(mapping.start, mapping.end)
            context.previousDataEnd = mapping.end
        } else if isPrivateData && mapping.isAnonymous && mapping.start == context.previousDataEnd
                    && context.previousDataEnd != .null {
            visit(mapping.start, mapping.end)
            context.previousDataEnd = .null
        } else {
            context.previousDataEnd = .null
        }
        context.previousInode = mapping.isFileBacked ? mapping.inode : 0
    }
}
