import GCCore
import _CSwiftGC

extension GC {
    /// Which words of an object may hold pointers. Make each descriptor
    /// once and reuse it; descriptors are never freed. Corresponds to
    /// `gc_make_descriptor`.
    public struct TypeDescriptor: Sendable, Equatable {
        let raw: UInt

        /// A descriptor for objects of `wordCount` words in which exactly
        /// the words at `pointerWords` (zero-based) may hold pointers.
        public init(wordCount: Int, pointerWords: [Int]) {
            precondition(wordCount > 0, "GC.TypeDescriptor: wordCount must be positive")
            var bitmap = [UInt](repeating: 0, count: (wordCount + 63) / 64)
            for index in pointerWords {
                precondition(index >= 0 && index < wordCount, "GC.TypeDescriptor: word \(index) is outside the object")
                bitmap[index / 64] |= 1 << UInt(index % 64)
            }
            raw = bitmap.withUnsafeBufferPointer { gc_make_descriptor($0.baseAddress, UInt(wordCount)) }
        }
    }

    /// Allocates `byteCount` zeroed bytes scanned only at the descriptor's
    /// pointer words. Corresponds to `gc_malloc_typed`.
    ///
    /// - Returns: the start of the new object. Traps if memory is exhausted.
    public static func allocate(byteCount: Int, descriptor: TypeDescriptor) -> UnsafeMutableRawPointer {
        precondition(byteCount >= 0, "GC.allocate: byteCount must not be negative")
        guard let pointer = gc_malloc_typed(UInt(byteCount), descriptor.raw) else {
            fatalError("SwiftGC: out of memory allocating \(byteCount) typed bytes")
        }
        return pointer
    }

    /// Allocates `count` zeroed elements of `elementSize` bytes, each
    /// described by `descriptor`. Corresponds to `gc_calloc_typed`.
    public static func allocate(count: Int, elementSize: Int, descriptor: TypeDescriptor) -> UnsafeMutableRawPointer {
        precondition(count >= 0 && elementSize >= 0, "GC.allocate: sizes must not be negative")
        guard let pointer = gc_calloc_typed(UInt(count), UInt(elementSize), descriptor.raw) else {
            fatalError("SwiftGC: out of memory allocating \(count) typed elements")
        }
        return pointer
    }
}
