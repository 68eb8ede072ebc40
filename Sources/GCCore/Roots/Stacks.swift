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
}
