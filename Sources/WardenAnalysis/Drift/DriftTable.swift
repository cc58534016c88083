/// A table as text, column by column, for drift tests: numeric columns are those whose every
/// non-empty cell in the reference table is a finite number; the rest are categorical.
public struct DriftTable: Sendable {
    public let source: String
    public let header: [String]
    /// `columns[c][row]`, as written (trimmed).
    public let columns: [[String]]
    public var rows: Int { columns.first?.count ?? 0 }

    public init(source: String, header: [String], columns: [[String]]) {
        self.source = source
        self.header = header
        self.columns = columns
    }

    /// The column named `name`.
    public func column(_ name: String) -> [String]? { header.firstIndex(of: name).map { columns[$0] } }

    /// Whether every non-empty cell of `values` is a finite number (and there is at least one).
    static func isNumeric(_ values: [String]) -> Bool {
        var any = false
        for value in values where !value.isEmpty {
            guard let number = Double(value), number.isFinite else { return false }
            any = true
        }
        return any
    }

    /// The finite numbers of a column (empty and non-numeric cells dropped).
    static func numbers(_ values: [String]) -> [Double] { values.compactMap { Double($0) }.filter(\.isFinite) }
}
