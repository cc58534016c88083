/// Writes pickle opcodes, so tests can build any pickle, benign or hostile, byte by byte: the
/// payloads name dangerous globals but nothing ever unpickles them.
public struct PickleWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public let protocolVersion: Int

    /// Starts a pickle; protocols 2–5 begin with PROTO.
    public init(protocol version: Int = 4) {
        protocolVersion = version
        if version >= 2 { bytes = [0x80, UInt8(version)] }
    }

    public mutating func raw(_ data: [UInt8]) { bytes += data }
    public mutating func op(_ code: UInt8) { bytes.append(code) }

    private mutating func le(_ value: UInt64, _ size: Int) {
        for index in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    // MARK: Values

    public mutating func none() { op(0x4e) }
    public mutating func bool(_ value: Bool) {
        if protocolVersion >= 2 { op(value ? 0x88 : 0x89) } else { raw(Array((value ? "I01\n" : "I00\n").utf8)) }
    }

    public mutating func int(_ value: Int64) {
        if protocolVersion == 0 {
            raw(Array("I\(value)\n".utf8))
        } else if value >= 0 && value < 256 {
            op(0x4b); le(UInt64(value), 1)
        } else if value >= 0 && value < 65_536 {
            op(0x4d); le(UInt64(value), 2)
        } else if value >= Int64(Int32.min) && value <= Int64(Int32.max) {
            op(0x4a); le(UInt64(bitPattern: value), 4)
        } else {
            op(0x8a); op(8); le(UInt64(bitPattern: value), 8)
        }
    }

    public mutating func float(_ value: Double) {
        op(0x47)
        let bits = value.bitPattern
        for index in (0..<8).reversed() { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(index)))) }
    }

    /// A text string: UNICODE (protocol 0–1), SHORT_BINUNICODE or BINUNICODE.
    public mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        if protocolVersion < 2 {
            op(0x56); raw(Array(text.utf8)); op(0x0a)
        } else if utf8.count < 256 && protocolVersion >= 4 {
            op(0x8c); le(UInt64(utf8.count), 1); raw(utf8)
        } else {
            op(0x58); le(UInt64(utf8.count), 4); raw(utf8)
        }
    }

    /// A byte string (SHORT_BINBYTES / BINBYTES).
    public mutating func data(_ value: [UInt8]) {
        if value.count < 256 { op(0x43); le(UInt64(value.count), 1) } else { op(0x42); le(UInt64(value.count), 4) }
        raw(value)
    }

    // MARK: Structure

    public mutating func mark() { op(0x28) }
    public mutating func tuple() { op(0x74) }
    public mutating func emptyTuple() { op(0x29) }
    public mutating func tuple1() { op(0x85) }
    public mutating func tuple2() { op(0x86) }
    public mutating func tuple3() { op(0x87) }
    public mutating func emptyList() { op(0x5d) }
    public mutating func emptyDict() { op(0x7d) }
    public mutating func emptySet() { op(0x8f) }
    public mutating func append() { op(0x61) }
    public mutating func appends() { op(0x65) }
    public mutating func setItem() { op(0x73) }
    public mutating func setItems() { op(0x75) }
    public mutating func memoize() { op(0x94) }
    public mutating func put(_ index: Int) { op(0x71); le(UInt64(index), 1) }
    public mutating func get(_ index: Int) { op(0x68); le(UInt64(index), 1) }
    public mutating func reduce() { op(0x52) }
    public mutating func build() { op(0x62) }
    public mutating func newObj() { op(0x81) }
    public mutating func newObjEx() { op(0x92) }
    public mutating func binPersID() { op(0x51) }
    public mutating func stop() { op(0x2e) }

    /// GLOBAL `module name` (text form, every protocol).
    public mutating func global(_ module: String, _ name: String) {
        op(0x63); raw(Array("\(module)\n\(name)\n".utf8))
    }

    /// Two strings and STACK_GLOBAL (protocol 4).
    public mutating func stackGlobal(_ module: String, _ name: String) {
        string(module); string(name); op(0x93)
    }

    /// INST `module name` over the items since the last MARK.
    public mutating func inst(_ module: String, _ name: String) {
        op(0x69); raw(Array("\(module)\n\(name)\n".utf8))
    }

    /// OBJ over the items since the last MARK (the first is the class).
    public mutating func obj() { op(0x6f) }

    /// `module.name(*arguments)`: the global, a tuple of what `arguments` pushes, REDUCE.
    public mutating func call(_ module: String, _ name: String, stack: Bool = false, _ arguments: (inout PickleWriter) -> Void = { _ in }) {
        if stack { stackGlobal(module, name) } else { global(module, name) }
        mark()
        arguments(&self)
        tuple()
        reduce()
    }

    /// A finished pickle of `body` followed by STOP.
    public static func pickle(protocol version: Int = 4, _ body: (inout PickleWriter) -> Void) -> [UInt8] {
        var writer = PickleWriter(protocol: version)
        body(&writer)
        writer.stop()
        return writer.bytes
    }
}
