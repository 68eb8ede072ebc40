import _CSwiftGC

/// A view of consecutive 64-bit words used as a bitmap, such as a span's
/// live bits or mark bits. Bit `i` is bit `i % 64` of word `i / 64`.
struct Bitmap {
    let words: UnsafeMutablePointer<UInt64>

    @inline(__always) func isSet(_ index: Int) -> Bool {
        words[index &>> 6] & (1 &<< UInt64(index & 63)) != 0
    }

    @inline(__always) func set(_ index: Int) {
        words[index &>> 6] |= 1 &<< UInt64(index & 63)
    }

    @inline(__always) func clear(_ index: Int) {
        words[index &>> 6] &= ~(1 &<< UInt64(index & 63))
    }

    /// Sets the bit and returns whether it was already set.
    /// testAndSet with an atomic OR, for bitmaps several threads set: of
    /// two markers reaching one object, exactly one sees the bit clear.
    /// Only that atomicity is relied on (the world is stopped while marking,
    /// so the object's contents do not change).
    @inline(__always) func atomicTestAndSet(_ index: Int) -> Bool {
        let mask: UInt64 = 1 &<< UInt64(index & 63)
        return Atomics.fetchOr(acquiringAndReleasing: words + (index &>> 6), mask) & mask != 0
    }

    @inline(__always) func testAndSet(_ index: Int) -> Bool {
        let mask: UInt64 = 1 &<< UInt64(index & 63)
        let word = words[index &>> 6]
        if word & mask != 0 { return true }
        words[index &>> 6] = word | mask
        return false
    }

    func clearAll(wordCount: Int) {
        for index in 0..<wordCount { words[index] = 0 }
    }

    func populationCount(wordCount: Int) -> Int {
        var count = 0
        for index in 0..<wordCount { count &+= words[index].nonzeroBitCount }
        return count
    }
}

/// The mask of valid bits in word `wordIndex` of a bitmap holding `bitCount` bits.
@inline(__always) func validBitsMask(wordIndex: Int, bitCount: Int) -> UInt64 {
    let remaining = bitCount &- wordIndex &* 64
    if remaining >= 64 { return ~0 }
    if remaining <= 0 { return 0 }
    return (1 &<< UInt64(remaining)) &- 1
}
