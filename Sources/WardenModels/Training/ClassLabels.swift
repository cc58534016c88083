import WardenCore

/// The classes of a labelled dataset and their indices: integers in numeric order when every label
/// is a whole number (so digit `3` is class 3), otherwise the distinct strings in sorted order.
public struct ClassLabels: Sendable, Equatable {
    /// Class names, by index.
    public let names: [String]
    /// Whether the classes are whole numbers (matched numerically: `1` and `1.0` are one class).
    public let areNumeric: Bool
    private let index: [String: Int]

    /// The classes found in `labels`.
    public init(labels: some Sequence<String>) {
        let distinct = Set(labels)
        let numbers = distinct.map(Self.wholeNumber)
        if !numbers.isEmpty, numbers.allSatisfy({ $0 != nil }) {
            let sorted = Set(numbers.map { $0! }).sorted()
            self.init(names: sorted.map(String.init), numeric: true)
        } else {
            self.init(names: distinct.sorted(), numeric: false)
        }
    }

    /// Classes with the given names in index order (as a model's metadata records them).
    public init(names: [String]) {
        self.init(names: names, numeric: !names.isEmpty && names.allSatisfy { Self.wholeNumber($0) != nil })
    }

    private init(names: [String], numeric: Bool) {
        self.names = names
        areNumeric = numeric
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() { index[numeric ? Self.wholeNumber(name).map(String.init) ?? name : name] = i }
        self.index = index
    }

    public var count: Int { names.count }

    /// The index of a label as written in a dataset, or `nil` for a label that is not a class.
    public func index(of label: String) -> Int? {
        if areNumeric { return Self.wholeNumber(label).flatMap { index[String($0)] } }
        return index[label]
    }

    /// The indices of `labels`.
    /// - Throws: `.invalidInput` naming the first label that is not a class and its row.
    public func indices(of labels: [String], source: String) throws -> [Int64] {
        try labels.enumerated().map { row, label in
            guard let i = index(of: label) else {
                throw WardenError.invalidInput("'\(source)' row \(row + 1): label '\(label)' is not one of the model's classes (\(names.prefix(12).joined(separator: ", ")))")
            }
            return Int64(i)
        }
    }

    static func wholeNumber(_ text: String) -> Int64? {
        if let value = Int64(text) { return value }
        guard let value = Double(text), value.isFinite, value.rounded() == value, abs(value) < 9e15 else { return nil }
        return Int64(value)
    }
}
