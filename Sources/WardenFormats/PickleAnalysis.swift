/// What the static pickle machine learned from one pickle: every global it resolves, every call
/// it would make, and everything odd about the stream. Scanners grade these; the machine only
/// reports them.
public struct PickleAnalysis: Sendable {
    /// A global resolved by GLOBAL, STACK_GLOBAL or INST.
    public struct Import: Sendable, Hashable {
        public var global: PickleGlobal
        /// Offset of the opcode that resolved it.
        public var offset: Int64
        /// `GLOBAL`, `STACK_GLOBAL` or `INST`.
        public var opcode: String
    }

    /// What an opcode does with a callable.
    public enum CallKind: String, Sendable, Hashable {
        case reduce = "REDUCE", newobj = "NEWOBJ", newobjEx = "NEWOBJ_EX", inst = "INST", obj = "OBJ"
    }

    /// One call the unpickler would make.
    public struct Call: Sendable {
        public var kind: CallKind
        public var offset: Int64
        /// The callable when it is a global; nil when it is computed (the result of another call,
        /// a persistent id, an extension code …).
        public var global: PickleGlobal?
        /// A short description of the callable (`posix.system`, `result of builtins.getattr(…)`).
        public var callee: String
        /// A short description of the arguments when the callable is computed (`global` is nil),
        /// which is when a scanner reports them; empty for a call of a global.
        public var arguments: String
        /// Globals passed directly as arguments (classes given to `copyreg._reconstructor`, …).
        public var argumentGlobals: [PickleGlobal]
        /// The globals involved in computing a computed callable.
        public var calleeGlobals: [PickleGlobal]
        /// The arguments when every one is a string constant (nil otherwise).
        public var stringArguments: [String]?
    }

    /// A BUILD whose target is not an instance made by a call: it sets attributes on a module
    /// attribute (a class, a function, a module), which no legitimate pickle does.
    public struct Build: Sendable {
        public var offset: Int64
        public var target: String
    }

    /// Something unusual about the stream.
    public struct Anomaly: Sendable, Hashable {
        public struct Kind: Hashable, Sendable, CustomStringConvertible {
            private let value: String
            private init(_ value: String) { self.value = value }
            /// The stream does not decode (unknown opcode, truncation, stack underflow, missing memo key):
            /// Python's unpickler would stop here with an error.
            public static let malformed = Kind("malformed")
            /// STACK_GLOBAL operands that are not string constants: the name is computed at load time.
            public static let computedGlobal = Kind("computed-global")
            /// EXT1/EXT2/EXT4: a global looked up in copyreg's extension registry.
            public static let extensionCode = Kind("extension-code")
            /// A persistent id (PERSID/BINPERSID): only loaders with a persistent_load accept it.
            public static let persistentID = Kind("persistent-id")
            /// A resource limit of the machine was reached (memo, stack, objects, kept bytes).
            public static let limit = Kind("limit")
            /// Raw data the machine could not size (a joblib array of unknown dtype).
            public static let unsizedData = Kind("unsized-data")
            /// Out-of-band buffers (protocol 5).
            public static let outOfBandBuffer = Kind("out-of-band-buffer")
            public var description: String { value }
        }

        public var kind: Kind
        public var message: String
        public var offset: Int64
    }

    /// A byte string passed to a call that itself looks like a pickle or an archive (`pickle.loads`
    /// of an inner pickle, `torch.storage._load_from_bytes`): scanners analyse it too.
    public struct Embedded: Sendable {
        public var offset: Int64
        public var bytes: [UInt8]
        public var consumer: String
    }

    /// A nested pickle read from the same stream (joblib's object arrays), analysed in place.
    public struct Inline: Sendable {
        public var offset: Int64
        public var analysis: PickleAnalysis
    }

    public var start: Int64
    /// Offset after the STOP opcode (or where decoding stopped).
    public var end: Int64
    /// Whether the pickle reached STOP.
    public var complete = false
    /// The highest PROTO seen.
    public var protocolVersion: Int?
    public var opcodes = 0
    public var imports: [Import] = []
    public var calls: [Call] = []
    public var builds: [Build] = []
    public var anomalies: [Anomaly] = []
    public var embedded: [Embedded] = []
    public var inline: [Inline] = []
    /// Raw array bytes skipped between instructions (joblib).
    public var skippedDataBytes: Int64 = 0
    public var persistentLoads = 0

    /// Every import of this pickle and of the pickles read inline.
    public var allImports: [Import] { imports + inline.flatMap(\.analysis.allImports) }
}
