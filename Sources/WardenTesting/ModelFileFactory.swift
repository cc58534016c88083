import Foundation

/// Builds model files as their real producers lay them out (torch.save zip and legacy formats,
/// joblib with NumPy arrays, .npy, scikit-learn-style pickles), seeded and deterministic.
public enum ModelFileFactory {
    /// A tensor of a state dict: its name, shape, and the key of its storage file.
    public struct Tensor: Sendable {
        public var name: String
        public var shape: [Int64]
        public init(_ name: String, _ shape: [Int64]) {
            self.name = name
            self.shape = shape
        }
        var count: Int64 { shape.reduce(1, *) }
    }

    public static let mlp: [Tensor] = [Tensor("fc1.weight", [16, 8]), Tensor("fc1.bias", [16]), Tensor("fc2.weight", [4, 16]), Tensor("fc2.bias", [4])]

    /// One `torch._utils._rebuild_tensor_v2(persistent storage, 0, shape, stride, False, OrderedDict())` call.
    public static func writeTensor(_ writer: inout PickleWriter, key: String, shape: [Int64], storage: String = "FloatStorage") {
        writer.global("torch._utils", "_rebuild_tensor_v2")
        writer.mark()
        // persistent id: ('storage', torch.FloatStorage, key, 'cpu', numel)
        writer.mark()
        writer.string("storage")
        writer.global("torch", storage)
        writer.string(key)
        writer.string("cpu")
        writer.int(shape.reduce(1, *))
        writer.tuple()
        writer.binPersID()
        writer.int(0)
        writer.mark(); for dim in shape { writer.int(dim) }; writer.tuple()
        var strides: [Int64] = []
        var running: Int64 = 1
        for dim in shape.reversed() { strides.insert(running, at: 0); running *= dim }
        writer.mark(); for stride in strides { writer.int(stride) }; writer.tuple()
        writer.bool(false)
        writer.global("collections", "OrderedDict"); writer.emptyTuple(); writer.reduce()
        writer.tuple()
        writer.reduce()
    }

    /// A state dict pickle (torch's data.pkl, protocol 2); `extra` may add entries (or a payload).
    public static func stateDictPickle(_ tensors: [Tensor] = mlp, extra: (inout PickleWriter) -> Void = { _ in }) -> [UInt8] {
        PickleWriter.pickle(protocol: 2) { w in
            w.global("collections", "OrderedDict"); w.emptyTuple(); w.reduce(); w.put(0)
            w.mark()
            for (index, tensor) in tensors.enumerated() {
                w.string(tensor.name)
                writeTensor(&w, key: String(index), shape: tensor.shape)
            }
            extra(&w)
            w.setItems()
        }
    }

    /// Float32 tensor bytes from a seeded generator.
    public static func floats(_ count: Int64, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(Int(count) * 4)
        for _ in 0..<count {
            let value = Float(Int64(rng.next() % 2000) - 1000) / 1000
            withUnsafeBytes(of: value.bitPattern.littleEndian) { out += $0 }
        }
        return out
    }

    /// A torch.save zip: `<prefix>/data.pkl`, `<prefix>/data/N` storages, version and byteorder.
    public static func torchZip(
        _ tensors: [Tensor] = mlp, prefix: String = "archive", dataPickle: [UInt8]? = nil, deflate: Bool = false,
        extraMembers: [(String, [UInt8])] = [], seed: UInt64 = 1
    ) -> [UInt8] {
        var zip = ZipWriter()
        zip.add("\(prefix)/data.pkl", dataPickle ?? stateDictPickle(tensors), deflate: deflate)
        zip.add("\(prefix)/byteorder", Array("little".utf8))
        for (index, tensor) in tensors.enumerated() {
            zip.add("\(prefix)/data/\(index)", floats(tensor.count, seed: seed &+ UInt64(index)), deflate: deflate)
        }
        zip.add("\(prefix)/version", Array("3\n".utf8))
        zip.add("\(prefix)/.data/serialization_id", Array("1234567890123456789012345678901234567890".utf8))
        for (name, data) in extraMembers { zip.add(name, data) }
        return zip.bytes()
    }

