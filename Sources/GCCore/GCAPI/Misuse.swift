/// Reports misuse of the API: one `swiftgc:` line on stderr, then the
/// program continues, or aborts when SWIFTGC_ABORT_ON_ERROR=1.
enum Misuse {
    static func report(_ function: StaticString, _ address: Address, _ problem: StaticString,
                       objectStart: Address = .null) {
        reportLine { message in
            message.append(function)
            message.append("(")
            message.append(address: address)
            message.append("): ")
            message.append(problem)
            if objectStart != .null {
                message.append(" (the object starts at ")
                message.append(address: objectStart)
                message.append(")")
            }
        }
        if let state = collectorState, state.pointee.options.isEnabled(.abortOnError) {
            OS.abortProcess()
        }
    }
}
