import _CSwiftGC

/// A hash table keyed by address, for the finalizer and weak-link tables.
///
/// Keys and the address-valued payloads are stored hidden (bitwise
/// complement), so that no scan of this memory, by accident or by a future
/// root source, can mistake them for pointers: the tables must never keep
/// their objects alive. The storage is its own anonymous mapping, which the
/// collector never scans, grown by doubling and given back when replaced.
/// After each collection `shrinkIfSparse` rehashes a table that its peak
/// occupancy since the previous collection would fill to less than 1/8
/// into one half full at that peak, or unmaps it when empty, so a burst of
/// registrations does not hold its memory for the rest of the run.
///
/// Open addressing with linear probing. Hidden key 0 marks an empty slot and
/// hidden key 1 a deleted one (neither is the complement of a real object
/// address). Every operation runs under the heap lock.
struct AddressTable {
    struct Entry {
        /// ~key; 0 empty, 1 deleted.
        var hiddenKey: UInt = 0
        /// Payload words; their meaning belongs to the table's owner.
        var first: UInt = 0
        var second: UInt = 0
        var third: UInt = 0

        var isOccupied: Bool { hiddenKey > 1 }
        var key: Address { Address(~hiddenKey) }
    }

    static let emptyKey: UInt = 0
    static let deletedKey: UInt = 1
    static let initialCapacity = 256

    var entries: UnsafeMutablePointer<Entry>? = nil
    /// A power of two, or 0 before the first insertion.
    var capacity = 0
    /// Occupied slots.
    var count = 0
    /// Occupied plus deleted slots; the table grows when this passes 3/4.
    var usedSlots = 0
    /// The largest `count` since the last `shrinkIfSparse`.
    var peakCount = 0

    /// Memory one registration costs: an entry, at the table's lowest load
    /// after growing (3/8) rounded to 1/2. Charged to the allocation budget.
    static let bytesPerRegistration = 2 * MemoryLayout<Entry>.stride

    /// Whether the next insertion of a new key rehashes the table.
    var isFull: Bool { (usedSlots &+ 1) &* 4 > capacity &* 3 }

    @inline(__always) static func hide(_ address: Address) -> UInt { ~address.value }
    @inline(__always) static func reveal(_ hidden: UInt) -> Address { Address(~hidden) }

    @inline(__always) private func startIndex(for hiddenKey: UInt) -> Int {
        // Fibonacci hashing of the address, keeping the product's top bits.
        // Links are only 8-byte aligned: dropping 4 bits would send
        // neighbouring links to the same slot.
        let mixed = (~hiddenKey &>> 3) &* 0x9e37_79b9_7f4a_7c15
        return Int(truncatingIfNeeded: mixed &>> UInt(64 &- capacity.trailingZeroBitCount))
    }

    /// The slot holding `key`, or nil.
    func find(_ key: Address) -> UnsafeMutablePointer<Entry>? {
        guard let entries, count > 0 else { return nil }
        let hiddenKey = AddressTable.hide(key)
        var index = startIndex(for: hiddenKey)
        while true {
            let slot = entries + index
            if slot.pointee.hiddenKey == hiddenKey { return slot }
            if slot.pointee.hiddenKey == AddressTable.emptyKey { return nil }
            index = (index &+ 1) & (capacity &- 1)
        }
    }

    /// The slot for `key`, inserted with a zero payload if absent, and
    /// whether it was inserted. Nil when no memory is left for growing.
    mutating func findOrInsert(_ key: Address) -> (slot: UnsafeMutablePointer<Entry>, isNew: Bool)? {
        let hiddenKey = AddressTable.hide(key)
        if let entries {
            // One probe: the key, or else the first deleted slot or the empty
            // slot that ends the run, where the key is inserted.
            var index = startIndex(for: hiddenKey)
            var firstDeleted: UnsafeMutablePointer<Entry>? = nil
            while true {
                let slot = entries + index
                if slot.pointee.hiddenKey == hiddenKey { return (slot, false) }
                if slot.pointee.hiddenKey == AddressTable.deletedKey {
                    if firstDeleted == nil { firstDeleted = slot }
                } else if slot.pointee.hiddenKey == AddressTable.emptyKey {
                    if let firstDeleted { return (insert(hiddenKey, at: firstDeleted), true) }
                    if !isFull { return (insert(hiddenKey, at: slot), true) }
                    break
                }
                index = (index &+ 1) & (capacity &- 1)
            }
        }
        guard grow() else { return nil }
        var index = startIndex(for: hiddenKey)
        while entries.unsafelyUnwrapped[index].hiddenKey != AddressTable.emptyKey {
            index = (index &+ 1) & (capacity &- 1)
        }
        return (insert(hiddenKey, at: entries.unsafelyUnwrapped + index), true)
    }

