import Testing
import SwiftGC

import Dispatch

/// Statistics tests compare counters before and after, so the tests run one
/// at a time.
@Suite(.serialized)
struct GCTests {
    @Test func allocateReturnsZeroedUsableMemory() {
        let object = GC.allocate(byteCount: 100)
        let bytes = object.assumingMemoryBound(to: UInt8.self)
        for index in 0..<100 { #expect(bytes[index] == 0, "byte \(index) of a new object should be zero") }
        #expect(GC.size(of: object) >= 100, "usable size should cover the request")
        #expect(GC.base(of: object + 57) == object, "an interior pointer should lead to the object's start")
    }

    @Test func typedAllocationBindsAndZeroes() {
        let values = GC.allocate(Int64.self, capacity: 1000)
        #expect(values[999] == 0, "typed memory should start zeroed")
        for index in 0..<1000 { values[index] = Int64(index) * 3 }
        churn(megabytes: 32)
        GC.collect()
        var intact = true
        for index in 0..<1000 where values[index] != Int64(index) * 3 { intact = false }
        #expect(intact, "an array reachable from a local should survive collections intact")
    }

    @Test func atomicMemoryIsUsable() {
        let buffer = GC.allocateAtomic(byteCount: 4096)
        buffer.initializeMemory(as: UInt8.self, repeating: 7, count: 4096)
        #expect(buffer.load(fromByteOffset: 4095, as: UInt8.self) == 7)
        #expect(GC.size(of: buffer) >= 4096)
    }

    @Test func collectIncrementsStatistics() {
        let before = GC.statistics
        GC.collect()
        let after = GC.statistics
        #expect(after.collections == before.collections + 1, "collect() should run exactly one collection")
        #expect(after.heapSize >= after.bytesInUse, "the heap should hold at least the live bytes")
        #expect(after.lastPauseNanoseconds > 0, "a collection should take measurable time")
    }

    @Test func garbageIsReclaimed() {
        let before = GC.statistics
        churn(megabytes: 64)
        GC.collect()
        let after = GC.statistics
        #expect(after.totalBytesAllocated - before.totalBytesAllocated >= 64 << 20,
                "64 MiB of allocation should be counted")
        #expect(after.totalBytesReclaimed - before.totalBytesReclaimed >= 48 << 20,
                "most of 64 MiB of garbage should be reclaimed")
        #expect(after.heapSize < 48 << 20, "the heap should stay far below the total allocated")
    }

    @Test func listReachableFromALocalSurvives() {
        // Nodes: [next pointer, value]. The head lives only in this frame.
        var head: UnsafeMutablePointer<Int>? = nil
        for value in 0..<10_000 {
            let node = GC.allocate(Int.self, capacity: 2)
            node[0] = Int(bitPattern: head)
            node[1] = value
            head = node
        }
        churn(megabytes: 32)
        GC.collect()
        var count = 0
        var expected = 9_999
        var cursor = head
        var intact = true
        while let node = cursor {
            if node[1] != expected { intact = false }
            expected -= 1
            count += 1
            cursor = UnsafeMutablePointer(bitPattern: node[0])
        }
        #expect(count == 10_000 && intact, "every node of the list should survive with its value")
    }

    @Test func listsHeldByOtherThreadsSurviveTheirCollections() {
        // Four Dispatch worker threads (registered at their first allocation)
        // each build a list held only by their own stack, while the others
        // force collections.
        let results = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        defer { results.deallocate() }
        let address = UInt(bitPattern: results)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let intactCount = UnsafeMutablePointer<Int>(bitPattern: address)!
            var intact = 0
            for round in 0..<5 {
                var head: UnsafeMutablePointer<Int>? = nil
                for value in 0..<20_000 {
                    let node = GC.allocate(Int.self, capacity: 2)
                    node[0] = Int(bitPattern: head)
                    node[1] = value &* 7 &+ worker
                    head = node
                }
                if round % 2 == worker % 2 { GC.collect() }
                churn(megabytes: 4)
                var expected = 19_999
                var cursor = head
                var isIntact = true
                while let node = cursor {
                    if node[1] != expected &* 7 &+ worker { isIntact = false }
                    expected -= 1
                    cursor = UnsafeMutablePointer(bitPattern: node[0])
                }
                if isIntact && expected == -1 { intact += 1 }
            }
            intactCount[worker] = intact
        }
        for worker in 0..<4 {
            #expect(results[worker] == 5, "all 5 lists of worker \(worker) should survive intact")
        }
    }

    @Test func disablingPostponesCollections() {
        let before = GC.statistics.collections
        GC.withCollectionsDisabled { churn(megabytes: 32) }
        #expect(GC.statistics.collections == before, "no collection should run while disabled")
        churn(megabytes: 32)
        #expect(GC.statistics.collections > before, "collections should resume once enabled")
    }

    @Test func addedRootsKeepObjectsAlive() {
        let table = UnsafeMutableRawPointer.allocate(byteCount: 64 * 8, alignment: 8)
        defer { table.deallocate() }
        let slots = table.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: 64)
        GC.addRoots(from: table, to: table + 64 * 8)
        defer { GC.removeRoots(from: table, to: table + 64 * 8) }
        for index in 0..<64 {
            let object = GC.allocateAtomic(byteCount: 256)
            object.initializeMemory(as: UInt8.self, repeating: UInt8(index), count: 256)
            slots[index] = object
        }
        churn(megabytes: 32)
        GC.collect()
        var intact = true
        for index in 0..<64 {
            let object = slots[index]!
            if GC.base(of: object) != object || object.load(fromByteOffset: 255, as: UInt8.self) != UInt8(index) {
                intact = false
            }
        }
        #expect(intact, "objects referenced only from a registered malloc block should survive")
    }
}

/// Allocates `megabytes` of unreachable objects of mixed sizes.
@inline(never) func churn(megabytes: Int) {
    var remaining = megabytes << 20
    var size = 16
    while remaining > 0 {
        _ = GC.allocate(byteCount: size)
        remaining -= size
        size = size >= 4096 ? 16 : size * 2
    }
}
