import WardenCore

/// CycloneDX 1.6 JSON (an ML-BOM): the model as a `machine-learning-model` component with a model
/// card, each file as a `file` component with its SHA-256, packages as `library` components with
/// purls, datasets as `data` components, and the dependency graph.
public struct CycloneDXWriter: Sendable {
    public var toolVersion: String
    /// RFC 3339 time of the BOM (injected so output is reproducible in tests).
    public var timestamp: String
    /// `urn:uuid:…`
    public var serialNumber: String

    public init(toolVersion: String, timestamp: String, serialNumber: String) {
        self.toolVersion = toolVersion
        self.timestamp = timestamp
        self.serialNumber = serialNumber
    }

    public func document(for inventory: ModelInventory) -> JSONValue {
        let modelRef = "model:" + inventory.name
        var components: [JSONValue] = []
        for file in inventory.files {
            var members: [(String, JSONValue)] = [
                ("type", "file"), ("bom-ref", .string("file:" + file.path)), ("name", .string(file.path)),
                ("hashes", .array([hash("SHA-256", file.sha256), hash("SHA-1", file.sha1)])),
            ]
            var properties: [(String, String)] = [("warden:size", String(file.size))]
            if let format = file.format { properties.append(("warden:format", format)) }
            members.append(("properties", Self.properties(properties)))
            components.append(.object(members))
        }
        for dependency in inventory.dependencies {
            var members: [(String, JSONValue)] = [("type", "library"), ("bom-ref", .string(dependency.purl)), ("name", .string(dependency.name))]
            if let version = dependency.version { members.append(("version", .string(version))) }
            members.append(("purl", .string(dependency.purl)))
            var properties = [("warden:source", dependency.source)]
            if let constraint = dependency.constraint { properties.append(("warden:constraint", constraint)) }
            members.append(("properties", Self.properties(properties)))
            components.append(.object(members))
        }
        for dataset in inventory.datasets {
            components.append(
                .object([
                    ("type", "data"), ("bom-ref", .string("data:" + dataset.name)), ("name", .string(dataset.name)),
                    ("hashes", .array([hash("SHA-256", dataset.sha256)])),
                    ("data", .array([.object([("type", "dataset"), ("name", .string(dataset.name))])])),
                    ("properties", Self.properties([("warden:path", dataset.path), ("warden:size", String(dataset.size))])),
                ]))
        }
        let dependsOn = inventory.dependencies.map { JSONValue.string($0.purl) } + inventory.datasets.map { .string("data:" + $0.name) }
        let fileRefs = inventory.files.map { JSONValue.string("file:" + $0.path) }
        return .object([
            ("bomFormat", "CycloneDX"), ("specVersion", "1.6"), ("serialNumber", .string(serialNumber)), ("version", 1),
            (
                "metadata",
                .object([
                    ("timestamp", .string(timestamp)),
                    ("tools", .object([("components", .array([.object([("type", "application"), ("name", "warden"), ("version", .string(toolVersion))])]))])),
                    ("component", modelComponent(inventory, ref: modelRef)),
                ])
            ),
            ("components", .array(components)),
            ("dependencies", .array([.object([("ref", .string(modelRef)), ("dependsOn", .array(dependsOn + fileRefs))])])),
        ])
    }

    func modelComponent(_ inventory: ModelInventory, ref: String) -> JSONValue {
        var parameters: [(String, JSONValue)] = []
        if let task = inventory.task { parameters.append(("task", .string(task))) }
        if let family = inventory.architectureFamily { parameters.append(("architectureFamily", .string(family))) }
        if let architecture = inventory.architecture { parameters.append(("modelArchitecture", .string(architecture))) }
        if !inventory.datasets.isEmpty {
            parameters.append(("datasets", .array(inventory.datasets.map { .object([("ref", .string("data:" + $0.name))]) })))
        }
        var card: [(String, JSONValue)] = [("bom-ref", .string(ref + "#card"))]
        if !parameters.isEmpty { card.append(("modelParameters", .object(parameters))) }
        if !inventory.metrics.isEmpty {
            card.append(
                (
                    "quantitativeAnalysis",
                    .object([("performanceMetrics", .array(inventory.metrics.map { .object([("type", .string($0.0)), ("value", .string($0.1))]) }))])
                ))
        }
        if !inventory.properties.isEmpty { card.append(("properties", Self.properties(inventory.properties))) }
        return .object([
            ("type", "machine-learning-model"), ("bom-ref", .string(ref)), ("name", .string(inventory.name)),
            ("hashes", .array([hash("SHA-256", inventory.rootDigest)])),
            ("modelCard", .object(card)),
            ("properties", Self.properties([("warden:root-digest", "sha256:" + inventory.rootDigest), ("warden:files", String(inventory.files.count))])),
        ])
    }

    func hash(_ algorithm: String, _ content: String) -> JSONValue {
        .object([("alg", .string(algorithm)), ("content", .string(content))])
    }

    static func properties(_ pairs: [(String, String)]) -> JSONValue {
        .array(pairs.map { .object([("name", .string($0.0)), ("value", .string($0.1))]) })
    }
}
