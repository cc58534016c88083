import Crypto
import WardenCore

/// Scans or masks a whole file for PII, streaming: CSV per column, JSONL per key path, text per
/// line. Memory is bounded by the longest record, whatever the file size.
///
/// Malformed input stops the pass with a ``WardenError`` (`invalidInput`) naming the line: a ragged
/// CSV row, an unclosed quote, invalid UTF-8, a line that is not JSON. A masking pass then leaves no
/// output behind (the output is written to a temporary file and renamed only when complete).
public struct PIIScanner: Sendable {
    public var detector: PIIDetector
    /// Samples kept per field and type.
    public var samplesPerField: Int
    /// Samples kept in all.
    public var maxSamples: Int

    public init(detector: PIIDetector = PIIDetector(), samplesPerField: Int = 3, maxSamples: Int = 100) {
        self.detector = detector
        self.samplesPerField = samplesPerField
        self.maxSamples = maxSamples
    }

    /// Counts the PII in `path`.
    /// - Parameters:
    ///   - format: the layout; detected from the name and first bytes when nil.
    ///   - fields: only these CSV columns or JSON key paths (a path also selects what is below it).
    /// - Throws: ``WardenError``: `io` when the file cannot be read, `invalidInput` naming the line
    ///   when it is malformed or a field does not exist.
    public func scan(_ path: String, format: PIIFileFormat? = nil, fields: [String]? = nil) throws -> PIIScanReport {
        try run(path, format: format, fields: fields, masker: nil, writer: nil)
    }

    /// Writes `path` with its PII masked to `output` (atomically) and reports what was masked.
    /// Untouched CSV fields and JSON lines are copied byte for byte.
    /// - Throws: as ``scan(_:format:fields:)``, and `io` when the output cannot be written.
    public func mask(
        _ path: String, to output: String, masker: PIIMasker, format: PIIFileFormat? = nil, fields: [String]? = nil
    ) throws -> PIIScanReport {
        let writer = try StreamingFileWriter(path: output)
        do {
            let report = try run(path, format: format, fields: fields, masker: masker, writer: writer)
            try writer.commit()
            return report
        } catch {
            writer.abort()
            throw error
        }
    }

    // MARK: -

    private func run(
        _ path: String, format: PIIFileFormat?, fields: [String]?, masker: PIIMasker?, writer: StreamingFileWriter?
    ) throws -> PIIScanReport {
        let size = try FileIO.size(of: path)
        guard FileIO.kind(of: path) != .directory else { throw WardenError.invalidInput("'\(path)' is a folder; give a file") }
        var head: [UInt8] = []
        var last: UInt8?
        if size > 0 {
            try FileIO.forEachChunk(of: path, range: 0..<min(512, size)) { head += $0 }
            try FileIO.forEachChunk(of: path, range: (size - 1)..<size) { last = $0.first }
        }
        let format = format ?? PIIFileFormat.detect(path: path, firstBytes: head)
        var tally = Tally(samplesPerField: samplesPerField, maxSamples: maxSamples)
        var report = PIIScanReport(file: path, format: format)
        let detector = masker?.detector ?? self.detector
        var hasher = SHA256()
        switch format {
        case .csv:
            report.rows = try runCSV(
                path, fields: fields, detector: detector, masker: masker, writer: writer, tally: &tally, hasher: &hasher)
        case .jsonl:
            report.rows = try runJSONL(
                path, fields: fields, detector: detector, masker: masker, writer: writer, finalNewline: last == 0x0A,
                tally: &tally, hasher: &hasher)
        case .text:
            if let fields, !fields.isEmpty {
                throw WardenError.invalidInput("--columns applies to CSV and JSONL files; '\(path)' is read as text")
            }
            report.rows = try runText(
                path, detector: detector, masker: masker, writer: writer, finalNewline: last == 0x0A, tally: &tally,
                hasher: &hasher)
        }
        report.digest = try WardenCore.Digest(bytes: Array(hasher.finalize()))
        tally.finish(into: &report)
        return report
    }

