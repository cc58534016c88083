import ArgumentParser
import WardenCore
import WardenScan

/// What `warden model scan` was asked to do, as plain values. ArgumentParser's
/// ``ModelScanCommand`` and its fast path (``ModelScanCommand/fastParse(_:)``) both build one and
/// run it, so the fast path never creates the command: creating it sets up its property wrappers'
/// name sets, a first-time generic instantiation that walks every conformance record of the binary.
struct ModelScanRequest: Equatable, Sendable {
    var paths: [String]
    var failOn: Severity = .high
    var format: ModelScanCommand.Format = .text
    var output: String?
    var allowSymlinks = false
    var json = false
    var quiet = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("Give at least one file or folder to scan") }
        guard failOn != .info else { throw ValidationError("--fail-on must be critical, high, medium or low") }
    }

    func run() throws {
        var options = Scanner.Options(threshold: failOn)
        options.followSymlinks = allowSymlinks
        let report = try Scanner(options: options).scan(paths: paths)
        let chosen = json ? .json : format
        let text: String
        switch chosen {
        case .text: text = ModelScanCommand.render(report)
        case .json: text = try ModelScanCommand.json(report)
        case .sarif: text = SARIFWriter().document(for: report).prettyString(indent: 2)
        }
        if let output {
            try FileIO.writeAtomically(text + "\n", to: output)
            if chosen != .text || quiet { Console.error(ModelScanCommand.summary(report)) }
        } else {
            Console.output(text)
        }
        if report.failed { throw CheckFailed() }
    }
}
