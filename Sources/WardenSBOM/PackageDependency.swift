/// A software package a model depends on, with where Warden learned it.
public struct PackageDependency: Sendable, Equatable, Hashable {
    public enum Ecosystem: String, Sendable {
        case pypi, swift
    }

    public var ecosystem: Ecosystem
    public var name: String
    /// The exact version, when pinned.
    public var version: String?
    /// The requirement as written when not pinned (`>=2.0,<3`).
    public var constraint: String?
    /// The file (or model metadata) that named it.
    public var source: String

    public init(ecosystem: Ecosystem, name: String, version: String?, constraint: String? = nil, source: String) {
        self.ecosystem = ecosystem
        self.name = name
        self.version = version
        self.constraint = constraint
        self.source = source
    }

    /// The package URL (purl spec): `pkg:pypi/torch@2.3.1`, `pkg:swift/github.com/apple/swift-crypto@4.5.2`.
    public var purl: String {
        let base: String
        switch ecosystem {
        case .pypi: base = "pkg:pypi/" + PackageURL.encode(Self.normalisePyPI(name))
        case .swift: base = "pkg:swift/" + name.split(separator: "/").map { PackageURL.encode(String($0)) }.joined(separator: "/")
        }
        return version.map { base + "@" + PackageURL.encode($0) } ?? base
    }

    /// PEP 503 normalisation: lowercase, runs of `-_.` become `-`.
    public static func normalisePyPI(_ name: String) -> String {
        var out = ""
        var lastWasSeparator = false
        for character in name.lowercased() {
            if character == "-" || character == "_" || character == "." {
                if !lastWasSeparator { out.append("-") }
                lastWasSeparator = true
            } else {
                out.append(character)
                lastWasSeparator = false
            }
        }
        return out
    }
}

/// Percent-encoding for purl segments (RFC 3986 unreserved characters stay).
public enum PackageURL: Sendable {
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if (byte < 0x80) && (scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar)) || "-._~".unicodeScalars.contains(scalar)) {
                out.unicodeScalars.append(scalar)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
