import ArgumentParser
import Foundation
import WardenCore
import WardenCrypto

/// `warden model …`: model-file supply chain.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Scan, sign, verify and describe model files.",
        discussion: """
            Example:
              warden model scan my-model --fail-on high
              warden model sign my-model --key keys/private.pem
              warden model verify my-model --key keys/public.pem --signature my-model.sig
            """,
        subcommands: [ModelScanCommand.self, Sign.self, Verify.self, ModelSBOMCommand.self, ModelInspectCommand.self, ModelRunCommand.self]
    )
}

/// The serialization options model-signing has, shared by `sign` (and echoed by verify's report).
struct SerializationOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("hash"), help: "File digest: sha256, blake2b or blake3.")
    var hashAlgorithm: HashAlgorithm = .sha256

    @Option(help: "Hash files in shards of this many bytes (OMS 'shards' serialization); default: whole files.")
    var shardSize: Int64?

    @Option(
        name: .customLong("ignore-paths"), parsing: .upToNextOption,
        help: "Paths (relative to the model, or absolute inside it) to leave out of the signature.")
    var ignorePaths: [String] = []

    @Flag(name: .customLong("no-ignore-git-paths"), help: "Also sign .git, .github, .gitignore and .gitattributes.")
    var noIgnoreGitPaths = false

    @Flag(name: .customLong("allow-symlinks"), help: "Follow symlinks and sign their targets' content.")
    var allowSymlinks = false

    func serialization(modelPath: String, signaturePath: String) throws -> ModelSerialization {
        if let shardSize, shardSize <= 0 { throw ValidationError("--shard-size must be a positive number of bytes") }
        var ignored = noIgnoreGitPaths ? [] : ModelSerialization.defaultIgnoredPaths
        for path in ignorePaths {
            guard let relative = PathRelation.relative(path, to: modelPath) else {
                throw ValidationError("Ignored path '\(path)' is not inside the model '\(modelPath)'")
            }
            ignored.append(relative)
        }
        if let relative = PathRelation.relative(signaturePath, to: modelPath), relative != "." {
            ignored.append(relative)
        }
        return ModelSerialization(
            method: shardSize.map { .shards(shardSize: $0) } ?? .files, hashAlgorithm: hashAlgorithm,
            allowSymlinks: allowSymlinks, ignoredPaths: Array(Set(ignored)).sorted())
    }
}

extension HashAlgorithm: ExpressibleByArgument {
    public init?(argument: String) { self.init(omsName: argument) }
}

/// Relating user-given paths to a model folder.
enum PathRelation {
    /// `path` relative to `root` if it lies inside it (relative inputs are taken as relative to the
    /// model when they do not exist relative to the working folder), else nil.
    static func relative(_ path: String, to root: String) -> String? {
        let rootURL = URL(fileURLWithPath: root).standardizedFileURL
        let candidate: URL
        if path.hasPrefix("/") || FileManager.default.fileExists(atPath: path) {
            candidate = URL(fileURLWithPath: path).standardizedFileURL
        } else {
            candidate = rootURL.appendingPathComponent(path).standardizedFileURL
        }
        let r = rootURL.path.hasSuffix("/") ? rootURL.path : rootURL.path + "/"
        if candidate.path == rootURL.path { return "." }
        guard candidate.path.hasPrefix(r) else { return nil }
        return String(candidate.path.dropFirst(r.count))
    }

    /// The default signature path: `PATH.sig` beside the model.
    static func defaultSignature(for model: String) -> String {
        var trimmed = model
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        if trimmed == "." || trimmed == ".." {
            return trimmed + "/../" + ModelHasher.modelName(for: trimmed) + ".sig"
        }
        return trimmed + ".sig"
    }
}

