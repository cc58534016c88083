import ArgumentParser
import Foundation
import WardenCore
import WardenCrypto
import WardenData

/// `warden data track|transform|provenance`: where data came from and how it was made.
struct DataTrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Record where a dataset came from (name, URL or path, SHA-256, size, time).",
        discussion: """
            Example:
              warden data track data/raw.csv --source "UCI adult" --url https://archive.ics.uci.edu/dataset/2/adult
            """
    )

    @Argument(help: "The dataset file or folder.") var path: String
    @Option(help: "A name for the source.") var source: String
    @Option(help: "Where it was obtained.") var url: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let repository = try DataRepository.open(containing: path, create: true)
        let record = try repository.track(path, source: source, url: url)
        if output.json {
            Console.json(ProvenanceRecord.source(record).json)
        } else {
            Console.output("Tracked \(record.artifact.path) (\(record.artifact.digest), \(ByteCount.format(record.artifact.size))) from '\(source)'")
        }
    }
}

struct DataTransformCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transform",
        abstract: "Record (or run, then record) a transformation of input datasets into outputs.",
        discussion: """
            With a command after `--`, Warden runs it first and records the step only if it \
            succeeds (exit 1 otherwise, nothing recorded). Outputs are hashed after the command.

            Example:
              warden data transform --op dedupe --params '{"keep":"first"}' --in data/raw.csv --out data/clean.csv -- python dedupe.py
            """
    )

    @Option(help: "The operation's name.") var op: String
    @Option(help: "Its parameters as a JSON object.") var params: String = "{}"
    @Option(name: .customLong("in"), parsing: .upToNextOption, help: "Input files or folders.") var inputs: [String] = []
    @Option(name: .customLong("out"), parsing: .upToNextOption, help: "Output files or folders.") var outputs: [String] = []
    @Argument(parsing: .postTerminator, help: "The command to run (after --).") var command: [String] = []
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard !outputs.isEmpty else { throw ValidationError("Give at least one --out") }
        let parameters = try JSONParser(maxDepth: 32, maxBytes: 1 << 20).parse(params, source: "--params")
        guard parameters.objectValue != nil else { throw ValidationError("--params must be a JSON object") }
        let repository = try DataRepository.open(containing: outputs[0], create: true)
        if !command.isEmpty {
            let status = try ChildProcess.run(command, forwardSignals: false)
            guard status == 0 else { throw CheckFailed(message: "the command exited with \(status); nothing was recorded") }
        }
        let step = try repository.recordTransform(
            operation: op, parameters: parameters, inputs: inputs, outputs: outputs, command: command.isEmpty ? nil : command)
        if output.json {
            Console.json(ProvenanceRecord.transform(step).json)
        } else {
            Console.output("Recorded '\(op)': \(step.inputs.map(\.path).joined(separator: ", ")) → \(step.outputs.map { "\($0.path) (\($0.digest.hex.prefix(12)))" }.joined(separator: ", "))")
        }
    }
}

struct DataProvenanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance",
        abstract: "Show the graph that produced a dataset, or export it as a signed in-toto attestation.",
        discussion: """
            Example:
              warden data provenance data/clean.csv
              warden data provenance data/clean.csv --attest --key keys/private.pem --output clean.provenance.json
            """
    )

    @Argument(help: "The dataset file or folder.") var path: String
    @Flag(help: "Write a DSSE-signed in-toto statement of the graph.") var attest = false
    @Option(help: "Private key for --attest.") var key: String?
    @Option(help: "Where to write the attestation (default: stdout).") var outputFile: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let repository = try DataRepository.open(containing: path)
        let graph = try repository.provenance(of: path)
        if attest {
            guard let key else { throw ValidationError("--attest needs --key PRIVATE.pem") }
            let signingKey = try SigningKey(file: key)
            let statement = InTotoStatement(
                subjects: [.init(name: graph.subject.path, digest: ["sha256": graph.subject.digest.hex])],
                predicateType: ProvenanceGraph.predicateType, predicate: graph.json)
            let envelope = try DSSEEnvelope.sign(
                payload: statement.payloadBytes, payloadType: DSSEEnvelope.inTotoPayloadType, key: signingKey,
                keyID: signingKey.publicKey.keyID)
            let text = envelope.json.prettyString(indent: 2) + "\n"
            if let outputFile { try FileIO.writeAtomically(text, to: outputFile) }
            try repository.recordAttestation(of: graph.subject, keyID: signingKey.publicKey.keyID, output: outputFile)
            if let outputFile {
                if !output.json { Console.output("Wrote the signed provenance of \(graph.subject.path) to \(outputFile)") }
            } else {
                Console.output(text)
            }
            return
        }
        if output.json {
            Console.json(graph.json)
            return
        }
        Console.output("\(graph.subject.path)  \(graph.subject.digest)")
        for source in graph.sources {
            Console.output("  source  \(source.artifact.path) ← '\(source.name)'\(source.url.map { " \($0)" } ?? "")  (\(source.time), \(source.actor))")
        }
        for step in graph.steps {
            Console.output("  step    \(step.operation): \(step.inputs.map(\.path).joined(separator: ", ")) → \(step.outputs.map(\.path).joined(separator: ", "))  (\(step.time), \(step.actor))")
        }
        for input in graph.unexplained {
            Console.output("  unknown origin: \(input.path) (\(input.digest.hex.prefix(12)))")
        }
    }
}
