import ArgumentParser
import Foundation
import WardenCore
import WardenCrypto

/// `warden run -- CMD…`: runs a training command and signs a SLSA v1 provenance attestation of it.
struct ProvenanceRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a training command and, if it succeeds, write a signed SLSA v1 provenance attestation.",
        discussion: """
            The attestation is a DSSE envelope over an in-toto Statement v1: subjects are the \
            outputs' SHA-256 digests (one per file of an output folder); the predicate records the \
            command and parameters, the inputs' digests, the git commit and dirty state, the \
            script's digest, the builder, start and finish times, the exit code and the host. If the \
            command fails, nothing is written and warden exits 1.

            Example:
              warden run --key keys/private.pem --attestation model.provenance.json \\
                --input data/train.csv --output model.onnx --param lr=0.01 -- python train.py --lr 0.01
            """
    )

    @Option(help: "Private key that signs the attestation (p256, p384, p521, ed25519).") var key: String
    @Option(help: "Where to write the attestation.") var attestation: String
    @Option(name: .customLong("input"), help: "An input file or folder (repeatable).") var inputs: [String] = []
    @Option(name: .customLong("output"), help: "An output file or folder: the attestation's subjects (repeatable).") var outputs: [String] = []
    @Option(name: .customLong("param"), help: "A parameter KEY=VALUE to record (repeatable).") var params: [String] = []
    @Argument(parsing: .postTerminator, help: "The command to run, after --.") var command: [String] = []
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard !command.isEmpty else { throw ValidationError("Give the command to run after --, e.g. `-- python train.py`") }
        guard !outputs.isEmpty else { throw ValidationError("Give at least one --output: the files the attestation vouches for") }
        var parameters: [(String, JSONValue)] = []
        for param in params {
            guard let equals = param.firstIndex(of: "="), equals != param.startIndex else {
                throw ValidationError("--param '\(param)' is not KEY=VALUE")
            }
            parameters.append((String(param[..<equals]), .string(String(param[param.index(after: equals)...]))))
        }
        let run = ProvenanceRun(
            key: try SigningKey(file: key), inputs: inputs, outputs: outputs, parameters: parameters, step: .command(command))
        let (text, subjects) = try run.execute()
        let signingKey = run.key
        try FileIO.writeAtomically(text, to: attestation)
        if output.json {
            Console.json([
                "attestation": .string(attestation), "envelope_digest": .string(Digest.sha256(text).description),
                "subjects": .array(subjects.map { .object([("name", .string($0.name)), ("sha256", .string($0.digest["sha256"] ?? ""))]) }),
                "key_id": .string(signingKey.publicKey.keyID),
            ] as JSONValue)
        } else {
            Console.error("Wrote a signed SLSA provenance attestation for \(subjects.count) subject(s) to \(attestation)")
        }
    }

}

/// Runs a step and, if it succeeds, returns a signed SLSA v1 provenance envelope of the run.
struct ProvenanceRun {
    /// What runs: an external command, or work Warden does in-process (its native trainer, the demo).
    enum Step {
        case command([String])
        case inProcess(name: String, body: () throws -> Void)
    }

    var key: SigningKey
    var inputs: [String]
    var outputs: [String]
    var parameters: [(String, JSONValue)]
    var step: Step
    var clock = WardenClock.system

