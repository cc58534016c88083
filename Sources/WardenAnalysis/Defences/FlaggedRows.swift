import Foundation
import WardenCore
import WardenModels
import WardenTensor

/// The rows `warden data scan --flagged-out` writes: 0-based data-row indices (header excluded), one
/// per line; read back to leave them out of training (`warden train --drop-flagged FILE`).
public enum FlaggedRows {
    /// Reads the indices in `path` for a table of `rowCount` rows. Blank lines are skipped; the order
    /// need not be ascending.
    /// - Throws: `.invalidInput` naming the file and line for a line that is not a non-negative
    ///   integer, an index outside the table, or a repeated index; `.io` for an unreadable file.
    public static func read(_ path: String, rowCount: Int) throws -> [Int] {
        let bytes = try FileIO.readAll(path, limit: 64 << 20)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw WardenError.invalidInput("'\(path)' is not UTF-8 text of row indices") }
        var seen: [Int: Int] = [:]
        var rows: [Int] = []
        for (offset, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            let where_ = "'\(path)' line \(offset + 1)"
            guard line.allSatisfy(\.isASCII), line.allSatisfy(\.isNumber), let row = Int(line) else {
                throw WardenError.invalidInput("\(where_): '\(line.prefix(40))' is not a 0-based row index (one non-negative integer per line, as `warden data scan --flagged-out` writes)")
            }
            guard row < rowCount else {
                throw WardenError.invalidInput("\(where_): row \(row) is outside the data's \(rowCount) rows (0…\(rowCount - 1)); was the file written for another table?")
            }
            if let first = seen[row] { throw WardenError.invalidInput("\(where_): row \(row) is listed twice (first on line \(first))") }
            seen[row] = offset + 1
            rows.append(row)
        }
        return rows.sorted()
    }

    /// `data` without `rows` (ascending, in range). The classes stay those of `data`.
    /// - Throws: `.invalidInput` when no row would remain.
    public static func dropping(_ rows: [Int], from data: LabeledDataset) throws -> LabeledDataset {
        guard rows.count < data.count else { throw WardenError.invalidInput("Dropping \(rows.count) flagged rows would leave none of '\(data.source)' to train on") }
        let drop = Set(rows), width = data.features.shape[1]
        let values = data.features.scalars
        var features: [Float] = [], labels: [Int64] = []
        features.reserveCapacity((data.count - drop.count) * width)
        for row in 0..<data.count where !drop.contains(row) {
            features += values[(row * width)..<((row + 1) * width)]
            labels.append(data.labels[row])
        }
        return try LabeledDataset(
            features: try Tensor(shape: [labels.count, width], scalars: features), labels: labels, classes: data.classes,
            featureNames: data.featureNames, source: data.source)
    }
}
