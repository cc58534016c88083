import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import WardenAnalysis
import WardenCore

/// A classifier behind an Open Inference Protocol (KServe v2) endpoint — `warden serve --model`,
/// KServe, Triton — for black-box attacks: `GET /v2/models/NAME` gives the input's name, datatype and
/// shape, and every `scores` call is `POST /v2/models/NAME/infer` with the rows as one FP32 tensor
/// (at most `rowsPerRequest` rows per request). Queries are counted (rows sent). A 429 is retried
/// after its `Retry-After` (at most `maxRetryWait` seconds each, `maxRetries` times); other errors
/// are one-line messages naming the endpoint, never echoing the token.
///
/// Scores are the first output of shape `[N, classes]`, or the one `--output` names; when every
/// row of the first answer is non-negative and sums to 1 (probabilities), the scores are their
/// logarithms, as for a Softmax ONNX output.
final class OIPClassifier: QueryableClassifier {
    let endpoint: String
    let modelName: String
    let token: String?
    let inputName: String
    let outputName: String
    let width: Int
    let classCount: Int
    let exampleShape: [Int]
    let outputIsProbability: Bool
    let rowsPerRequest: Int
    let maxRetries: Int
    let maxRetryWait: Double
    let timeout: TimeAmount = .seconds(60)
    /// Waits before a retry (injected in tests).
    let sleep: @Sendable (Double) -> Void
    private let counter = Mutex(0)

    /// Rows sent so far.
    var queries: Int { counter.withLock { $0 } }

