import Foundation
import Testing
import WardenCore
import WardenTensor

@testable import WardenAnalysis

/// The drift tests against scipy's numbers and on tables where the drift is known.
struct DriftTests {
    @Test func ksMatchesScipy() {
        // scipy.stats.ks_2samp(x, y, method="exact"): D 0.15333…, p 0.032326; D 0.092, p 0.186442.
        let (d1, p1) = DriftDetector.kolmogorovSmirnov((0..<200).map { Double($0) * 0.01 }, (0..<150).map { 0.3 + Double($0) * 0.013 })
        #expect(abs(d1 - 0.15333333333333332) < 1e-12)
        #expect(abs(p1 - 0.032325721243343354) < 0.004)
        let (d2, p2) = DriftDetector.kolmogorovSmirnov((0..<300).map { Double(($0 * 37) % 101) / 101 }, (0..<250).map { Double(($0 * 53) % 97) / 97 * 1.1 })
        #expect(abs(d2 - 0.092) < 1e-12)
        #expect(abs(p2 - 0.18644226699574143) < 0.004)
    }

    @Test func chiSquareMatchesScipy() {
        // scipy.stats.chi2_contingency([[30, 50, 20], [45, 40, 15]], correction=False): 4.825397, p 0.0895733.
        let a = Array(repeating: "a", count: 30) + Array(repeating: "b", count: 50) + Array(repeating: "c", count: 20)
        let b = Array(repeating: "a", count: 45) + Array(repeating: "b", count: 40) + Array(repeating: "c", count: 15)
        let (chi, p, categories) = DriftDetector.chiSquare(a, b)
        #expect(abs(chi - 4.825396825396825) < 1e-9)
        #expect(abs(p - 0.08957326253887996) < 1e-9)
        #expect(categories == ["a", "b", "c"])
    }

    @Test func benjaminiHochberg() {
        #expect(DriftDetector.benjaminiHochberg([0.01, 0.04, 0.03, 0.005]).map { ($0 * 1e6).rounded() / 1e6 } == [0.02, 0.04, 0.04, 0.02])
        #expect(DriftDetector.benjaminiHochberg([0.9]) == [0.9])
    }

    static func table(_ name: String, rows: Int, shift: Double = 0, seed: UInt64, labels: (Int) -> String = { "\($0 % 2)" }, extra: Bool = false) -> DriftTable {
        var generator = SeededRandomGenerator(seed: seed)
        func normal() -> Double {
            let u1 = Swift.max(Double(generator.next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(generator.next() >> 11) / Double(1 << 53)
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        var header = ["a", "b", "colour", "label"]
        var columns: [[String]] = [[], [], [], []]
        for row in 0..<rows {
            columns[0].append(String(normal() + shift))
            columns[1].append(String(normal() * 2))
            columns[2].append(["red", "green", "blue"][Int(generator.next() % 3)])
            columns[3].append(labels(row))
        }
        if extra {
            header.append("z")
            columns.append(Array(repeating: "1", count: rows))
        }
        return DriftTable(source: name, header: header, columns: columns)
    }

    static let quick = DriftDetector(configuration: .init(permutations: 50, mmdRows: 80))

    @Test func sameDistributionDoesNotTripTheGate() throws {
        for seed in [UInt64(1), 2, 3] {
            let report = try Self.quick.compare(old: Self.table("old", rows: 400, seed: seed), new: Self.table("new", rows: 300, seed: seed + 100), label: "label")
            #expect(!report.gateTripped, "\(report.reasons)")
            #expect(report.features.map(\.name) == ["a", "b", "colour"])
            #expect(report.features.map(\.test) == ["ks", "ks", "chi2"])
        }
    }

    @Test func shiftedFeatureLabelsSchemaAndOutliersAreCaught() throws {
        let old = Self.table("old", rows: 400, seed: 1)
        let shifted = try Self.quick.compare(old: old, new: Self.table("new", rows: 300, shift: 0.8, seed: 9), label: "label")
        #expect(shifted.gateTripped)
        #expect(shifted.features.first { $0.name == "a" }?.drifted == true)
        #expect(shifted.features.first { $0.name == "b" }?.drifted == false)
        #expect((shifted.mmd?.pValue ?? 1) < 0.05)

        let labels = try Self.quick.compare(old: old, new: Self.table("new", rows: 300, seed: 9, labels: { $0 % 4 == 0 ? "1" : "0" }), label: "label")
        #expect(labels.gateTripped && labels.reasons.contains { $0.contains("label") })
        #expect(abs((labels.labelShift?.totalVariation ?? 0) - 0.25) < 1e-9)

        let schema = try Self.quick.compare(old: old, new: Self.table("new", rows: 300, seed: 9, extra: true))
        #expect(schema.addedColumns == ["z"] && schema.gateTripped)

        var withOutliers = Self.table("new", rows: 300, seed: 9).columns
        for row in 0..<10 { withOutliers[1][row] = "1000" }
        let outliers = try Self.quick.compare(old: old, new: DriftTable(source: "new", header: old.header, columns: withOutliers))
        #expect(outliers.outlierRows == Array(0..<10) && outliers.gateTripped)
    }

    @Test func badInput() throws {
        let old = Self.table("old", rows: 50, seed: 1)
        #expect(throws: WardenError.self) { try Self.quick.compare(old: old, new: Self.table("new", rows: 1, seed: 2)) }
        #expect(throws: WardenError.self) { try Self.quick.compare(old: old, new: Self.table("new", rows: 50, seed: 2), label: "nope") }
        // A column that turns from numbers into text is a schema change, not a crash.
        var columns = Self.table("new", rows: 50, seed: 2).columns
        columns[0][3] = "n/a"
        let report = try Self.quick.compare(old: old, new: DriftTable(source: "new", header: old.header, columns: columns))
        #expect(report.retypedColumns == ["a"] && report.gateTripped)
    }
}
