/// Writes a minimal real HDF5 file the way libhdf5's default ("earliest") format lays it out:
/// superblock version 0, a root group whose version 1 object header holds a link info and a group
/// info message (an empty group) and one attribute message per attribute (fixed-length, null-padded
/// strings, as h5py stores Python bytes — and so as Keras 2 stores `model_config`). Attributes past
/// `continuationAfter` go to an object header continuation block, as libhdf5 does when a header
/// fills up. h5py opens these files (scripts/interop/scan.sh checks it).
public enum HDF5Writer {
    /// - Parameters:
    ///   - attributes: name and bytes of each root attribute.
    ///   - continuationAfter: how many attributes stay in the first header block (nil: all).
    ///   - trailer: bytes appended after the HDF5 structures (dataset-like filler).
    public static func file(attributes: [(name: String, value: [UInt8])], continuationAfter: Int? = nil, trailer: [UInt8] = []) -> [UInt8] {
        let undefined = [UInt8](repeating: 0xff, count: 8)
        let superblockSize = 96
        let headerAddress = superblockSize
        let split = min(continuationAfter ?? attributes.count, attributes.count)
        var first = message(0x02, [0, 0] + undefined + undefined) + message(0x0A, [0, 0])
        first += attributes[..<split].flatMap { attributeMessage($0.name, $0.value) }
        let rest = attributes[split...].flatMap { attributeMessage($0.name, $0.value) }
        var messageCount = 2 + split
        if !rest.isEmpty {
            // The continuation block follows the first block; the message is 16 bytes of data.
            let continuationAddress = headerAddress + 16 + first.count + 24
            first += message(0x10, le(UInt64(continuationAddress), 8) + le(UInt64(rest.count), 8))
            messageCount += 1 + attributes.count - split
        }
        var header: [UInt8] = [1, 0] + le(UInt64(messageCount), 2) + le(1, 4) + le(UInt64(first.count), 4) + [0, 0, 0, 0]
        header += first + rest
        let end = superblockSize + header.count + trailer.count
        var out: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 8, 8, 0]
        out += le(4, 2) + le(16, 2) + le(0, 4)
        out += le(0, 8) + undefined + le(UInt64(end), 8) + undefined
        // The root group's symbol table entry: link name offset, object header, no cached data.
        out += le(0, 8) + le(UInt64(headerAddress), 8) + le(0, 4) + le(0, 4) + [UInt8](repeating: 0, count: 16)
        precondition(out.count == superblockSize)
        return out + header + trailer
    }

    /// A version 1 attribute message: a scalar fixed-length string.
    static func attributeMessage(_ name: String, _ value: [UInt8]) -> [UInt8] {
        let nameBytes = Array(name.utf8) + [0]
        // Class 3 (string), version 1; null-padded ASCII; the string's size.
        let datatype: [UInt8] = [0x13, 0x01, 0, 0] + le(UInt64(max(1, value.count)), 4)
        let dataspace: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0]
        var body: [UInt8] = [1, 0] + le(UInt64(nameBytes.count), 2) + le(UInt64(datatype.count), 2) + le(UInt64(dataspace.count), 2)
        body += padded(nameBytes) + datatype + dataspace + (value.isEmpty ? [0] : value)
        return message(0x0C, body)
    }

    /// A version 1 header message: type, size (a multiple of 8), flags, reserved, data.
    static func message(_ type: UInt16, _ data: [UInt8]) -> [UInt8] {
        let body = padded(data)
        return le(UInt64(type), 2) + le(UInt64(body.count), 2) + [0, 0, 0, 0] + body
    }

    static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8) }

    public static func le(_ value: UInt64, _ size: Int) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
}