    /// Reads the model's metadata (within `connectTimeout`) and probes it with one row of zeros (not counted as a query).
    /// - Throws: `.invalidInput` for a malformed URL, an unknown model, a refused token or metadata
    ///   without one float input; `.io` for an endpoint that cannot be reached.
    init(
        endpoint: String, model: String, token: String?, output: String? = nil, rowsPerRequest: Int = 64, maxRetries: Int = 5, maxRetryWait: Double = 10,
        connectTimeout: TimeAmount = .seconds(10), sleep: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    ) throws {
        guard let url = URL(string: endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw WardenError.invalidInput("The endpoint '\(endpoint)' is not an http(s) URL (for example http://127.0.0.1:8080)")
        }
        guard !model.isEmpty, !model.split(separator: "/", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
            throw WardenError.invalidInput("--model-name must name a model, got '\(model)'")
        }
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.modelName = model
        self.token = token
        self.sleep = sleep
        self.rowsPerRequest = max(rowsPerRequest, 1)
        self.maxRetries = maxRetries
        self.maxRetryWait = maxRetryWait
        // AsyncHTTPClient retries a refused connection until the deadline: the first call's is short,
        // so an unreachable endpoint is reported within `connectTimeout`.
        let metadata = try Self.send(.GET, Self.modelURL(self.endpoint, model), body: nil, token: token, endpoint: self.endpoint, model: model, timeout: connectTimeout,
                                     retries: maxRetries, maxWait: maxRetryWait, sleep: sleep)
        guard let inputs = metadata["inputs"]?.arrayValue, inputs.count == 1, let input = inputs.first, let name = input["name"]?.stringValue,
              let shape = input["shape"]?.arrayValue?.compactMap({ $0.intValue.map(Int.init) }), !shape.isEmpty
        else {
            throw WardenError.invalidInput("Model '\(model)' at '\(self.endpoint)' does not have exactly one input with a name and a shape; attacks send one tensor of rows")
        }
        guard let datatype = input["datatype"]?.stringValue, ["FP32", "FP64", "FP16"].contains(datatype) else {
            throw WardenError.invalidInput("Model '\(model)''s input '\(name)' is \(input["datatype"]?.stringValue ?? "untyped"), not floating point; attacks perturb float inputs")
        }
        let example = shape.first == -1 ? Array(shape.dropFirst()) : shape
        guard !example.isEmpty, example.allSatisfy({ $0 > 0 }), example.reduce(1, *) <= 1 << 24 else {
            throw WardenError.invalidInput("Model '\(model)''s input '\(name)' has shape \(shape); attacks need a batch dimension and fixed example dimensions")
        }
        inputName = name
        exampleShape = example
        width = example.reduce(1, *)
        let names = metadata["outputs"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        if let output, !names.contains(output) {
            throw WardenError.invalidInput("Model '\(model)' has no output '\(output)' (outputs: \(names.joined(separator: ", ")))")
        }
        let probe = try Self.infer(
            endpoint: self.endpoint, model: model, token: token, input: name, shape: [1] + example, rows: [Float](repeating: 0, count: width), output: output,
            timeout: timeout, retries: maxRetries, maxWait: maxRetryWait, sleep: sleep)
        guard let scored = probe.first(where: { output == nil || $0.name == output }) else {
            throw WardenError.invalidInput("Model '\(model)' answered with no float output of shape [N, classes] to attack (outputs: \(names.joined(separator: ", ")))")
        }
        outputName = scored.name
        classCount = scored.classes
        outputIsProbability = scored.values.allSatisfy { $0 >= 0 && $0 <= 1 } && abs(scored.values.reduce(0, +) - 1) < 1e-3
    }

    func scores(_ x: [Float], rows: Int) throws -> [Float] {
        var scores: [Float] = []
        scores.reserveCapacity(rows * classCount)
        var start = 0
        while start < rows {
            let end = min(rows, start + rowsPerRequest)
            let answer = try Self.infer(
                endpoint: endpoint, model: modelName, token: token, input: inputName, shape: [end - start] + exampleShape,
                rows: Array(x[(start * width)..<(end * width)]), output: outputName, timeout: timeout, retries: maxRetries, maxWait: maxRetryWait, sleep: sleep)
            guard let output = answer.first(where: { $0.name == outputName }), output.classes == classCount, output.values.count == (end - start) * classCount else {
                throw WardenError.invalidInput("Model '\(modelName)' at '\(endpoint)' answered \(end - start) rows without \(classCount) scores each in '\(outputName)'")
            }
            scores += outputIsProbability ? output.values.map { log(Swift.max($0, 1e-30)) } : output.values
            counter.withLock { $0 += end - start }
            start = end
        }
        return scores
    }

    static func modelURL(_ endpoint: String, _ model: String) -> String {
        endpoint + "/v2/models/" + model.split(separator: "/", omittingEmptySubsequences: false).map { RegistryClient.percentEncoded(String($0)) }.joined(separator: "/")
    }

    /// One inference call: the float outputs of shape `[rows, classes]` the answer holds.
    static func infer(
        endpoint: String, model: String, token: String?, input: String, shape: [Int], rows: [Float], output: String?, timeout: TimeAmount, retries: Int,
        maxWait: Double, sleep: @Sendable (Double) -> Void
    ) throws -> [(name: String, classes: Int, values: [Float])] {
        var body = "{\"inputs\": [{\"name\": \(JSONValue.string(input).compactString), \"shape\": [\(shape.map(String.init).joined(separator: ","))], \"datatype\": \"FP32\", \"data\": ["
        body += rows.map { "\($0)" }.joined(separator: ",") + "]}]"
        if let output { body += ", \"outputs\": [{\"name\": \(JSONValue.string(output).compactString)}]" }
        body += "}"
        let answer = try send(.POST, modelURL(endpoint, model) + "/infer", body: body, token: token, endpoint: endpoint, model: model, timeout: timeout,
                              retries: retries, maxWait: maxWait, sleep: sleep)
        let batch = shape[0]
        return (answer["outputs"]?.arrayValue ?? []).compactMap { tensor in
            guard let name = tensor["name"]?.stringValue, let dims = tensor["shape"]?.arrayValue?.compactMap({ $0.intValue.map(Int.init) }), dims.count == 2, dims[0] == batch, dims[1] >= 2,
                  let data = tensor["data"]?.arrayValue
            else { return nil }
            let values = data.compactMap { value in value.doubleValue.map { Float($0) } }
            guard values.count == dims[0] * dims[1] else { return nil }
            return (name, dims[1], values)
        }
    }

    /// A request with the token, retried after a 429's Retry-After; the answer's JSON.
    static func send(
        _ method: HTTPMethod, _ url: String, body: String?, token: String?, endpoint: String, model: String, timeout: TimeAmount, retries: Int, maxWait: Double,
        sleep: @Sendable (Double) -> Void
    ) throws -> JSONValue {
        var attempt = 0
        while true {
            var headers = HTTPHeaders([("User-Agent", "warden/\(Warden.version)"), ("Content-Type", "application/json")])
            if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
            let request: HTTPClient.Request
            do {
                request = try HTTPClient.Request(url: url, method: method, headers: headers, body: body.map { .string($0) })
            } catch {
                throw WardenError.invalidInput("'\(url)' is not a URL Warden can call: \(error)")
            }
            let response: HTTPClient.Response
            do {
                response = try HTTPClient.shared.execute(request: request, deadline: .now() + timeout).wait()
            } catch {
                throw WardenError.io("Cannot reach the inference endpoint '\(endpoint)' (\(error)); check the URL and that the server (e.g. `warden serve --model NAME=PATH.onnx`) is running")
            }
            let text = response.body.map { String(buffer: $0) } ?? ""
            let json = try? JSONParser(maxDepth: 32, maxBytes: 256 << 20).parse(Array(text.utf8), source: "the endpoint's answer")
            let message = (json?["error"]?.stringValue ?? String(text.prefix(200))).replacingOccurrences(of: "\n", with: " ")
            switch response.status.code {
            case 200..<300:
                guard let json else { throw WardenError.invalidInput("'\(endpoint)' answered \(url.dropFirst(endpoint.count)) with something that is not JSON") }
                return json
            case 429:
                let wait = response.headers.first(name: "Retry-After").flatMap(Double.init) ?? 1
                guard attempt < retries, wait <= maxWait else {
                    throw WardenError.invalidInput(
                        "'\(endpoint)' rate-limits these queries (429: \(message)); \(attempt < retries ? "it asks to wait \(Int(wait)) s, more than \(Int(maxWait)) s" : "still limited after \(retries) retries"); lower the query budget or raise the server's rate limit")
                }
                attempt += 1
                sleep(max(wait, 0))
            case 401, 403:
                throw WardenError.invalidInput("'\(endpoint)' refused the request (\(response.status.code): \(message)); pass --token with a token allowed to run model '\(model)'")
            case 404:
                throw WardenError.notFound("'\(endpoint)' has no model '\(model)' (404: \(message)); check --model-name")
            default:
                throw WardenError.invalidInput("'\(endpoint)' answered \(response.status.code) for model '\(model)': \(message)")
            }
        }
    }
}