    /// The envelope's JSON text and the subjects; throws `CheckFailed` when the command fails or
    /// an output is missing (nothing is signed then).
    func execute() throws -> (text: String, subjects: [InTotoStatement.Subject]) {
        // Inputs are hashed before the run: that is what the command consumed.
        let inputDescriptors = try inputs.flatMap { try Self.describe($0) }
        let started = clock.timestamp()
        let status: Int32
        var external: [(String, JSONValue)]
        var command: [String] = []
        switch step {
        case .command(let argv):
            command = argv
            status = try ChildProcess.run(argv, forwardSignals: true)
            external = [("command", .array(argv.map { .string($0) }))]
        case .inProcess(let name, let body):
            try body()
            status = 0
            external = [("step", .string(name))]
        }
        external.append(("parameters", .object(parameters)))
        let finished = clock.timestamp()
        guard status == 0 else {
            throw CheckFailed(message: "The command exited with status \(status); no attestation was written")
        }
        var subjects: [InTotoStatement.Subject] = []
        for path in outputs {
            guard FileIO.kind(of: path) != .missing else {
                throw CheckFailed(message: "The output '\(path)' does not exist after the command ran; no attestation was written")
            }
            subjects += try Self.describe(path).map { .init(name: $0.name ?? path, digest: $0.digest) }
        }
        var dependencies = inputDescriptors
        dependencies += GitState.describe()
        if !command.isEmpty, let script = Self.script(in: command) {
            dependencies += try Self.describe(script).map { var d = $0; d.name = "script:" + (d.name ?? script); return d }
        }
        let provenance = SLSAProvenance(
            externalParameters: .object(external),
            internalParameters: .object([("workingDirectory", .string(FileManager.default.currentDirectoryPath))]),
            resolvedDependencies: dependencies,
            builderVersion: ["warden": Warden.version],
            invocationID: UUID().uuidString.lowercased(), startedOn: started, finishedOn: finished,
            byproducts: [
                ResourceDescriptor(name: "exit-code", annotations: ["code": .int(Int64(status))]),
                ResourceDescriptor(name: "host", annotations: HostInfo.collect()),
                ResourceDescriptor(name: "tools", annotations: .object(ToolVersions.collect(for: command))),
            ])
        let statement = provenance.statement(subjects: subjects)
        let envelope = try DSSEEnvelope.sign(
            payload: statement.payloadBytes, payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: key.publicKey.keyID)
        return (envelope.json.prettyString(indent: 2) + "\n", subjects)
    }

    /// One descriptor per file (a folder gives one per file, named `folder/relative`).
    static func describe(_ path: String) throws -> [ResourceDescriptor] {
        let entries = try FileTree().files(under: path)
        let digests = try ParallelHashing.sha256(entries.map(\.absolutePath), concurrency: ProcessInfo.processInfo.activeProcessorCount)
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return zip(entries, digests).map { entry, digest in
            let name = entry.relativePath == "." ? trimmed : trimmed + "/" + entry.relativePath
            return ResourceDescriptor(name: name, uri: URL(fileURLWithPath: entry.absolutePath).absoluteString, digest: ["sha256": digest.hex])
        }
    }

    /// The training script: the first argument that is an existing file, skipping an interpreter.
    static func script(in command: [String]) -> String? {
        let interpreters = ["python", "python3", "bash", "sh", "node", "ruby", "perl", "Rscript", "julia", "swift"]
        let first = URL(fileURLWithPath: command[0]).lastPathComponent
        let candidates = interpreters.contains(where: { first.hasPrefix($0) }) ? command.dropFirst() : command[...]
        return candidates.first { !$0.hasPrefix("-") && FileIO.kind(of: $0) == .regular }
    }
}

/// The git commit and dirty state of the working folder, if it is inside a repository.
enum GitState {
    static func describe() -> [ResourceDescriptor] {
        guard let commit = ChildProcess.capture(["git", "rev-parse", "HEAD"])?.trimmingCharacters(in: .whitespacesAndNewlines),
            commit.count == 40 || commit.count == 64
        else { return [] }
        let dirty = !(ChildProcess.capture(["git", "status", "--porcelain"])?.isEmpty ?? true)
        let remote = ChildProcess.capture(["git", "config", "--get", "remote.origin.url"])?.trimmingCharacters(in: .whitespacesAndNewlines)
        return [
            ResourceDescriptor(
                name: "git", uri: remote.map { $0.isEmpty ? nil : "git+\($0)" } ?? nil, digest: ["gitCommit": commit],
                annotations: ["dirty": .bool(dirty)])
        ]
    }
}

/// Versions of the tools a run is likely to use.
enum ToolVersions {
    static func collect(for command: [String]) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = [("warden", .string(Warden.version))]
        let first = command.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? ""
        if first.hasPrefix("python"), let version = ChildProcess.capture([command[0], "--version"]) {
            out.append(("python", .string(version.trimmingCharacters(in: .whitespacesAndNewlines))))
        }
        if let git = ChildProcess.capture(["git", "--version"]) {
            out.append(("git", .string(git.trimmingCharacters(in: .whitespacesAndNewlines))))
        }
        return out
    }
}