    /// The legacy (pre-1.6) torch.save format: magic, protocol, system info, object, storage keys, storages.
    public static func torchLegacy(_ tensors: [Tensor] = mlp, object: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]
        out += PickleWriter.pickle(protocol: 2) { $0.int(1001) }
        out += PickleWriter.pickle(protocol: 2) { w in
            w.emptyDict(); w.mark()
            w.string("protocol_version"); w.int(1001)
            w.string("little_endian"); w.bool(true)
            w.string("type_sizes"); w.emptyDict(); w.mark(); w.string("short"); w.int(2); w.string("int"); w.int(4); w.string("long"); w.int(4); w.setItems()
            w.setItems()
        }
        out += object ?? stateDictPickle(tensors)
        out += PickleWriter.pickle(protocol: 2) { w in
            w.emptyList(); w.mark(); for index in tensors.indices { w.string(String(index)) }; w.appends()
        }
        for (index, tensor) in tensors.enumerated() {
            withUnsafeBytes(of: tensor.count.littleEndian) { out += $0 }
            out += floats(tensor.count, seed: UInt64(index))
        }
        return out
    }

    /// `numpy.dtype(type, False, True)` with its BUILD state, as NumPy pickles a dtype.
    public static func writeDtype(_ w: inout PickleWriter, _ type: String, itemSize: Int64 = -1) {
        w.global("numpy", "dtype")
        w.mark(); w.string(type); w.bool(false); w.bool(true); w.tuple()
        w.reduce()
        w.mark(); w.int(3); w.string(type == "O8" ? "|" : "<"); w.none(); w.none(); w.none(); w.int(itemSize); w.int(-1); w.int(type == "O8" ? 63 : 0); w.tuple()
        w.build()
    }

    /// An array rebuilt by `numpy.core.multiarray._reconstruct` and BUILD, as ndarray.__reduce__ writes it.
    public static func writeArray(_ w: inout PickleWriter, shape: [Int64], type: String = "f8", data: [UInt8]) {
        w.global("numpy.core.multiarray", "_reconstruct")
        w.mark(); w.global("numpy", "ndarray"); w.mark(); w.int(0); w.tuple(); w.data(Array("b".utf8)); w.tuple()
        w.reduce()
        w.mark(); w.int(1); w.mark(); for dim in shape { w.int(dim) }; w.tuple()
        writeDtype(&w, type)
        w.bool(false); w.data(data); w.tuple()
        w.build()
    }

    /// A scikit-learn LogisticRegression as pickle protocol 4 writes it (NEWOBJ + BUILD of its __dict__),
    /// with `payload` written as the value of an extra attribute when given.
    public static func logisticRegression(protocol version: Int = 4, payload: ((inout PickleWriter) -> Void)? = nil) -> [UInt8] {
        PickleWriter.pickle(protocol: version) { w in
            w.global("sklearn.linear_model._logistic", "LogisticRegression"); w.emptyTuple(); w.newObj()
            w.emptyDict(); w.mark()
            w.string("penalty"); w.string("l2")
            w.string("C"); w.float(1.0)
            w.string("n_features_in_"); w.int(4)
            w.string("classes_"); writeArray(&w, shape: [2], type: "i8", data: [UInt8](repeating: 1, count: 16))
            w.string("coef_"); writeArray(&w, shape: [1, 4], data: floats(8, seed: 3))  // 4 float64
            if let payload { w.string("_extra"); payload(&w) }
            w.string("_sklearn_version"); w.string("1.5.1")
            w.setItems()
            w.build()
        }
    }

    /// A decision tree: the estimator, and `sklearn.tree._tree.Tree` rebuilt by REDUCE.
    public static func decisionTree() -> [UInt8] {
        PickleWriter.pickle(protocol: 4) { w in
            w.global("sklearn.tree._classes", "DecisionTreeClassifier"); w.emptyTuple(); w.newObj()
            w.emptyDict(); w.mark()
            w.string("max_depth"); w.int(3)
            w.string("tree_")
            w.global("sklearn.tree._tree", "Tree")
            w.mark(); w.int(4); writeArray(&w, shape: [1], type: "i8", data: [UInt8](repeating: 0, count: 8)); w.int(1); w.tuple()
            w.reduce()
            w.emptyDict(); w.mark(); w.string("max_depth"); w.int(3); w.string("node_count"); w.int(1); w.setItems()
            w.build()
            w.setItems()
            w.build()
        }
    }

    /// A joblib file: a pickle whose arrays are NumpyArrayWrapper objects followed by their raw
    /// bytes (16-byte aligned, as joblib ≥ 1.2 writes them); `payload` is an extra attribute written after the arrays.
    public static func joblib(payload: ((inout PickleWriter) -> Void)? = nil) -> [UInt8] {
        var w = PickleWriter(protocol: 4)
        w.global("sklearn.linear_model._logistic", "LogisticRegression"); w.emptyTuple(); w.newObj()
        w.emptyDict(); w.mark()
        w.string("C"); w.float(1.0)
        for (name, count) in [("coef_", Int64(8)), ("intercept_", Int64(2))] {
            w.string(name)
            w.global("joblib.numpy_pickle", "NumpyArrayWrapper"); w.emptyTuple(); w.newObj()
            w.emptyDict(); w.mark()
            w.string("subclass"); w.global("numpy", "ndarray")
            w.string("shape"); w.mark(); w.int(count); w.tuple()
            w.string("order"); w.string("C")
            w.string("dtype"); writeDtype(&w, "f8")
            w.string("allow_mmap"); w.bool(false)
            w.string("numpy_array_alignment_bytes"); w.int(16)
            w.setItems()
            w.build()
            // Alignment: one byte giving the padding length, the padding, then the data.
            let position = w.bytes.count + 1
            let padding = 16 - position % 16
            w.raw([UInt8(padding)] + [UInt8](repeating: 0xff, count: padding))
            // Data that starts like opcodes: a scanner that does not skip it misreads the stream.
            var data = floats(count * 2, seed: 9)  // float64: 8 bytes an item
            data.replaceSubrange(0..<4, with: [0x63, 0x6f, 0x73, 0x0a])
            w.raw(data)
        }
        if let payload { w.string("_extra"); payload(&w) }
        w.setItems()
        w.build()
        w.stop()
        return w.bytes
    }

    /// A `.npy` file (version 1) with `header` dict text padded to 64 bytes.
    public static func npy(descr: String, shape: [Int64], data: [UInt8]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': \(descr.hasPrefix("[") ? descr : "'\(descr)'"), 'fortran_order': False, 'shape': \(shapeText), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]
        let length = header.utf8.count
        out += [UInt8(length & 0xff), UInt8(length >> 8)]
        return out + Array(header.utf8) + data
    }

    /// An object-dtype `.npy` whose data is the given pickle (NumPy pickles the array, protocol 3).
    public static func objectNpy(count: Int64, pickle: [UInt8]) -> [UInt8] {
        npy(descr: "|O", shape: [count], data: pickle)
    }

    /// The pickle NumPy writes for an object array of plain values.
    public static func objectArrayPickle(_ values: [String]) -> [UInt8] {
        PickleWriter.pickle(protocol: 3) { w in
            w.global("numpy.core.multiarray", "_reconstruct")
            w.mark(); w.global("numpy", "ndarray"); w.mark(); w.int(0); w.tuple(); w.data(Array("b".utf8)); w.tuple()
            w.reduce()
            w.mark(); w.int(1); w.mark(); w.int(Int64(values.count)); w.tuple()
            writeDtype(&w, "O8")
            w.bool(false)
            w.emptyList(); w.mark(); for value in values { w.string(value) }; w.appends()
            w.tuple()
            w.build()
        }
    }
}

