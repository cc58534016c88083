import Crypto
import Dispatch
import Foundation
import Synchronization
import WardenCore

/// Everything an SBOM says about a model: its files with digests, what its own metadata tells
/// (architecture, task, framework versions), the packages it depends on, datasets and metrics.
public struct ModelInventory: Sendable {
    public struct File: Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var sha256: String
        /// SPDX 2.3 requires a SHA-1 for every file (and the package verification code).
        public var sha1: String
        /// The format guessed from the name (`safetensors`, `onnx`, `pytorch`, `gguf`, `keras`…).
        public var format: String?
    }

    public struct Dataset: Sendable, Equatable {
        public var name: String
        public var path: String
        public var sha256: String
        public var size: Int64
    }

    public var name: String
    public var files: [File]
    /// SHA-256 of the concatenated raw file digests in path order (the OMS root for sha256 files).
    public var rootDigest: String
    public var architecture: String?
    public var architectureFamily: String?
    public var task: String?
    public var properties: [(String, String)]
    public var dependencies: [PackageDependency]
    public var datasets: [Dataset]
    public var metrics: [(String, String)]
    public var warnings: [String]

    /// Inventories the model at `path` (folder or file).
    public static func collect(
        model path: String, dependencyFiles: [String] = [], datasets: [(String, String)] = [], metrics: [(String, String)] = [],
        concurrency: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> ModelInventory {
        let entries = try FileTree(ignoredPaths: [".git", ".gitattributes", ".github", ".gitignore"]).files(under: path)
        let digests = try hash(entries.map(\.absolutePath), concurrency: concurrency)
        let isFile = FileIO.kind(of: path) == .regular
        let name = Self.name(of: path)
        let files = zip(entries, digests).map { entry, digest in
            let relative = isFile ? name : entry.relativePath
            return File(path: relative, size: entry.size, sha256: digest.sha256, sha1: digest.sha1, format: Self.format(of: relative))
        }
        let root = Digest.sha256(files.flatMap { Hex.decode($0.sha256) ?? [] }).hex
        var inventory = ModelInventory(
            name: name, files: files, rootDigest: root, architecture: nil, architectureFamily: nil, task: nil, properties: [],
            dependencies: [], datasets: [], metrics: metrics, warnings: [])
        if !isFile { try inventory.readMetadata(folder: path) }
        for file in dependencyFiles {
            let parsed = try DependencyFileParser.parse(file: file)
            inventory.dependencies += parsed.dependencies
            inventory.warnings += parsed.warnings
        }
        for (datasetName, datasetPath) in datasets {
            guard FileIO.kind(of: datasetPath) == .regular else {
                throw WardenError.notFound("The dataset '\(datasetName)' at '\(datasetPath)' is not a readable file")
            }
            let digest = try hash([datasetPath], concurrency: 1)[0]
            inventory.datasets.append(Dataset(name: datasetName, path: datasetPath, sha256: digest.sha256, size: try FileIO.size(of: datasetPath)))
        }
        inventory.dependencies = Self.unique(inventory.dependencies)
        return inventory
    }

    static func name(of path: String) -> String {
        let last = FileIO.lastComponent(of: path)
        if last.isEmpty || last == "." || last == ".." { return URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent }
        return last
    }

    /// Keeps the first of each package (pinned versions win over unpinned mentions).
    static func unique(_ dependencies: [PackageDependency]) -> [PackageDependency] {
        var byKey: [String: PackageDependency] = [:]
        var order: [String] = []
        for dependency in dependencies {
            let key = "\(dependency.ecosystem.rawValue):\(PackageDependency.normalisePyPI(dependency.name))"
            if let existing = byKey[key] {
                if existing.version == nil && dependency.version != nil { byKey[key] = dependency }
            } else {
                byKey[key] = dependency
                order.append(key)
            }
        }
        return order.map { byKey[$0]! }
    }

    static func format(of path: String) -> String? {
        let lower = path.lowercased()
        let table: [(String, String)] = [
            (".safetensors", "safetensors"), (".onnx", "onnx"), (".gguf", "gguf"), (".keras", "keras"), (".h5", "hdf5"),
            (".pt", "pytorch"), (".pth", "pytorch"), (".ckpt", "pytorch"), (".bin", "binary"), (".pkl", "pickle"),
            (".joblib", "joblib"), (".npy", "numpy"), (".npz", "numpy"), (".pb", "tensorflow"), (".tflite", "tflite"),
            (".json", "json"), (".txt", "text"), (".model", "sentencepiece"),
        ]
        return table.first { lower.hasSuffix($0.0) }?.1
    }

    /// What a Hugging Face style `config.json` and an in-folder `requirements.txt` say.
    mutating func readMetadata(folder: String) throws {
        let config = folder + "/config.json"
        if FileIO.kind(of: config) == .regular {
            switch Self.readJSON(config) {
            case .success(let json): readConfig(json)
            case .failure(let error): warnings.append("config.json could not be read: \(error.message)")
            }
        }
        let requirements = folder + "/requirements.txt"
        if FileIO.kind(of: requirements) == .regular {
            let parsed = try DependencyFileParser.parse(file: requirements)
            dependencies += parsed.dependencies.map { var d = $0; d.source = "requirements.txt"; return d }
            warnings += parsed.warnings
        }
    }

    static func readJSON(_ path: String) -> Result<JSONValue, WardenError> {
        Result { () throws(WardenError) -> JSONValue in
            try JSONParser(maxDepth: 64, maxBytes: 32 << 20).parse(try FileIO.readAll(path, limit: 32 << 20), source: "'\(path)'")
        }
    }

    mutating func readConfig(_ json: JSONValue) {
        if let architectures = json["architectures"]?.arrayValue?.compactMap(\.stringValue), let first = architectures.first {
            architecture = first
            task = Self.task(forArchitecture: first)
        }
        architectureFamily = json["model_type"]?.stringValue
        if let version = json["transformers_version"]?.stringValue {
            dependencies.append(PackageDependency(ecosystem: .pypi, name: "transformers", version: version, source: "config.json"))
        }
        for key in ["torch_dtype", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_labels"] {
            if let value = json[key] { properties.append(("config.\(key)", value.stringValue ?? value.canonicalString)) }
        }
        if let explicitTask = json["task"]?.stringValue ?? json["pipeline_tag"]?.stringValue { task = explicitTask }
    }

    /// The task a transformers architecture name implies.
    static func task(forArchitecture name: String) -> String? {
        let suffixes: [(String, String)] = [
            ("ForSequenceClassification", "text-classification"), ("ForTokenClassification", "token-classification"),
            ("ForQuestionAnswering", "question-answering"), ("ForCausalLM", "text-generation"), ("ForMaskedLM", "fill-mask"),
            ("ForConditionalGeneration", "text2text-generation"), ("ForImageClassification", "image-classification"),
            ("ForObjectDetection", "object-detection"), ("ForSpeechSeq2Seq", "automatic-speech-recognition"),
            ("ForMultipleChoice", "multiple-choice"),
        ]
        return suffixes.first { name.hasSuffix($0.0) }?.1
    }

    /// SHA-256 and SHA-1 of each file in one streaming pass, on every core.
    static func hash(_ paths: [String], concurrency: Int) throws -> [(sha256: String, sha1: String)] {
        let results = Mutex([(String, String)?](repeating: nil, count: paths.count))
        let failure = Mutex<(any Error)?>(nil)
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(max(1, concurrency), max(1, paths.count))) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < paths.count, failure.withLock({ $0 == nil }) else { return }
                do {
                    var sha256 = SHA256()
                    var sha1 = Insecure.SHA1()
                    try FileIO.forEachChunk(of: paths[index]) { chunk in
                        sha256.update(bufferPointer: chunk)
                        sha1.update(bufferPointer: chunk)
                    }
                    let pair = (Hex.encode(sha256.finalize()), Hex.encode(sha1.finalize()))
                    results.withLock { $0[index] = pair }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.withLock { $0.map { ($0!.0, $0!.1) } }
    }
}
