// libFuzzer target: the /proc/self/maps reader (LineReader, MapsParser,
// DataSegments.visitRoots, AnonymousMappings), compiled together with those
// GCCore sources (see `make fuzz`).
//
// Input: byte 0 picks the line buffer's capacity (1 to 256 bytes, so lines
// longer than the buffer are common), byte 1 the size of each simulated
// read (1 to 256), byte 2 bit 0 whether anonymous mappings are roots (the
// preload library's case, with the collecting thread's stack at
// 0x7ff000000000); the rest is the text of the maps file.
//
// Checked, besides "never traps": the reader hands over exactly the
// newline-terminated lines that fit in its buffer, in order; every parsed
// mapping has start <= end and its path inside the line; root ranges do
// not end before they start.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMaps(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 3 else { return 0 }
    let capacity = Int(data[0]) + 1
    let chunk = Int(data[1]) + 1
    let stackPointer: Address? = data[2] & 1 != 0 ? Address(0x7ff0_0000_0000) : nil
    let text = UnsafeBufferPointer(start: data + 3, count: size - 3)

    let expected = completeLinesFitting(in: capacity, text)
    var delivered = 0
    var consumed = 0
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    var context = DataSegments.Context()
    let succeeded = LineReader.forEachLine(buffer: buffer, capacity: capacity, read: { destination, room in
        fuzzCheck(room > 0, "the reader asked for 0 bytes, which reads as end of file")
        let count = min(room, chunk, text.count - consumed)
        for index in 0..<count { destination[index] = text[consumed + index] }
        consumed += count
        return count
    }) { line in
        fuzzCheck(delivered < expected.count, "the reader handed over a line the text does not have: \(String(decoding: line, as: UTF8.self).debugDescription)")
        let (start, length) = expected[delivered]
        fuzzCheck(line.count == length && line.elementsEqual(text[start..<start + length]),
                     "line \(delivered) differs from the text's line at offset \(start)")
        delivered += 1
        checkParse(line)
        DataSegments.visitRoots(ofLine: line, anonymousMappingsBelow: stackPointer,
                                context: &context) { low, high in
            fuzzCheck(low <= high, "a root range ends before it starts")
        }
    }
    fuzzCheck(succeeded, "the reader failed although every read succeeded")
    fuzzCheck(delivered == expected.count, "the reader handed over \(delivered) lines, the text has \(expected.count) that fit")
    return 0
}

/// The lines a reader with `capacity` bytes can see: each newline-terminated
/// line whose bytes plus its newline fit in the buffer, as (offset, length).
private func completeLinesFitting(in capacity: Int, _ text: UnsafeBufferPointer<UInt8>) -> [(Int, Int)] {
    var lines: [(Int, Int)] = []
    var start = 0
    for index in 0..<text.count where text[index] == 10 {
        if index - start + 1 <= capacity { lines.append((start, index - start)) }
        start = index + 1
    }
    return lines
}

private func checkParse(_ line: UnsafeBufferPointer<UInt8>) {
    guard let mapping = MapsParser.parse(line: line) else { return }
    fuzzCheck(mapping.start <= mapping.end, "a mapping ends before it starts")
    if mapping.path.count > 0 {
        let lineStart = UInt(bitPattern: line.baseAddress)
        let pathStart = UInt(bitPattern: mapping.path.baseAddress)
        fuzzCheck(pathStart >= lineStart && pathStart + UInt(mapping.path.count) <= lineStart + UInt(line.count),
                     "the path lies outside its line")
        fuzzCheck(!mapping.isFileBacked || mapping.path[0] == 47, "a file-backed path must start with /")
    }
}
