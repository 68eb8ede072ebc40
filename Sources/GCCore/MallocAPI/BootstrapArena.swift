import _CSwiftGC

/// Memory for the malloc calls the allocator itself causes while it holds a
/// heap lock: libc functions it calls (pthread_getattr_np when a thread
/// registers, atexit and pthread_atfork at start-up) may call malloc, which
/// in the preload library is ours and must not re-enter the heap.
///
/// Each block is its own anonymous mapping. The block starts 16 bytes into
/// the mapping, after a header holding a tag and the mapping's size, so a
/// block is recognised by its offset in the page and the tag.
///
///     mapping + 0   tag (8 bytes)    mapping + 8   mapped bytes (8 bytes)
///     mapping + 16  the block
///
/// Such calls are rare (a few per thread start), so a mapping each costs
/// little, and free can give the memory straight back.
enum BootstrapArena {
    private static let headerBytes: UInt = 16
    private static let tag: UInt = 0x5357_4946_5447_4342

    static func allocate(bytes: UInt) -> UnsafeMutableRawPointer? {
        guard bytes <= Allocation.largestRequest else { return Allocation.outOfMemory() }
        let pageSize = OS.systemPageSize
        let mappedBytes = roundUp(bytes + headerBytes, toMultipleOf: pageSize)
        guard let mapping = OS.reserve(bytes: mappedBytes) else { return Allocation.outOfMemory() }
        let header = mapping.assumingMemoryBound(to: UInt.self)
        header[0] = tag
        header[1] = mappedBytes
        return mapping + Int(headerBytes)
    }

    /// The usable size of a bootstrap block, or nil if `address` is not one.
    static func usableSize(of address: Address) -> UInt? {
        guard address.value & (OS.systemPageSize - 1) == headerBytes else { return nil }
        let header = (address - headerBytes).pointer!.assumingMemoryBound(to: UInt.self)
        guard header[0] == tag else { return nil }
        return header[1] - headerBytes
    }

    /// Unmaps a block `usableSize(of:)` recognised.
    static func free(_ address: Address) {
        guard let usable = usableSize(of: address) else { return }
        OS.release((address - headerBytes).pointer!, bytes: usable + headerBytes)
    }
}
