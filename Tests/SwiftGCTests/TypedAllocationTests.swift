import Testing
import SwiftGC

/// Typed objects: only the words the descriptor marks are scanned.
@Suite(.serialized)
struct TypedAllocationTests {
    @Test func nonPointerWordsRetainNothing() {
        // Elements of two words: word 0 a pointer, word 1 a number.
        let descriptor = GC.TypeDescriptor(wordCount: 2, pointerWords: [0])
        let array = GC.allocate(count: 100, elementSize: 16, descriptor: descriptor)
        let weak = fillTyped(array)
        for _ in 0..<2 { collectWithCleanStack() }
        let words = array.assumingMemoryBound(to: UInt.self)
        var keptAlive = 0
        for index in 0..<100 where GC.base(of: UnsafeRawPointer(bitPattern: words[2 * index])!) != nil { keptAlive += 1 }
        let cleared = weak.filter { $0.target == nil }.count
        #expect(keptAlive == 100, "objects in pointer words should survive, \(keptAlive) of 100 did")
        #expect(cleared >= 80, "objects only in number words should be reclaimed, \(cleared) of 100 were")
        withExtendedLifetime(array) {}
    }
}

@inline(never) func fillTyped(_ array: UnsafeMutableRawPointer) -> [GC.WeakReference] {
    let words = array.assumingMemoryBound(to: UInt.self)
    var references: [GC.WeakReference] = []
    for index in 0..<100 {
        words[2 * index] = UInt(bitPattern: GC.allocate(byteCount: 24))
        let hidden = GC.allocate(byteCount: 24)
        words[2 * index + 1] = UInt(bitPattern: hidden)
        references.append(GC.WeakReference(hidden))
    }
    return references
}
