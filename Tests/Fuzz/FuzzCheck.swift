// Shared by the Swift fuzz targets: a failed property stops the run with its
// message (precondition drops messages in optimised builds; fatalError
// keeps them), which libFuzzer reports as a crash and saves the input.

func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
