import WardenCore

/// A streaming RFC 4180 CSV reader: quoted fields with commas, doubled quotes and line breaks,
/// CRLF or LF records. Each field keeps its exact bytes so a rewriter can copy untouched fields
/// byte for byte. Memory is bounded by the longest record.
struct CSVReader {
    struct Field {
        /// The field's value (quotes removed, doubled quotes collapsed).
        var value: [UInt8]
        /// The field exactly as written, quotes included.
        var raw: [UInt8]
    }

    struct Record {
        var fields: [Field]
        /// The 1-based line on which the record starts.
        var line: Int
        /// `\n`, `\r\n` or empty (the last record of a file without a final newline).
        var terminator: [UInt8]

        /// A record made of one empty field: a blank line.
        var isBlank: Bool { fields.count == 1 && fields[0].raw.isEmpty }
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    let source: String
    let delimiter: UInt8
    let maxRecordBytes: Int
    private var state = State.fieldStart
    private var fields: [Field] = []
    private var value: [UInt8] = []
    private var raw: [UInt8] = []
    private var recordBytes = 0
    private var line = 1
    private var recordLine = 1
    private var pendingCR = false

    init(source: String, delimiter: UInt8 = UInt8(ascii: ","), maxRecordBytes: Int = 16 << 20) {
        self.source = source
        self.delimiter = delimiter
        self.maxRecordBytes = maxRecordBytes
    }

    private func error(_ what: String) -> WardenError {
        .invalidInput("\(source) line \(line): \(what)")
    }

    private mutating func endField() {
        fields.append(Field(value: value, raw: raw))
        value.removeAll(keepingCapacity: true)
        raw.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord(_ terminator: [UInt8], _ emit: (Record) throws -> Void) throws {
        endField()
        let record = Record(fields: fields, line: recordLine, terminator: terminator)
        fields = []
        recordBytes = 0
        state = .fieldStart
        try emit(record)
    }

    /// Feeds the next bytes of the file, emitting every record they complete.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ emit: (Record) throws -> Void) throws {
        for byte in chunk {
            try consume(byte, emit)
        }
    }

    mutating func feed(_ bytes: [UInt8], _ emit: (Record) throws -> Void) throws {
        for byte in bytes { try consume(byte, emit) }
    }

    private mutating func consume(_ byte: UInt8, _ emit: (Record) throws -> Void) throws {
        if pendingCR {
            pendingCR = false
            if byte == UInt8(ascii: "\n") {
                line += 1
                try endRecord([0x0D, 0x0A], emit)
                recordLine = line
                return
            }
            // A lone CR is data.
            value.append(0x0D)
            raw.append(0x0D)
        }
        recordBytes += 1
        if recordBytes > maxRecordBytes {
            throw error("a record is longer than \(maxRecordBytes) bytes; is this a CSV file?")
        }
        switch state {
        case .fieldStart, .unquoted:
            if byte == delimiter {
                endField()
                state = .fieldStart
            } else if byte == UInt8(ascii: "\n") {
                line += 1
                try endRecord([0x0A], emit)
                recordLine = line
            } else if byte == 0x0D {
                pendingCR = true
                recordBytes -= 1
            } else if byte == UInt8(ascii: "\"") {
                guard state == .fieldStart else {
                    throw error("a double quote inside an unquoted field (quote the whole field and double the quote)")
                }
                raw.append(byte)
                state = .quoted
            } else {
                value.append(byte)
                raw.append(byte)
                state = .unquoted
            }
        case .quoted:
            raw.append(byte)
            if byte == UInt8(ascii: "\"") {
                state = .quoteInQuoted
            } else {
                if byte == UInt8(ascii: "\n") { line += 1 }
                value.append(byte)
            }
        case .quoteInQuoted:
            if byte == UInt8(ascii: "\"") {
                raw.append(byte)
                value.append(byte)
                state = .quoted
            } else if byte == delimiter {
                endField()
                state = .fieldStart
            } else if byte == UInt8(ascii: "\n") {
                line += 1
                try endRecord([0x0A], emit)
                recordLine = line
            } else if byte == 0x0D {
                pendingCR = true
                recordBytes -= 1
                state = .unquoted
            } else {
                throw error("unexpected character after a closing double quote")
            }
        }
    }

    /// Ends the input, emitting a last record without a final newline.
    mutating func finish(_ emit: (Record) throws -> Void) throws {
        if state == .quoted { throw error("a quoted field is not closed before the end of the file") }
        if pendingCR {
            pendingCR = false
            try endRecord([0x0D], emit)
            return
        }
        if state != .fieldStart || !fields.isEmpty || !raw.isEmpty {
            try endRecord([], emit)
        }
    }

    /// Writes a field, quoting it when it holds the delimiter, a quote or a line break.
    static func encode(_ value: [UInt8], delimiter: UInt8) -> [UInt8] {
        let needsQuotes = value.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { return value }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for b in value {
            if b == UInt8(ascii: "\"") { out.append(b) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
        return out
    }
}
