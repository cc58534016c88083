import WardenCore
import WardenFormats

/// The rule sets that grade the globals a pickle uses.
///
/// The verdict comes from allowlists chosen by the file's format (a PyTorch checkpoint may use
/// torch's rebuild functions, a joblib file scikit-learn's classes, …): anything outside them is
/// a finding. The denylist only sets the severity and explains: a global off the denylist is
/// still a finding when it is off the allowlist. docs/scanning.md lists every entry.
package enum PickleRules {
    /// Which producers' globals a pickle may use, from the format it sits in.
    package struct Context: OptionSet, Sendable, Hashable {
        package let rawValue: Int
        package init(rawValue: Int) { self.rawValue = rawValue }
        package static let torch = Context(rawValue: 1)
        package static let numpy = Context(rawValue: 2)
        package static let sklearn = Context(rawValue: 4)
        package static let joblib = Context(rawValue: 8)
        /// A bare pickle: its producer is unknown, so every producer's allowlist applies.
        package static let any: Context = [.torch, .numpy, .sklearn, .joblib]
        package static let pytorch: Context = [.torch, .numpy]
        package static let joblibFile: Context = [.numpy, .sklearn, .joblib]
    }

    /// Plain Python values every format may use.
    package static let base: Set<String> = [
        "builtins.set", "builtins.frozenset", "builtins.dict", "builtins.list", "builtins.tuple", "builtins.int",
        "builtins.float", "builtins.complex", "builtins.bool", "builtins.str", "builtins.bytes", "builtins.bytearray",
        "builtins.slice", "builtins.range", "builtins.object", "builtins.NoneType", "builtins.Ellipsis",
        "collections.OrderedDict", "collections.defaultdict", "collections.deque", "collections.Counter",
        "collections.namedtuple",
        "copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__",
        "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone",
        "decimal.Decimal", "fractions.Fraction", "uuid.UUID",
    ]

    /// NumPy's array and dtype reconstruction.
    package static let numpy: Set<String> = {
        var names: Set<String> = []
        for core in ["numpy.core.multiarray", "numpy._core.multiarray"] {
            names.formUnion(["\(core)._reconstruct", "\(core).scalar"])
        }
        names.formUnion([
            "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer", "numpy.ndarray", "numpy.dtype",
            "numpy.ma.core._mareconstruct", "numpy.ma.core.MaskedArray",
            "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__generator_ctor",
            "numpy.random._pickle.__bit_generator_ctor", "numpy.random._mt19937.MT19937", "numpy.random._pcg64.PCG64",
            "numpy.random.bit_generator.SeedSequence", "numpy.random.mtrand.RandomState", "numpy.random._generator.Generator",
        ])
        let scalars = ["bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
                       "float64", "longdouble", "complex64", "complex128", "str_", "bytes_", "object_", "datetime64", "timedelta64", "intc", "intp"]
        for scalar in scalars { names.insert("numpy.\(scalar)") }
        for kind in ["Float64DType", "Float32DType", "Float16DType", "Int64DType", "Int32DType", "Int16DType", "Int8DType",
                     "UInt64DType", "UInt32DType", "UInt16DType", "UInt8DType", "BoolDType", "ObjectDType", "StrDType", "BytesDType"] {
            names.insert("numpy.dtypes.\(kind)")
        }
        return names
    }()

    /// PyTorch's tensor rebuild functions, storages, dtypes and standard modules.
    package static let torch: Set<String> = {
        var names: Set<String> = [
            "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_qtensor",
            "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_device_tensor_from_numpy",
            "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_wrapper_subclass",
            "torch._utils._rebuild_nested_tensor", "torch._tensor._rebuild_from_type_v2", "torch._tensor._rebuild_from_type",
            "torch.storage.UntypedStorage", "torch.storage.TypedStorage", "torch.storage._load_from_bytes",
            "torch.Size", "torch.device", "torch.dtype", "torch.Tensor", "torch.nn.parameter.Parameter",
            "torch.nn.parameter.Buffer", "torch.serialization._get_layout", "torch._C._nn.gelu",
        ]
        for storage in ["Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
                        "ComplexFloat", "ComplexDouble", "QInt8", "QUInt8", "QInt32", "Untyped"] {
            names.insert("torch.\(storage)Storage")
            names.insert("torch.cuda.\(storage)Storage")
        }
        for constant in ["float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long", "int32",
                         "int", "int16", "short", "int8", "uint8", "bool", "complex64", "complex128", "qint8", "quint8",
                         "qint32", "float8_e4m3fn", "float8_e5m2", "strided", "sparse_coo", "sparse_csr", "_mkldnn",
                         "contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
                         "per_tensor_affine", "per_channel_affine"] {
            names.insert("torch.\(constant)")
        }
        return names
    }()

    /// joblib's array wrappers.
    package static let joblib: Set<String> = [
        "joblib.numpy_pickle.NumpyArrayWrapper", "joblib.numpy_pickle.NDArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    ]

    /// Whether `name` is allowed in `context`.
    package static func isAllowed(_ name: String, in context: Context) -> Bool {
        if base.contains(name) { return true }
        if context.contains(.numpy), numpy.contains(name) { return true }
        if context.contains(.torch), torch.contains(name) || isTorchModuleClass(name) { return true }
        if context.contains(.joblib), joblib.contains(name) { return true }
        if context.contains(.sklearn), isEstimatorClass(name) { return true }
        return false
    }

    /// `torch.nn.modules.<file>.<Class>`: the standard layers of a pickled nn.Module.
    static func isTorchModuleClass(_ name: String) -> Bool {
        let parts = dottedParts(name)
        return parts.count == 5 && parts[0] == "torch" && parts[1] == "nn" && parts[2] == "modules" && isClassName(parts[4])
    }

    /// scikit-learn classes (`sklearn.<…>.<Class>`, private modules included, no dunder
    /// attributes) and SciPy's sparse matrices and arrays.
    static func isEstimatorClass(_ name: String) -> Bool {
        let parts = dottedParts(name)
        guard parts.count >= 3, !parts.contains(where: { $0.hasPrefix("__") }) else { return false }
        if parts[0] == "sklearn" {
            // Not the test and development helpers, which can run code.
            guard !parts.contains(where: { ["_testing", "externals", "_build_utils", "_config"].contains($0) }) else { return false }
            return isClassName(parts[parts.count - 1])
        }
        if parts[0] == "scipy", parts[1] == "sparse", let last = parts.last {
            return last.hasSuffix("_matrix") || last.hasSuffix("_array")
        }
        return false
    }

    static func isClassName(_ text: Substring) -> Bool {
        guard let first = text.utf8.first else { return false }
        return (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first)
    }

    /// The parts of a dotted name, split at each "." byte, empty parts left out. Python splits
    /// dotted names at every "." code point; Swift's `Character` view would glue a "." to a
    /// following combining mark and miss that split (and segments Unicode on every name).
    static func dottedParts(_ name: String) -> [Substring] {
        var parts: [Substring] = []
        var start = name.utf8.startIndex
        var index = start
        while index != name.utf8.endIndex {
            if name.utf8[index] == UInt8(ascii: ".") {
                if start != index { parts.append(name[start..<index]) }
                start = name.utf8.index(after: index)
            }
            index = name.utf8.index(after: index)
        }
        if start != index { parts.append(name[start..<index]) }
        return parts
    }

    // MARK: - The denylist

    /// One denylist entry: a module (every attribute) or a single attribute.
    package struct Denied: Sendable {
        package var pattern: String
        package var wholeModule: Bool
        package var severity: Severity
        package var why: String
    }

    /// Known-dangerous globals: what they let a pickle do.
    package static let denylist: [Denied] = {
        var list: [Denied] = []
        func modules(_ names: [String], _ severity: Severity, _ why: String) {
            for name in names { list.append(Denied(pattern: name, wholeModule: true, severity: severity, why: why)) }
        }
        func attributes(_ names: [String], _ severity: Severity, _ why: String) {
            for name in names { list.append(Denied(pattern: name, wholeModule: false, severity: severity, why: why)) }
        }
        modules(["os", "posix", "nt", "subprocess", "_posixsubprocess", "pty", "commands", "popen2", "spawn"], .critical,
                "runs commands or touches the file system")
        modules(["runpy", "code", "codeop", "imp", "importlib", "zipimport", "pkgutil", "site", "ensurepip", "pip", "setuptools", "distutils"], .critical,
                "imports or runs arbitrary code")
        modules(["ctypes", "_ctypes", "cffi", "marshal", "pickle", "_pickle", "cloudpickle", "dill", "joblib.numpy_pickle_compat", "shelve"], .critical,
                "loads native code or another serialised payload")
        modules(["timeit", "cProfile", "profile", "pdb", "bdb", "trace", "doctest", "idlelib", "pydoc", "numpy.testing", "numpy.f2py", "torch.testing", "torch.utils.cpp_extension", "torch.hub", "torch.jit", "torch.package"], .critical,
                "runs code strings or loads code")
        modules(["socket", "_socket", "ssl", "http", "urllib", "urllib2", "httplib", "ftplib", "smtplib", "telnetlib", "poplib", "imaplib",
                 "xmlrpc", "socketserver", "requests", "httpx", "aiohttp", "paramiko", "webbrowser", "asyncio", "multiprocessing", "concurrent"], .critical,
                "opens network connections, starts processes or opens a browser")
        modules(["shutil", "tempfile", "glob", "fileinput", "io", "_io", "pathlib", "zipfile", "tarfile", "sqlite3", "dbm", "mmap"], .high,
                "reads, writes or deletes files")
        modules(["sys", "gc", "inspect", "types", "threading", "_thread", "signal", "atexit", "platform", "sysconfig", "resource", "faulthandler"], .high,
                "reaches interpreter internals or the process")
        attributes(["builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__", "builtins.getattr",
                    "builtins.setattr", "builtins.delattr", "builtins.globals", "builtins.locals", "builtins.vars",
                    "builtins.open", "builtins.breakpoint", "builtins.input", "builtins.help", "builtins.memoryview",
                    "builtins.__builtins__", "builtins.exit", "builtins.quit", "builtins.type", "builtins.super",
                    "builtins.classmethod", "builtins.staticmethod", "builtins.property", "builtins.apply", "builtins.execfile",
                    "builtins.file", "builtins.reload"], .critical,
                   "evaluates code, resolves attributes by name or opens files")
        attributes(["operator.methodcaller", "operator.attrgetter", "operator.itemgetter", "operator.call",
                    "functools.partial", "functools.reduce", "functools.partialmethod", "itertools.starmap",
                    "_operator.methodcaller", "_operator.attrgetter", "_functools.partial", "_functools.reduce"], .critical,
                   "calls methods or functions chosen by the pickle (a gadget)")
        attributes(["_codecs.encode", "codecs.encode", "codecs.decode", "_codecs.decode", "base64.b64decode", "zlib.decompress", "bz2.decompress", "lzma.decompress", "binascii.a2b_base64"], .high,
                   "decodes hidden data (obfuscation)")
        attributes(["uuid._get_command_stdout", "uuid._popen", "uuid._find_mac", "uuid._ifconfig_getnode", "uuid._ip_getnode",
                    "uuid._arp_getnode", "uuid._lanscan_getnode", "uuid._netstat_getnode", "uuid._unix_getnode",
                    "platform.popen", "platform._syscmd_ver", "platform._syscmd_file"], .critical,
                   "runs a command (a gadget in the standard library)")
        attributes(["numpy.load", "numpy.lib.npyio.load", "numpy.fromfile", "numpy.loadtxt", "numpy.save", "numpy.savetxt", "numpy.memmap",
                    "torch.load", "torch.save", "torch.serialization.load", "torch.from_file", "torch.ops.load_library", "torch.classes.load_library",
                    "torch._C._jit_script_compile", "tensorflow.io.read_file", "tensorflow.io.write_file", "keras.models.load_model"], .critical,
                   "loads another file (possibly a pickle) or writes files")
        return list
    }()

    /// The denylist entry that matches a qualified name, if any.
    /// The first entry of the list for a name, or for a dotted prefix of it (a module), wins.
    package static func denied(_ name: String) -> Denied? {
        // The name and each prefix ending before a "." byte (see `dottedParts`), looked up in a
        // table, keeping list order.
        var best = denylistIndex[name]
        var end = name.utf8.endIndex
        while let dot = name.utf8[..<end].lastIndex(of: UInt8(ascii: ".")) {
            end = dot
            if let index = denylistIndex[String(name[..<dot])] { best = min(best ?? index, index) }
        }
        return best.map { denylist[$0] }
    }

    private static let denylistIndex: [String: Int] = {
        var table: [String: Int] = [:]
        for (index, entry) in denylist.enumerated() where table[entry.pattern] == nil { table[entry.pattern] = index }
        return table
    }()

    /// Whether a dotted name reaches Python object internals (`x.__globals__`, `f.__code__`).
    package static func reachesInternals(_ global: PickleGlobal) -> Bool {
        dottedParts(global.name).contains { $0.hasPrefix("__") && $0.hasSuffix("__") && $0.utf8.count > 4 }
            && !["copyreg.__newobj__", "copyreg.__newobj_ex__"].contains(global.qualifiedName)
    }
}
