import Testing
@testable import GCCore

/// The open-addressing table behind finalizers and weak links: lookup,
/// insertion, removal through tombstones, growth, shrinking, and keys that
/// all hash to one slot.
struct AddressTableTests {
    /// Heap-like addresses, 16 bytes apart.
    private func key(_ index: Int) -> Address { Address(0x7f12_3400_0000 + UInt(index) * 16) }

    /// `count` keys that the table's hash sends to the same first slot in
    /// a table of `capacity` slots (found by hashing candidates the way the
    /// table does; `collidingKeysTakeConsecutiveSlots` checks they collide).
    private func collidingKeys(_ count: Int, capacity: Int) -> [Address] {
        var keys: [Address] = []
        var candidate = key(0)
        let shift = UInt(64 - capacity.trailingZeroBitCount)
        func firstSlot(_ key: Address) -> UInt { ((key.value &>> 3) &* 0x9e37_79b9_7f4a_7c15) &>> shift }
        let target = firstSlot(candidate)
        while keys.count < count {
            if firstSlot(candidate) == target { keys.append(candidate) }
            candidate = candidate + 8
        }
        return keys
    }

    /// Unmaps the table's storage (the table has no public release).
    private func release(_ table: inout AddressTable) {
        if let entries = table.entries {
            OS.release(UnsafeMutableRawPointer(entries),
                       bytes: UInt(table.capacity * MemoryLayout<AddressTable.Entry>.stride))
        }
        table = AddressTable()
    }

    @Test func anEmptyTableFindsNothing() {
        var table = AddressTable()
        #expect(table.find(key(1)) == nil, "an empty table should find no key")
        var visited = 0
        table.forEach { _ in visited += 1 }
        #expect(visited == 0 && table.capacity == 0, "an empty table should have no storage and no entries")
        release(&table)
    }

