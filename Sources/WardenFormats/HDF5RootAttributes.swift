import WardenCore

/// The attributes of an HDF5 file's root group, read the way h5py (libhdf5) stores them: legacy
/// Keras `.h5` files keep `model_config`, `training_config`, `keras_version` and `backend` there.
///
/// A bounded, minimal reader: superblock versions 0–3 (also after a user block), object headers
/// versions 1 and 2 with their continuation blocks, attribute messages versions 1–3, fixed-length
/// strings and variable-length strings (through the global heap), and dense attribute storage
/// (fractal heap with managed and huge objects, named through a version 2 B-tree). It follows no
/// links, reads no dataset and never decompresses. Whatever it meets and does not follow (a shared
/// message, a filtered heap, an unknown version) is a sentence in ``problems``, so a caller can
/// tell "no model_config" from "could not reach the attributes".
public struct HDF5RootAttributes: Sendable {
    /// The 8-byte signature that starts a superblock.
    public static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

    /// What the reader may read for one file.
    public struct Limits: Sendable {
        /// Header messages over every block of the root object header.
        public var maxMessages = 65_536
        /// Continuation blocks of the root object header.
        public var maxContinuations = 1_024
        /// The largest object header block or global heap collection read.
        public var maxBlockBytes = 64 << 20
        /// Attributes kept.
        public var maxAttributes = 4_096
        /// String elements kept per attribute.
        public var maxStringsPerAttribute = 16
        /// Bytes of string values kept over all attributes.
        public var maxStringBytes = 64 << 20
        /// B-tree nodes and fractal heap blocks visited.
        public var maxNodes = 4_096
        /// Bytes read over the whole file.
        public var maxReadBytes: Int64 = 512 << 20

        public init() {}
    }

    /// One attribute of the root group.
    public struct Attribute: Sendable, Equatable {
        public var name: String
        /// The HDF5 datatype class (0 integer, 1 float, 3 string, 9 variable-length, …).
        public var typeClass: Int
        /// The string elements (fixed- or variable-length strings, padding removed); empty when
        /// the attribute is not a string.
        public var strings: [[UInt8]]
        /// How many elements the dataspace holds (1 for a scalar).
        public var elementCount: Int
        /// Where the attribute's value (or, for variable-length strings, the first string) starts in the file.
        public var offset: Int64
        /// Whether it came from dense storage (the fractal heap) rather than the object header.
        public var dense: Bool

