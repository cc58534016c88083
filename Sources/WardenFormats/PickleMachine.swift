import WardenCore

/// A static pickle machine: runs a pickle's instructions over symbolic values, the way Python's
/// unpickler would, without importing or calling anything. It resolves GLOBAL / STACK_GLOBAL /
/// INST / OBJ (also when the module and name strings come through the memo) and records what
/// REDUCE, BUILD, NEWOBJ and NEWOBJ_EX would call. Every resource it uses is bounded.
public struct PickleMachine {
    /// Resource bounds; reaching one stops the analysis with a `limit` anomaly.
    public struct Limits: Sendable {
        public var maxKeptString = 4_096
        public var maxKeptItems = 64
        public var maxTupleDepth = 32
        public var maxMemo = 1 << 20
        public var maxStack = 1 << 20
        public var maxObjects = 1 << 21
        public var maxKeptBytesTotal = 64 << 20
        public var maxInlineDepth = 4
        public init() {}
    }

    /// Format knowledge the machine applies while it runs.
    public struct Options: Sendable {
        /// joblib's NumpyArrayWrapper: raw array bytes (or a nested pickle) follow its BUILD.
        public var joblibArrays = false
        public var limits = Limits()
        public init(joblibArrays: Bool = false, limits: Limits = Limits()) {
            self.joblibArrays = joblibArrays
            self.limits = limits
        }
    }

    private struct Stop: Error {}

    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo = PickleMemo()
    private var objects: [PickleObject] = []
    private var keptBytes = 0
    private var result: PickleAnalysis
    private let options: Options
    private let inlineDepth: Int
    private var currentOffset: Int64 = 0

    private init(start: Int64, options: Options, inlineDepth: Int) {
        self.result = PickleAnalysis(start: start, end: start)
        self.options = options
        self.inlineDepth = inlineDepth
    }

    /// Analyses one pickle starting at the reader's offset and leaves the reader after its STOP
    /// (or where decoding stopped). Never throws: decoding errors become `malformed` anomalies.
    public static func analyse(_ reader: inout PickleReader, options: Options = Options()) -> PickleAnalysis {
        analyse(&reader, options: options, inlineDepth: 0)
    }

    private static func analyse(_ reader: inout PickleReader, options: Options, inlineDepth: Int) -> PickleAnalysis {
        var machine = PickleMachine(start: reader.offset, options: options, inlineDepth: inlineDepth)
        do {
            try machine.run(&reader)
        } catch {}
        machine.result.end = reader.offset
        return machine.result
    }

    // MARK: - The loop

    private mutating func run(_ reader: inout PickleReader) throws(Stop) {
        while true {
            let op: PickleOp
            do {
                op = try reader.next()
            } catch {
                throw fail(.malformed, error.message, reader.offset)
            }
            result.opcodes += 1
            currentOffset = op.offset
            if try step(op, &reader) { return }
        }
    }