    @Test func insertedKeysAreFoundWithTheirPayload() {
        var table = AddressTable()
        defer { release(&table) }
        let inserted = table.findOrInsert(key(1))
        #expect(inserted?.isNew == true, "the first insertion of a key should be new")
        #expect(table.capacity == AddressTable.initialCapacity, "the first insertion should map the initial capacity")
        #expect(inserted.map { $0.slot.pointee.first == 0 && $0.slot.pointee.second == 0 && $0.slot.pointee.third == 0 }
                == true, "a new entry's payload should be zero")
        inserted?.slot.pointee.first = 11
        inserted?.slot.pointee.third = 33
        let again = table.findOrInsert(key(1))
        #expect(again?.isNew == false && again?.slot == inserted?.slot,
                "inserting a present key should return its existing slot")
        #expect(table.find(key(1))?.pointee.first == 11 && table.find(key(1))?.pointee.third == 33,
                "find should return the payload stored")
        #expect(table.find(key(2)) == nil, "an absent key should not be found")
        #expect(table.count == 1, "one key should count once")
    }

    @Test func keysAreStoredHiddenSoNoScanSeesThem() {
        var table = AddressTable()
        defer { release(&table) }
        for index in 0..<100 { _ = table.findOrInsert(key(index)) }
        let bytes = UnsafeRawBufferPointer(start: table.entries,
                                           count: table.capacity * MemoryLayout<AddressTable.Entry>.stride)
        let keyValues = Set((0..<100).map { key($0).value })
        let plainKeys = stride(from: 0, to: bytes.count, by: 8).filter {
            keyValues.contains(bytes.load(fromByteOffset: $0, as: UInt.self))
        }
        #expect(plainKeys.isEmpty, "no word of the table should hold a key's plain address")
        #expect(table.find(key(7))?.pointee.key == key(7), "an entry should reveal its key")
    }

    @Test func collidingKeysTakeConsecutiveSlotsAndAreAllFound() {
        var table = AddressTable()
        defer { release(&table) }
        let keys = collidingKeys(40, capacity: AddressTable.initialCapacity)
        for (index, key) in keys.enumerated() { table.findOrInsert(key)?.slot.pointee.first = UInt(index) }
        #expect(table.capacity == AddressTable.initialCapacity, "40 keys should fit without growing")
        let slots = keys.map { table.find($0).map { table.entries!.distance(to: $0) } ?? -1 }
        for (index, slot) in slots.enumerated() where index > 0 {
            #expect(slot == (slots[index - 1] + 1) % table.capacity,
                    "colliding key \(index) should probe to the slot after key \(index - 1)")
        }
        for (index, key) in keys.enumerated() {
            #expect(table.find(key)?.pointee.first == UInt(index), "colliding key \(index) should keep its payload")
        }
    }

    @Test func aRemovedKeyLeavesATombstoneThatKeepsLaterCollidingKeysReachable() {
        var table = AddressTable()
        defer { release(&table) }
        let keys = collidingKeys(4, capacity: AddressTable.initialCapacity)
        for key in keys.prefix(3) { _ = table.findOrInsert(key) }
        let removedSlot = table.find(keys[1])!
        table.remove(removedSlot)
        #expect(table.find(keys[1]) == nil, "a removed key should not be found")
        #expect(table.find(keys[2]) != nil, "a key probed past the removed one should still be found")
        #expect(table.count == 2 && table.usedSlots == 3, "removal should keep the slot used as a tombstone")
        let reinserted = table.findOrInsert(keys[3])
        #expect(reinserted?.slot == removedSlot && reinserted?.isNew == true,
                "a new colliding key should reuse the tombstone")
        #expect(table.count == 3 && table.usedSlots == 3, "reusing a tombstone should use no new slot")
        var visited = Set<UInt>()
        table.forEach { visited.insert($0.pointee.key.value) }
        #expect(visited == Set([keys[0], keys[2], keys[3]].map(\.value)), "forEach should visit exactly the keys present")
    }

    @Test func theTableGrowsPastThreeQuartersAndKeepsEveryEntry() {
        var table = AddressTable()
        defer { release(&table) }
        for index in 0..<10_000 {
            let capacity = table.capacity
            let wasFull = table.capacity == 0 || table.isFull
            table.findOrInsert(key(index))?.slot.pointee.second = UInt(index)
            #expect(table.capacity == capacity || wasFull, "insertion \(index) should grow the table only when full")
            #expect(table.usedSlots * 4 <= table.capacity * 3, "insertion \(index) should keep the load under 3/4")
        }
        #expect(table.count == 10_000 && table.capacity.nonzeroBitCount == 1, "10000 keys in a power-of-two table")
        var wrong = 0
        for index in 0..<10_000 where table.find(key(index))?.pointee.second != UInt(index) { wrong += 1 }
        #expect(wrong == 0, "every key should keep its payload through growth (\(wrong) did not)")
        #expect(table.find(key(10_000)) == nil, "a key never inserted should not be found")
    }

    @Test func churnOfInsertionsAndRemovalsRehashesInPlaceInsteadOfGrowing() {
        var table = AddressTable()
        defer { release(&table) }
        for index in 0..<5_000 {
            table.remove(table.findOrInsert(key(index))!.slot)
            #expect(table.capacity == AddressTable.initialCapacity,
                    "insertion \(index): tombstones alone should never double the table")
        }
        #expect(table.count == 0 && table.usedSlots * 4 <= table.capacity * 3, "tombstones should be cleared by rehashing")
    }

    @Test func shrinkingReturnsMemoryOnceThePeakHasPassed() {
        var table = AddressTable()
        defer { release(&table) }
        for index in 0..<10_000 { _ = table.findOrInsert(key(index)) }
        let bigCapacity = table.capacity
        for index in 10..<10_000 { table.remove(table.find(key(index))!) }
        table.shrinkIfSparse()
        #expect(table.capacity == bigCapacity, "the table should keep its size in the collection after its peak")
        table.shrinkIfSparse()
        #expect(table.capacity == AddressTable.initialCapacity, "a sparse table should shrink at the next collection")
        #expect((0..<10).allSatisfy { table.find(key($0)) != nil }, "shrinking should keep the 10 remaining keys")

        for index in 10..<10_000 { _ = table.findOrInsert(key(index)) }
        for index in 0..<10_000 { table.remove(table.find(key(index))!) }
        table.shrinkIfSparse()
        #expect(table.capacity == 0 && table.entries == nil, "an emptied big table should be unmapped")
        let reinserted = table.findOrInsert(key(3))
        #expect(reinserted?.isNew == true && table.find(key(3)) != nil,
                "an unmapped table should accept keys again")
    }
}
