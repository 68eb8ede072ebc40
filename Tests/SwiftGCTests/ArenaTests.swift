import Testing
import SwiftGC

/// Arenas from Swift: `GC.withArena` and `Arena.allocate`.
@Suite(.serialized)
struct ArenaTests {
    @Test func objectsHeldFromAnArenaSurviveCollections() {
        let survivors = GC.withArena { arena -> Int in
            let slots = arena.allocate(UInt.self, capacity: 100)
            let links = fillArena(slots)
            for _ in 0..<3 { collectWithCleanStack() }
            let kept = links.filter { $0.target != nil }.count
            #expect(slots[99] != 0, "the arena's slots should still hold their pointers")
            return kept
        }
        #expect(survivors == 100, "objects only an arena points to should survive, \(survivors) of 100 did")
    }

    @Test func arenaMemoryIsZeroedAndAligned() {
        GC.withArena { arena in
            var allZero = true
            var aligned = true
            for index in 0..<1000 {
                let numbers = arena.allocate(Int.self, capacity: index % 20 + 1)
                for element in 0..<(index % 20 + 1) where numbers[element] != 0 { allZero = false }
                if UInt(bitPattern: numbers) % 16 != 0 { aligned = false }
                numbers[0] = -1
            }
            #expect(allZero, "arena memory should read as zeros")
            #expect(aligned, "arena objects should be 16-byte aligned")
            #expect(GC.base(of: arena.allocate(byteCount: 8)) == nil, "GC.base should not find arena objects")
        }
    }

    @Test func resetReusesTheMemoryAndCheckCountsPointers() {
        GC.withArena { arena in
            let first = arena.allocate(byteCount: 64)
            arena.reset()
            let again = arena.allocate(byteCount: 64)
            #expect(first == again, "after reset the arena should hand out its first address again")
            let holder = GC.allocate(UInt.self, capacity: 4)
            holder[2] = UInt(bitPattern: again)
            #expect(arena.pointersIntoArena() >= 1, "a collected object pointing into the arena should be counted")
            holder[2] = 0
            withExtendedLifetime(holder) {}
        }
    }
}

@inline(never) func fillArena(_ slots: UnsafeMutablePointer<UInt>) -> [GC.WeakReference] {
    var references: [GC.WeakReference] = []
    for index in 0..<100 {
        let object = GC.allocate(byteCount: 32)
        slots[index] = UInt(bitPattern: object)
        references.append(GC.WeakReference(object))
    }
    return references
}
