import Foundation
import Hummingbird
import WardenCore
import WardenGuard
import WardenRegistry

/// The Open Inference Protocol (KServe v2) REST API on the registry server:
/// `GET /v2/health/live|ready`, `GET /v2`, `GET /v2/models/{name}[/versions/{v}][/ready]`,
/// `POST /v2/models/{name}[/versions/{v}]/infer`, and `GET /metrics`.
/// Every inference is authenticated (registry tokens; anonymous only for `--model` files when
/// configured), rate-limited and budgeted per principal, validated against the model's schema,
/// and audited. Errors are `{"error": "…"}` with 400/401/403/404/409/413/429.
struct InferenceAPI: Sendable {
    let server: RegistryServer
    let repository: ModelRepository
    let limiter: RateLimiter
    let metrics: InferenceMetrics
    let extraction: ExtractionDetector?
    let alerts: AlertSink
    let adversarial: AdversarialGuard?
    let reviews: ReviewQueue
    let concurrency: ConcurrencyLimiter
    let incidents: IncidentLog
    let blocklist: ClientBlocklist
    /// The blocks, incidents and fallbacks kept in the store across restarts.
    let blocks: GuardPersistence
    let routes: ServingRoutes
    let drift: DriftMonitor?

    var configuration: InferenceConfiguration { server.configuration.inference }

    init(server: RegistryServer) {
        self.server = server
        repository = ModelRepository(
            registry: server.registry, artefacts: server.artefacts, configuration: server.configuration.inference, trustedKeys: server.trustedKeys)
        limiter = RateLimiter(policy: server.configuration.inference.rate, clock: server.registry.clock)
        metrics = InferenceMetrics()
        extraction = server.configuration.inference.extraction.map { ExtractionDetector(policy: $0, clock: server.registry.clock) }
        let inference = server.configuration.inference
        alerts = AlertSink(
            path: inference.alertsFile, clock: server.registry.clock, cefPath: inference.cefFile,
            cef: CEFFormatter(version: Self.serverVersion, syslogHost: inference.cefSyslogHost),
            webhook: inference.webhook.map { WebhookQueue(policy: $0.policy, transport: WebhookTransport.post(to: $0.url)) })
        incidents = IncidentLog()
        blocklist = ClientBlocklist()
        routes = ServingRoutes(splits: inference.splits.compactMapValues { try? TrafficSplit($0) })
        blocks = GuardPersistence(
            store: server.registry.store, blocklist: blocklist, incidents: incidents, routes: routes, fallbacks: inference.playbook.fallbacks,
            clock: server.registry.clock)
        drift = inference.drift.map { DriftMonitor(policy: $0, references: inference.references) }
        adversarial = server.configuration.inference.adversarial.map { AdversarialGuard(policy: $0, references: server.configuration.inference.references) }
        reviews = ReviewQueue()
        concurrency = ConcurrencyLimiter(limit: server.configuration.inference.maxConcurrent)
    }

