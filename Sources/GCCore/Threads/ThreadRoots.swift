import _CSwiftGC

/// Receives one root range `[low, high)` and the caller's context.
typealias RootRangeVisitor = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                                             UnsafeMutableRawPointer?) -> Void

/// The roots that belong to threads, listed once for marking and for the
/// heap verifier. The world must be stopped and the heap lock held.
extension ThreadRegistry {
    /// Visits, in order: the stack of every registered thread but `current`
    /// (from the stack pointer its handler saved, below its saved
    /// registers), the thread-local storage of every registered thread
    /// (`current` included: the main thread's static TLS is not in its
    /// stack), the arguments of threads still starting and the results of
    /// finished threads not yet joined.
    func forEachRootRange(except current: UnsafeMutablePointer<ThreadRecord>?,
                          context: UnsafeMutableRawPointer, _ visit: RootRangeVisitor) {
        forEachOther(than: current) { record in
            visit(UnsafeMutableRawPointer(bitPattern: record.pointee.suspension.stack_pointer),
                  UnsafeMutableRawPointer(bitPattern: record.pointee.stackBase), context)
        }
        forEachOther(than: nil) { record in
            ThreadStorage.visit(threadPointer: record.pointee.threadPointer, context: context, visit)
        }
        Self.visitArguments(of: pendingStarts, context: context, visit)
        Self.visitArguments(of: unjoinedResults, context: context, visit)
    }

    /// Among the unused parts of stopped threads' stacks, from the stack
    /// limit up to the saved stack pointer, the lowest one that ends above
    /// `low` and starts below `high`. Such a part holds only dead frames,
    /// so a scan of the mapping that holds a stack can leave it out. A
    /// thread whose stack pointer is not inside its known stack (unknown
    /// limit, a switched stack) has none.
    func unusedStackPart(overlapping low: UInt, _ high: UInt,
                         except current: UnsafeMutablePointer<ThreadRecord>?) -> (low: UInt, high: UInt)? {
        var found: (low: UInt, high: UInt)? = nil
        forEachOther(than: current) { record in
            let limit = record.pointee.stackLimit
            let stackPointer = record.pointee.suspension.stack_pointer
            guard limit != 0, limit <= stackPointer, stackPointer < record.pointee.stackBase,
                  stackPointer > low, limit < high else { return }
            if found == nil || limit < found!.low { found = (limit, stackPointer) }
        }
        return found
    }

    private static func visitArguments(of list: UnsafeMutablePointer<StartRecord>?,
                                       context: UnsafeMutableRawPointer, _ visit: RootRangeVisitor) {
        var cursor = list
        while let record = cursor {
            withUnsafeMutablePointer(to: &record.pointee.argument) { argument in
                visit(UnsafeMutableRawPointer(argument), UnsafeMutableRawPointer(argument + 1), context)
            }
            cursor = record.pointee.next
        }
    }
}
