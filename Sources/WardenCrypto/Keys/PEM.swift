import Foundation
import WardenCore

/// A PEM block: `-----BEGIN TYPE-----`, base64 DER, `-----END TYPE-----`.
public struct PEM: Sendable, Equatable {
    public var type: String
    public var der: [UInt8]
    /// True when the block carries RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED`.
    public var hasEncryptionHeaders: Bool

    public init(type: String, der: [UInt8]) {
        self.type = type
        self.der = der
        self.hasEncryptionHeaders = false
    }

    /// Parses the first PEM block in `text`.
    /// - Parameter source: names the input (a file path) in errors.
    public init(parsing text: String, source: String) throws(WardenError) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }) else {
            throw .invalidInput("'\(source)' is not a PEM file (no '-----BEGIN' line); expected a PEM key")
        }
        let type = String(lines[begin].dropFirst(11).dropLast(5))
        guard let end = lines[(begin + 1)...].firstIndex(of: "-----END \(type)-----") else {
            throw .invalidInput("'\(source)' is a truncated PEM file: no '-----END \(type)-----' line")
        }
        var encrypted = false
        var body = ""
        for line in lines[(begin + 1)..<end] {
            if line.contains(":") {
                if line.hasPrefix("Proc-Type:") && line.contains("ENCRYPTED") { encrypted = true }
                continue
            }
            body += line
        }
        guard let data = Data(base64Encoded: body) else {
            throw .invalidInput("'\(source)' has corrupt base64 inside its PEM block")
        }
        self.type = type
        self.der = Array(data)
        self.hasEncryptionHeaders = encrypted
    }

    /// The PEM text with 64-character lines and a final newline, byte for byte what OpenSSL and
    /// Python's `cryptography` write.
    public var text: String {
        let b64 = Data(der).base64EncodedString()
        var out = "-----BEGIN \(type)-----\n"
        var index = b64.startIndex
        while index < b64.endIndex {
            let next = b64.index(index, offsetBy: 64, limitedBy: b64.endIndex) ?? b64.endIndex
            out += b64[index..<next] + "\n"
            index = next
        }
        out += "-----END \(type)-----\n"
        return out
    }
}

extension PEM {
    /// The text of a PEM file (bounded, UTF-8 checked).
    public static func text(ofFile path: String) throws(WardenError) -> String {
        let bytes = try FileIO.readAll(path, limit: 1 << 20)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidInput("'\(path)' is not a text PEM file")
        }
        return text
    }
}
