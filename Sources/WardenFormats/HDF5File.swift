import WardenCore

/// The low-level HDF5 structures ``HDF5RootAttributes`` walks: object headers and their
/// continuation blocks, attribute messages, the global heap, and dense attribute storage (a
/// fractal heap named through a version 2 B-tree). Every read is bounded by ``HDF5RootAttributes/Limits``
/// (bytes per block, bytes over the file, nodes visited), addresses are checked against the file,
/// and every block is visited at most once, so a cycle or a huge declared size ends in an error.
final class HDF5File {
    enum MessageType {
        static let dataspace = 0x0001
        static let datatype = 0x0003
        static let attribute = 0x000C
        static let continuation = 0x0010
        static let attributeInfo = 0x0015
    }

    struct Message {
        var type: Int
        var flags: UInt8
        var data: [UInt8]
        /// Where the message's data starts in the file.
        var offset: Int64
    }

    struct ObjectHeader {
        var version: Int
        var messages: [Message] = []
        var problems: [String] = []
    }

    let source: any ByteSource
    let base: UInt64
    let offsetSize: Int
    let lengthSize: Int
    let limits: HDF5RootAttributes.Limits
    private var bytesRead: Int64 = 0
    private var nodes = 0
    private var stringBytes = 0
    private var collections: [UInt64: (bytes: [UInt8], offset: Int64)] = [:]
    private var trees: [UInt64: [[UInt8]]] = [:]

    init(source: any ByteSource, base: UInt64, offsetSize: Int, lengthSize: Int, limits: HDF5RootAttributes.Limits) {
        self.source = source
        self.base = base
        self.offsetSize = offsetSize
        self.lengthSize = lengthSize
        self.limits = limits
    }

    // MARK: - Reading

    /// Whether `address` is HDF5's "undefined address" (all bits set).
    func isUndefined(_ address: UInt64) -> Bool {
        offsetSize == 8 ? address == .max : address == (UInt64(1) << (8 * UInt64(offsetSize))) - 1
    }

    /// The file offset of `address` (relative to the base address), checked to lie in the file.
    func fileOffset(_ address: UInt64, _ what: String) throws(WardenError) -> Int64 {
        guard !isUndefined(address) else { throw .invalidInput("\(what) has an undefined address") }
        let (sum, overflow) = address.addingReportingOverflow(base)
        guard !overflow, sum < UInt64(source.count) else {
            throw .invalidInput("\(what) at address \(address) lies past the end of the file (\(source.count) bytes)")
        }
        return Int64(sum)
    }

    /// Exactly `count` bytes at `address`, within the per-block and per-file budgets.
    func read(_ address: UInt64, _ count: UInt64, _ what: String) throws(WardenError) -> (bytes: [UInt8], offset: Int64) {
        let start = try fileOffset(address, what)
        guard count <= UInt64(limits.maxBlockBytes) else {
            throw .invalidInput("\(what) at offset \(start) declares \(count) bytes, more than the \(limits.maxBlockBytes) this reader reads")
        }
        guard bytesRead + Int64(count) <= limits.maxReadBytes else {
            throw .invalidInput("reading \(what) would pass the \(limits.maxReadBytes)-byte budget for the file")
        }
        guard start + Int64(count) <= source.count else {
            throw .invalidInput("\(what) at offset \(start) declares \(count) bytes but the file ends at \(source.count) (truncated?)")
        }
        bytesRead += Int64(count)
        let bytes = try source.read(start..<start + Int64(count))
        guard bytes.count == Int(count) else { throw .invalidInput("\(what) at offset \(start) is truncated") }
        return (bytes, start)
    }

    /// Counts one B-tree node or heap block against the budget.
    func visitNode(_ what: String) throws(WardenError) {
        nodes += 1
        guard nodes <= limits.maxNodes else {
            throw .invalidInput("more than \(limits.maxNodes) B-tree nodes and heap blocks (\(what)); the structure is looped or oversized")
        }
    }

    // MARK: - Object headers