extension ModelCommand {
    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign",
            abstract: "Sign a model folder or file (OpenSSF Model Signing format, read by model-signing).",
            discussion: """
                Writes a Sigstore bundle (one-line JSON) holding a DSSE envelope over an in-toto \
                statement that lists every file's (or shard's) digest. Files are hashed in parallel \
                and streamed. The signature file is written atomically.

                Example:
                  warden model sign my-model --key keys/private.pem
                  warden model sign my-model --key keys/private.pem --signature my-model.sig --shard-size 1000000000
                """
        )

        @Argument(help: "The model folder or file.")
        var path: String

        @Option(help: "PEM private key (p256, p384, p521; ed25519 with --allow-ed25519).")
        var key: String

        @Option(help: "Where to write the signature (default: PATH.sig beside the model).")
        var signature: String?

        @Flag(help: "Allow an Ed25519 key (a Warden extension that model-signing cannot verify).")
        var allowEd25519 = false

        @OptionGroup var serializationOptions: SerializationOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let signaturePath = signature ?? PathRelation.defaultSignature(for: path)
            let signingKey = try SigningKey(file: key)
            // Refuse a key model-signing cannot verify before hashing anything.
            try ModelSigner(key: signingKey, allowNonOMSKeys: allowEd25519).checkKey()
            let serialization = try serializationOptions.serialization(modelPath: path, signaturePath: signaturePath)
            let bar = ProgressBar(label: "hashing", enabled: !output.quiet)
            let started = Date()
            let manifest = try ModelHasher(serialization: serialization).manifest(for: path) { done, total in
                bar.update(done: done, total: total)
            }
            bar.finish()
            let bundle = try ModelSigner(key: signingKey, allowNonOMSKeys: allowEd25519).sign(manifest)
            try FileIO.writeAtomically(bundle.jsonText, to: signaturePath)
            let seconds = Date().timeIntervalSince(started)
            if output.json {
                Console.json([
                    "signed": true, "model": .string(path), "signature": .string(signaturePath),
                    "root_digest": .string(manifest.rootDigest.description),
                    "resources": .int(Int64(manifest.resources.count)),
                    "serialization": .string(serialization.resourceAlgorithmName), "key_type": .string(signingKey.type.rawValue),
                    "seconds": .double(seconds),
                ] as JSONValue)
            } else {
                Console.output("Signed \(manifest.resources.count) resource(s) of '\(manifest.modelName)' (\(serialization.resourceAlgorithmName)) in \(String(format: "%.2f", seconds)) s")
                Console.output("  root digest: \(manifest.rootDigest)")
                Console.output("  signature:   \(signaturePath)")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify a model against its signature (Warden's or model-signing's).",
            discussion: """
                Exit 0 when the signature verifies with the key and every file matches; 1 when it \
                does not (the report lists added, removed and changed files with expected and actual \
                digests, or a key mismatch); 2 when the key, signature or model cannot be read.

                Example:
                  warden model verify my-model --key keys/public.pem --signature my-model.sig
                """
        )

        @Argument(help: "The model folder or file.")
        var path: String

        @Option(help: "PEM public key of the signer.")
        var key: String

        @Option(help: "The signature file (default: PATH.sig beside the model).")
        var signature: String?

        @Flag(name: .customLong("ignore-unsigned-files"), help: "Verify only the signed files; ignore files added since.")
        var ignoreUnsignedFiles = false

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let signaturePath = signature ?? PathRelation.defaultSignature(for: path)
            let publicKey = try PublicKey(file: key)
            let bundle = try SigstoreBundle(parsing: try FileIO.readAll(signaturePath, limit: 512 << 20), source: signaturePath)
            var extra: [String] = []
            if let relative = PathRelation.relative(signaturePath, to: path), relative != "." { extra.append(relative) }
            let bar = ProgressBar(label: "hashing", enabled: !output.quiet)
            let report = try ModelVerifier(key: publicKey, ignoreUnsignedFiles: ignoreUnsignedFiles).verify(
                modelAt: path, bundle: bundle, source: "'\(signaturePath)'", extraIgnoredPaths: extra
            ) { done, total in bar.update(done: done, total: total) }
            bar.finish()
            if output.json {
                try Console.json(report)
            } else if report.verified {
                Console.output("Verified: '\(report.modelName)' matches its signature (\(report.resourceCount) resource(s), \(report.serialization ?? "?"), \(report.keyType) key)")
                if let root = report.rootDigest { Console.output("  root digest: \(root)") }
            } else {
                Console.output("NOT VERIFIED: '\(report.modelName)' does not match '\(signaturePath)'")
                for failure in report.failures { Console.output("  - \(failure.summary)") }
            }
            if !report.verified { throw CheckFailed() }
        }
    }
}
