import _CSwiftGC

/// The calling thread's stack and registers as a root.
enum Stacks {
    /// Captures the registers with libunwind, then calls `visit(low, high,
    /// context)` for the stack from below the saved registers up to the
    /// stack base. Frames that `visit` creates lie below `low`.
    static func visitCurrentThread(context: UnsafeMutableRawPointer,
                                   _ visit: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                                                            UnsafeMutableRawPointer?) -> Void) {
        swiftgc_visit_stack_with_registers(OS.currentStackBase, visit, context)
    }

    /// Bytes `clearUnusedStack` zeroes below the caller.
    static let clearedBytes = 16 * 1024

    /// Zeroes the stack below the calling frame, so that frames built
    /// next, which a collection started from them scans (they lie above
    /// its stack bound), hold no stale words of earlier, deeper calls. The
    /// entry points that collect on request call it first. (About a
    /// microsecond.)
    static func clearUnusedStack() {
        swiftgc_clear_stack_below(clearedBytes)
    }
}