    /// Executes one instruction; true at STOP.
    private mutating func step(_ op: PickleOp, _ reader: inout PickleReader) throws(Stop) -> Bool {
        // The stack helpers take the opcode byte: its name is spelled out only in an anomaly's
        // message, never on the hot path.
        switch op.opcode {
        case 0x2e:  // STOP
            _ = try pop(op.opcode)
            result.complete = true
            return true
        case 0x80:  // PROTO
            if case .int(let version) = op.argument { result.protocolVersion = max(result.protocolVersion ?? 0, Int(version)) }
        case 0x95:  // FRAME
            break
        case 0x28:  // MARK
            guard marks.count < options.limits.maxStack else {
                throw fail(.limit, "more than \(options.limits.maxStack) open MARKs", op.offset)
            }
            marks.append(stack.count)
        case 0x30:  // POP
            if stack.count > (marks.last ?? 0) { stack.removeLast() } else { _ = try popMark(op.opcode) }
        case 0x31:  // POP_MARK
            _ = try popMark(op.opcode)
        case 0x32:  // DUP
            try push(try top(op.opcode))
        case 0x4e: try push(.none)
        case 0x88: try push(.bool(true))
        case 0x89: try push(.bool(false))
        case 0x29: try push(.tuple(items: [], count: 0, depth: 1))
        case 0x5d: try push(try newObject(.list))
        case 0x7d: try push(try newObject(.dict))
        case 0x8f: try push(try newObject(.set))
        case 0x85, 0x86, 0x87:  // TUPLE1-3
            let count = Int(op.opcode - 0x84)
            guard stack.count - (marks.last ?? 0) >= count else { throw underflow(op.opcode) }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            try push(tuple(items))
        case 0x74:  // TUPLE
            try push(tuple(try popMark(op.opcode)))
        case 0x6c:  // LIST
            let items = try popMark(op.opcode)
            try push(try newObject(.list, items: items))
        case 0x64:  // DICT
            let items = try popMark(op.opcode)
            try push(try newObject(.dict, items: items, count: items.count / 2))
        case 0x91:  // FROZENSET
            let items = try popMark(op.opcode)
            try push(try newObject(.frozenset, items: items))
        case 0x61:  // APPEND
            let item = try pop(op.opcode)
            add([item], to: try top(op.opcode), entries: 1)
        case 0x65, 0x90:  // APPENDS, ADDITEMS
            let items = try popMark(op.opcode)
            add(items, to: try top(op.opcode), entries: items.count)
        case 0x73:  // SETITEM
            let value = try pop(op.opcode)
            let key = try pop(op.opcode)
            add([key, value], to: try top(op.opcode), entries: 1)
        case 0x75:  // SETITEMS
            let items = try popMark(op.opcode)
            add(items, to: try top(op.opcode), entries: items.count / 2)
        case 0x49, 0x4a, 0x4b, 0x4d, 0x4c, 0x8a, 0x8b:  // integers
            switch op.argument {
            case .int(let value): try push(.int(value))
            default: try push(.bigInt)
            }
        case 0x46, 0x47:
            if case .float(let value) = op.argument { try push(.float(value)) } else { try push(.float(.nan)) }
        case 0x53, 0x56, 0x58, 0x8c, 0x8d:  // text strings
            if case .string(let text) = op.argument { try push(.string(keep(text))) }
        case 0x54, 0x55:  // BINSTRING, SHORT_BINSTRING: bytes decoded as text (latin-1 or ascii)
            if case .bytes(_, let value) = op.argument, let value {
                try push(.string(keep(String(decoding: value, as: UTF8.self))))
            } else {
                try push(.string(""))
            }
        case 0x42, 0x43, 0x8e, 0x96:  // bytes, bytearray
            if case .bytes(let count, var value) = op.argument {
                if let kept = value {
                    if keptBytes + kept.count > options.limits.maxKeptBytesTotal { value = nil } else { keptBytes += kept.count }
                }
                try push(.bytes(count: count, value: value, offset: op.offset))
            }
        case 0x97, 0x98:  // NEXT_BUFFER, READONLY_BUFFER
            if op.opcode == 0x97 {
                try push(.buffer)
                note(.outOfBandBuffer, "NEXT_BUFFER: an out-of-band buffer that plain pickle.load refuses")
            }
        case 0x70, 0x71, 0x72:  // PUT, BINPUT, LONG_BINPUT
            guard case .int(let key) = op.argument else { break }
            try remember(key, try top(op.opcode))
        case 0x94:  // MEMOIZE
            try remember(Int64(memo.count), try top(op.opcode))
        case 0x67, 0x68, 0x6a:  // GET, BINGET, LONG_BINGET
            guard case .int(let key) = op.argument, let value = memo[key] else {
                throw fail(.malformed, "\(op.name) of a memo key that was never stored", op.offset)
            }
            try push(value)
        case 0x63:  // GLOBAL
            guard case .global(let module, let global) = op.argument else { break }
            try push(.global(resolve(module: module, name: global, opcode: op.opcode)))
        case 0x93:  // STACK_GLOBAL
            let nameValue = try pop(op.opcode)
            let moduleValue = try pop(op.opcode)
            guard let module = moduleValue.stringValue, let global = nameValue.stringValue else {
                let computed = "\(describe(moduleValue)) . \(describe(nameValue))"
                note(.computedGlobal, "STACK_GLOBAL with operands that are not string constants: \(computed)")
                try push(.opaque("computed global \(computed)"))
                return false
            }
            try push(.global(resolve(module: module, name: global, opcode: op.opcode)))
        case 0x82, 0x83, 0x84:  // EXT1/2/4
            var code: Int64 = 0
            if case .int(let value) = op.argument { code = value }
            note(.extensionCode, "\(op.name) \(code): a global looked up in copyreg's extension registry")
            try push(.opaque("extension code \(code)"))
        case 0x50:  // PERSID
            result.persistentLoads += 1
            if result.persistentLoads == 1 { note(.persistentID, "PERSID: a persistent id for the loader's persistent_load") }
            try push(.persistent)
        case 0x51:  // BINPERSID
            _ = try pop(op.opcode)
            result.persistentLoads += 1
            if result.persistentLoads == 1 { note(.persistentID, "BINPERSID: a persistent id for the loader's persistent_load") }
            try push(.persistent)
        case 0x52:  // REDUCE
            let arguments = try pop(op.opcode)
            let callable = try pop(op.opcode)
            try push(try call(.reduce, callable, arguments))
        case 0x81:  // NEWOBJ
            let arguments = try pop(op.opcode)
            let cls = try pop(op.opcode)
            try push(try call(.newobj, cls, arguments))
        case 0x92:  // NEWOBJ_EX
            let keywords = try pop(op.opcode)
            let arguments = try pop(op.opcode)
            let cls = try pop(op.opcode)
            try push(try call(.newobjEx, cls, tuple([arguments, keywords])))
        case 0x69:  // INST
            guard case .global(let module, let global) = op.argument else { break }
            let items = try popMark(op.opcode)
            let cls = PickleValue.global(resolve(module: module, name: global, opcode: op.opcode))
            try push(try call(.inst, cls, tuple(items)))
        case 0x6f:  // OBJ
            var items = try popMark(op.opcode)
            guard !items.isEmpty else { throw underflow(op.opcode) }
            let cls = items.removeFirst()
            try push(try call(.obj, cls, tuple(items)))
        case 0x62:  // BUILD
            let state = try pop(op.opcode)
            let target = try top(op.opcode)
            try build(target, state: state, &reader)
        default:
            throw fail(.malformed, "opcode \(op.name) is not handled", op.offset)
        }
        return false
    }

