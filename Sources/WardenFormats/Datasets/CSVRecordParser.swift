import WardenCore

/// An incremental RFC 4180 record splitter: commas, quoted fields with doubled quotes and line breaks,
/// LF or CRLF records. Fed chunk by chunk; memory is bounded by the longest record.
package struct CSVRecordParser {
    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    let source: String
    let maxRecordBytes: Int
    private var state = State.fieldStart
    private var fields: [String] = []
    private var field: [UInt8] = []
    private var recordBytes = 0
    /// The 1-based line the current record starts on, and the line being read.
    private var recordLine = 1
    private var line = 1

    package init(source: String, maxRecordBytes: Int = 16 << 20) {
        self.source = source
        self.maxRecordBytes = maxRecordBytes
    }

    /// Feeds bytes, calling `emit` with each complete record's fields and starting line.
    package mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: ([String], Int) throws -> Void) throws {
        for byte in bytes {
            recordBytes += 1
            if recordBytes > maxRecordBytes {
                throw WardenError.invalidInput("'\(source)' line \(recordLine): a record longer than \(maxRecordBytes) bytes; is it a CSV file?")
            }
            switch state {
            case .fieldStart:
                if byte == UInt8(ascii: "\"") {
                    state = .quoted
                } else {
                    state = .unquoted
                    try unquoted(byte, emit)
                }
            case .unquoted:
                try unquoted(byte, emit)
            case .quoted:
                if byte == UInt8(ascii: "\"") {
                    state = .quoteInQuoted
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
            case .quoteInQuoted:
                if byte == UInt8(ascii: "\"") {
                    field.append(byte)
                    state = .quoted
                } else {
                    state = .unquoted
                    try unquoted(byte, emit)
                }
            }
        }
    }

    private mutating func unquoted(_ byte: UInt8, _ emit: ([String], Int) throws -> Void) throws {
        switch byte {
        case UInt8(ascii: ","):
            endField()
            state = .fieldStart
        case UInt8(ascii: "\n"):
            try endRecord(emit)
            line += 1
            recordLine = line
        default:
            field.append(byte)
        }
    }

    private mutating func endField() {
        if field.last == UInt8(ascii: "\r") && state != .quoted { field.removeLast() }
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord(_ emit: ([String], Int) throws -> Void) throws {
        endField()
        let record = fields
        fields.removeAll(keepingCapacity: true)
        recordBytes = 0
        state = .fieldStart
        // A blank line is no record.
        if !(record.count == 1 && record[0].isEmpty) { try emit(record, recordLine) }
    }

    /// Ends the input: emits a last record without a final newline.
    /// - Throws: `.invalidInput` for a quoted field that never closes.
    package mutating func finish(_ emit: ([String], Int) throws -> Void) throws {
        if state == .quoted {
            throw WardenError.invalidInput("'\(source)' line \(recordLine): a quoted field is not closed before the end of the file")
        }
        if state != .fieldStart || !fields.isEmpty || !field.isEmpty { try endRecord(emit) }
    }
}