extension ModelFileFactory {
    /// An ONNX model y = Relu(x·W + b) with W as an initializer (inline, or external at `location`).
    public static func onnx(externalLocation: String? = nil, customDomain: String? = nil) -> [UInt8] {
        ProtobufWriter.build { m in
            m.varint(1, 8)
            m.string(2, "warden-test")
            m.message(8) { $0.string(1, ""); $0.varint(2, 17) }
            if let customDomain { m.message(8) { $0.string(1, customDomain); $0.varint(2, 1) } }
            m.message(7) { g in
                g.message(1) { n in n.string(1, "x"); n.string(1, "W"); n.string(2, "xw"); n.string(3, "matmul"); n.string(4, "MatMul") }
                g.message(1) { n in n.string(1, "xw"); n.string(1, "b"); n.string(2, "z"); n.string(3, "add"); n.string(4, "Add") }
                g.message(1) { n in n.string(1, "z"); n.string(2, "y"); n.string(3, "relu"); n.string(4, "Relu") }
                if let customDomain {
                    g.message(1) { n in n.string(1, "y"); n.string(2, "y2"); n.string(3, "custom"); n.string(4, "RunScript"); n.string(7, customDomain) }
                }
                g.string(2, "graph")
                g.message(5) { t in
                    t.varint(1, 4); t.varint(1, 2); t.varint(2, 1); t.string(8, "W")
                    if let externalLocation {
                        t.message(13) { $0.string(1, "location"); $0.string(2, externalLocation) }
                        t.message(13) { $0.string(1, "offset"); $0.string(2, "0") }
                        t.varint(14, 1)
                    } else {
                        t.data(9, floats(8, seed: 4))
                    }
                }
                g.message(5) { t in t.varint(1, 2); t.varint(2, 1); t.string(8, "b"); t.data(9, floats(2, seed: 5)) }
                g.message(11) { $0.string(1, "x") }
                g.message(12) { $0.string(1, "y") }
            }
        }
    }