    func add(to router: Router<WardenRequestContext>) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: self.metrics.text() + self.sinkMetrics() + (self.drift?.text() ?? ""))))
        }
        let v2 = router.group("/v2").add(middleware: InferenceMiddleware(server: server, metrics: metrics))
        v2.get("") { _, _ in
            JSONResponse.make(["name": "warden", "version": .string(Self.serverVersion), "extensions": []])
        }
        v2.get("/health/live") { _, _ in JSONResponse.make(["live": true]) }
        v2.get("/health/ready") { _, _ in
            let ready = await self.repository.ready()
            return JSONResponse.make(["ready": .bool(ready)], status: ready ? .ok : .badRequest)
        }
        v2.get("/guard/reviews") { request, context in try await self.listReviews(request, context) }
        v2.post("/guard/reviews/:id/resolve") { request, context in try await self.resolveReview(request, context) }
        addIncidentRoutes(to: v2)
        for prefix in ["/models/:name", "/models/:name/versions/:version"] {
            v2.get(RouterPath(prefix)) { _, context in try await self.metadata(context) }
            v2.get(RouterPath(prefix + "/ready")) { _, context in
                let model = try await self.model(context)
                let name = JSONValue.string(try context.parameters.require("name"))
                // A proxied model is ready when its upstream reads and says so now.
                if case .upstream = model.backend, !(await self.repository.upstreamReady(model.name)) {
                    return JSONResponse.make(["name": name, "ready": false], status: .serviceUnavailable)
                }
                return JSONResponse.make(["name": name, "ready": true])
            }
            v2.post(RouterPath(prefix + "/infer")) { request, context in try await self.infer(request, context) }
        }
    }

    /// Routes that need no token (probes, server metadata, metrics).
    static let openPaths: Set<String> = ["/v2", "/v2/health/live", "/v2/health/ready", "/metrics"]

    /// Reported in `GET /v2`.
    static let serverVersion = "0.1.0"

    /// The model a request names, after fallbacks and traffic splits (only a bare name without
    /// an explicit version is rerouted).
    func model(_ context: WardenRequestContext) async throws -> ServedModel {
        let name = try context.parameters.require("name")
        try await restoreBlocks(context)  // fallbacks kept from before a restart
        if let version = context.parameters.get("version") {
            return try await repository.resolve(name, version: version, principal: context.principal)
        }
        let route = routes.route(name)
        let model = try await repository.resolve(route.name, version: route.version, principal: context.principal)
        if let target = route.target { metrics.countSplit(name, target: target) }
        return model
    }

    func metadata(_ context: WardenRequestContext) async throws -> Response {
        let model = try await model(context)
        func json(_ spec: TensorSpec) -> JSONValue {
            ["name": .string(spec.name), "datatype": .string(spec.datatype.name), "shape": .array((spec.shape ?? [-1]).map { .int(Int64($0)) })]
        }
        return JSONResponse.make([
            "name": .string(model.name), "versions": [.string(model.version)], "platform": .string(model.platform),
            "inputs": .array(model.schema.inputs.map(json)), "outputs": .array(model.schema.outputs.map(json)),
        ])
    }

    func infer(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        try await refuseBlocked(context, model: try context.parameters.require("name"))
        let model = try await model(context)
        guard concurrency.enter() else {
            await emit("overload", context, model: model.name, details: ["limit": .int(Int64(concurrency.limit))])
            throw InferenceError(
                .serviceUnavailable, "the gateway is at its limit of \(concurrency.limit) concurrent inference requests; retry shortly", reason: "overloaded",
                retryAfter: 1)
        }
        defer { concurrency.leave() }
        let client = context.principal?.id ?? "anonymous"
        do {
            try extraction?.admit(client)
            try limiter.admit(client)
        } catch {
            await alert(refusal: error, context, model: model.name)
            throw error
        }
        if request.headers.contains(where: { $0.name.canonicalName == "inference-header-content-length" }) {
            throw InferenceError(.badRequest, "the binary tensor extension is not supported; send the tensors as JSON", reason: "invalid_input")
        }
        let limit = configuration.maxBodyBytes
        let buffer: ByteBuffer
        let timeout = configuration.requestTimeout
        do {
            buffer = try await Self.within(seconds: timeout) { try await request.body.collect(upTo: limit) }
        } catch let error as InferenceError {
            throw error
        } catch {
            throw InferenceError(.contentTooLarge, "inference requests are limited to \(limit) bytes", reason: "too_large")
        }
        let json: JSONValue
        do {
            json = try JSONParser(maxDepth: 24, maxBytes: limit).parse(Array(buffer.readableBytesView), source: "the request body")
        } catch {
            throw InferenceError(.badRequest, error.message, reason: "invalid_json")
        }
        let parsed = try InferenceRequest(json: json, limits: configuration.limits)
        let validator = InputValidator(schema: model.schema, limits: configuration.limits, rangePolicy: configuration.rangePolicy)
        let inputs = try validator.validate(parsed.inputs, model: model.name)
        if let requested = parsed.outputs {
            for name in requested where !model.schema.outputs.contains(where: { $0.name == name }) {
                throw InferenceError(
                    .badRequest, "'\(InputValidator.clean(name))' is not an output of model '\(model.name)' (outputs: \(model.schema.outputs.map(\.name).joined(separator: ", ")))",
                    reason: "invalid_input")
            }
        }
        let rows = Self.rows(inputs, model.schema)
        do {
            try limiter.charge(client, rows: rows)
        } catch {
            await alert(refusal: error, context, model: model.name)
            throw error
        }
        let raw = try await model.predict(inputs, outputs: parsed.outputs, id: parsed.id)
        metrics.count(rows: rows, model: model.name)
        let observed =
            extraction != nil || adversarial != nil ? await ObservedRows(inputs: inputs, outputs: raw, rows: rows, model: model, adversarial: adversarial) : nil
        if let extraction, let observed { try await watch(extraction, observed, model: model, request, context) }
        if let drift { try await observeDrift(drift, inputs: inputs, outputs: raw, rows: rows, model: model, request, context) }
        if let adversarial, let observed { try await screen(adversarial, observed, input: inputs[0], rows: rows, model: model, request, context) }
        let outputs = hardened(raw, rows: rows, model: model.name)
        if configuration.auditPredictions {
            try await server.auditQueue.append(
                AuditDraft(
                    time: server.registry.clock.timestamp(), actor: context.principal?.name ?? "anonymous", action: "inference.predict",
                    subject: "\(model.name)/\(model.version)", details: Self.auditDetails(parsed, inputs, outputs, model, client: client, rows: rows)))
        }
        var response: [(String, JSONValue)] = [("model_name", .string(model.name)), ("model_version", .string(model.version))]
        if let id = parsed.id { response.append(("id", .string(id))) }
        response.append(("outputs", .array(outputs.map(Self.json))))
        let elapsed = ContinuousClock.now - started
        metrics.countVersion(model.name, version: model.version, rows: rows, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        return JSONResponse.make(.object(response))
    }

    /// `body`'s result, or 408 Request Timeout when it takes longer than `seconds` (a client sending
    /// its body slowly: the client's fault, so a 4xx, and the connection is closed).
    /// `timeout` replaces the 408 (an upstream call's 504).
    static func within<T: Sendable>(seconds: Double, timeout: InferenceError? = nil, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                if let timeout { throw timeout }
                throw InferenceError(.requestTimeout, "the request body did not arrive within \(InferenceMetrics.number(seconds)) s", reason: "timeout")
            }
            return value
        }
    }

    /// Rows of a request: the first dimension of the first batched input (1 without a batch dimension).
    static func rows(_ inputs: [InferenceTensor], _ schema: ModelSchema) -> Int {
        for (input, spec) in zip(inputs, schema.inputs) where spec.hasBatchDimension { return input.shape.first ?? 1 }
        return 1
    }

    /// The audit entry's details: digests always, the output values only when small.
    static func auditDetails(
        _ request: InferenceRequest, _ inputs: [InferenceTensor], _ outputs: [InferenceTensor], _ model: ServedModel, client: String, rows: Int
    ) -> JSONValue {
        var details: [(String, JSONValue)] = [
            ("client", .string(client)), ("model_digest", .string(model.digest.description)),
            ("input_digest", .string(InferenceTensor.digest(of: inputs).description)), ("rows", .int(Int64(rows))),
            ("output_digest", .string(InferenceTensor.digest(of: outputs).description)),
        ]
        if outputs.reduce(0, { $0 + $1.values.count }) <= 64 { details.append(("output", .array(outputs.map(json)))) }
        if let id = request.id { details.append(("request_id", .string(InputValidator.clean(id)))) }
        return .object(details)
    }

    static func json(_ tensor: InferenceTensor) -> JSONValue {
        let data: [JSONValue] =
            switch tensor.values {
            // Shortest text that reads back as the same Float (not the Double expansion).
            case .float(let v): v.map { $0.isFinite ? .double(Double("\($0)") ?? Double($0)) : .null }
            case .int64(let v): v.map { .int($0) }
            case .int32(let v): v.map { .int(Int64($0)) }
            case .uint8(let v): v.map { .int(Int64($0)) }
            case .bool(let v): v.map { .bool($0) }
            }
        return [
            "name": .string(tensor.name), "datatype": .string(tensor.datatype.name), "shape": .array(tensor.shape.map { .int(Int64($0)) }),
            "data": .array(data),
        ]
    }
}
