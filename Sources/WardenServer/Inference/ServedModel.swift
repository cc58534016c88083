import WardenCore
import WardenGuard
import WardenModels

/// A model the gateway runs: its compiled session, its schema, and where it came from.
struct ServedModel: Sendable {
    /// The name clients use (`/v2/models/{name}`).
    var name: String
    /// The version clients see (`"1"` for a `--model` file, the registry version otherwise).
    var version: String
    var session: ONNXSession
    var schema: ModelSchema
    /// The ONNX file's digest.
    var digest: Digest
    /// The registry model, when it came from the registry (its attributes decide access).
    var registered: Bool

    /// Loads and compiles an ONNX file (`--model`).
    /// - Throws: `.invalidInput`/`.unsupported` for a file Warden cannot run; `.io` when unreadable.
    static func load(name: String, version: String, path: String) throws -> ServedModel {
        let model = try ONNXModel(contentsOf: path)
        return try ServedModel(name: name, version: version, model: model, digest: try Digest.sha256(ofFile: path), registered: false)
    }

    /// Compiles a registry artefact's bytes, checking them against the digest they are stored under.
    /// - Throws: 409 when the bytes are not `digest`'s; as ``load(name:version:path:)`` otherwise.
    static func load(name: String, version: String, bytes: [UInt8], digest: Digest) throws -> ServedModel {
        guard Digest.sha256(bytes) == digest else {
            throw InferenceError(.conflict, "\(name)/\(version) is not served: its stored artefact does not match its digest (changed on disk)", reason: "tampered")
        }
        let model = try ONNXModel(bytes: bytes, source: "\(name)/\(version)")
        return try ServedModel(name: name, version: version, model: model, digest: digest, registered: true)
    }

    init(name: String, version: String, model: ONNXModel, digest: Digest, registered: Bool) throws {
        self.name = name
        self.version = version
        session = try ONNXSession(model: model)
        schema = try ModelSchema(model: model)
        self.digest = digest
        self.registered = registered
    }

    /// The runtime's outputs for validated inputs, as protocol tensors in the model's output order.
    /// - Throws: `.invalidInput` when the graph fails on these values (the error names the node).
    func predict(_ inputs: [InferenceTensor], outputs requested: [String]?) throws -> [InferenceTensor] {
        var feeds: [String: ONNXValue] = [:]
        for input in inputs { feeds[input.name] = try input.onnxValue() }
        let results = try session.run(feeds)
        let names = requested ?? schema.outputs.map(\.name)
        return try names.map { name in
            guard let value = results[name] else { throw WardenError.invalidInput("'\(InputValidator.clean(name))' is not an output of model '\(self.name)'") }
            return InferenceTensor(name: name, value)
        }
    }
}
