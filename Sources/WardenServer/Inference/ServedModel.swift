import WardenCore
import WardenGuard
import WardenModels

/// A model the gateway serves: where its predictions come from (a compiled ONNX session, or an
/// external KServe-v2 server in upstream mode), its schema, and where it came from.
struct ServedModel: Sendable {
    /// What runs the model.
    enum Backend: Sendable {
        /// The native ONNX runtime.
        case onnx(ONNXSession)
        /// An external Open Inference Protocol server (`--upstream`).
        case upstream(UpstreamClient)
    }

    /// The name clients use (`/v2/models/{name}`).
    var name: String
    /// The version clients see (`"1"` for a `--model` file, the registry version otherwise; an
    /// upstream's own version).
    var version: String
    var backend: Backend
    var schema: ModelSchema
    /// The ONNX file's digest; for an upstream model, the digest of its URL and schema.
    var digest: Digest
    /// The registry model, when it came from the registry (its attributes decide access).
    var registered: Bool
    /// `platform` of the model metadata.
    var platform: String = "onnx"

    /// Whether feature squeezing may run the model on squeezed rows (always for ONNX models; for
    /// upstream models only when configured, as each squeezed batch is another upstream call).
    var squeezes: Bool {
        if case .upstream(let client) = backend { return client.upstream.squeeze }
        return true
    }

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
        backend = .onnx(try ONNXSession(model: model))
        schema = try ModelSchema(model: model)
        self.digest = digest
        self.registered = registered
    }

    /// A proxied model, as its upstream's metadata describes it.
    init(upstream client: UpstreamClient, metadata: UpstreamClient.Metadata) {
        name = client.name
        version = metadata.version
        backend = .upstream(client)
        schema = metadata.schema
        digest = metadata.digest
        registered = false
        platform = metadata.platform
    }

    /// The model's outputs for validated inputs, as protocol tensors in the model's output order
    /// (or `requested`'s).
    /// - Throws: `.invalidInput` when the graph fails on these values (the error names the node);
    ///   for an upstream model, 502/504 ``InferenceError``s.
    func predict(_ inputs: [InferenceTensor], outputs requested: [String]?, id: String? = nil) async throws -> [InferenceTensor] {
        switch backend {
        case .onnx(let session):
            var feeds: [String: ONNXValue] = [:]
            for input in inputs { feeds[input.name] = try input.onnxValue() }
            let results = try session.run(feeds)
            let names = requested ?? schema.outputs.map(\.name)
            return try names.map { name in
                guard let value = results[name] else { throw WardenError.invalidInput("'\(InputValidator.clean(name))' is not an output of model '\(self.name)'") }
                return InferenceTensor(name: name, value)
            }
        case .upstream(let client):
            return try await client.infer(inputs, outputs: requested, schema: schema, rows: InferenceAPI.rows(inputs, schema), id: id)
        }
    }
}
