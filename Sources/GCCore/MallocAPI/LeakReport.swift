import _CSwiftGC

/// Prints the leak report LeakCheck tallied, in LeakSanitizer's layout:
///
///     ==4242==SwiftGC leak check: detected memory leaks
///
///     Direct leak of 64 byte(s) in 2 object(s) allocated from:
///         #0 0x55d0c1a0117e in make_list (/path/program+0x117e)
///         #1 0x55d0c1a01234 in main (/path/program+0x1234)
///
///     SUMMARY: SwiftGC leak check: 64 byte(s) leaked in 2 allocation(s).
///     ==4242==SwiftGC leak check: 4096 byte(s) in 3 allocation(s) still reachable.
///
/// Each frame is a return address minus one (inside the call instruction),
/// so `addr2line -f -e module offset` names the calling line. Without
/// leaks the report is empty unless SWIFTGC_VERBOSE=1 asks for the
/// `no leaks; ... still reachable` line. Sizes are the
/// blocks' usable sizes (the request rounded up to its size class). No line
/// starts with `swiftgc:`, which marks misuse.
enum LeakReport {
    /// Where the report goes (`LeakCheckState.reportDescriptor`).
    private static var descriptor: Int32 { leakCheckState?.pointee.reportDescriptor ?? 2 }

    static func print(_ check: UnsafeMutablePointer<LeakCheckState>, isAtExit: Bool) {
        let saved = check.pointee.savedStandardError
        check.pointee.reportDescriptor = !OS.isOpen(2) && saved >= 0 ? saved : 2
        if check.pointee.isIncomplete {
            reportLine { $0.append("leak-check: cannot read /proc/self/maps, so roots are unknown; no leak report") }
            return
        }
        let depot = check.pointee.depot
        let limit = depot.identifierLimit
        if check.pointee.leakedObjects == 0 {
            // Like LeakSanitizer, nothing to report prints nothing: a
            // program tree of many processes stays quiet.
            guard collectorState?.pointee.options.isEnabled(.verbose) == true else { return }
            headerLine(isAtExit: isAtExit) {
                $0.append("no ")
                if !isAtExit { $0.append("new ") }
                $0.append("leaks")
                appendPreviouslyReported(check, &$0)
                $0.append("; ")
                appendReachable(check, &$0)
            }
            return
        }
        reportUnprefixedLine(descriptor: descriptor) { _ in }
        headerLine(isAtExit: isAtExit) { $0.append("detected memory leaks") }
        for pass in 0..<2 {
            let isDirect = pass == 0
            for identifier in 0..<limit {
                let record = depot.record(identifier)
                let objects = isDirect ? record.pointee.directObjects : record.pointee.indirectObjects
                guard objects > 0 else { continue }
                let bytes = isDirect ? record.pointee.directBytes : record.pointee.indirectBytes
                reportUnprefixedLine(descriptor: descriptor) { _ in }
                reportUnprefixedLine(descriptor: descriptor) {
                    $0.append(isDirect ? "Direct" : "Indirect")
                    $0.append(" leak of ")
                    $0.append(decimal: bytes)
                    $0.append(" byte(s) in ")
                    $0.append(decimal: objects)
                    $0.append(" object(s) allocated from:")
                }
                printFrames(depot, record)
            }
        }
        for identifier in 0..<limit {
            let record = depot.record(identifier)
            record.pointee.directObjects = 0
            record.pointee.directBytes = 0
            record.pointee.indirectObjects = 0
            record.pointee.indirectBytes = 0
        }
        reportUnprefixedLine(descriptor: descriptor) { _ in }
        reportUnprefixedLine(descriptor: descriptor) {
            $0.append("SUMMARY: SwiftGC leak check: ")
            $0.append(decimal: check.pointee.leakedBytes)
            $0.append(" byte(s) leaked in ")
            $0.append(decimal: check.pointee.leakedObjects)
            $0.append(" allocation(s).")
        }
        headerLine(isAtExit: isAtExit) {
            appendReachable(check, &$0)
            appendPreviouslyReported(check, &$0)
            $0.append(".")
        }
    }

    /// A line starting `==pid==SwiftGC leak check: ` (at gc_collect, with
    /// `(gc_collect)` before the colon).
    private static func headerLine(isAtExit: Bool, _ body: (inout Message) -> Void) {
        reportUnprefixedLine(descriptor: descriptor) {
            $0.append("==")
            $0.append(decimal: UInt64(OS.processIdentifier))
            $0.append("==SwiftGC leak check")
            if !isAtExit { $0.append(" (gc_collect)") }
            $0.append(": ")
            body(&$0)
        }
    }

    private static func appendReachable(_ check: UnsafeMutablePointer<LeakCheckState>, _ message: inout Message) {
        message.append(decimal: check.pointee.reachableBytes)
        message.append(" byte(s) in ")
        message.append(decimal: check.pointee.reachableObjects)
        message.append(" allocation(s) still reachable")
    }

    private static func appendPreviouslyReported(_ check: UnsafeMutablePointer<LeakCheckState>,
                                                 _ message: inout Message) {
        guard check.pointee.previouslyReportedObjects > 0 else { return }
        message.append(" (")
        message.append(decimal: check.pointee.previouslyReportedObjects)
        message.append(" leaked allocation(s) reported earlier)")
    }

    private static func printFrames(_ depot: StackDepot, _ record: UnsafeMutablePointer<StackRecord>) {
        let count = Int(record.pointee.frameCount)
        if count == 0 {
            reportUnprefixedLine(descriptor: descriptor) { $0.append("    <unknown stack>") }
            return
        }
        let frames = depot.frames(of: record)
        for index in 0..<count {
            printFrame(index: index, address: frames[index] &- 1)
        }
    }

    /// `    #3 0x... in symbol (module+0xoffset)`; without ` in symbol` when
    /// dladdr knows no symbol, `(<unknown module>)` when no module.
    private static func printFrame(index: Int, address: UInt) {
        var description = swiftgc_address_description()
        let isKnown = swiftgc_describe_address(address, &description) != 0
        reportUnprefixedLine(descriptor: descriptor) {
            $0.append("    #")
            $0.append(decimal: UInt64(index))
            $0.append(" ")
            $0.append(hex: address)
            if isKnown, let symbol = description.symbol {
                $0.append(" in ")
                $0.append(cString: symbol, limit: 400)
            }
            $0.append(" (")
            if isKnown, let module = description.module {
                $0.append(cString: module, limit: 400)
                $0.append("+")
                $0.append(hex: address &- description.module_base)
            } else {
                $0.append("<unknown module>")
            }
            $0.append(")")
        }
    }
}
