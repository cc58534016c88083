/// A value on the stack of the static pickle machine: what Python's unpickler would hold there,
/// as far as it can be known without executing anything.
///
/// Mutable objects (lists, dicts, sets, instances built by a call) live in the machine's object
/// table and are referenced by id, so that the memo shares them as Python does. Tuples nest
/// inline, with their depth bounded so that hostile nesting cannot exhaust the stack.
///
/// Only a global is boxed (its three strings would triple every value's size); the other cases
/// are stored inline, so pushing an integer or a memo reference allocates nothing.
public enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer too large for 64 bits.
    case bigInt
    case float(Double)
    /// A text string (cut to ``PickleMachine/Limits/maxKeptString`` characters).
    case string(String)
    /// A byte string; `value` is nil when it was too large to keep.
    case bytes(count: Int64, value: [UInt8]?, offset: Int64)
    /// A module attribute resolved by GLOBAL, STACK_GLOBAL or INST.
    indirect case global(PickleGlobal)
    /// A tuple (items beyond the kept maximum are dropped; `count` is the real length).
    case tuple(items: [PickleValue], count: Int, depth: Int)
    /// A reference to a mutable object in the machine's table.
    case object(Int)
    /// The result of `persistent_load(pid)`.
    case persistent
    /// An out-of-band buffer (protocol 5).
    case buffer
    /// Something the machine cannot know (an extension code, a value nested too deeply).
    case opaque(String)

    var depth: Int {
        if case .tuple(_, _, let depth) = self { return depth }
        return 0
    }

    /// The text, when this is a string.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The integer, when this is one.
    public var intValue: Int64? {
        switch self {
        case .int(let value): value
        case .bool(let value): value ? 1 : 0
        default: nil
        }
    }
}

/// A module attribute a pickle names: `module.name`, where the name may be dotted (protocol 4).
public struct PickleGlobal: Sendable, Hashable, CustomStringConvertible {
    public let module: String
    public let name: String
    /// `module.name` with Python 2 module names mapped as Python 3's unpickler maps them
    /// (`__builtin__` → `builtins`, `copy_reg` → `copyreg`). Computed once: every rule and every
    /// call of a pickle looks it up.
    public let qualifiedName: String

    public init(module: String, name: String) {
        self.module = module
        self.name = name
        let mapped = PickleGlobal.python2Modules[module] ?? module
        self.qualifiedName = name.isEmpty ? mapped : mapped + "." + name
    }

    public var description: String { qualifiedName }

    public static func == (lhs: PickleGlobal, rhs: PickleGlobal) -> Bool {
        lhs.module == rhs.module && lhs.name == rhs.name
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(module)
        hasher.combine(name)
    }

    static let python2Modules: [String: String] = [
        "__builtin__": "builtins", "copy_reg": "copyreg", "exceptions": "builtins", "cPickle": "pickle",
        "cStringIO": "io", "StringIO": "io", "UserDict": "collections", "UserList": "collections",
        "commands": "subprocess", "Queue": "queue", "_winreg": "winreg", "thread": "_thread",
        "urllib2": "urllib.request", "httplib": "http.client", "SocketServer": "socketserver",
    ]
}

/// A mutable object in the machine's table: a container, or an instance made by a call.
public struct PickleObject: Sendable {
    public enum Kind: Sendable {
        case list, dict, set, frozenset
        /// The result of calling `callee` (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ).
        case instance(callee: PickleValue, arguments: PickleValue, call: Int)
    }

    public var kind: Kind
    /// Items (lists, sets) or alternating keys and values (dicts), up to the kept maximum.
    public var items: [PickleValue] = []
    /// The real number of items (or entries).
    public var count = 0
    /// The state given by BUILD, when one was.
    public var state: PickleValue?
}