    /// Reads an object header (version 1 or 2) and every continuation block it chains to.
    func objectHeader(at address: UInt64) throws(WardenError) -> ObjectHeader {
        let prefix = try read(address, min(UInt64(source.count) - UInt64(try fileOffset(address, "the root object header")), 34), "the root object header")
        var header: ObjectHeader
        var pending: [(address: UInt64, length: UInt64)] = []
        var seen: Set<UInt64> = []
        if prefix.bytes.starts(with: Array("OHDR".utf8)) {
            header = ObjectHeader(version: 2)
            var cursor = HDF5Cursor(prefix.bytes, offset: prefix.offset, what: "the object header")
            cursor.position = 4
            guard try cursor.integer(1) == 2 else { throw .invalidInput("object header at offset \(prefix.offset) has an unknown version") }
            let flags = try cursor.integer(1)
            if flags & 0x20 != 0 { try cursor.skip(16) }
            if flags & 0x10 != 0 { try cursor.skip(4) }
            let chunkSize = try cursor.integer(1 << Int(flags & 0x03))
            let chunkStart = address + UInt64(cursor.position)
            let chunk = try read(chunkStart, chunkSize, "the object header's first chunk")
            try parseMessages(chunk.bytes, at: chunk.offset, version: 2, creationOrder: flags & 0x04 != 0, into: &header, pending: &pending)
            seen.insert(address)
            try followContinuations(&pending, &seen, version: 2, creationOrder: flags & 0x04 != 0, into: &header)
        } else if prefix.bytes.first == 1 {
            header = ObjectHeader(version: 1)
            guard prefix.bytes.count >= 16 else { throw .invalidInput("object header at offset \(prefix.offset) is truncated") }
            let size = prefix.bytes.le(8, 4)
            let block = try read(address + 16, size, "the object header")
            try parseMessages(block.bytes, at: block.offset, version: 1, creationOrder: false, into: &header, pending: &pending)
            seen.insert(address)
            try followContinuations(&pending, &seen, version: 1, creationOrder: false, into: &header)
        } else {
            throw .invalidInput("no object header at offset \(prefix.offset) (neither version 1 nor an OHDR signature)")
        }
        return header
    }

    private func followContinuations(
        _ pending: inout [(address: UInt64, length: UInt64)], _ seen: inout Set<UInt64>, version: Int, creationOrder: Bool,
        into header: inout ObjectHeader
    ) throws(WardenError) {
        var followed = 0
        while !pending.isEmpty {
            let next = pending.removeFirst()
            guard seen.insert(next.address).inserted else {
                header.problems.append("a continuation message points back to block \(next.address) (a cycle); stopped there")
                continue
            }
            followed += 1
            guard followed <= limits.maxContinuations else {
                header.problems.append("more than \(limits.maxContinuations) object header continuation blocks; the rest were not read")
                return
            }
            do throws(WardenError) {
                let block = try read(next.address, next.length, "an object header continuation block")
                if version == 2 {
                    guard block.bytes.count >= 8, block.bytes.starts(with: Array("OCHK".utf8)) else {
                        throw WardenError.invalidInput("the continuation block at offset \(block.offset) has no OCHK signature")
                    }
                    try parseMessages(Array(block.bytes[4..<block.bytes.count - 4]), at: block.offset + 4, version: 2,
                                      creationOrder: creationOrder, into: &header, pending: &pending)
                } else {
                    try parseMessages(block.bytes, at: block.offset, version: 1, creationOrder: false, into: &header, pending: &pending)
                }
            } catch {
                header.problems.append(error.message)
            }
        }
    }

    private func parseMessages(
        _ bytes: [UInt8], at offset: Int64, version: Int, creationOrder: Bool, into header: inout ObjectHeader,
        pending: inout [(address: UInt64, length: UInt64)]
    ) throws(WardenError) {
        let prefixSize = version == 1 ? 8 : 4 + (creationOrder ? 2 : 0)
        var position = 0
        while position + prefixSize <= bytes.count {
            let type = version == 1 ? Int(bytes.le(position, 2)) : Int(bytes[position])
            let size = Int(version == 1 ? bytes.le(position + 2, 2) : bytes.le(position + 1, 2))
            let flags = version == 1 ? bytes[position + 4] : bytes[position + 3]
            let start = position + prefixSize
            guard start + size <= bytes.count else {
                header.problems.append("a header message of type \(type) at offset \(offset + Int64(position)) declares \(size) bytes past the end of its block")
                return
            }
            guard header.messages.count < limits.maxMessages else {
                header.problems.append("more than \(limits.maxMessages) object header messages; the rest were not read")
                return
            }
            let data = Array(bytes[start..<start + size])
            if type == MessageType.continuation {
                guard data.count >= offsetSize + lengthSize else {
                    header.problems.append("a continuation message at offset \(offset + Int64(start)) is truncated")
                    return
                }
                pending.append((data.le(0, offsetSize), data.le(offsetSize, lengthSize)))
            } else if type != 0 {
                header.messages.append(Message(type: type, flags: flags, data: data, offset: offset + Int64(start)))
            }
            position = start + size
        }
    }

