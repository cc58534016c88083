import Foundation
import Testing
import WardenCore
import WardenData
import WardenTesting

/// Recall and false positives of the PII detectors on a seeded, labelled corpus with look-alike
/// decoys. `WARDEN_PII_BENCH=1` prints the table recorded in docs/BENCHMARKS.md;
/// `WARDEN_PII_CORPUS_OUT=path.csv` also writes the corpus as CSV (for timing `warden data pii scan`).
struct PIICorpusTests {
    struct Measurement {
        var truePositives: [String: Int] = [:]
        var totals: [String: Int] = [:]
        /// True rows with an extra match of another type (or a wrong span).
        var extras: [String: Int] = [:]
        var flaggedDecoys: [String: Int] = [:]
        var misses: [String] = []
        var falsePositives: [String] = []
    }

    static func measure(_ corpus: PIICorpus) -> Measurement {
        let detector = PIIDetector()
        var m = Measurement()
        for row in corpus.rows {
            let matches = detector.matches(in: row.text)
            m.totals[row.category, default: 0] += 1
            if let type = row.type, let planted = row.planted {
                if matches.contains(where: { $0.type == type && $0.range == planted }) {
                    m.truePositives[row.category, default: 0] += 1
                } else if m.misses.filter({ $0.hasPrefix(row.category + ":") }).count < 8 {
                    m.misses.append("\(row.category): \(row.text) -> \(matches.map { "\($0.type)/\($0.rule)" })")
                }
                if matches.contains(where: { !($0.type == type && $0.range == planted) }) {
                    m.extras[row.category, default: 0] += 1
                }
            } else if !matches.isEmpty {
                m.flaggedDecoys[row.category, default: 0] += 1
                if m.falsePositives.filter({ $0.hasPrefix(row.category + ":") }).count < 8 {
                    m.falsePositives.append("\(row.category): \(row.text) -> \(matches.map { "\($0.type)/\($0.rule)" })")
                }
            }
        }
        return m
    }

    @Test func recallAndFalsePositivesMeetTheTargets() throws {
        let perType = ProcessInfo.processInfo.environment["WARDEN_PII_BENCH"] != nil ? 2000 : 400
        let corpus = PIICorpus(seed: 20_261_124, perType: perType, perDecoy: perType)
        let m = Self.measure(corpus)
        var table = ["| type | rows | recall | rows with an extra match |", "|---|---|---|---|"]
        for type in PIIType.allCases {
            let c = type.rawValue
            let recall = Double(m.truePositives[c, default: 0]) / Double(m.totals[c]!)
            table.append("| \(c) | \(m.totals[c]!) | \(String(format: "%.4f", recall)) | \(m.extras[c, default: 0]) |")
            #expect(recall >= 0.98, "recall of \(c) is \(recall); misses: \(m.misses.filter { $0.hasPrefix(c + ":") }.prefix(10))")
            #expect(Double(m.extras[c, default: 0]) / Double(m.totals[c]!) <= 0.01, "\(c) rows with extra matches")
        }
        table += ["", "| decoy | rows | flagged | false-positive rate |", "|---|---|---|---|"]
        var flagged = 0
        var decoys = 0
        for category in PIICorpus.decoyCategories {
            let rate = Double(m.flaggedDecoys[category, default: 0]) / Double(m.totals[category]!)
            flagged += m.flaggedDecoys[category, default: 0]
            decoys += m.totals[category]!
            table.append("| \(category) | \(m.totals[category]!) | \(m.flaggedDecoys[category, default: 0]) | \(String(format: "%.4f", rate)) |")
            #expect(rate <= 0.01, "false positives among \(category): \(m.falsePositives.filter { $0.hasPrefix(category + ":") }.prefix(10))")
        }
        table.append("| all decoys | \(decoys) | \(flagged) | \(String(format: "%.4f", Double(flagged) / Double(decoys))) |")
        if ProcessInfo.processInfo.environment["WARDEN_PII_BENCH"] != nil {
            print(table.joined(separator: "\n"))
            print("misses:\n" + m.misses.joined(separator: "\n"))
            print("false positives:\n" + m.falsePositives.joined(separator: "\n"))
        }
        if let out = ProcessInfo.processInfo.environment["WARDEN_PII_CORPUS_OUT"] {
            var csv = "id,category,text\n"
            for (i, row) in corpus.rows.enumerated() {
                csv += "\(i + 1),\(row.category),\"\(row.text.replacingOccurrences(of: "\"", with: "\"\""))\"\n"
            }
            try FileIO.writeAtomically(csv, to: out)
        }
    }

    /// The file path gives the same counts as the detector: the CSV reader and the tally lose nothing.
    @Test func scanningTheCorpusFileCountsEveryMatch() throws {
        let corpus = PIICorpus(seed: 7, perType: 50, perDecoy: 20)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var csv = "id,text\n"
        var expected: [String: Int] = [:]
        let detector = PIIDetector()
        for (i, row) in corpus.rows.enumerated() {
            csv += "\(i),\"\(row.text.replacingOccurrences(of: "\"", with: "\"\""))\"\r\n"
            for match in detector.matches(in: row.text, context: PIIContext(field: "text")) {
                expected[match.type.rawValue, default: 0] += 1
            }
        }
        let path = try folder.write("corpus.csv", csv)
        let report = try PIIScanner().scan(path)
        #expect(report.rows == corpus.rows.count)
        #expect(report.totals == expected)
        #expect(report.fields.allSatisfy { $0.field == "text" })
    }
}
