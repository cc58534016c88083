import WardenCore

/// One rule the scanner applies: its stable id, a short title, what it means, and the severity it
/// usually reports (denylist entries set their own). docs/scanning.md lists the same table.
public struct ScanRule: Sendable, Hashable {
    public var id: String
    public var title: String
    public var summary: String
    public var defaultSeverity: Severity

    public init(_ id: String, _ title: String, _ defaultSeverity: Severity, _ summary: String) {
        self.id = id
        self.title = title
        self.summary = summary
        self.defaultSeverity = defaultSeverity
    }

    /// Every rule, in documentation order.
    public static let all: [ScanRule] = [
        ScanRule("pickle.denylisted-global", "Dangerous global in a pickle", .critical,
                 "The pickle imports or calls a global on the denylist (os.system, builtins.exec, runpy, socket, …)."),
        ScanRule("pickle.dunder-global", "Global reaching object internals", .critical,
                 "A dotted global name traverses dunder attributes (__globals__, __builtins__, __subclasses__)."),
        ScanRule("pickle.computed-global", "Computed global name", .critical,
                 "STACK_GLOBAL takes operands that are not string constants, so the imported name is computed at load time."),
        ScanRule("pickle.indirect-call", "Call of a computed callable", .high,
                 "REDUCE/NEWOBJ calls the result of another call (getattr chains, partial objects); critical when a denylisted global is involved."),
        ScanRule("pickle.unknown-call", "Call outside the allowlist", .high,
                 "The pickle calls a global that is not on the allowlist of the file's format."),
        ScanRule("pickle.unknown-global", "Import outside the allowlist", .medium,
                 "The pickle imports (but never calls) a global that is not on the allowlist of the file's format."),
        ScanRule("pickle.build-on-global", "BUILD on a module attribute", .high,
                 "BUILD sets attributes of a class, function or module instead of an object the pickle made."),
        ScanRule("pickle.extension-code", "Extension-registry global", .high,
                 "EXT1/EXT2/EXT4 name a global through copyreg's extension registry."),
        ScanRule("pickle.limit", "Pickle analysis limit reached", .high,
                 "The static machine reached a resource limit (memo, stack, objects); the rest is not analysed."),
        ScanRule("pickle.unsized-data", "Unsized embedded data", .high,
                 "A joblib array whose size cannot be computed statically; what follows it is not analysed."),
        ScanRule("pickle.malformed", "Malformed pickle", .medium,
                 "The pickle does not decode (unknown opcode, truncation, stack underflow, missing memo key)."),
        ScanRule("pickle.multiple-pickles", "Several pickles in one stream", .low,
                 "The stream holds pickles back to back; a loader calling load() repeatedly runs each."),
        ScanRule("pickle.trailing-data", "Data after the pickle", .low, "Bytes after the last pickle that are not a pickle."),
        ScanRule("pickle.embedded-payload", "Pickle inside a pickle", .info,
                 "A byte string passed to a call is itself a pickle or archive; it is analysed too."),
        ScanRule("pickle.persistent-id", "Persistent id", .info, "PERSID/BINPERSID outside a PyTorch file."),
        ScanRule("pickle.out-of-band-buffer", "Out-of-band buffer", .low, "Protocol 5 NEXT_BUFFER outside a loader that supplies buffers."),
        ScanRule("pytorch.hidden-pickle", "Pickle in a tensor storage", .medium,
                 "A PyTorch storage member (data/NN) holds a pickle instead of tensor bytes."),
        ScanRule("archive.polyglot", "File that is also a ZIP archive", .high,
                 "The file starts as one format and ends with a ZIP directory: different loaders see different content."),
        ScanRule("archive.duplicate-member", "Duplicate archive member", .high, "Two members share a name; readers disagree on which they load."),
        ScanRule("archive.overlapping-members", "Overlapping archive members", .high, "Members share bytes (zip-bomb construction)."),
        ScanRule("archive.decompression-limit", "Decompression limit reached", .high,
                 "A member or stream decompresses past the scan's limit (a decompression bomb); its content is not analysed."),
        ScanRule("archive.nesting-limit", "Nesting limit reached", .high, "Archives or compressed streams nest deeper than the scan follows."),
        ScanRule("archive.unreadable-member", "Unreadable archive member", .medium, "An encrypted member or an unsupported compression method."),
        ScanRule("archive.unsafe-member-name", "Path-traversal member name", .medium, "A member name that is absolute or climbs out with '..'."),
        ScanRule("archive.prefixed-data", "Data before the archive", .medium, "Bytes precede the ZIP archive."),
        ScanRule("archive.malformed", "Malformed archive or stream", .medium, "The ZIP archive or compressed stream cannot be read."),
        ScanRule("numpy.object-array", "Object-dtype NumPy array", .medium,
                 "The array's data is a pickle (np.load needs allow_pickle=True); the pickle is analysed with NumPy's allowlist."),
        ScanRule("numpy.malformed", "Malformed .npy header", .medium, "The .npy header cannot be read."),
        ScanRule("numpy.trailing-data", "Data after the array", .medium, "Bytes after the data that the .npy header describes."),
        ScanRule("numpy.truncated", "Truncated array", .low, "The array data is shorter than the header says."),
        ScanRule("keras.lambda-layer", "Keras Lambda layer", .critical, "A Lambda layer carries marshalled Python bytecode that runs on load."),
        ScanRule("keras.foreign-module", "Keras object from outside Keras", .critical,
                 "The config deserialises an object from a module outside Keras (`module: os`, CVE-2025-1550 pattern)."),
        ScanRule("keras.tf-op-lambda", "TFOpLambda layer", .medium, "A layer that calls a TensorFlow function by name."),
        ScanRule("keras.malformed", "Malformed Keras config", .medium, "config.json (or an .h5 file's model_config) is not JSON."),
        ScanRule("hdf5.unreadable-attributes", "HDF5 root attributes not all readable", .high,
                 "The root group's attributes (where Keras keeps model_config) cannot all be read: malformed, truncated, shared or compressed storage. High when no model_config was read (one could be hidden), medium otherwise."),
        ScanRule("onnx.external-data-path", "ONNX external data outside the model", .high,
                 "An initializer's external_data location is absolute or escapes the model folder with '..'."),
        ScanRule("onnx.custom-domain", "ONNX custom operator domain", .high, "Operators from a domain that needs a native custom-op library."),
        ScanRule("onnx.malformed", "Malformed ONNX model", .medium, "The protobuf or graph structure does not parse."),
        ScanRule("safetensors.invalid-header", "Invalid safetensors header", .high,
                 "Header length past the file, non-JSON header, unknown dtype, offsets out of range or overlapping, shape × dtype size mismatch, bytes not covered by a tensor."),
        ScanRule("gguf.template-injection", "GGUF chat template reaching Python internals", .critical,
                 "tokenizer.chat_template reaches object internals (__class__, __globals__, Jinja globals, dunder names built from pieces, attr)."),
        ScanRule("gguf.malformed", "Malformed GGUF file", .medium, "The header, metadata or tensor infos do not parse or point past the file."),
        ScanRule("tensorflow.dangerous-op", "TensorFlow op touching files or running Python", .high,
                 "ReadFile, WriteFile, MatchingFiles, PyFunc, EagerPyFunc, PrintV2, ImmutableConst and similar ops."),
        ScanRule("tensorflow.malformed", "Malformed SavedModel", .medium, "saved_model.pb does not parse."),
        ScanRule("scan.not-analysed", "Format not analysed", .info, "Warden does not analyse this format; it is not declared clean."),
        ScanRule("scan.findings-omitted", "Findings omitted", .info, "More findings than the report keeps per file."),
    ]

    /// The rule with `id`, if it exists.
    public static func named(_ id: String) -> ScanRule? { byID[id] }

    private static let byID: [String: ScanRule] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
}
