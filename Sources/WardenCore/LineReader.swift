extension FileIO {
    /// Calls `body` with each line of `path` (without its `\n`; a trailing `\r` is kept), streaming,
    /// with the 1-based line number. A line longer than `maxLineLength` bytes is an error naming the
    /// line, so a file without newlines cannot exhaust memory. `onChunk` sees every byte read, in
    /// order, before the lines in it (to hash the file in the same pass).
    public static func forEachLine(
        of path: String, maxLineLength: Int = 16 << 20, onChunk: (UnsafeRawBufferPointer) -> Void = { _ in },
        _ body: (_ line: [UInt8], _ number: Int) throws -> Void
    ) throws {
        var pending: [UInt8] = []
        var number = 0
        try forEachChunk(of: path) { chunk in
            onChunk(chunk)
            var start = chunk.startIndex
            while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
                number += 1
                if pending.isEmpty {
                    try body(Array(chunk[start..<newline]), number)
                } else {
                    pending += chunk[start..<newline]
                    try check(pending.count, number)
                    try body(pending, number)
                    pending.removeAll(keepingCapacity: true)
                }
                start = newline + 1
            }
            pending += chunk[start...]
            try check(pending.count, number + 1)
        }
        if !pending.isEmpty { try body(pending, number + 1) }

        func check(_ length: Int, _ line: Int) throws(WardenError) {
            guard length <= maxLineLength else {
                throw .invalidInput("'\(path)' line \(line) is longer than \(maxLineLength) bytes; is it a text file?")
            }
        }
    }
}
