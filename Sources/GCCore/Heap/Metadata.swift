/// Allocation of the collector's own structures inside the region's
/// metadata part: a bump pointer, plus a free list of span descriptors.
/// Nothing here is ever given back to the OS; descriptors are recycled.
struct Metadata {
    let origin: Address
    var top: Address
    var end: Address
    var freeDescriptors: UnsafeMutablePointer<Span>? = nil
    /// Bytes bumped so far.
    var usedBytes: UInt { top - origin }

    init(start: Address, bytes: UInt) {
        origin = start
        top = start
        end = start + bytes
    }

    /// Zeroed memory for the collector's lifetime, or nil when exhausted.
    mutating func allocate(bytes: UInt, alignment: UInt = 64) -> UnsafeMutableRawPointer? {
        let start = top.alignedUp(to: alignment)
        guard start + bytes <= end, start + bytes > start else { return nil }
        top = start + bytes
        return start.pointer
    }

    mutating func allocateDescriptor() -> UnsafeMutablePointer<Span>? {
        if let descriptor = freeDescriptors {
            freeDescriptors = descriptor.pointee.next
            descriptor.initialize(to: Span())
            return descriptor
        }
        guard let raw = allocate(bytes: Span.descriptorSize) else { return nil }
        let descriptor = raw.bindMemory(to: Span.self, capacity: 1)
        descriptor.initialize(to: Span())
        return descriptor
    }

    mutating func releaseDescriptor(_ descriptor: UnsafeMutablePointer<Span>) {
        descriptor.pointee.state = .free
        descriptor.pointee.next = freeDescriptors
        freeDescriptors = descriptor
    }
}

extension Address {
    static func <= (left: Address, right: Address) -> Bool { left.value <= right.value }
    static func > (left: Address, right: Address) -> Bool { left.value > right.value }
}
