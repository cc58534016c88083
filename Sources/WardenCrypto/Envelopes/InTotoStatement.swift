import WardenCore

/// An in-toto Statement v1: subjects (name + digests) and a typed predicate.
public struct InTotoStatement: Sendable, Equatable {
    public static let type = "https://in-toto.io/Statement/v1"

    /// One artefact the statement is about.
    public struct Subject: Sendable, Equatable {
        public var name: String
        /// Algorithm name → lowercase hex digest.
        public var digest: [String: String]
        public init(name: String, digest: [String: String]) {
            self.name = name
            self.digest = digest
        }
    }

    public var subjects: [Subject]
    public var predicateType: String
    public var predicate: JSONValue

    public init(subjects: [Subject], predicateType: String, predicate: JSONValue) {
        self.subjects = subjects
        self.predicateType = predicateType
        self.predicate = predicate
    }

    /// The statement as JSON, keys in the order protobuf's JSON writer uses.
    public var json: JSONValue {
        .object([
            ("_type", .string(InTotoStatement.type)),
            (
                "subject",
                .array(subjects.map { subject in
                    .object([
                        ("name", .string(subject.name)),
                        ("digest", .object(subject.digest.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                    ])
                })
            ),
            ("predicateType", .string(predicateType)),
            ("predicate", predicate),
        ])
    }

    /// The payload bytes: pretty JSON with 2-space indent and non-ASCII escaped, as
    /// `json_format.MessageToJson` writes it.
    public var payloadBytes: [UInt8] { Array(json.prettyString(indent: 2, asciiOnly: true).utf8) }

    /// Parses a statement from a DSSE payload.
    public init(payload: [UInt8], source: String) throws(WardenError) {
        let json = try JSONParser(maxBytes: 512 << 20).parse(payload, source: "the payload of \(source)")
        guard json["_type"]?.stringValue == InTotoStatement.type else {
            let found = json["_type"]?.stringValue ?? "nothing"
            throw .invalidInput("The payload of \(source) is not an in-toto Statement v1 (_type is '\(found)')")
        }
        guard let predicateType = json["predicateType"]?.stringValue else {
            throw .invalidInput("The statement in \(source) has no predicateType")
        }
        guard let list = json["subject"]?.arrayValue else {
            throw .invalidInput("The statement in \(source) has no subject list")
        }
        var subjects: [Subject] = []
        for item in list {
            var digest: [String: String] = [:]
            for (algorithm, value) in item["digest"]?.objectValue ?? [] {
                guard let hex = value.stringValue else {
                    throw .invalidInput("The statement in \(source) has a subject digest that is not a string")
                }
                digest[algorithm] = hex
            }
            subjects.append(Subject(name: item["name"]?.stringValue ?? "", digest: digest))
        }
        self.init(subjects: subjects, predicateType: predicateType, predicate: json["predicate"] ?? .null)
    }
}