    /// Stores a new key with a zero payload in a free `slot`.
    private mutating func insert(_ hiddenKey: UInt, at slot: UnsafeMutablePointer<Entry>) -> UnsafeMutablePointer<Entry> {
        if slot.pointee.hiddenKey == AddressTable.emptyKey { usedSlots &+= 1 }
        slot.pointee = Entry(hiddenKey: hiddenKey)
        count &+= 1
        if count > peakCount { peakCount = count }
        return slot
    }

    /// Deletes the entry in `slot`, which must be occupied.
    mutating func remove(_ slot: UnsafeMutablePointer<Entry>) {
        slot.pointee = Entry(hiddenKey: AddressTable.deletedKey)
        count &-= 1
    }

    /// Calls `body` with every occupied slot; `body` may remove the slot it
    /// is given but must not insert.
    func forEach(_ body: (UnsafeMutablePointer<Entry>) -> Void) {
        guard let entries, count > 0 else { return }
        for index in 0..<capacity where entries[index].isOccupied {
            body(entries + index)
        }
    }

    /// Rehashes into a table twice as large, or as large when deleted slots
    /// make up the load and the live entries fill at most half of it.
    /// Returns false if the mapping fails.
    private mutating func grow() -> Bool {
        let newCapacity = capacity == 0 ? AddressTable.initialCapacity
            : (count &* 2 > capacity ? capacity &* 2 : capacity)
        return rehash(capacity: newCapacity)
    }

    /// Called after each collection: gives back the table when it is empty,
    /// rehashes it smaller when even its peak occupancy since the last call
    /// used less than 1/8 of it, and in place when deleted slots (which
    /// lengthen every probe for an absent key) outnumber the entries and
    /// fill a quarter of it. A failed mapping keeps the old table.
    mutating func shrinkIfSparse() {
        defer { peakCount = count }
        if capacity > AddressTable.initialCapacity && count == 0 {
            release()
            return
        }
        if capacity > AddressTable.initialCapacity && peakCount &* 8 < capacity {
            var newCapacity = AddressTable.initialCapacity
            while newCapacity < peakCount &* 2 { newCapacity &*= 2 }
            _ = rehash(capacity: newCapacity)
            return
        }
        let deletedSlots = usedSlots &- count
        if deletedSlots > count && deletedSlots &* 4 > capacity { _ = rehash(capacity: capacity) }
    }

    /// Unmaps the storage; the table is empty afterwards.
    private mutating func release() {
        if let entries {
            OS.release(UnsafeMutableRawPointer(entries), bytes: UInt(capacity &* MemoryLayout<Entry>.stride))
        }
        entries = nil
        capacity = 0
        count = 0
        usedSlots = 0
    }

    /// Moves every entry into a new mapping of `newCapacity` slots (a power
    /// of two above the count) and unmaps the old one.
    private mutating func rehash(capacity newCapacity: Int) -> Bool {
        let bytes = UInt(newCapacity &* MemoryLayout<Entry>.stride)
        guard let memory = OS.reserve(bytes: bytes) else { return false }
        let newEntries = memory.bindMemory(to: Entry.self, capacity: newCapacity)
        let oldEntries = entries
        let oldCapacity = capacity
        entries = newEntries
        capacity = newCapacity
        count = 0
        usedSlots = 0
        if let oldEntries {
            for index in 0..<oldCapacity where oldEntries[index].isOccupied {
                let old = oldEntries[index]
                var target = startIndex(for: old.hiddenKey)
                while newEntries[target].hiddenKey != AddressTable.emptyKey {
                    target = (target &+ 1) & (newCapacity &- 1)
                }
                newEntries[target] = old
                count &+= 1
                usedSlots &+= 1
            }
            OS.release(UnsafeMutableRawPointer(oldEntries),
                       bytes: UInt(oldCapacity &* MemoryLayout<Entry>.stride))
        }
        return true
    }
}