    private func runCSV(
        _ path: String, fields: [String]?, detector: PIIDetector, masker: PIIMasker?, writer: StreamingFileWriter?,
        tally: inout Tally, hasher: inout SHA256
    ) throws -> Int {
        let delimiter = path.lowercased().hasSuffix(".tsv") ? UInt8(ascii: "\t") : UInt8(ascii: ",")
        var reader = CSVReader(source: "'\(path)'", delimiter: delimiter)
        var header: [String]?
        var selected: [Bool] = []
        var contexts: [PIIContext] = []
        var rows = 0
        var out: [UInt8] = []
        func handle(_ record: CSVReader.Record) throws {
            guard let names = header else {
                var names: [String] = []
                for field in record.fields {
                    guard let name = String(validating: field.value, as: UTF8.self) else {
                        throw WardenError.invalidInput("'\(path)' line \(record.line): the header is not valid UTF-8")
                    }
                    names.append(name)
                }
                if let fields {
                    for wanted in fields where !names.contains(wanted) {
                        throw WardenError.invalidInput("'\(path)' has no column '\(wanted)' (columns: \(names.joined(separator: ", ")))")
                    }
                }
                selected = names.map { fields == nil || fields!.contains($0) }
                contexts = names.map { PIIContext(field: $0) }
                tally.register(names)
                header = names
                try writer?.write(record.fields.map(\.raw).joined(separator: [delimiter]) + record.terminator)
                return
            }
            if record.isBlank {
                try writer?.write(record.terminator)
                return
            }
            guard record.fields.count == names.count else {
                throw WardenError.invalidInput(
                    "'\(path)' line \(record.line) has \(record.fields.count) field(s); the header has \(names.count)")
            }
            rows += 1
            out.removeAll(keepingCapacity: true)
            for (i, field) in record.fields.enumerated() {
                if i > 0 { out.append(delimiter) }
                guard selected[i] else {
                    out += field.raw
                    continue
                }
                guard String(validating: field.value, as: UTF8.self) != nil else {
                    throw WardenError.invalidInput("'\(path)' line \(record.line), column '\(names[i])': invalid UTF-8")
                }
                let matches = detector.matches(in: field.value, context: contexts[i])
                if matches.isEmpty {
                    out += field.raw
                    continue
                }
                tally.add(matches, in: field.value, row: rows, line: record.line, field: names[i])
                if let masker {
                    out += CSVReader.encode(masker.apply(matches, to: field.value), delimiter: delimiter)
                } else {
                    out += field.raw
                }
            }
            out += record.terminator
            try writer?.write(out)
        }
        try FileIO.forEachChunk(of: path) { chunk in
            hasher.update(bufferPointer: chunk)
            try reader.feed(chunk, handle)
        }
        try reader.finish(handle)
        if header == nil && fields != nil && !(fields?.isEmpty ?? true) {
            throw WardenError.invalidInput("'\(path)' is empty: it has no header row with the columns to mask")
        }
        return rows
    }