    // MARK: - Stack and memo

    private mutating func underflow(_ opcode: UInt8) -> Stop {
        fail(.malformed, "\(PickleOp.name(of: opcode)) on an empty stack", currentOffset)
    }

    private mutating func fail(_ kind: PickleAnalysis.Anomaly.Kind, _ message: String, _ offset: Int64) -> Stop {
        result.anomalies.append(.init(kind: kind, message: message, offset: offset))
        return Stop()
    }

    private mutating func note(_ kind: PickleAnalysis.Anomaly.Kind, _ message: String) {
        result.anomalies.append(.init(kind: kind, message: message, offset: currentOffset))
    }

    private mutating func push(_ value: PickleValue) throws(Stop) {
        guard stack.count < options.limits.maxStack else {
            throw fail(.limit, "the stack grows past \(options.limits.maxStack) items", currentOffset)
        }
        stack.append(value)
    }

    private mutating func pop(_ opcode: UInt8) throws(Stop) -> PickleValue {
        guard stack.count > (marks.last ?? 0) else {
            throw underflow(opcode)
        }
        return stack.removeLast()
    }

    private mutating func top(_ opcode: UInt8) throws(Stop) -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else {
            throw underflow(opcode)
        }
        return value
    }

    private mutating func popMark(_ opcode: UInt8) throws(Stop) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail(.malformed, "\(PickleOp.name(of: opcode)) with no MARK", currentOffset) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func remember(_ key: Int64, _ value: PickleValue) throws(Stop) {
        guard memo.count < options.limits.maxMemo || memo[key] != nil else {
            throw fail(.limit, "the memo grows past \(options.limits.maxMemo) entries", currentOffset)
        }
        memo.store(value, at: key)
    }

    private func keep(_ text: String) -> String {
        text.utf8.count <= options.limits.maxKeptString ? text : String(text.prefix(options.limits.maxKeptString))
    }

    private func tuple(_ items: [PickleValue]) -> PickleValue {
        let limits = options.limits
        var kept: [PickleValue] = []
        var depth = 0
        for item in items.prefix(limits.maxKeptItems) {
            let value = item.depth >= limits.maxTupleDepth ? PickleValue.opaque("nested too deeply") : item
            depth = max(depth, value.depth)
            kept.append(value)
        }
        return .tuple(items: kept, count: items.count, depth: depth + 1)
    }

    private mutating func newObject(_ kind: PickleObject.Kind, items: [PickleValue] = [], count: Int? = nil) throws(Stop) -> PickleValue {
        guard objects.count < options.limits.maxObjects else {
            throw fail(.limit, "more than \(options.limits.maxObjects) objects", currentOffset)
        }
        objects.append(PickleObject(kind: kind, items: Array(items.prefix(options.limits.maxKeptItems)), count: count ?? items.count))
        return .object(objects.count - 1)
    }

    private mutating func add(_ items: [PickleValue], to target: PickleValue, entries: Int) {
        guard case .object(let id) = target else { return }
        let room = max(0, options.limits.maxKeptItems - objects[id].items.count)
        if room > 0 { objects[id].items.append(contentsOf: items.prefix(room)) }
        objects[id].count += entries
    }

    private mutating func resolve(module: String, name: String, opcode: UInt8) -> PickleGlobal {
        let kept = PickleGlobal(module: keep(module), name: keep(name))
        result.imports.append(.init(global: kept, offset: currentOffset, opcode: PickleOp.name(of: opcode)))
        return kept
    }

    // MARK: - Calls and BUILD

    private mutating func call(_ kind: PickleAnalysis.CallKind, _ callable: PickleValue, _ arguments: PickleValue) throws(Stop) -> PickleValue {
        var global: PickleGlobal?
        var calleeGlobals: [PickleGlobal] = []
        if case .global(let g) = callable { global = g } else { collectGlobals(callable, into: &calleeGlobals, depth: 0) }
        var argumentGlobals: [PickleGlobal] = []
        var strings: [String]? = nil
        if case .tuple(let items, let count, _) = arguments {
            for item in items {
                if case .global(let g) = item { argumentGlobals.append(g) }
            }
            let texts = items.compactMap(\.stringValue)
            if texts.count == items.count && count == items.count { strings = texts }
        }
        let index = result.calls.count
        // Descriptions are text for findings: a call of a global is named by the global, so only a
        // computed callable's call is described (most calls of a model pickle are of globals).
        result.calls.append(.init(
            kind: kind, offset: currentOffset, global: global, callee: global?.qualifiedName ?? describe(callable),
            arguments: global == nil ? describe(arguments) : "",
            argumentGlobals: argumentGlobals, calleeGlobals: calleeGlobals, stringArguments: strings))
        collectEmbedded(arguments, consumer: callable, depth: 0)
        guard objects.count < options.limits.maxObjects else {
            throw fail(.limit, "more than \(options.limits.maxObjects) objects", currentOffset)
        }
        objects.append(PickleObject(kind: .instance(callee: callable, arguments: arguments, call: index)))
        return .object(objects.count - 1)
    }

    private mutating func build(_ target: PickleValue, state: PickleValue, _ reader: inout PickleReader) throws(Stop) {
        guard case .object(let id) = target else {
            result.builds.append(.init(offset: currentOffset, target: describe(target)))
            return
        }
        objects[id].state = state
        guard options.joblibArrays, case .instance(.global(let cls), _, _) = objects[id].kind,
            cls.name == "NumpyArrayWrapper", cls.module.hasSuffix("numpy_pickle")
        else { return }
        try readJoblibArray(state: state, &reader)
    }

    /// joblib writes an array's bytes right after its wrapper's BUILD (after a padding byte and
    /// padding when aligned), or, for object arrays, a whole nested pickle.
    private mutating func readJoblibArray(state: PickleValue, _ reader: inout PickleReader) throws(Stop) {
        let fields = dictionary(state)
        guard case .tuple(let dims, let ndim, _)? = fields["shape"], dims.count == ndim,
            let dtype = fields["dtype"], let (kind, itemSize) = dtypeSize(dtype)
        else {
            throw fail(.unsizedData, "a joblib NumpyArrayWrapper whose shape or dtype cannot be read statically; the data after it is not analysed", currentOffset)
        }
        if kind == "O" {
            guard inlineDepth < options.limits.maxInlineDepth else {
                throw fail(.limit, "joblib object arrays nested more than \(options.limits.maxInlineDepth) deep", currentOffset)
            }
            let start = reader.offset
            let inner = PickleMachine.analyse(&reader, options: options, inlineDepth: inlineDepth + 1)
            result.inline.append(.init(offset: start, analysis: inner))
            guard inner.complete else { throw fail(.malformed, "the object array's pickle does not decode", start) }
            return
        }
        var count: Int64 = 1
        for dim in dims {
            guard let value = dim.intValue, value >= 0 else {
                throw fail(.unsizedData, "a joblib array with a non-integer dimension", currentOffset)
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: value)
            guard !overflow else { throw fail(.malformed, "a joblib array whose size overflows", currentOffset) }
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow else { throw fail(.malformed, "a joblib array whose size overflows", currentOffset) }
        do throws(WardenError) {
            if fields["numpy_array_alignment_bytes"]?.intValue != nil {
                let padding = try reader.peek(1)
                guard padding.count == 1 else { throw reader.hostile("missing padding byte", reader.offset) }
                try reader.skip(1 + Int64(padding[0]))
            }
            try reader.skip(bytes)
        } catch {
            throw fail(.malformed, "joblib array data: \(error.message)", currentOffset)
        }
        result.skippedDataBytes += bytes
    }

    /// The string-keyed entries of a dict value.
    private func dictionary(_ value: PickleValue) -> [String: PickleValue] {
        guard case .object(let id) = value, case .dict = objects[id].kind else { return [:] }
        var out: [String: PickleValue] = [:]
        var index = 0
        let items = objects[id].items
        while index + 1 < items.count {
            if let key = items[index].stringValue { out[key] = items[index + 1] }
            index += 2
        }
        return out
    }

    /// The kind letter and item size of a `numpy.dtype(...)` value built by the pickle.
    private func dtypeSize(_ value: PickleValue) -> (String, Int64)? {
        guard case .object(let id) = value, case .instance(.global(let cls), let arguments, _) = objects[id].kind,
            cls.name == "dtype", cls.module.hasPrefix("numpy"),
            case .tuple(let items, _, _) = arguments, let text = items.first?.stringValue
        else { return nil }
        var spec = Substring(text)
        if let first = spec.first, "<>|=".contains(first) { spec = spec.dropFirst() }
        guard let kind = spec.first else { return nil }
        let digits = Int64(spec.dropFirst()) ?? 0
        if kind == "O" { return ("O", 8) }
        // The BUILD state's elsize (index 5) is authoritative for flexible types.
        if case .tuple(let state, _, _)? = objects[id].state, state.count > 5, let elsize = state[5].intValue, elsize > 0 {
            return (String(kind), elsize)
        }
        switch kind {
        case "b", "i", "u", "f", "c", "m", "M", "S", "a", "V": return digits > 0 || kind == "b" ? (String(kind), max(digits, 1)) : nil
        case "U": return digits > 0 ? ("U", digits * 4) : nil
        case "?": return ("b", 1)
        default: return nil
        }
    }

    // MARK: - Describing values

    /// A short description of a value: nesting and length are bounded, so describing a hostile
    /// value costs little whatever its shape.
    private func describe(_ value: PickleValue) -> String {
        var budget = 160
        return describe(value, depth: 0, budget: &budget)
    }

    private func describe(_ value: PickleValue, depth: Int, budget: inout Int) -> String {
        guard depth < 4, budget > 0 else { return "…" }
        let text = describeOne(value, depth: depth, budget: &budget)
        budget -= text.utf8.count
        return text
    }

    private func describeOne(_ value: PickleValue, depth: Int, budget: inout Int) -> String {
        switch value {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .bigInt: return "<long int>"
        case .float(let f): return String(f)
        case .string(let s): return "'" + (s.count > 60 ? String(s.prefix(60)) + "…" : s) + "'"
        case .bytes(let count, _, _): return "<\(count) bytes>"
        case .global(let g): return g.qualifiedName
        case .tuple(let items, let count, _):
            var parts: [String] = []
            for item in items.prefix(6) { parts.append(describe(item, depth: depth + 1, budget: &budget)) }
            return "(" + parts.concatenated(separator: ", ") + (count > 6 ? ", …" : count == 1 ? "," : "") + ")"
        case .object(let id):
            let object = objects[id]
            switch object.kind {
            case .list: return "[\(object.count) items]"
            case .dict: return "{\(object.count) entries}"
            case .set, .frozenset: return "{set of \(object.count)}"
            case .instance(let callee, let arguments, _):
                let calleeText = describe(callee, depth: depth + 1, budget: &budget)
                return "result of \(calleeText)\(describe(arguments, depth: depth + 1, budget: &budget))"
            }
        case .persistent: return "<persistent id>"
        case .buffer: return "<out-of-band buffer>"
        case .opaque(let what): return "<\(what)>"
        }
    }

    private func collectGlobals(_ value: PickleValue, into globals: inout [PickleGlobal], depth: Int) {
        guard depth < 8, globals.count < 16 else { return }
        switch value {
        case .global(let g): globals.append(g)
        case .tuple(let items, _, _): for item in items { collectGlobals(item, into: &globals, depth: depth + 1) }
        case .object(let id):
            if case .instance(let callee, let arguments, _) = objects[id].kind {
                collectGlobals(callee, into: &globals, depth: depth + 1)
                collectGlobals(arguments, into: &globals, depth: depth + 1)
            }
        default: break
        }
    }

    private mutating func collectEmbedded(_ value: PickleValue, consumer: PickleValue, depth: Int) {
        guard depth < 4 else { return }
        switch value {
        case .bytes(_, let bytes?, let offset) where bytes.count >= 4:
            let head = Array(bytes.prefix(8))
            if PickleReader.looksLikePickle(head) || ZipArchive.looksLikeZip(head) {
                result.embedded.append(.init(offset: offset, bytes: bytes, consumer: describe(consumer)))
            }
        case .tuple(let items, _, _):
            for item in items { collectEmbedded(item, consumer: consumer, depth: depth + 1) }
        default: break
        }
    }
}