    // MARK: - Attributes

    /// Decodes an attribute message (versions 1–3).
    func attribute(_ data: [UInt8], at offset: Int64, dense: Bool) throws(WardenError) -> HDF5RootAttributes.Attribute {
        var cursor = HDF5Cursor(data, offset: offset, what: "the attribute message at offset \(offset)")
        let version = try cursor.integer(1)
        guard (1...3).contains(version) else { throw .invalidInput("the attribute message at offset \(offset) has unknown version \(version)") }
        let flags = try cursor.integer(1)
        guard flags & 0x03 == 0 else {
            throw .invalidInput("the attribute message at offset \(offset) uses a shared datatype or dataspace, which this reader does not follow")
        }
        let nameSize = Int(try cursor.integer(2))
        let typeSize = Int(try cursor.integer(2))
        let spaceSize = Int(try cursor.integer(2))
        if version == 3 { try cursor.skip(1) }
        let padded = { (size: Int) in version == 1 ? (size + 7) & ~7 : size }
        var nameBytes = try cursor.bytes(padded(nameSize))
        nameBytes = Array(nameBytes.prefix(nameSize))
        if let end = nameBytes.firstIndex(of: 0) { nameBytes.removeSubrange(end...) }
        let type = try cursor.bytes(padded(typeSize))
        let space = try cursor.bytes(padded(spaceSize))
        let name = String(decoding: nameBytes, as: UTF8.self)
        let count = try elementCount(space, "attribute '\(name)' at offset \(offset)")
        guard type.count >= 8 else { throw .invalidInput("attribute '\(name)' at offset \(offset) has a truncated datatype") }
        let typeClass = Int(type[0] & 0x0f)
        let elementSize = Int(type.le(4, 4))
        let valueOffset = offset + Int64(cursor.position)
        var attribute = HDF5RootAttributes.Attribute(name: name, typeClass: typeClass, strings: [], elementCount: count,
                                                      offset: valueOffset, dense: dense)
        let isVariableString = typeClass == 9 && type[1] & 0x0f == 1
        guard typeClass == 3 || isVariableString else { return attribute }
        let stored = isVariableString ? 4 + offsetSize + 4 : elementSize
        guard stored > 0, count <= (data.count - cursor.position) / stored else {
            throw .invalidInput("attribute '\(name)' at offset \(offset) declares \(count) elements of \(stored) bytes, more than its message holds")
        }
        for index in 0..<min(count, limits.maxStringsPerAttribute) {
            let element = try cursor.bytes(stored)
            var value: [UInt8]
            if isVariableString {
                let length = element.le(0, 4)
                let heap = try globalHeapObject(element.le(4, offsetSize), index: element.le(4 + offsetSize, 4), "attribute '\(name)'")
                guard length <= UInt64(heap.bytes.count) else {
                    throw .invalidInput("attribute '\(name)' string \(index) declares \(length) bytes but its global heap object holds \(heap.bytes.count)")
                }
                value = Array(heap.bytes.prefix(Int(length)))
                if index == 0 { attribute.offset = heap.offset }
            } else {
                value = element
                while let last = value.last, last == 0 || (type[1] & 0x0f == 2 && last == 0x20) { value.removeLast() }
            }
            stringBytes += value.count
            guard stringBytes <= limits.maxStringBytes else {
                throw .invalidInput("the attributes' strings pass \(limits.maxStringBytes) bytes")
            }
            attribute.strings.append(value)
        }
        return attribute
    }

    /// How many elements a dataspace message describes (1 for a scalar, 0 for a null dataspace).
    private func elementCount(_ space: [UInt8], _ what: String) throws(WardenError) -> Int {
        var cursor = HDF5Cursor(space, offset: 0, what: "the dataspace of \(what)")
        let version = try cursor.integer(1)
        let rank = Int(try cursor.integer(1))
        _ = try cursor.integer(1)
        switch version {
        case 1: try cursor.skip(5)
        case 2: if try cursor.integer(1) == 2 { return 0 }
        default: throw .invalidInput("the dataspace of \(what) has unknown version \(version)")
        }
        guard rank <= 32 else { throw .invalidInput("the dataspace of \(what) declares \(rank) dimensions (at most 32)") }
        var count: UInt64 = 1
        for _ in 0..<rank {
            let (product, overflow) = count.multipliedReportingOverflow(by: try cursor.integer(lengthSize))
            guard !overflow, product <= UInt64(Int32.max) else { throw .invalidInput("the dataspace of \(what) declares too many elements") }
            count = product
        }
        return Int(count)
    }