    private func runJSONL(
        _ path: String, fields: [String]?, detector: PIIDetector, masker: PIIMasker?, writer: StreamingFileWriter?,
        finalNewline: Bool, tally: inout Tally, hasher: inout SHA256
    ) throws -> Int {
        let parser = JSONParser(maxDepth: 64, maxBytes: 16 << 20)
        var rows = 0
        var pendingNewline: [UInt8] = []
        func selected(_ keyPath: String) -> Bool {
            guard let fields, !fields.isEmpty else { return true }
            return fields.contains { keyPath == $0 || keyPath.hasPrefix($0 + ".") || keyPath.hasPrefix($0 + "[") }
        }
        func visit(_ text: String, _ keyPath: String, line: Int) -> JSONValue? {
            guard selected(keyPath) else { return nil }
            let bytes = Array(text.utf8)
            let matches = detector.matches(in: bytes, context: PIIContext(field: keyPath))
            guard !matches.isEmpty else { return nil }
            tally.add(matches, in: bytes, row: rows, line: line, field: keyPath)
            guard let masker else { return nil }
            return .string(String(decoding: masker.apply(matches, to: bytes), as: UTF8.self))
        }
        /// The value with its PII masked, or nil when nothing in it changed.
        func walk(_ value: JSONValue, _ keyPath: String, line: Int) -> JSONValue? {
            switch value {
            case .string(let s): return visit(s, keyPath, line: line)
            case .int(let i) where i >= 1_000_000 || i <= -1_000_000: return visit(String(i), keyPath, line: line)
            case .array(let items):
                var changed = false
                var copy = items
                for (k, item) in items.enumerated() {
                    if let new = walk(item, keyPath + "[]", line: line) {
                        copy[k] = new
                        changed = true
                    }
                }
                return changed ? .array(copy) : nil
            case .object(let members):
                var changed = false
                var copy = members
                for (k, (key, item)) in members.enumerated() {
                    if let new = walk(item, keyPath.isEmpty ? key : keyPath + "." + key, line: line) {
                        copy[k] = (key, new)
                        changed = true
                    }
                }
                return changed ? .object(copy) : nil
            default: return nil
            }
        }
        try FileIO.forEachLine(of: path, onChunk: { hasher.update(bufferPointer: $0) }) { line, number in
            var bytes = line
            let cr = bytes.last == 0x0D
            if cr { bytes.removeLast() }
            try writer?.write(pendingNewline)
            pendingNewline = [0x0A]
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                try writer?.write(line)
                return
            }
            rows += 1
            let value = try parser.parse(bytes, source: "'\(path)' line \(number)")
            let masked = walk(value, value.objectValue == nil ? "$" : "", line: number)
            if let masked, masker != nil {
                try writer?.write(Array(masked.compactString.utf8) + (cr ? [0x0D] : []))
            } else {
                try writer?.write(line)
            }
        }
        if finalNewline { try writer?.write(pendingNewline) }
        return rows
    }

    private func runText(
        _ path: String, detector: PIIDetector, masker: PIIMasker?, writer: StreamingFileWriter?, finalNewline: Bool,
        tally: inout Tally, hasher: inout SHA256
    ) throws -> Int {
        var rows = 0
        var pendingNewline: [UInt8] = []
        var inPrivateKey = false
        let field = "(text)"
        try FileIO.forEachLine(of: path, onChunk: { hasher.update(bufferPointer: $0) }) { line, number in
            rows += 1
            var bytes = line
            let cr = bytes.last == 0x0D
            if cr { bytes.removeLast() }
            guard String(validating: bytes, as: UTF8.self) != nil else {
                throw WardenError.invalidInput("'\(path)' line \(number): invalid UTF-8; is it a text file?")
            }
            var out: [UInt8]
            if inPrivateKey {
                // The body of a PEM private key that began on an earlier line.
                let isEnd = SecretDetector.firstIndex(of: Array("-----END ".utf8), in: bytes, from: 0) != nil
                if isEnd { inPrivateKey = false }
                out = masker == nil || bytes.isEmpty ? bytes : Array((masker!.mode == .redact ? "[SECRET]" : "****").utf8)
            } else {
                let matches = detector.matches(in: bytes, context: .none)
                if let key = matches.last(where: { $0.rule == "private_key" }), key.range.upperBound == bytes.count,
                    !String(decoding: bytes[key.range], as: UTF8.self).contains("-----END ")
                {
                    inPrivateKey = true
                }
                tally.add(matches, in: bytes, row: rows, line: number, field: field)
                out = masker.map { $0.apply(matches, to: bytes) } ?? bytes
            }
            try writer?.write(pendingNewline + out + (cr ? [0x0D] : []))
            pendingNewline = [0x0A]
        }
        if finalNewline { try writer?.write(pendingNewline) }
        return rows
    }
}

/// Counts and samples gathered during one pass.
struct Tally {
    let samplesPerField: Int
    let maxSamples: Int
    var order: [String] = []
    var counts: [String: [PIIType: Int]] = [:]
    var totals: [String: Int] = [:]
    var samples: [PIIScanReport.Sample] = []
    var sampled: [String: Int] = [:]

    init(samplesPerField: Int, maxSamples: Int) {
        self.samplesPerField = samplesPerField
        self.maxSamples = maxSamples
    }

    mutating func register(_ fields: [String]) {
        for field in fields where counts[field] == nil {
            order.append(field)
            counts[field] = [:]
        }
    }

    mutating func add(_ matches: [PIIMatch], in bytes: [UInt8], row: Int, line: Int, field: String) {
        guard !matches.isEmpty else { return }
        register([field])
        for match in matches {
            counts[field, default: [:]][match.type, default: 0] += 1
            totals[match.type.rawValue, default: 0] += 1
            let key = field + "\u{0}" + match.type.rawValue
            if samples.count < maxSamples, sampled[key, default: 0] < samplesPerField {
                sampled[key, default: 0] += 1
                let original = String(decoding: bytes[match.range], as: UTF8.self)
                samples.append(.init(row: row, line: line, field: field, type: match.type, rule: match.rule,
                                     masked: PIIMasker.partial(original, match: match)))
            }
        }
    }

    func finish(into report: inout PIIScanReport) {
        report.totals = totals
        report.samples = samples
        report.fields = order.flatMap { field in
            (counts[field] ?? [:]).sorted { $0.key < $1.key }.map { PIIScanReport.FieldCount(field: field, type: $0.key, count: $0.value) }
        }
    }
}
