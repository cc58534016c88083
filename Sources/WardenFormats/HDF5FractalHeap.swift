import WardenCore

/// An HDF5 fractal heap (where dense storage keeps attribute messages): managed objects found
/// through the doubling table of direct and indirect blocks, huge objects through the heap's
/// version 2 B-tree, tiny objects inside the heap ID. Filtered (compressed) heaps are refused.
struct HDF5FractalHeap {
    let file: HDF5File
    let address: UInt64
    let idLength: Int
    let maxManagedSize: UInt64
    let hugeTree: UInt64
    let tableWidth: Int
    let startBlockSize: UInt64
    let maxDirectBlockSize: UInt64
    let maxHeapBits: Int
    let rootBlock: UInt64
    let rootRows: Int
    let checksummedDirectBlocks: Bool

    init(file: HDF5File, address: UInt64) throws(WardenError) {
        self.file = file
        self.address = address
        try file.visitNode("fractal heap header")
        let O = file.offsetSize, L = file.lengthSize
        let head = try file.read(address, UInt64(4 + 1 + 2 + 2 + 1 + 4 + L + O + L + O + 8 * L + 2 + L + L + 2 + 2 + O + 2), "the dense attribute heap")
        guard head.bytes.starts(with: Array("FRHP".utf8)) else { throw .invalidInput("no fractal heap header at offset \(head.offset)") }
        var cursor = HDF5Cursor(head.bytes, offset: head.offset, what: "the fractal heap header at offset \(head.offset)")
        try cursor.skip(5)
        idLength = Int(try cursor.integer(2))
        let filterLength = try cursor.integer(2)
        guard filterLength == 0 else {
            throw .invalidInput("the dense attribute heap at offset \(head.offset) is filtered (compressed), which this reader does not decompress")
        }
        let flags = try cursor.integer(1)
        checksummedDirectBlocks = flags & 0x02 != 0
        maxManagedSize = try cursor.integer(4)
        try cursor.skip(L)
        hugeTree = try cursor.integer(O)
        try cursor.skip(L + O + 8 * L)
        tableWidth = Int(try cursor.integer(2))
        startBlockSize = try cursor.integer(L)
        maxDirectBlockSize = try cursor.integer(L)
        maxHeapBits = Int(try cursor.integer(2))
        try cursor.skip(2)
        rootBlock = try cursor.integer(O)
        rootRows = Int(try cursor.integer(2))
        let powerOfTwo = { (value: UInt64) in value > 0 && value & (value - 1) == 0 }
        guard idLength >= 2, idLength <= 64, powerOfTwo(UInt64(tableWidth)), tableWidth <= 65_536, powerOfTwo(startBlockSize),
              powerOfTwo(maxDirectBlockSize), startBlockSize <= maxDirectBlockSize, maxDirectBlockSize <= UInt64(file.limits.maxBlockBytes),
              (1...64).contains(maxHeapBits), rootRows <= 64
        else {
            throw .invalidInput("the fractal heap header at offset \(head.offset) declares an impossible layout (ID length \(idLength), width \(tableWidth), blocks \(startBlockSize)–\(maxDirectBlockSize), \(maxHeapBits) bits)")
        }
    }

    private static func log2(_ value: UInt64) -> Int { 63 - value.leadingZeroBitCount }

    private var heapOffsetSize: Int { (maxHeapBits + 7) / 8 }

    /// The bytes of the object a heap ID names, and where they start in the file.
    func object(_ id: [UInt8]) throws(WardenError) -> (bytes: [UInt8], offset: Int64) {
        guard let first = id.first, first >> 6 == 0 else { throw .invalidInput("a fractal heap ID has an unknown version") }
        switch (first >> 4) & 0x03 {
        case 0:
            let lengthSize = min((Self.log2(maxDirectBlockSize) + 7) / 8, Self.limitEncodedSize(maxManagedSize))
            guard 1 + heapOffsetSize + lengthSize <= id.count else { throw .invalidInput("a managed fractal heap ID is too short") }
            return try managed(offset: id.le(1, heapOffsetSize), length: id.le(1 + heapOffsetSize, lengthSize))
        case 1:
            return try huge(id)
        case 2:
            let length = Int(first & 0x0f) + 1
            guard 1 + length <= id.count else { throw .invalidInput("a tiny fractal heap ID is too short") }
            return (Array(id[1..<1 + length]), -1)
        default:
            throw .invalidInput("a fractal heap ID has an unknown type")
        }
    }