    /// One object of a global heap collection (variable-length data).
    func globalHeapObject(_ address: UInt64, index: UInt64, _ what: String) throws(WardenError) -> (bytes: [UInt8], offset: Int64) {
        if collections[address] == nil {
            try visitNode("global heap")
            let head = try read(address, 8 + UInt64(lengthSize), "the global heap collection of \(what)")
            guard head.bytes.starts(with: Array("GCOL".utf8)) else {
                throw .invalidInput("\(what) points to offset \(head.offset), which is not a global heap collection")
            }
            let size = head.bytes.le(8, lengthSize)
            guard size >= UInt64(8 + lengthSize) else { throw .invalidInput("the global heap collection at offset \(head.offset) declares \(size) bytes") }
            collections[address] = try read(address, size, "the global heap collection at offset \(head.offset)")
        }
        guard let collection = collections[address] else { throw .internalError("global heap cache") }
        let bytes = collection.bytes
        var position = 8 + lengthSize
        let objectHeader = 8 + lengthSize
        while position + objectHeader <= bytes.count {
            let objectIndex = bytes.le(position, 2)
            let size = bytes.le(position + 8, lengthSize)
            if objectIndex == 0 { break }
            let start = position + objectHeader
            guard size <= UInt64(bytes.count - start) else {
                throw .invalidInput("global heap object \(objectIndex) at offset \(collection.offset + Int64(position)) declares \(size) bytes past its collection")
            }
            if objectIndex == index {
                return (Array(bytes[start..<start + Int(size)]), collection.offset + Int64(start))
            }
            position = start + ((Int(size) + 7) & ~7)
        }
        throw .invalidInput("\(what) names global heap object \(index), which the collection at offset \(collection.offset) does not hold")
    }

    // MARK: - Dense attribute storage

    /// The attributes kept in dense storage, from an attribute info message.
    func denseAttributes(info: [UInt8], problems: inout [String]) throws(WardenError) -> [HDF5RootAttributes.Attribute] {
        var cursor = HDF5Cursor(info, offset: 0, what: "the attribute info message")
        guard try cursor.integer(1) == 0 else { throw .invalidInput("the attribute info message has an unknown version") }
        let flags = try cursor.integer(1)
        if flags & 0x01 != 0 { try cursor.skip(2) }
        let heapAddress = try cursor.integer(offsetSize)
        let nameIndex = try cursor.integer(offsetSize)
        if isUndefined(heapAddress) || isUndefined(nameIndex) { return [] }
        let heap = try HDF5FractalHeap(file: self, address: heapAddress)
        var attributes: [HDF5RootAttributes.Attribute] = []
        for record in try btreeRecords(at: nameIndex, expectedType: 8) {
            guard attributes.count < limits.maxAttributes else {
                problems.append("more than \(limits.maxAttributes) dense attributes; the rest were not read")
                break
            }
            guard record.count >= 9 else { continue }
            if record[8] & 0x02 != 0 {
                problems.append("a dense attribute is shared (kept in the shared-message table), which this reader does not follow")
                continue
            }
            do {
                let object = try heap.object(Array(record[0..<8]))
                attributes.append(try attribute(object.bytes, at: object.offset, dense: true))
            } catch {
                problems.append("dense attribute: \(error.message)")
            }
        }
        return attributes
    }

    /// Every record of a version 2 B-tree, leaves and internal nodes alike.
    func btreeRecords(at address: UInt64, expectedType: Int) throws(WardenError) -> [[UInt8]] {
        if let known = trees[address] { return known }
        let records = try readBTree(at: address, expectedType: expectedType)
        trees[address] = records
        return records
    }

