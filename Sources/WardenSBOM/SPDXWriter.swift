import Crypto
import WardenCore

/// SPDX 2.3 JSON with the same facts: the model as the described package containing its files
/// (SHA-1 + SHA-256, verification code), packages with purls as DEPENDS_ON, datasets as packages
/// related by OTHER ("trained on"; SPDX 2.3 has no such relationship type).
public struct SPDXWriter: Sendable {
    public var toolVersion: String
    /// `YYYY-MM-DDThh:mm:ssZ` (SPDX forbids fractional seconds).
    public var created: String
    public var namespace: String

    public init(toolVersion: String, created: String, namespace: String) {
        self.toolVersion = toolVersion
        self.created = created
        self.namespace = namespace
    }

    /// SPDX ids may hold letters, digits, `.` and `-` only.
    static func id(_ kind: String, _ text: String) -> String {
        let cleaned = String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "-" })
        return "SPDXRef-\(kind)-\(cleaned)"
    }

    public func document(for inventory: ModelInventory) -> JSONValue {
        let modelID = Self.id("Model", inventory.name)
        var relationships: [JSONValue] = [relationship("SPDXRef-DOCUMENT", "DESCRIBES", modelID)]
        var files: [JSONValue] = []
        for (index, file) in inventory.files.enumerated() {
            let fileID = Self.id("File", "\(index + 1)")
            files.append(
                .object([
                    ("SPDXID", .string(fileID)), ("fileName", .string("./" + file.path)),
                    (
                        "checksums",
                        .array([
                            .object([("algorithm", "SHA1"), ("checksumValue", .string(file.sha1))]),
                            .object([("algorithm", "SHA256"), ("checksumValue", .string(file.sha256))]),
                        ])
                    ),
                    ("licenseConcluded", "NOASSERTION"), ("copyrightText", "NOASSERTION"),
                    ("comment", .string("size \(file.size) bytes" + (file.format.map { ", format \($0)" } ?? ""))),
                ]))
            relationships.append(relationship(modelID, "CONTAINS", fileID))
        }
        var packages: [JSONValue] = [modelPackage(inventory, id: modelID)]
        var seen = Set<String>()
        for dependency in inventory.dependencies {
            var packageID = Self.id("Package", "\(dependency.ecosystem.rawValue)-\(dependency.name)")
            while !seen.insert(packageID).inserted { packageID += "-x" }
            var members: [(String, JSONValue)] = [("SPDXID", .string(packageID)), ("name", .string(dependency.name))]
            if let version = dependency.version { members.append(("versionInfo", .string(version))) }
            members += [
                ("downloadLocation", "NOASSERTION"), ("filesAnalyzed", false), ("primaryPackagePurpose", "LIBRARY"),
                ("licenseConcluded", "NOASSERTION"), ("licenseDeclared", "NOASSERTION"), ("copyrightText", "NOASSERTION"),
                (
                    "externalRefs",
                    .array([.object([("referenceCategory", "PACKAGE-MANAGER"), ("referenceType", "purl"), ("referenceLocator", .string(dependency.purl))])])
                ),
                ("comment", .string("from \(dependency.source)" + (dependency.constraint.map { ", requirement \($0)" } ?? ""))),
            ]
            packages.append(.object(members))
            relationships.append(relationship(modelID, "DEPENDS_ON", packageID))
        }
        for dataset in inventory.datasets {
            let datasetID = Self.id("Dataset", dataset.name)
            packages.append(
                .object([
                    ("SPDXID", .string(datasetID)), ("name", .string(dataset.name)), ("downloadLocation", "NOASSERTION"),
                    ("filesAnalyzed", false), ("primaryPackagePurpose", "OTHER"),
                    ("checksums", .array([.object([("algorithm", "SHA256"), ("checksumValue", .string(dataset.sha256))])])),
                    ("licenseConcluded", "NOASSERTION"), ("licenseDeclared", "NOASSERTION"), ("copyrightText", "NOASSERTION"),
                    ("comment", .string("training dataset \(dataset.path), \(dataset.size) bytes")),
                ]))
            var trained = relationship(modelID, "OTHER", datasetID)
            if case .object(var members) = trained {
                members.append(("comment", "trained on"))
                trained = .object(members)
            }
            relationships.append(trained)
        }
        return .object([
            ("spdxVersion", "SPDX-2.3"), ("dataLicense", "CC0-1.0"), ("SPDXID", "SPDXRef-DOCUMENT"),
            ("name", .string("warden-sbom-\(inventory.name)")), ("documentNamespace", .string(namespace)),
            ("creationInfo", .object([("created", .string(created)), ("creators", .array([.string("Tool: warden-\(toolVersion)")]))])),
            ("packages", .array(packages)), ("files", .array(files)), ("relationships", .array(relationships)),
        ])
    }

    func modelPackage(_ inventory: ModelInventory, id: String) -> JSONValue {
        var comment = "machine-learning model; root digest sha256:\(inventory.rootDigest)"
        if let architecture = inventory.architecture { comment += "; architecture \(architecture)" }
        if let task = inventory.task { comment += "; task \(task)" }
        if !inventory.metrics.isEmpty { comment += "; metrics " + inventory.metrics.map { "\($0.0)=\($0.1)" }.joined(separator: ", ") }
        for (key, value) in inventory.properties { comment += "; \(key)=\(value)" }
        return .object([
            ("SPDXID", .string(id)), ("name", .string(inventory.name)), ("downloadLocation", "NOASSERTION"), ("filesAnalyzed", true),
            ("packageVerificationCode", .object([("packageVerificationCodeValue", .string(Self.verificationCode(inventory.files)))])),
            ("primaryPackagePurpose", "OTHER"), ("licenseConcluded", "NOASSERTION"), ("licenseDeclared", "NOASSERTION"),
            ("copyrightText", "NOASSERTION"), ("comment", .string(comment)),
        ])
    }

    /// SPDX 2.3 §7.9: SHA-1 of the sorted, concatenated file SHA-1s (hex).
    static func verificationCode(_ files: [ModelInventory.File]) -> String {
        Hex.encode(Insecure.SHA1.hash(data: Array(files.map(\.sha1).sorted().joined().utf8)))
    }

    func relationship(_ from: String, _ type: String, _ to: String) -> JSONValue {
        .object([("spdxElementId", .string(from)), ("relationshipType", .string(type)), ("relatedSpdxElement", .string(to))])
    }
}
