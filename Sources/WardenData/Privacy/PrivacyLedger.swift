import Foundation
import WardenCore

/// A per-dataset privacy budget: every DP release spends (ε, δ), the ledger adds them up (basic
/// composition) and refuses a release that would exceed the configured total.
///
/// Stored as JSON beside the data (`FILE.dp-ledger.json` by default) and rewritten atomically, so
/// a crash leaves the old or the new ledger, never a torn one. ``withLock(_:_:)`` serialises
/// concurrent writers on one machine (an exclusive `flock` on the ledger's folder).
public struct PrivacyLedger: Sendable, Codable, Equatable {
    /// The total a dataset may spend.
    public struct Budget: Sendable, Codable, Equatable {
        public var epsilon: Double
        public var delta: Double

        public init(epsilon: Double, delta: Double) {
            self.epsilon = epsilon
            self.delta = delta
        }
    }

    /// One release.
    public struct Entry: Sendable, Codable, Equatable {
        public var time: String
        public var actor: String
        public var dataset: String
        public var column: String
        public var statistic: String
        public var epsilon: Double
        public var delta: Double
        public var mechanism: String

        public init(
            time: String, actor: String, dataset: String, column: String, statistic: String, epsilon: Double, delta: Double,
            mechanism: String
        ) {
            self.time = time
            self.actor = actor
            self.dataset = dataset
            self.column = column
            self.statistic = statistic
            self.epsilon = epsilon
            self.delta = delta
            self.mechanism = mechanism
        }
    }

    public var version: Int
    public var budget: Budget?
    public var entries: [Entry]

    public init(budget: Budget? = nil) {
        version = 1
        self.budget = budget
        entries = []
    }

    /// The default ledger path for a dataset file.
    public static func defaultPath(for dataset: String) -> String { dataset + ".dp-ledger.json" }

    /// ε spent so far.
    public var spentEpsilon: Double { entries.reduce(0) { $0 + $1.epsilon } }
    /// δ spent so far.
    public var spentDelta: Double { entries.reduce(0) { $0 + $1.delta } }

    /// Why a release of (ε, δ) would exceed the budget, or nil when it fits (or there is no budget).
    public func refusal(epsilon: Double, delta: Double) -> String? {
        guard let budget else { return nil }
        let tolerance = 1e-12
        if spentEpsilon + epsilon > budget.epsilon * (1 + tolerance) {
            return "Privacy budget exceeded: ε spent \(Self.format(spentEpsilon)) + \(Self.format(epsilon)) > budget \(Self.format(budget.epsilon))"
        }
        if spentDelta + delta > budget.delta * (1 + tolerance) + tolerance * 1e-6 {
            return "Privacy budget exceeded: δ spent \(Self.format(spentDelta)) + \(Self.format(delta)) > budget \(Self.format(budget.delta))"
        }
        return nil
    }

    static func format(_ x: Double) -> String {
        var s = String(format: "%.6g", x)
        if s.contains("e") { s = "\(x)" }
        return s
    }

    /// Reads the ledger at `path`; a missing file is an empty ledger.
    /// - Throws: ``WardenError`` (`invalidInput`) when the file is not a ledger.
    public static func load(_ path: String) throws -> PrivacyLedger {
        guard FileIO.kind(of: path) != .missing else { return PrivacyLedger() }
        let bytes = try FileIO.readAll(path, limit: 64 << 20)
        do {
            let ledger = try JSONDecoder().decode(PrivacyLedger.self, from: Data(bytes))
            guard ledger.version == 1 else { throw WardenError.unsupported("'\(path)' is a version \(ledger.version) ledger") }
            return ledger
        } catch let error as WardenError {
            throw error
        } catch {
            throw WardenError.invalidInput("'\(path)' is not a Warden privacy ledger: \(error)")
        }
    }

    /// Writes the ledger atomically.
    public func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try FileIO.writeAtomically(Array(data) + [0x0A], to: path)
    }

    /// Runs `body` holding an exclusive lock that other Warden processes respect for this ledger's
    /// folder, so read–check–append–write cannot interleave.
    public static func withLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let folder = FileIO.parentDirectory(of: path)
        let fd = open(folder, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WardenError.io("Cannot open the folder '\(folder)' to lock the ledger: \(FileIO.errnoText())") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw WardenError.io("Cannot lock '\(folder)': \(FileIO.errnoText())") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
