import _CSwiftGC

/// A hash table keyed by address, for the finalizer and weak-link tables.
///
/// Keys and the address-valued payloads are stored hidden (bitwise
/// complement), so that no scan of this memory, by accident or by a future
/// root source, can mistake them for pointers: the tables must never keep
/// their objects alive. The storage is its own anonymous mapping, which the
/// collector never scans, grown by doubling and given back when replaced.
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

    @inline(__always) static func hide(_ address: Address) -> UInt { ~address.value }
    @inline(__always) static func reveal(_ hidden: UInt) -> Address { Address(~hidden) }

    @inline(__always) private func startIndex(for hiddenKey: UInt) -> Int {
        // Fibonacci hashing of the address: objects are 16-byte aligned.
        let mixed = (~hiddenKey &>> 4) &* 0x9e37_79b9_7f4a_7c15
        return Int(truncatingIfNeeded: mixed &>> 20) & (capacity &- 1)
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
        if let slot = find(key) { return (slot, false) }
        if (usedSlots &+ 1) &* 4 > capacity &* 3 {
            guard grow() else { return nil }
        }
        let hiddenKey = AddressTable.hide(key)
        var index = startIndex(for: hiddenKey)
        while true {
            let slot = entries.unsafelyUnwrapped + index
            if !slot.pointee.isOccupied {
                if slot.pointee.hiddenKey == AddressTable.emptyKey { usedSlots &+= 1 }
                slot.pointee = Entry(hiddenKey: hiddenKey)
                count &+= 1
                return (slot, true)
            }
            index = (index &+ 1) & (capacity &- 1)
        }
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

    /// Rehashes into a table twice as large (or as large, when deleted slots
    /// are most of the load). Returns false if the mapping fails.
    private mutating func grow() -> Bool {
        let newCapacity = capacity == 0 ? AddressTable.initialCapacity
            : (count &* 2 > capacity / 2 ? capacity &* 2 : capacity)
        let bytes = UInt(newCapacity &* MemoryLayout<Entry>.stride)
        guard let memory = OS.reserve(bytes: bytes) else { return false }
        let newEntries = memory.pointer!.bindMemory(to: Entry.self, capacity: newCapacity)
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
            OS.release(Address(UnsafeMutableRawPointer(oldEntries)),
                       bytes: UInt(oldCapacity &* MemoryLayout<Entry>.stride))
        }
        return true
    }
}
