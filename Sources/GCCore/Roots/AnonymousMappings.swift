/// The roots a malloc user has beyond data segments and stacks: every other
/// private, readable and writable mapping that no file backs. Programs keep
/// pointers to malloc blocks in memory they map themselves (Python's object
/// arenas, custom pools), ld.so keeps the main thread's thread descriptor
/// and TLS bookkeeping in such mappings, and `[heap]` (brk) may be used by
/// anything now that glibc's malloc is not. Used only by the preload
/// library outside malloc mode, where the whole C heap is ours.
///
/// The collector's own region is anonymous too; the caller scans around it.
/// The mapping that holds the collecting thread's stack is left out: that
/// stack is scanned from the captured bound up, so that the collector's own
/// frames below it retain nothing.
enum AnonymousMappings {
    /// Whether `mapping` is a root. `pointerFreeMapping` is a mapping of the
    /// collector's own, outside the region, that holds no pointers
    /// (leak-check's stack tables): never a root.
    static func isRoot(_ mapping: MappingLine, collectorStackPointer: Address,
                       pointerFreeMapping: (start: UInt, end: UInt) = (0, 0)) -> Bool {
        guard mapping.isReadable && mapping.isWritable && mapping.isPrivate else { return false }
        guard mapping.isAnonymous || isBrkHeap(mapping.path) else { return false }
        guard !(mapping.start.value >= pointerFreeMapping.start && mapping.end.value <= pointerFreeMapping.end)
        else { return false }
        return !(mapping.start <= collectorStackPointer && collectorStackPointer < mapping.end)
    }

    private static func isBrkHeap(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        ByteText.equals(path, "[heap]")
    }
}
