import WardenCore

/// A SLSA Provenance v1 predicate (`https://slsa.dev/provenance/v1`) describing one run of a
/// command by `warden run`. Only fields of the official schema are written, so the in-toto
/// attestation protobufs parse it strictly.
public struct SLSAProvenance: Sendable, Equatable {
    public static let predicateType = "https://slsa.dev/provenance/v1"
    /// What Warden's build type means: see docs/attestation.md.
    public static let buildType = "https://warden.dev/run/v1"
    public static let builderID = "https://warden.dev/builder/warden-run/v1"

    public var externalParameters: JSONValue
    public var internalParameters: JSONValue
    public var resolvedDependencies: [ResourceDescriptor]
    public var builderVersion: [String: String]
    public var invocationID: String
    public var startedOn: String
    public var finishedOn: String
    public var byproducts: [ResourceDescriptor]

    public init(
        externalParameters: JSONValue, internalParameters: JSONValue, resolvedDependencies: [ResourceDescriptor],
        builderVersion: [String: String], invocationID: String, startedOn: String, finishedOn: String, byproducts: [ResourceDescriptor]
    ) {
        self.externalParameters = externalParameters
        self.internalParameters = internalParameters
        self.resolvedDependencies = resolvedDependencies
        self.builderVersion = builderVersion
        self.invocationID = invocationID
        self.startedOn = startedOn
        self.finishedOn = finishedOn
        self.byproducts = byproducts
    }

    public var json: JSONValue {
        .object([
            (
                "buildDefinition",
                .object([
                    ("buildType", .string(Self.buildType)),
                    ("externalParameters", externalParameters),
                    ("internalParameters", internalParameters),
                    ("resolvedDependencies", .array(resolvedDependencies.map(\.json))),
                ])
            ),
            (
                "runDetails",
                .object([
                    (
                        "builder",
                        .object([
                            ("id", .string(Self.builderID)),
                            ("version", .object(builderVersion.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                        ])
                    ),
                    (
                        "metadata",
                        .object([("invocationId", .string(invocationID)), ("startedOn", .string(startedOn)), ("finishedOn", .string(finishedOn))])
                    ),
                    ("byproducts", .array(byproducts.map(\.json))),
                ])
            ),
        ])
    }

    /// The statement: outputs as subjects, this provenance as predicate.
    public func statement(subjects: [InTotoStatement.Subject]) -> InTotoStatement {
        InTotoStatement(subjects: subjects, predicateType: Self.predicateType, predicate: json)
    }
}