    private static func limitEncodedSize(_ value: UInt64) -> Int { value == 0 ? 1 : log2(value) / 8 + 1 }

    /// The block size of a row of the doubling table (saturating: a hostile row count cannot wrap).
    private func rowSize(_ row: Int) -> UInt64 {
        guard row >= 2 else { return startBlockSize }
        return row - 1 < startBlockSize.leadingZeroBitCount ? startBlockSize << UInt64(row - 1) : UInt64.max
    }

    private var maxDirectRows: Int { Self.log2(maxDirectBlockSize) - Self.log2(startBlockSize) + 2 }

    private func managed(offset: UInt64, length: UInt64) throws(WardenError) -> (bytes: [UInt8], offset: Int64) {
        guard length > 0, length <= maxDirectBlockSize else { throw .invalidInput("a managed heap object declares \(length) bytes") }
        var block = rootBlock
        var blockOffset: UInt64 = 0
        var rows = rootRows
        var descents = 0
        while rows > 0 {
            descents += 1
            guard descents <= 64 else { throw .invalidInput("the fractal heap's indirect blocks nest too deep") }
            try file.visitNode("fractal heap indirect block")
            let entries = rows * tableWidth
            let directEntries = min(rows, maxDirectRows) * tableWidth
            let headerSize = 4 + 1 + file.offsetSize + heapOffsetSize
            let indirect = try file.read(block, UInt64(headerSize + entries * file.offsetSize), "a fractal heap indirect block")
            guard indirect.bytes.starts(with: Array("FHIB".utf8)) else {
                throw .invalidInput("no fractal heap indirect block at offset \(indirect.offset)")
            }
            var position = blockOffset
            var found = false
            for entry in 0..<entries {
                let size = rowSize(entry / tableWidth)
                let (end, overflow) = position.addingReportingOverflow(size)
                if overflow || offset < end {
                    block = indirect.bytes.le(headerSize + entry * file.offsetSize, file.offsetSize)
                    guard !file.isUndefined(block) else { throw .invalidInput("a managed heap object lies in an unallocated block") }
                    blockOffset = position
                    if entry < directEntries {
                        rows = 0
                    } else {
                        // A child indirect block of `size` bytes spans rows of the doubling table.
                        rows = Self.log2(size) - Self.log2(startBlockSize * UInt64(tableWidth)) + 1
                        guard rows > 0, rows < 64 else { throw .invalidInput("a fractal heap indirect block has an impossible size") }
                    }
                    found = true
                    break
                }
                position += size
            }
            guard found else { throw .invalidInput("a managed heap object's offset \(offset) lies past the heap") }
        }
        try file.visitNode("fractal heap direct block")
        let inBlock = offset - blockOffset
        let blockHeader = UInt64(4 + 1 + file.offsetSize + heapOffsetSize + (checksummedDirectBlocks ? 4 : 0))
        guard inBlock >= blockHeader else { throw .invalidInput("a managed heap object's offset points into a block header") }
        let head = try file.read(block, 4, "a fractal heap direct block")
        guard head.bytes == Array("FHDB".utf8) else { throw .invalidInput("no fractal heap direct block at offset \(head.offset)") }
        let (start, overflow) = block.addingReportingOverflow(inBlock)
        guard !overflow else { throw .invalidInput("a managed heap object's address overflows") }
        return try file.read(start, length, "a managed heap object")
    }

    private func huge(_ id: [UInt8]) throws(WardenError) -> (bytes: [UInt8], offset: Int64) {
        let O = file.offsetSize, L = file.lengthSize
        if idLength >= 1 + O + L, id.count >= 1 + O + L {
            // Directly accessed: the ID holds the address and length.
            return try file.read(id.le(1, O), id.le(1 + O, L), "a huge heap object")
        }
        let key = id.le(1, min(8, id.count - 1))
        guard !file.isUndefined(hugeTree) else { throw .invalidInput("a huge heap object is named but the heap has no huge-object B-tree") }
        for record in try file.btreeRecords(at: hugeTree, expectedType: 1) where record.count >= O + L + 1 {
            if record.le(O + L, min(8, record.count - O - L)) == key {
                return try file.read(record.le(0, O), record.le(O, L), "a huge heap object")
            }
        }
        throw .invalidInput("huge heap object \(key) is not in the heap's B-tree")
    }
}
