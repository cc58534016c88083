import WardenCore

/// A numeric table in a CSV file with a header row: every column but the label is a feature (or the
/// columns named), every feature value a finite number. Read streaming, in batches of rows, so a
/// file larger than memory can be predicted on; the trainer reads it whole.
public struct CSVDataset: Sendable {
    /// Rows of one batch: features row-major (`rows × featureNames.count`), labels as written.
    public struct Batch: Sendable {
        public var features: [Float] = []
        public var labels: [String] = []
        public var rowCount = 0
        /// The 1-based data row (not counting the header) of the first row in this batch.
        public var firstRow = 1
    }

    public let path: String
    public let header: [String]
    /// The label column's name and index, when one was named.
    public let label: (name: String, index: Int)?
    public let featureColumns: [Int]
    public var featureNames: [String] { featureColumns.map { header[$0] } }

    /// Reads the header.
    /// - Parameters:
    ///   - label: the label column's name (`nil`: no labels).
    ///   - features: the feature columns by name, in the order wanted (`nil`: every other column, in file order).
    /// - Throws: `.io` when the file cannot be read; `.invalidInput` for an empty file, duplicate column
    ///   names, or a label or feature column that is not in the header.
    public init(path: String, label: String?, features: [String]? = nil) throws {
        var header: [String]?
        var parser = CSVRecordParser(source: path)
        struct Stop: Error {}
        do {
            try FileIO.forEachChunk(of: path) { chunk in
                try parser.feed(chunk) { fields, _ in
                    header = fields
                    throw Stop()
                }
            }
            try parser.finish { fields, _ in header = fields }
        } catch is Stop {}
        guard let header, !header.isEmpty else { throw WardenError.invalidInput("'\(path)' is empty; a CSV dataset needs a header row") }
        let names = header.map { $0.trimmingCharacters() }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw WardenError.invalidInput("'\(path)' has two columns named '\(name)'")
        }
        func columnList() -> String {
            names.prefix(12).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 12 ? ", …" : "")
        }
        var labelIndex: (String, Int)?
        if let label {
            guard let index = names.firstIndex(of: label) else {
                throw WardenError.invalidInput("'\(path)' has no column '\(label)' (columns: \(columnList()))")
            }
            labelIndex = (label, index)
        }
        if let features {
            featureColumns = try features.map { name in
                guard let index = names.firstIndex(of: name) else {
                    throw WardenError.invalidInput("'\(path)' has no feature column '\(name)' that the model needs (columns: \(columnList()))")
                }
                return index
            }
        } else {
            featureColumns = names.indices.filter { $0 != labelIndex?.1 }
        }
        guard !featureColumns.isEmpty else { throw WardenError.invalidInput("'\(path)' has no feature columns") }
        self.path = path
        self.header = names
        self.label = labelIndex
    }

    /// Calls `body` with consecutive batches of at most `rows` rows.
    /// - Throws: `.invalidInput` naming the row (and line) for a ragged row, an empty, non-numeric,
    ///   NaN or infinite feature, or an empty label; whatever `body` throws.
    public func forEachBatch(rows: Int, _ body: (Batch) throws -> Void) throws {
        var parser = CSVRecordParser(source: path)
        var batch = Batch()
        var row = 0
        var sawHeader = false
        let width = header.count
        let labelIndex = label?.index
        batch.features.reserveCapacity(Swift.max(1, rows) * featureColumns.count)
        func take(_ fields: [String], _ line: Int) throws {
            guard sawHeader else {
                sawHeader = true
                return
            }
            row += 1
            guard fields.count == width else {
                throw WardenError.invalidInput("'\(path)' row \(row) (line \(line)) has \(fields.count) fields; the header has \(width)")
            }
            for column in featureColumns {
                let text = fields[column].trimmingCharacters()
                guard let value = Float(text) else {
                    throw WardenError.invalidInput("'\(path)' row \(row) (line \(line)), column '\(header[column])': '\(text.prefix(40))' is not a number")
                }
                guard value.isFinite else {
                    throw WardenError.invalidInput("'\(path)' row \(row) (line \(line)), column '\(header[column])': \(text) is not a finite number; clean or impute it first")
                }
                batch.features.append(value)
            }
            if let labelIndex {
                let text = fields[labelIndex].trimmingCharacters()
                guard !text.isEmpty else {
                    throw WardenError.invalidInput("'\(path)' row \(row) (line \(line)) has an empty label in column '\(header[labelIndex])'")
                }
                batch.labels.append(text)
            }
            batch.rowCount += 1
            if batch.rowCount == rows {
                try body(batch)
                batch.features.removeAll(keepingCapacity: true)
                batch.labels.removeAll(keepingCapacity: true)
                batch.rowCount = 0
                batch.firstRow = row + 1
            }
        }
        try FileIO.forEachChunk(of: path) { chunk in try parser.feed(chunk, take) }
        try parser.finish(take)
        if batch.rowCount > 0 { try body(batch) }
    }

    /// Every row in one batch.
    /// - Throws: as ``forEachBatch(rows:_:)``.
    public func readAll() throws -> Batch {
        var all = Batch()
        try forEachBatch(rows: 65536) { batch in
            all.features += batch.features
            all.labels += batch.labels
            all.rowCount += batch.rowCount
        }
        return all
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    package func trimmingCharacters() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
