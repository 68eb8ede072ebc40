/// STAND-IN until OS/DirtyPages is merged: reports every page as written.
struct ArenaWriteTracker {
    mutating func probe() -> Bool { true }
    mutating func restart(pageMap: PageMap, metadata: inout Metadata) -> Bool { true }
    mutating func forEachWrittenRun(pageMap: PageMap, _ visit: (UInt, UInt) -> Void) -> Int? {
        visit(pageMap.arenaStart.value, pageMap.arenaTop.value)
        return Int((pageMap.arenaTop - pageMap.arenaStart) / PageMap.pageSize)
    }
}
