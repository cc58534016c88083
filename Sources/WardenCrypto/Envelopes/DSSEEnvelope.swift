import Foundation
import WardenCore

/// A Dead Simple Signing Envelope (DSSE v1): a payload, its type, and signatures over the
/// pre-authentication encoding (PAE) of both.
public struct DSSEEnvelope: Sendable, Equatable {
    /// One signature in an envelope.
    public struct Signature: Sendable, Equatable {
        public var keyID: String
        public var sig: [UInt8]
        public init(keyID: String, sig: [UInt8]) {
            self.keyID = keyID
            self.sig = sig
        }
    }

    /// The in-toto payload type.
    public static let inTotoPayloadType = "application/vnd.in-toto+json"

    public var payload: [UInt8]
    public var payloadType: String
    public var signatures: [Signature]

    public init(payload: [UInt8], payloadType: String, signatures: [Signature] = []) {
        self.payload = payload
        self.payloadType = payloadType
        self.signatures = signatures
    }

    /// Signs `payload` with `key`: one signature with `keyID` (model-signing uses "").
    public static func sign(
        payload: [UInt8], payloadType: String, key: SigningKey, keyID: String
    ) throws(WardenError) -> DSSEEnvelope {
        let sig = try key.signature(for: pae(payloadType: payloadType, payload: payload))
        return DSSEEnvelope(payload: payload, payloadType: payloadType, signatures: [Signature(keyID: keyID, sig: sig)])
    }

    /// `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, lengths as ASCII decimal byte counts.
    public static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        var out = Array("DSSEv1 \(type.count) ".utf8)
        out += type
        out += Array(" \(payload.count) ".utf8)
        out += payload
        return out
    }

    /// Whether any signature verifies with `key` (the key id is informative and not trusted).
    public func isValidSignature(by key: PublicKey) -> Bool {
        let message = DSSEEnvelope.pae(payloadType: payloadType, payload: payload)
        return signatures.contains { key.isValidSignature($0.sig, for: message) }
    }

    /// The bare DSSE JSON object, keys in the order of the DSSE spec.
    public var json: JSONValue {
        .object([
            ("payload", .string(Data(payload).base64EncodedString())),
            ("payloadType", .string(payloadType)),
            (
                "signatures",
                .array(signatures.map { .object([("keyid", .string($0.keyID)), ("sig", .string(Data($0.sig).base64EncodedString()))]) })
            ),
        ])
    }

    /// Reads a DSSE JSON object; base64 may be standard or URL-safe, padded or not (DSSE allows both).
    public init(json: JSONValue, source: String) throws(WardenError) {
        guard let payloadText = json["payload"]?.stringValue else {
            throw .invalidInput("\(source) is not a DSSE envelope: 'payload' is missing or not a string")
        }
        guard let payloadType = json["payloadType"]?.stringValue else {
            throw .invalidInput("\(source) is not a DSSE envelope: 'payloadType' is missing or not a string")
        }
        guard let payload = Base64.decode(payloadText) else {
            throw .invalidInput("\(source) has a DSSE payload that is not valid base64")
        }
        guard let list = json["signatures"]?.arrayValue, !list.isEmpty else {
            throw .invalidInput("\(source) is a DSSE envelope with no signatures")
        }
        var signatures: [Signature] = []
        for (n, item) in list.enumerated() {
            guard let sigText = item["sig"]?.stringValue, let sig = Base64.decode(sigText) else {
                throw .invalidInput("\(source): DSSE signature \(n) has a missing or corrupt base64 'sig'")
            }
            signatures.append(Signature(keyID: item["keyid"]?.stringValue ?? "", sig: sig))
        }
        self.init(payload: payload, payloadType: payloadType, signatures: signatures)
    }
}

/// Base64 decoding that accepts the standard and URL-safe alphabets, with or without padding.
public enum Base64: Sendable {
    public static func decode(_ text: String) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        s = s.filter { !$0.isWhitespace }
        let remainder = s.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { s += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: s).map(Array.init)
    }

    public static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