    private func readBTree(at address: UInt64, expectedType: Int) throws(WardenError) -> [[UInt8]] {
        try visitNode("B-tree header")
        let head = try read(address, 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + UInt64(offsetSize) + 2 + UInt64(lengthSize), "a v2 B-tree header")
        guard head.bytes.starts(with: Array("BTHD".utf8)) else { throw .invalidInput("no v2 B-tree header at offset \(head.offset)") }
        var cursor = HDF5Cursor(head.bytes, offset: head.offset, what: "the v2 B-tree header at offset \(head.offset)")
        try cursor.skip(5)
        let type = Int(try cursor.integer(1))
        guard type == expectedType else { throw .invalidInput("the v2 B-tree at offset \(head.offset) has type \(type), \(expectedType) expected") }
        let nodeSize = Int(try cursor.integer(4))
        let recordSize = Int(try cursor.integer(2))
        let depth = Int(try cursor.integer(2))
        try cursor.skip(2)
        let root = try cursor.integer(offsetSize)
        let rootRecords = Int(try cursor.integer(2))
        guard nodeSize > 10, nodeSize <= limits.maxBlockBytes, recordSize > 0, recordSize < nodeSize, depth <= 16 else {
            throw .invalidInput("the v2 B-tree at offset \(head.offset) declares node size \(nodeSize), record size \(recordSize), depth \(depth)")
        }
        // Field sizes of internal nodes, computed as libhdf5 does (H5B2__hdr_init).
        func encodedSize(_ value: UInt64) -> Int { value == 0 ? 1 : (63 - value.leadingZeroBitCount) / 8 + 1 }
        let leafMax = UInt64((nodeSize - 10) / recordSize)
        let recordCountSize = encodedSize(leafMax)
        var cumulativeSize = [0]
        var cumulative = [leafMax]
        for level in stride(from: 1, through: max(depth, 1), by: 1) {
            let pointer = offsetSize + recordCountSize + (level > 1 ? cumulativeSize[level - 1] : 0)
            let maxRecords = UInt64(max(0, (nodeSize - 10 - pointer) / (recordSize + pointer)))
            let (product, overflow) = (maxRecords + 1).multipliedReportingOverflow(by: cumulative[level - 1])
            let total = overflow ? UInt64.max : product &+ maxRecords
            cumulative.append(total)
            cumulativeSize.append(encodedSize(total))
        }
        var records: [[UInt8]] = []
        var stack: [(address: UInt64, count: Int, depth: Int)] = isUndefined(root) || rootRecords == 0 ? [] : [(root, rootRecords, depth)]
        var seen: Set<UInt64> = []
        while let node = stack.popLast() {
            guard seen.insert(node.address).inserted else { throw .invalidInput("the v2 B-tree at offset \(head.offset) is looped") }
            try visitNode("B-tree node")
            let block = try read(node.address, UInt64(nodeSize), "a v2 B-tree node")
            let signature = node.depth == 0 ? "BTLF" : "BTIN"
            guard block.bytes.starts(with: Array(signature.utf8)) else {
                throw .invalidInput("the v2 B-tree node at offset \(block.offset) has no \(signature) signature")
            }
            var position = 6
            guard node.count <= (nodeSize - 10) / recordSize else {
                throw .invalidInput("the v2 B-tree node at offset \(block.offset) declares \(node.count) records, more than fit")
            }
            for _ in 0..<node.count {
                records.append(Array(block.bytes[position..<position + recordSize]))
                position += recordSize
            }
            guard node.depth > 0 else { continue }
            let childTotalSize = node.depth > 1 ? cumulativeSize[node.depth - 1] : 0
            for _ in 0...node.count {
                guard position + offsetSize + recordCountSize + childTotalSize <= block.bytes.count - 4 else {
                    throw .invalidInput("the v2 B-tree node at offset \(block.offset) is truncated")
                }
                let child = block.bytes.le(position, offsetSize)
                let count = Int(block.bytes.le(position + offsetSize, recordCountSize))
                position += offsetSize + recordCountSize + childTotalSize
                stack.append((child, count, node.depth - 1))
            }
        }
        return records
    }
}

/// A bounds-checked little-endian reader over one block.
struct HDF5Cursor {
    let bytes: [UInt8]
    let offset: Int64
    let what: String
    var position = 0

    init(_ bytes: [UInt8], offset: Int64, what: String) {
        self.bytes = bytes
        self.offset = offset
        self.what = what
    }

    mutating func integer(_ size: Int) throws(WardenError) -> UInt64 {
        guard size <= 8, position + size <= bytes.count else { throw .invalidInput("\(what) is truncated") }
        defer { position += size }
        return bytes.le(position, size)
    }

    mutating func bytes(_ count: Int) throws(WardenError) -> [UInt8] {
        guard count >= 0, position + count <= bytes.count else { throw .invalidInput("\(what) is truncated") }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func skip(_ count: Int) throws(WardenError) {
        guard position + count <= bytes.count else { throw .invalidInput("\(what) is truncated") }
        position += count
    }
}