    /// A TensorFlow saved_model.pb whose graph holds `ops` (plus a saver's ops), and `functionOps` in its function library.
    public static func savedModel(ops: [String] = [], functionOps: [String] = []) -> [UInt8] {
        ProtobufWriter.build { m in
            m.varint(1, 1)
            m.message(2) { meta in
                meta.message(1) { $0.string(1, "serve") }
                meta.message(2) { graph in
                    for (index, op) in (["Placeholder", "VarHandleOp", "ReadVariableOp", "MatMul", "SaveV2", "RestoreV2", "StringJoin"] + ops).enumerated() {
                        graph.message(1) { $0.string(1, "node\(index)"); $0.string(2, op) }
                    }
                    graph.message(2) { library in
                        library.message(1) { function in
                            function.message(1) { $0.string(1, "__inference_call_1") }
                            for (index, op) in (["Identity"] + functionOps).enumerated() {
                                function.message(3) { $0.string(1, "f\(index)"); $0.string(2, op) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A safetensors file; `header` overrides the generated JSON, `data` the tensor bytes.
    public static func safetensors(header: String? = nil, data: [UInt8]? = nil, declaredLength: UInt64? = nil) -> [UInt8] {
        var json = header ?? #"{"__metadata__":{"format":"pt"},"bias":{"dtype":"F32","shape":[4],"data_offsets":[64,80]},"weight":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}}"#
        while (json.utf8.count + 8) % 8 != 0 { json += " " }
        var out: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(json.utf8.count)).littleEndian) { out += $0 }
        return out + Array(json.utf8) + (data ?? floats(20, seed: 8))
    }

    /// A GGUF v3 file with general metadata, an optional chat template, a token list and one tensor.
    public static func gguf(chatTemplate: String?) -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); out += Array(s.utf8) }
        var keys = 3
        if chatTemplate != nil { keys += 1 }
        u32(3); u64(1); u64(UInt64(keys))
        string("general.architecture"); u32(8); string("llama")
        string("general.alignment"); u32(4); u32(32)
        string("tokenizer.ggml.tokens"); u32(9); u32(8); u64(3); string("<s>"); string("</s>"); string("hello")
        if let chatTemplate { string("tokenizer.chat_template"); u32(8); string(chatTemplate) }
        string("token_embd.weight"); u32(2); u64(4); u64(2); u32(0); u64(0)
        while out.count % 32 != 0 { out.append(0) }
        return out + floats(8, seed: 11)
    }

    /// A Keras 3 `.keras` file: config.json (Dense layers, plus `extraLayer` JSON), metadata.json, weights.
    public static func keras(extraLayer: String? = nil) -> [UInt8] {
        var zip = ZipWriter()
        zip.add("metadata.json", Array(#"{"keras_version": "3.4.1", "date_saved": "2024-07-01@12:00:00"}"#.utf8))
        zip.add("config.json", Array(kerasConfig(extraLayer: extraLayer).utf8), deflate: true)
        zip.add("model.weights.h5", HDF5Writer.file(attributes: [], trailer: floats(64, seed: 12)))
        return zip.bytes()
    }

    public static func kerasConfig(extraLayer: String? = nil) -> String {
        let dense = #"{"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 4, "activation": "relu", "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}}, "registered_name": null}"#
        let layers = [dense] + (extraLayer.map { [$0] } ?? [])
        return #"{"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": ["# + layers.joined(separator: ", ") + #"]}, "registered_name": null}"#
    }

    /// A legacy Keras `.h5`: a real HDF5 file whose root attributes hold model_config (a fixed-length
    /// string, as Keras 2 writes it), keras_version and backend, then weight-like bytes.
    public static func kerasH5(extraLayer: String? = nil) -> [UInt8] {
        let config = kerasConfig(extraLayer: extraLayer).replacingOccurrences(of: #"{"module": "keras", "class_name": "Sequential""#, with: #"{"class_name": "Sequential""#)
        return HDF5Writer.file(attributes: [("model_config", Array(config.utf8)), ("keras_version", Array("2.15.0".utf8)),
                                            ("backend", Array("tensorflow".utf8))], trailer: floats(32, seed: 13))
    }
}
