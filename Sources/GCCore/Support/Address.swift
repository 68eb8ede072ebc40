/// A byte address in this process's address space.
///
/// A separate type so that addresses are never confused with sizes, counts
/// or indices. Arithmetic wraps; the heap never spans the top of memory.
struct Address: Equatable, Comparable {
    var value: UInt

    init(_ value: UInt) { self.value = value }
    init(_ pointer: UnsafeRawPointer?) { self.value = UInt(bitPattern: pointer) }
    init(_ pointer: UnsafeMutableRawPointer?) { self.value = UInt(bitPattern: pointer) }

    static let null = Address(0)

    var pointer: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: value) }

    @inline(__always) static func + (address: Address, bytes: UInt) -> Address { Address(address.value &+ bytes) }
    @inline(__always) static func - (address: Address, bytes: UInt) -> Address { Address(address.value &- bytes) }
    @inline(__always) static func - (end: Address, start: Address) -> UInt { end.value &- start.value }
    @inline(__always) static func < (left: Address, right: Address) -> Bool { left.value < right.value }

    func alignedDown(to alignment: UInt) -> Address { Address(value & ~(alignment &- 1)) }
    func alignedUp(to alignment: UInt) -> Address { Address((value &+ alignment &- 1) & ~(alignment &- 1)) }
    func isAligned(to alignment: UInt) -> Bool { value & (alignment &- 1) == 0 }
}

/// Rounds `bytes` up to a multiple of `alignment`, a power of two.
@inline(__always) func roundUp(_ bytes: UInt, toMultipleOf alignment: UInt) -> UInt {
    (bytes &+ alignment &- 1) & ~(alignment &- 1)
}
