import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import WardenCore
import WardenGuard

/// The HTTP side of a proxied model (upstream mode): reads the upstream model's metadata, asks
/// whether it is ready, and runs inferences on it. Only inputs the gateway has validated are sent
/// (re-encoded, never the client's body); every answer is bounded in time (`timeout`) and size
/// (`maxResponseBytes`), parsed, and its outputs checked against the metadata before anything
/// reaches a client. Failures are 502 (unreachable, an error status, an answer that is not a valid
/// inference response) or 504 (no answer in time), with a message that does not echo the upstream's
/// body or address.
final class UpstreamClient: Sendable {
    /// The served name.
    let name: String
    let upstream: InferenceConfiguration.Upstream
    /// The last failed metadata read and when (monotonic seconds): repeated for a second, so a down
    /// upstream is not asked once per waiting request.
    private let lastFailure = Mutex<(at: ContinuousClock.Instant, error: InferenceError)?>(nil)

    init(name: String, upstream: InferenceConfiguration.Upstream) {
        self.name = name
        self.upstream = upstream
    }

    /// Connections to upstreams: a short connect timeout so that an upstream that refuses
    /// connections is a prompt 502 (AsyncHTTPClient retries refused connections until it).
    static let http = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2)), decompression: .disabled))

    /// Largest metadata answer read.
    static let maxMetadataBytes = 1 << 20
    /// Limits on the tensors of an upstream answer (besides `maxResponseBytes`).
    static let outputLimits = InputLimits(maxBatch: Int.max, maxElements: 1 << 24, maxRank: 16)

    // MARK: Metadata and readiness

    /// The upstream model as a ``ServedModel``: its schema from its metadata (inputs must be of a
    /// datatype the gateway validates; FP64 outputs are returned as FP32), its version, and a digest
    /// of the upstream URL and schema (the `model_digest` of the prediction audit).
    /// - Throws: ``InferenceError`` 502/504 when the metadata cannot be read or is not usable.
    func load() async throws -> ServedModel {
        if let failure = lastFailure.withLock({ $0 }), ContinuousClock.now - failure.at < .seconds(1) { throw failure.error }
        do {
            let (status, body) = try await call(.GET, upstream.modelURL, body: nil, limit: Self.maxMetadataBytes, what: "metadata")
            guard status == 200 else { throw Self.statusError(status, body, name: name, what: "its metadata") }
            let model = ServedModel(upstream: self, metadata: try metadata(try parse(body, what: "metadata")))
            lastFailure.withLock { $0 = nil }
            return model
        } catch let error as InferenceError {
            lastFailure.withLock { $0 = (ContinuousClock.now, error) }
            throw error
        }
    }

    /// Whether the upstream says the model is ready (`GET …/ready` answers 200 and, when it sends
    /// JSON with `ready`, that is true).
    func isReady() async -> Bool {
        guard let answer = try? await call(.GET, upstream.modelURL + "/ready", body: nil, limit: 64 << 10, what: "readiness"), answer.0 == 200 else {
            return false
        }
        let body = answer.1
        guard !body.isEmpty, let json = try? JSONParser(maxDepth: 4, maxBytes: 64 << 10).parse(body, source: "ready"), case .object = json,
            let ready = json["ready"]
        else { return true }
        return ready.boolValue == true
    }

    /// The schema, version and platform an upstream metadata document declares.
    struct Metadata {
        var schema: ModelSchema
        var version: String
        var platform: String
        var digest: Digest
    }

    /// Checks a metadata document: `inputs` and `outputs` lists of `{name, datatype, shape}`.
    func metadata(_ json: JSONValue) throws -> Metadata {
        func specs(_ key: String) throws -> [TensorSpec] {
            guard let items = json[key]?.arrayValue, !items.isEmpty, items.count <= InferenceRequest.maxTensors else {
                throw invalid("its metadata has no '\(key)' list (1–\(InferenceRequest.maxTensors) tensors)")
            }
            var seen = Set<String>()
            return try items.map { item in
                guard let tensor = item["name"]?.stringValue, !tensor.isEmpty, tensor.utf8.count <= 256, seen.insert(tensor).inserted else {
                    throw invalid("its metadata lists \(key) without a name, or a name twice")
                }
                let label = InputValidator.clean(tensor)
                guard let typeName = item["datatype"]?.stringValue, var datatype = TensorDatatype(name: typeName) else {
                    throw invalid("\(key) '\(label)' has no known datatype")
                }
                if key == "outputs", datatype == .fp64 { datatype = .fp32 }
                guard datatype.isSupported else {
                    throw invalid("\(key) '\(label)' is \(datatype); the gateway checks FP32, INT64, INT32, UINT8 and BOOL tensors (and FP64 outputs)")
                }
                guard let dims = item["shape"]?.arrayValue, dims.count <= 16 else { throw invalid("\(key) '\(label)' has no shape list") }
                let shape = try dims.map { dim -> Int in
                    guard let value = dim.intValue, value >= -1, value <= Int64(1 << 24) else { throw invalid("\(key) '\(label)' has a bad dimension") }
                    return Int(value)
                }
                return TensorSpec(name: tensor, datatype: datatype, shape: shape)
            }
        }
        guard case .object = json else { throw invalid("its metadata is not a JSON object") }
        let schema = ModelSchema(inputs: try specs("inputs"), outputs: try specs("outputs"))
        let versions = json["versions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let version = upstream.version ?? versions.first.map { InputValidator.clean(String($0.prefix(64))) } ?? "1"
        let platform = json["platform"]?.stringValue.map { InputValidator.clean(String($0.prefix(64))) } ?? "upstream"
        func describe(_ spec: TensorSpec) -> JSONValue {
            ["name": .string(spec.name), "datatype": .string(spec.datatype.name), "shape": .array((spec.shape ?? []).map { .int(Int64($0)) })]
        }
        let identity: JSONValue = [
            "upstream": .string(upstream.modelURL), "version": .string(version), "inputs": .array(schema.inputs.map(describe)),
            "outputs": .array(schema.outputs.map(describe)),
        ]
        return Metadata(schema: schema, version: version, platform: platform, digest: Digest.sha256(identity.canonicalBytes))
    }

    // MARK: Inference

    /// Runs validated inputs on the upstream model and returns its outputs (`requested`, or all the
    /// metadata lists, in that order) after checking them: each a tensor the metadata declares, of
    /// its datatype and shape, with `rows` rows when batched, and nothing else.
    /// - Throws: ``InferenceError`` 502/504.
    func infer(_ inputs: [InferenceTensor], outputs requested: [String]?, schema: ModelSchema, rows: Int, id: String? = nil) async throws -> [InferenceTensor] {
        var request: [(String, JSONValue)] = []
        if let id { request.append(("id", .string(id))) }
        request.append(("inputs", .array(inputs.map(InferenceAPI.json))))
        if let requested { request.append(("outputs", .array(requested.map { ["name": .string($0)] }))) }
        let body = Array(JSONValue.object(request).compactString.utf8)
        let (status, answer) = try await call(.POST, upstream.modelURL + "/infer", body: body, limit: upstream.maxResponseBytes, what: "inference")
        guard status == 200 else { throw Self.statusError(status, answer, name: name, what: "the inference") }
        let json = try parse(answer, what: "inference answer")
        guard let items = json["outputs"]?.arrayValue, items.count <= InferenceRequest.maxTensors else {
            throw invalid("its inference answer has no 'outputs' list")
        }
        var received: [String: InferenceTensor] = [:]
        var total = 0
        for var item in items {
            if item["datatype"]?.stringValue == "FP64", case .object(var members) = item {
                for index in members.indices where members[index].0 == "datatype" { members[index].1 = "FP32" }
                item = .object(members)
            }
            let tensor = try output(item, total: &total)
            guard received.updateValue(tensor, forKey: tensor.name) == nil else { throw invalid("its inference answer has output '\(InputValidator.clean(tensor.name))' twice") }
        }
        let wanted = requested ?? schema.outputs.map(\.name)
        return try wanted.map { output in
            let label = InputValidator.clean(output)
            guard let spec = schema.outputs.first(where: { $0.name == output }) else { throw invalid("'\(label)' is not an output its metadata lists") }
            guard let tensor = received[output] else { throw invalid("its inference answer lacks output '\(label)'") }
            guard tensor.datatype == spec.datatype else {
                throw invalid("its output '\(label)' is \(tensor.datatype), its metadata says \(spec.datatype)")
            }
            if let shape = spec.shape {
                let fits = shape.count == tensor.shape.count && zip(shape, tensor.shape).allSatisfy { $0 == -1 || $0 == $1 }
                guard fits else { throw invalid("its output '\(label)' has shape \(InferenceRequest.text(tensor.shape)), its metadata says \(spec.shapeDescription)") }
                if spec.hasBatchDimension, schema.inputs.contains(where: \.hasBatchDimension), tensor.shape.first != rows {
                    throw invalid("its output '\(label)' has \(tensor.shape.first ?? 0) rows for \(rows) input rows")
                }
            }
            return tensor
        }
    }

    /// One output of an answer, decoded as strictly as a request's inputs.
    func output(_ item: JSONValue, total: inout Int) throws -> InferenceTensor {
        do {
            return try InferenceRequest.tensor(item, limits: Self.outputLimits, total: &total)
        } catch {
            throw invalid("its inference answer has a bad output: " + error.message.replacingOccurrences(of: "input '", with: "output '"))
        }
    }

    // MARK: HTTP

    /// One call within `upstream.timeout`, its answer read up to `limit` bytes.
    func call(_ method: HTTPMethod, _ url: String, body: [UInt8]?, limit: Int, what: String) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "warden-gateway/\(InferenceAPI.serverVersion)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let seconds = upstream.timeout
        let name = self.name
        let prepared = request
        do {
            return try await InferenceAPI.within(seconds: seconds, timeout: Self.timedOut(name, what, seconds)) {
                let response = try await Self.http.execute(prepared, timeout: .milliseconds(Int64(seconds * 1000)))
                if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                    throw Self.tooLarge(name, what, limit)
                }
                let buffer: ByteBuffer
                do {
                    buffer = try await response.body.collect(upTo: limit)
                } catch is NIOTooManyBytesError {
                    throw Self.tooLarge(name, what, limit)
                }
                return (Int(response.status.code), Array(buffer.readableBytesView))
            }
        } catch let error as InferenceError {
            throw error
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout].contains(error) {
            throw Self.timedOut(name, what, seconds)
        } catch {
            throw InferenceError(
                .badGateway, "the upstream model server of '\(name)' could not be reached for \(what) (\(Self.describe(error)))", reason: "upstream_unavailable")
        }
    }

    func parse(_ body: [UInt8], what: String) throws -> JSONValue {
        do {
            return try JSONParser(maxDepth: 24, maxBytes: max(upstream.maxResponseBytes, Self.maxMetadataBytes)).parse(body, source: "the upstream's \(what)")
        } catch {
            throw invalid("its \(what) is not JSON")
        }
    }

    func invalid(_ detail: String) -> InferenceError {
        InferenceError(.badGateway, "the upstream model server of '\(name)' answered badly: \(detail)", reason: "upstream_invalid")
    }

    static func timedOut(_ name: String, _ what: String, _ seconds: Double) -> InferenceError {
        InferenceError(
            .gatewayTimeout, "the upstream model server of '\(name)' did not answer the \(what) within \(InferenceMetrics.number(seconds)) s",
            reason: "upstream_timeout")
    }

    static func tooLarge(_ name: String, _ what: String, _ limit: Int) -> InferenceError {
        InferenceError(.badGateway, "the upstream model server of '\(name)' sent a \(what) answer over \(limit) bytes", reason: "upstream_invalid")
    }

    /// A non-200 answer: its status and, when it is OIP error JSON, the cleaned start of its message.
    static func statusError(_ status: Int, _ body: [UInt8], name: String, what: String) -> InferenceError {
        var message = "the upstream model server of '\(name)' refused \(what) with HTTP \(status)"
        if let json = try? JSONParser(maxDepth: 4, maxBytes: 64 << 10).parse(Array(body.prefix(64 << 10)), source: "error"),
            let text = json["error"]?.stringValue, !text.isEmpty
        {
            message += ": " + sanitized(String(text.prefix(200)))
        }
        return InferenceError(.badGateway, message, reason: "upstream_error")
    }

    /// An upstream's text as the gateway repeats it: letters, digits, spaces and plain punctuation only.
    static func sanitized(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil || " .,:;_-'()/=".unicodeScalars.contains($0) }))
    }

    /// A short, address-free description of a transport error.
    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            if client == .connectTimeout { return "no connection within 2 s" }
            if client == .remoteConnectionClosed { return "connection closed" }
        }
        if error is CancellationError { return "cancelled" }
        let text = String(describing: error)
        if text.localizedCaseInsensitiveContains("refused") { return "connection refused" }
        if text.localizedCaseInsensitiveContains("closed") || text.localizedCaseInsensitiveContains("reset") { return "connection closed" }
        return "transport error"
    }
}
