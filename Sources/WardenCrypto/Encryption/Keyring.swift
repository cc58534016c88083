import Crypto
import Foundation
import WardenCore

/// The symmetric keys that wrap data-encryption keys: a folder holding `keyring.json` (mode 0600,
/// folder 0700) with every key ever made and the id of the current one.
///
/// Rotation adds a key and makes it current; old keys stay so files wrapped with them still
/// decrypt until they are re-wrapped (``EncryptedFile/rewrap(_:keyring:)``). Key material never
/// appears in errors or descriptions.
public struct Keyring: Sendable {
    /// One key-encryption key.
    public struct Key: Sendable, Equatable {
        /// Short, printable, unique in the keyring: `k<sequence>-<8 hex>`.
        public var id: String
        /// When it was made (RFC 3339).
        public var created: String
        /// 32 bytes.
        var material: [UInt8]

        var symmetricKey: SymmetricKey { SymmetricKey(data: material) }

        public static func == (lhs: Key, rhs: Key) -> Bool {
            lhs.id == rhs.id && lhs.created == rhs.created
                && ConstantTimeBytes.equal(lhs.material, rhs.material)
        }
    }

    public static let fileName = "keyring.json"
    static let format = "warden-keyring/v1"

    /// The folder the keyring lives in.
    public let directory: String
    public private(set) var keys: [Key]
    public private(set) var currentID: String

    /// The key new files are wrapped with.
    public var current: Key { keys.first { $0.id == currentID }! }

    /// The key with this id, if the keyring has it.
    public func key(id: String) -> Key? { keys.first { $0.id == id } }

    /// Creates a keyring with one fresh key in `directory` (created with mode 0700).
    /// - Throws: if a keyring already exists there.
    public static func create(at directory: String, clock: WardenClock = .system) throws(WardenError) -> Keyring {
        let path = directory + "/" + fileName
        guard FileIO.kind(of: path) == .missing else {
            throw .invalidInput("'\(directory)' already holds a keyring; use 'warden keys rotate --keyring \(directory)' to add a key")
        }
        try FileIO.makeDirectory(directory, mode: 0o700)
        let key = makeKey(sequence: 1, clock: clock)
        let keyring = Keyring(directory: directory, keys: [key], currentID: key.id)
        try keyring.save()
        return keyring
    }

    /// Reads the keyring in `directory`.
    public static func open(_ directory: String) throws(WardenError) -> Keyring {
        let path = directory + "/" + fileName
        guard FileIO.kind(of: path) != .missing else {
            throw .notFound("No keyring in '\(directory)'; create one with 'warden keys init --keyring \(directory)'")
        }
        let bytes = try FileIO.readAll(path, limit: 4 << 20)
        let json = try JSONParser().parse(bytes, source: path)
        func malformed(_ what: String) -> WardenError {
            .invalidInput("The keyring '\(path)' is malformed (\(what)); restore it from your backup")
        }
        guard json["format"]?.stringValue == format else { throw malformed("format is not \(format)") }
        guard let currentID = json["current"]?.stringValue else { throw malformed("no current key") }
        guard let entries = json["keys"]?.arrayValue, !entries.isEmpty else { throw malformed("no keys") }
        var keys: [Key] = []
        for entry in entries {
            guard let id = entry["id"]?.stringValue, isValidID(id),
                let created = entry["created"]?.stringValue,
                let encoded = entry["key"]?.stringValue,
                let material = Data(base64Encoded: encoded), material.count == 32
            else { throw malformed("a key entry lacks a valid id, created time or 32-byte base64 key") }
            guard !keys.contains(where: { $0.id == id }) else { throw malformed("key id \(id) appears twice") }
            keys.append(Key(id: id, created: created, material: Array(material)))
        }
        guard keys.contains(where: { $0.id == currentID }) else { throw malformed("current key \(currentID) is not in it") }
        return Keyring(directory: directory, keys: keys, currentID: currentID)
    }

    /// Adds a new key, makes it current and saves the keyring atomically. Returns the new key's id.
    @discardableResult
    public mutating func rotate(clock: WardenClock = .system) throws(WardenError) -> String {
        var key = Self.makeKey(sequence: keys.count + 1, clock: clock)
        while keys.contains(where: { $0.id == key.id }) { key = Self.makeKey(sequence: keys.count + 1, clock: clock) }
        var next = self
        next.keys.append(key)
        next.currentID = key.id
        try next.save()
        self = next
        return key.id
    }

    func save() throws(WardenError) {
        let json: JSONValue = [
            "format": .string(Self.format),
            "current": .string(currentID),
            "keys": .array(keys.map { key in
                ["id": .string(key.id), "created": .string(key.created), "key": .string(Data(key.material).base64EncodedString())]
            }),
        ]
        try FileIO.writeAtomically(json.prettyString() + "\n", to: directory + "/" + Self.fileName, mode: 0o600)
    }

    static func makeKey(sequence: Int, clock: WardenClock) -> Key {
        let material = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let suffix = SymmetricKey(size: .bits128).withUnsafeBytes { Hex.encode(Array($0.prefix(4))) }
        return Key(id: "k\(sequence)-\(suffix)", created: clock.timestamp(), material: material)
    }

    /// Ids are printable ASCII, 1–64 bytes, so they fit the encrypted-file header and error messages.
    static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        return (1...64).contains(bytes.count) && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7f }
    }
}

extension Keyring: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "Keyring(\(directory), current \(currentID), \(keys.count) key(s))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["directory": directory, "currentID": currentID, "keys": keys]) }
}

extension Keyring.Key: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The id and creation time; never the material.
    public var description: String { "Key(\(id), created \(created))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id, "created": created]) }
}

/// Compares secret bytes without an early exit.
enum ConstantTimeBytes {
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
