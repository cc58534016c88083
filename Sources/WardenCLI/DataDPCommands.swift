import ArgumentParser
import Foundation
import WardenCore
import WardenData

/// `warden data dp-stats`: a differentially private aggregate of one column, charged to the
/// dataset's privacy budget ledger.
struct DataDPStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dp-stats",
        abstract: "Release a differentially private count, sum, mean or histogram of one column.",
        discussion: """
            Values are clamped to --bounds (public bounds you choose without looking at the data); \
            empty and non-numeric values are skipped. With --delta 0 (the default) the noise is \
            Laplace (snapping mechanism, safe against floating-point attacks); with --delta > 0 it \
            is Gaussian with the analytic calibration (--gaussian classic: the textbook \
            σ = Δ·√(2 ln(1.25/δ))/ε, valid for ε < 1 only and never smaller). The mean spends ε/2 (and δ/2) on a noisy sum \
            and ε/2 on a noisy count. Noise comes from the system's cryptographically secure \
            generator.

            Every release is recorded in a ledger (default FILE.dp-ledger.json). Set a total with \
            --budget-epsilon (and --budget-delta) the first time; a release that would exceed it is \
            refused with exit 1 and nothing is released or recorded.

            Exit codes: 0 released · 1 refused by the budget · 2 bad usage or unreadable input.

            Example:
              warden data dp-stats data/patients.csv --column age --stat mean --epsilon 0.5 --bounds 0,100 --budget-epsilon 2
              warden data dp-stats data/patients.csv --column age --stat histogram --bins 10 --epsilon 0.5 --delta 1e-6 --bounds 0,100
              warden data dp-stats events.jsonl --column user.visits --stat count --epsilon 0.1 --bounds 0,1 --json
            """
    )

    @Argument(help: "The dataset (CSV with a header, or JSONL).") var file: String
    @Option(help: "The CSV column or JSON key path (a.b) to aggregate.") var column: String
    @Option(help: "count, sum, mean or histogram.") var stat: DPStatistic
    @Option(help: "The ε this release spends (> 0).") var epsilon: Double
    @Option(help: "The δ this release spends; 0 (default) uses Laplace noise, > 0 Gaussian.") var delta: Double = 0
    @Option(help: "Public clamping bounds LO,HI.") var bounds: String
    @Option(help: "Histogram bins (equal width over the bounds).") var bins: Int = 10
    @Option(help: "Gaussian calibration when --delta > 0: analytic (default) or classic.") var gaussian: GaussianMechanism.Calibration = .analytic
    @Option(help: "The ledger file (default: FILE.dp-ledger.json).") var ledger: String?
    @Option(help: "The dataset's total ε; set once, when the ledger has no budget yet.") var budgetEpsilon: Double?
    @Option(help: "The dataset's total δ (default 0 when --budget-epsilon creates the budget).") var budgetDelta: Double?
    @OptionGroup var output: OutputOptions

    func parsedBounds() throws -> (Double, Double) {
        let parts = bounds.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let lo = Double(parts[0]), let hi = Double(parts[1]), lo.isFinite, hi.isFinite, lo < hi else {
            throw ValidationError("Bounds must be LO,HI with LO < HI, not '\(bounds)'")
        }
        return (lo, hi)
    }

    func validate() throws {
        _ = try parsedBounds()
        guard epsilon > 0, epsilon.isFinite else { throw ValidationError("--epsilon must be > 0, not '\(epsilon)'") }
        guard delta >= 0, delta < 1 else { throw ValidationError("--delta must be in [0, 1), not '\(delta)'") }
        if let budgetEpsilon, !(budgetEpsilon > 0) { throw ValidationError("--budget-epsilon must be > 0") }
        if let budgetDelta, !(budgetDelta >= 0 && budgetDelta < 1) { throw ValidationError("--budget-delta must be in [0, 1)") }
        if budgetDelta != nil && budgetEpsilon == nil { throw ValidationError("--budget-delta needs --budget-epsilon") }
    }

    func run() async throws {
        let (lo, hi) = try parsedBounds()
        let ledgerPath = ledger ?? PrivacyLedger.defaultPath(for: file)
        guard FileIO.kind(of: file) == .regular || FileIO.kind(of: file) == .symlink else {
            throw WardenError.io("Cannot read '\(file)': no such file")
        }
        var aggregator = try DPAggregator(
            statistic: stat, epsilon: epsilon, delta: delta, lower: lo, upper: hi, bins: bins, calibration: gaussian)
        let outcome = try PrivacyLedger.withLock(ledgerPath) { () throws -> (DPRelease, PrivacyLedger, Digest)? in
            var book = try PrivacyLedger.load(ledgerPath)
            if let budgetEpsilon {
                let wanted = PrivacyLedger.Budget(epsilon: budgetEpsilon, delta: budgetDelta ?? book.budget?.delta ?? 0)
                if let existing = book.budget, existing != wanted {
                    throw ValidationError(
                        "The ledger '\(ledgerPath)' already has a budget of ε=\(existing.epsilon), δ=\(existing.delta); it cannot be changed from the command line")
                }
                book.budget = wanted
            }
            if let refusal = book.refusal(epsilon: epsilon, delta: delta) {
                Console.error("refused: \(refusal) (ledger '\(ledgerPath)'); nothing was released")
                return nil
            }
            let digest = try DPColumnReader.read(file, column: column, into: &aggregator)
            let release = try aggregator.release(column: column)
            book.entries.append(.init(
                time: ISO8601DateFormatter().string(from: Date()), actor: DataRepository.defaultActor, dataset: digest.description,
                column: column, statistic: stat.rawValue, epsilon: epsilon, delta: delta, mechanism: release.mechanism))
            // Record before showing: a release that cannot be recorded is not shown.
            try book.save(ledgerPath)
            return (release, book, digest)
        }
        guard let (release, book, digest) = outcome else {
            try DataAccessAudit.record(
                "data.dp-stats.refused", file: file, digest: nil,
                details: [("column", .string(column)), ("statistic", .string(stat.rawValue)), ("epsilon", .double(epsilon)), ("delta", .double(delta))])
            throw CheckFailed()
        }
        try DataAccessAudit.record(
            "data.dp-stats", file: file, digest: digest,
            details: [
                ("column", .string(column)), ("statistic", .string(stat.rawValue)), ("epsilon", .double(epsilon)),
                ("delta", .double(delta)), ("mechanism", .string(release.mechanism)), ("ledger", .string(ledgerPath)),
            ])
        if output.json {
            let budgetEpsilon: JSONValue = book.budget.map { JSONValue.double($0.epsilon) } ?? .null
            let budgetDelta: JSONValue = book.budget.map { JSONValue.double($0.delta) } ?? .null
            let ledgerJSON: JSONValue = .object([
                ("path", .string(ledgerPath)), ("spent_epsilon", .double(book.spentEpsilon)),
                ("spent_delta", .double(book.spentDelta)), ("budget_epsilon", budgetEpsilon), ("budget_delta", budgetDelta),
            ])
            var members: [(String, JSONValue)] = []
            members.append(("statistic", .string(release.statistic.rawValue)))
            members.append(("column", .string(release.column)))
            members.append(("epsilon", .double(release.epsilon)))
            members.append(("delta", .double(release.delta)))
            members.append(("mechanism", .string(release.mechanism)))
            members.append(("noise_scale", .double(release.noiseScale)))
            members.append(("bounds", .array(release.bounds.map { JSONValue.double($0) })))
            members.append(("ledger", ledgerJSON))
            if let value = release.value { members.append(("value", .double(value))) }
            if let bins = release.bins {
                let items: [JSONValue] = bins.map { (bin: DPRelease.Bin) -> JSONValue in
                    .object([("low", .double(bin.low)), ("high", .double(bin.high)), ("count", .double(bin.count))])
                }
                members.append(("bins", .array(items)))
            }
            Console.json(.object(members))
        } else {
            let how = "\(release.mechanism) noise, scale \(PrivacyLedger.formatted(release.noiseScale)); ε=\(PrivacyLedger.formatted(epsilon))\(delta > 0 ? ", δ=\(delta)" : "")"
            if let value = release.value {
                Console.output("\(stat.rawValue)(\(column)) ≈ \(PrivacyLedger.formatted(value))  (\(how))")
            } else if let bins = release.bins {
                Console.output("histogram(\(column))  (\(how))")
                for bin in bins {
                    Console.output("  [\(PrivacyLedger.formatted(bin.low)), \(PrivacyLedger.formatted(bin.high)))  \(PrivacyLedger.formatted(bin.count))")
                }
            }
            let budget = book.budget.map { " of ε=\(PrivacyLedger.formatted($0.epsilon)), δ=\($0.delta)" } ?? " (no budget set)"
            Console.output("ledger \(ledgerPath): spent ε=\(PrivacyLedger.formatted(book.spentEpsilon)), δ=\(book.spentDelta)\(budget)")
        }
    }
}