        /// The first string element, decoded as UTF-8.
        public var string: String? { strings.first.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Where the superblock starts (0, or 512, 1024, … after a user block).
    public var superblockOffset: Int64
    public var superblockVersion: Int
    public var objectHeaderVersion = 0
    public var attributes: [Attribute] = []
    /// Whether the root group keeps (some) attributes in dense storage.
    public var usesDenseStorage = false
    /// What the reader could not follow, one sentence each; empty when every attribute was read.
    public var problems: [String] = []

    /// The first attribute named `name`.
    public subscript(name: String) -> Attribute? { attributes.first { $0.name == name } }

    /// The offset of the first HDF5 superblock signature (0, 512, 1024, 2048, …), nil when there is none.
    /// - Parameter from: the first candidate offset to try (512 skips the start of the file).
    public static func signatureOffset(in source: any ByteSource, from: Int64 = 0) throws(WardenError) -> Int64? {
        var offset: Int64 = from
        while offset + 8 <= source.count {
            if try source.read(offset..<offset + 8) == signature { return offset }
            offset = offset == 0 ? 512 : offset * 2
        }
        return nil
    }

    /// Reads the root group's attributes.
    /// - Throws: ``WardenError`` (`invalidInput`) when there is no HDF5 superblock or it cannot be
    ///   read; (`io`) when the source fails. Everything past the superblock is collected in ``problems``.
    public init(source: any ByteSource, limits: Limits = Limits()) throws(WardenError) {
        guard let start = try Self.signatureOffset(in: source) else {
            throw .invalidInput("'\(source.name)' has no HDF5 superblock signature")
        }
        superblockOffset = start
        let block = try source.read(start..<start + 96)
        guard block.count >= 16 else { throw .invalidInput("'\(source.name)': the HDF5 superblock is truncated") }
        superblockVersion = Int(block[8])
        let offsetSize: Int
        let lengthSize: Int
        let base: UInt64
        let root: UInt64
        switch superblockVersion {
        case 0, 1:
            offsetSize = Int(block[13])
            lengthSize = Int(block[14])
            try Self.checkSizes(offsetSize, lengthSize, source)
            let fields = 24 + (superblockVersion == 1 ? 4 : 0)
            // base, free-space, end-of-file and driver addresses, then the root symbol table entry
            // (link name offset, object header address, …).
            guard block.count >= fields + 6 * offsetSize else { throw .invalidInput("'\(source.name)': the HDF5 superblock is truncated") }
            base = block.le(fields, offsetSize)
            root = block.le(fields + 5 * offsetSize, offsetSize)
        case 2, 3:
            offsetSize = Int(block[9])
            lengthSize = Int(block[10])
            try Self.checkSizes(offsetSize, lengthSize, source)
            guard block.count >= 12 + 4 * offsetSize else { throw .invalidInput("'\(source.name)': the HDF5 superblock is truncated") }
            base = block.le(12, offsetSize)
            root = block.le(12 + 3 * offsetSize, offsetSize)
        default:
            throw .invalidInput("'\(source.name)': unknown HDF5 superblock version \(superblockVersion)")
        }
        let file = HDF5File(source: source, base: base, offsetSize: offsetSize, lengthSize: lengthSize, limits: limits)
        do {
            try read(root, in: file, limits: limits)
        } catch {
            problems.append(error.message)
        }
    }

    private static func checkSizes(_ offsetSize: Int, _ lengthSize: Int, _ source: any ByteSource) throws(WardenError) {
        guard [2, 4, 8].contains(offsetSize), [2, 4, 8].contains(lengthSize) else {
            throw .invalidInput("'\(source.name)': the HDF5 superblock declares \(offsetSize)-byte offsets and \(lengthSize)-byte lengths (2, 4 or 8 expected)")
        }
    }

    /// Walks the root object header: compact attributes, then dense storage if it has any.
    private mutating func read(_ root: UInt64, in file: HDF5File, limits: Limits) throws(WardenError) {
        let header = try file.objectHeader(at: root)
        objectHeaderVersion = header.version
        problems += header.problems
        for message in header.messages {
            switch message.type {
            case HDF5File.MessageType.attribute:
                guard message.flags & 0x02 == 0 else {
                    problems.append("an attribute message at offset \(message.offset) is shared (kept in the shared-message table), which this reader does not follow")
                    continue
                }
                do {
                    add(try file.attribute(message.data, at: message.offset, dense: false), limits)
                } catch {
                    problems.append(error.message)
                }
            case HDF5File.MessageType.attributeInfo:
                guard message.flags & 0x02 == 0 else {
                    problems.append("the attribute info message at offset \(message.offset) is shared, which this reader does not follow")
                    continue
                }
                do {
                    let dense = try file.denseAttributes(info: message.data, problems: &problems)
                    usesDenseStorage = usesDenseStorage || !dense.isEmpty
                    for attribute in dense { add(attribute, limits) }
                } catch {
                    problems.append("dense attribute storage: \(error.message)")
                }
            default:
                continue
            }
        }
    }

    private mutating func add(_ attribute: HDF5RootAttributes.Attribute, _ limits: Limits) {
        guard attributes.count < limits.maxAttributes else {
            let note = "more than \(limits.maxAttributes) root attributes; the rest were not kept"
            if problems.last != note { problems.append(note) }
            return
        }
        attributes.append(attribute)
    }
}
