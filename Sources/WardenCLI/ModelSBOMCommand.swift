import ArgumentParser
import Foundation
import WardenCore
import WardenSBOM

/// `warden model sbom`: an ML bill of materials in CycloneDX 1.6 or SPDX 2.3.
struct ModelSBOMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "Write an ML SBOM of a model: CycloneDX 1.6 (ML-BOM) or SPDX 2.3 JSON.",
        discussion: """
            Lists every file with its digests, what the model's own metadata says (config.json: \
            architecture, task, transformers version; an in-folder requirements.txt), the packages \
            named by --requirements files (requirements.txt / pip freeze, pyproject.toml, \
            Package.resolved), datasets and metrics. Both formats pass the official validators \
            (scripts/interop/sbom.sh).

            Example:
              warden model sbom my-model --format cyclonedx --output my-model.cdx.json --requirements requirements.txt
              warden model sbom my-model --format spdx --output my-model.spdx.json --dataset train=data/train.csv --metric accuracy=0.97
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable, Sendable {
        case cyclonedx, spdx
    }

    @Argument(help: "The model folder or file.") var path: String
    @Option(help: "cyclonedx or spdx.") var format: Format = .cyclonedx
    @Option(help: "Where to write the SBOM (atomically).") var output: String
    @Option(name: .customLong("requirements"), help: "A dependency file (repeatable): requirements.txt, pyproject.toml, Package.resolved.")
    var requirements: [String] = []
    @Option(name: .customLong("dataset"), help: "A training dataset NAME=PATH (repeatable).") var datasets: [String] = []
    @Option(name: .customLong("metric"), help: "A performance metric NAME=VALUE (repeatable).") var metrics: [String] = []
    @OptionGroup var outputOptions: OutputOptions

    func run() async throws {
        let inventory = try ModelInventory.collect(
            model: path, dependencyFiles: requirements, datasets: try Self.pairs(datasets, option: "--dataset"),
            metrics: try Self.pairs(metrics, option: "--metric"))
        let now = Date()
        let document: JSONValue
        switch format {
        case .cyclonedx:
            document = CycloneDXWriter(
                toolVersion: Warden.version, timestamp: WardenClock.rfc3339(now), serialNumber: "urn:uuid:" + UUID().uuidString.lowercased()
            ).document(for: inventory)
        case .spdx:
            var style = Date.ISO8601FormatStyle()
            style.timeZone = TimeZone(identifier: "UTC")!
            document = SPDXWriter(
                toolVersion: Warden.version, created: now.formatted(style),
                namespace: "https://warden.dev/spdx/\(inventory.name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "model")-\(UUID().uuidString.lowercased())"
            ).document(for: inventory)
        }
        try FileIO.writeAtomically(document.prettyString(indent: 2) + "\n", to: output)
        if outputOptions.json {
            Console.json([
                "output": .string(output), "format": .string(format.rawValue), "files": .int(Int64(inventory.files.count)),
                "packages": .int(Int64(inventory.dependencies.count)), "datasets": .int(Int64(inventory.datasets.count)),
                "root_digest": .string("sha256:" + inventory.rootDigest), "warnings": .array(inventory.warnings.map { .string($0) }),
            ] as JSONValue)
        } else {
            Console.output("Wrote \(format == .cyclonedx ? "CycloneDX 1.6" : "SPDX 2.3") SBOM of '\(inventory.name)' to \(output): \(inventory.files.count) file(s), \(inventory.dependencies.count) package(s), \(inventory.datasets.count) dataset(s)")
            for warning in inventory.warnings { Console.error("warning: \(warning)") }
        }
    }

    static func pairs(_ values: [String], option: String) throws -> [(String, String)] {
        try values.map { value in
            guard let equals = value.firstIndex(of: "="), equals != value.startIndex, value.index(after: equals) != value.endIndex else {
                throw ValidationError("\(option) '\(value)' is not NAME=VALUE")
            }
            return (String(value[..<equals]), String(value[value.index(after: equals)...]))
        }
    }
}