extension DPStatistic: ExpressibleByArgument {}
extension GaussianMechanism.Calibration: ExpressibleByArgument {}

extension PrivacyLedger {
    static func formatted(_ x: Double) -> String { String(format: "%.6g", x) }
}

/// `warden data dp-epsilon`: the ε of DP-SGD training (Poisson-subsampled Gaussian mechanism).
struct DataDPEpsilonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dp-epsilon",
        abstract: "Compute the (ε, δ) of DP-SGD: Poisson sampling rate, noise multiplier and steps.",
        discussion: """
            The RDP accountant matches Google's dp-accounting RdpAccountant (same orders, same \
            fractional-order series, same improved RDP→(ε, δ) conversion); scripts/interop/dp.sh \
            checks them against each other. The PLD accountant (privacy loss distributions, \
            pessimistic discretisation, composed by FFT) gives a tighter ε.

            --grid FILE reads a JSON array of {"sampling_rate", "noise_multiplier", "steps", "delta"} \
            objects ('-' for stdin) and prints one result per point.

            Example:
              warden data dp-epsilon --sampling-rate 0.01 --noise-multiplier 1.1 --steps 10000 --delta 1e-5
              warden data dp-epsilon --sampling-rate 0.01 --noise-multiplier 1.1 --steps 10000 --delta 1e-5 --accountant pld --json
            """
    )

    enum Accountant: String, ExpressibleByArgument, CaseIterable { case rdp, pld }

    @Option(help: "q: the probability that each example is in a batch.") var samplingRate: Double?
    @Option(help: "σ: noise standard deviation over the clipping norm.") var noiseMultiplier: Double?
    @Option(help: "The number of training steps.") var steps: Int?
    @Option(help: "The target δ.") var delta: Double?
    @Option(help: "rdp (default) or pld.") var accountant: Accountant = .rdp
    @Option(help: "A JSON file of points to compute in one run ('-': stdin).") var grid: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    struct Point {
        var q: Double
        var sigma: Double
        var steps: Int
        var delta: Double
    }

    func points() throws -> [Point] {
        if let grid {
            let bytes: [UInt8] = grid == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile()) : try FileIO.readAll(grid)
            guard let items = try JSONParser().parse(bytes, source: grid == "-" ? "stdin" : "'\(grid)'").arrayValue else {
                throw ValidationError("--grid must hold a JSON array of points")
            }
            return try items.enumerated().map { index, item in
                guard let q = item["sampling_rate"]?.doubleValue, let s = item["noise_multiplier"]?.doubleValue,
                    let n = item["steps"]?.intValue, let d = item["delta"]?.doubleValue
                else { throw ValidationError("Grid point \(index) needs sampling_rate, noise_multiplier, steps and delta") }
                return Point(q: q, sigma: s, steps: Int(n), delta: d)
            }
        }
        guard let samplingRate, let noiseMultiplier, let steps, let delta else {
            throw ValidationError("Give --sampling-rate, --noise-multiplier, --steps and --delta (or --grid FILE)")
        }
        return [Point(q: samplingRate, sigma: noiseMultiplier, steps: steps, delta: delta)]
    }

    func compute(_ p: Point) throws -> (epsilon: Double, order: Double?) {
        switch accountant {
        case .rdp:
            let r = try RDPAccountant.epsilon(samplingRate: p.q, noiseMultiplier: p.sigma, steps: p.steps, delta: p.delta)
            return (r.epsilon, r.order)
        case .pld:
            let e = try PLDAccountant.epsilon(samplingRate: p.q, noiseMultiplier: p.sigma, steps: p.steps, delta: p.delta)
            return (e, nil)
        }
    }

    func run() async throws {
        let points = try points()
        var results: [JSONValue] = []
        for p in points {
            let r = try compute(p)
            var members: [(String, JSONValue)] = [("epsilon", r.epsilon.isFinite ? .double(r.epsilon) : .string("inf"))]
            members.append(("order", r.order.map { .double($0) } ?? .null))
            members.append(("accountant", .string(accountant.rawValue)))
            if grid != nil {
                members += [("sampling_rate", .double(p.q)), ("noise_multiplier", .double(p.sigma)), ("steps", .int(Int64(p.steps))), ("delta", .double(p.delta))]
            }
            results.append(.object(members))
            if !json {
                let order = r.order.map { ", order \(PrivacyLedger.formatted($0))" } ?? ""
                Console.output("ε = \(String(format: "%.6g", r.epsilon)) at δ = \(p.delta)  (\(accountant.rawValue)\(order); q=\(p.q), σ=\(p.sigma), steps=\(p.steps))")
            }
        }
        if json { Console.output((grid != nil ? .array(results) : results[0]).compactString) }
    }
}
