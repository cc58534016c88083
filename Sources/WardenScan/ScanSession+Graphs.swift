import WardenCore
import WardenFormats

extension ScanSession {
    // MARK: - safetensors

    func analyseSafetensors(_ source: any ByteSource, at place: Place) throws(WardenError) -> ModelFormat {
        let header = try SafetensorsHeader(source: source)
        for problem in header.problems.prefix(20) {
            add(.high, "safetensors.invalid-header", "the safetensors header is invalid: \(problem)", member: place.member,
                fix: "Loaders disagree on invalid headers (and bytes outside every tensor can hide data); re-export with the safetensors library.")
        }
        return .safetensors
    }

    // MARK: - GGUF

    func analyseGGUF(_ source: any ByteSource, at place: Place) throws(WardenError) -> ModelFormat {
        let metadata = try GGUFMetadata(source: source)
        for problem in metadata.problems {
            add(.medium, "gguf.malformed", "the GGUF file is malformed: \(problem)", member: place.member,
                fix: "Re-create the file with llama.cpp's conversion scripts.")
        }
        for entry in metadata.strings where entry.key.hasPrefix("tokenizer.chat_template") {
            for problem in ChatTemplateRules.problems(entry.value) {
                add(problem.severity, "gguf.template-injection", "\(entry.key): \(problem.message)", construct: problem.construct,
                    member: place.member, offset: entry.offset,
                    fix: "Do not render this template with a Jinja engine that exposes Python objects; replace it with the model family's official template.")
            }
        }
        return .gguf
    }

    // MARK: - ONNX

    static let onnxDomains: Set<String> = ["", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training", "ai.onnx.training", "com.microsoft", "com.microsoft.nchwc", "com.microsoft.experimental"]

    func analyseONNX(_ source: any ByteSource, at place: Place) -> ModelFormat {
        let summary: ModelGraphSummary
        do {
            summary = try ModelGraphSummary.onnx(source)
        } catch {
            add(.medium, "onnx.malformed", "the ONNX model does not parse: \(error.message)", member: place.member,
                fix: "Runtimes disagree on malformed graphs; re-export the model.")
            return .onnx
        }
        for entry in summary.externalData {
            let location = entry.location
            let parts = location.split(whereSeparator: { $0 == "/" || $0 == "\\" })
            if location.hasPrefix("/") || location.hasPrefix("\\") || location.dropFirst().hasPrefix(":") || location.hasPrefix("~") {
                add(.high, "onnx.external-data-path", "initializer '\(entry.name)' reads external data from the absolute path '\(location)'",
                    construct: location, member: place.member, offset: entry.offset,
                    fix: "External data must sit inside the model's folder; a loader would read any file on the machine.")
            } else if parts.contains("..") {
                add(.high, "onnx.external-data-path", "initializer '\(entry.name)' reads external data from '\(location)', outside the model's folder",
                    construct: location, member: place.member, offset: entry.offset,
                    fix: "External data must sit inside the model's folder; '..' escapes it.")
            }
        }
        var reported: Set<String> = []
        for domain in summary.opsetDomains where !Self.onnxDomains.contains(domain) && reported.insert(domain).inserted {
            add(.high, "onnx.custom-domain", "the model imports the custom operator domain '\(domain)', which needs a native library loaded to run",
                construct: domain, member: place.member, fix: "Load custom-op libraries only from trusted sources; re-export with standard operators.")
        }
        for op in summary.operators where !Self.onnxDomains.contains(op.domain) && reported.insert(op.domain).inserted {
            add(.high, "onnx.custom-domain", "operator '\(op.type)' is in the custom domain '\(op.domain)', which needs a native library loaded to run",
                construct: "\(op.domain):\(op.type)", member: place.member, offset: op.offset,
                fix: "Load custom-op libraries only from trusted sources; re-export with standard operators.")
        }
        return .onnx
    }

    // MARK: - TensorFlow SavedModel

    static let tensorflowOps: [String: (Severity, String)] = [
        "PyFunc": (.critical, "runs Python code"), "PyFuncStateless": (.critical, "runs Python code"), "EagerPyFunc": (.critical, "runs Python code"),
        "WriteFile": (.critical, "writes files"), "ReadFile": (.high, "reads files"), "MatchingFiles": (.high, "lists files"),
        "PrintV2": (.high, "prints to stderr or writes to a file"), "Print": (.medium, "prints tensors"),
        "ImmutableConst": (.high, "maps a file into memory"), "FileSystemSetConfiguration": (.high, "changes file-system settings"),
        "DebugIdentityV2": (.medium, "writes debug dumps"), "SaveSlices": (.medium, "writes files"),
    ]

    func analyseSavedModel(_ source: any ByteSource, at place: Place) -> ModelFormat {
        let summary: ModelGraphSummary
        do {
            summary = try ModelGraphSummary.savedModel(source)
        } catch {
            add(.medium, "tensorflow.malformed", "the SavedModel does not parse: \(error.message)", member: place.member,
                fix: "Re-export the SavedModel.")
            return .savedModel
        }
        var reported: Set<String> = []
        for op in summary.operators {
            guard let (severity, why) = Self.tensorflowOps[op.type], reported.insert(op.type).inserted else { continue }
            add(severity, "tensorflow.dangerous-op", "the graph uses the op '\(op.type)', which \(why) when the model runs",
                construct: op.type, member: place.member, offset: op.offset,
                fix: "Serve only SavedModels whose ops you expect; these touch files or run Python outside the graph.")
        }
        return .savedModel
    }

    // MARK: - Keras

    static func isKerasModule(_ module: String) -> Bool {
        ["keras", "keras_hub", "keras_nlp", "keras_cv", "tf_keras", "tensorflow.keras"].contains { module == $0 || module.hasPrefix($0 + ".") }
    }

    /// A Keras model config (config.json of a .keras file, or an .h5 file's model_config).
    func analyseKerasConfig(_ json: JSONValue, at place: Place, offset: Int64? = nil) {
        var stack: [(JSONValue, Int)] = [(json, 0)]
        var visited = 0
        while let (value, depth) = stack.popLast() {
            visited += 1
            guard visited < 1_000_000, depth < 64 else { break }
            switch value {
            case .object(let members):
                let className = value["class_name"]?.stringValue
                if className == "Lambda" || value["function_type"]?.stringValue == "lambda" {
                    let name = value["config"]?["name"]?.stringValue ?? value["name"]?.stringValue ?? "?"
                    add(.critical, "keras.lambda-layer", "Lambda layer '\(name)' carries marshalled Python bytecode that runs when the model loads",
                        construct: "Lambda", member: place.member, offset: offset,
                        fix: "Rebuild the layer as a registered custom layer in code you control; load with safe_mode=True.")
                } else if className == "TFOpLambda" {
                    add(.medium, "keras.tf-op-lambda", "a TFOpLambda layer calls a TensorFlow function by name", construct: value["config"]?["function"]?.stringValue,
                        member: place.member, offset: offset, fix: "Check the function each TFOpLambda names.")
                }
                if let module = value["module"]?.stringValue, !Self.isKerasModule(module) {
                    let construct = module + "." + (className ?? value["registered_name"]?.stringValue ?? "?")
                    add(.critical, "keras.foreign-module", "the config deserialises '\(construct)', from a module outside Keras (CVE-2025-1550 pattern)",
                        construct: construct, member: place.member, offset: offset,
                        fix: "Do not load this model; Keras imports the module and calls the object when it loads.")
                }
                for (_, member) in members { stack.append((member, depth + 1)) }
            case .array(let items):
                for item in items { stack.append((item, depth + 1)) }
            default:
                continue
            }
        }
    }

    func analyseKerasJSON(_ source: any ByteSource, at place: Place) {
        do {
            let bytes = try source.read(0..<min(source.count, 64 << 20))
            analyseKerasConfig(try JSONParser(maxDepth: 128, maxBytes: 64 << 20).parse(bytes, source: source.name), at: place)
        } catch {
            add(.medium, "keras.malformed", "the Keras config is not JSON: \(error.message)", member: place.member,
                fix: "Re-save the model with Keras.")
        }
    }

    // MARK: - HDF5 (legacy Keras .h5)

    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

    /// Legacy Keras `.h5`: the root group's `model_config` and `training_config` attributes — what
    /// Keras' HDF5 loader reads — through ``HDF5RootAttributes`` (superblock, object headers,
    /// continuation blocks, global heap, dense storage). When the attributes cannot all be read, the
    /// gap is a finding (high when no model_config was found: one could be hidden there) and the
    /// first 64 MiB are also searched for JSON objects starting `{"class_name"`.
    func analyseHDF5(_ source: any ByteSource, at place: Place) throws(WardenError) -> ModelFormat {
        var configs = 0
        var problems: [String] = []
        do {
            let root = try HDF5RootAttributes(source: source)
            problems = root.problems
            for name in ["model_config", "training_config"] {
                guard let attribute = root[name], let text = attribute.strings.first else { continue }
                do {
                    let json = try JSONParser(maxDepth: 128, maxBytes: 64 << 20).parse(text, source: "\(source.name) \(name)")
                    analyseKerasConfig(json, at: place, offset: attribute.offset)
                    if name == "model_config" { configs += 1 }
                } catch {
                    add(.medium, "keras.malformed", "the HDF5 attribute \(name) is not JSON: \(error.message)", member: place.member,
                        offset: attribute.offset, fix: "Re-save the model with Keras.")
                }
            }
        } catch let error where error.code == .io {
            throw error
        } catch {
            problems = [error.message]
        }
        if let first = problems.first {
            let hidden = configs == 0
            add(hidden ? .high : .medium, "hdf5.unreadable-attributes",
                "the HDF5 root attributes cannot all be read (\(first)\(problems.count > 1 ? "; \(problems.count - 1) more" : ""))" + (hidden ? "; a model_config could be hidden there" : ""),
                member: place.member, fix: "Re-save the file with h5py or Keras; do not load it with Keras until it scans clean.")
            if hidden { configs += searchKerasJSON(source, at: place) }
        }
        if configs == 0 {
            if place.reportUnknown {
                add(.info, "scan.not-analysed", "an HDF5 file without a Keras model_config; its datasets are not analysed", member: place.member,
                    fix: "Check that no loader deserialises objects from this file.")
            }
            return .hdf5
        }
        return .kerasH5
    }

    /// The fallback for an HDF5 file whose attributes cannot be read: every JSON object starting
    /// `{"class_name"` in the first 64 MiB, judged as a Keras config. Returns how many it found.
    private func searchKerasJSON(_ source: any ByteSource, at place: Place) -> Int {
        guard let bytes = try? source.read(0..<min(source.count, 64 << 20)) else { return 0 }
        let marker = Array(#"{"class_name""#.utf8)
        var found = 0
        var index = 0
        while index + marker.count <= bytes.count, found < 64 {
            guard bytes[index] == 0x7b, Array(bytes[index..<index + marker.count]) == marker else {
                index += 1
                continue
            }
            guard let end = Self.jsonObjectEnd(bytes, from: index), let json = try? JSONParser(maxDepth: 128).parse(Array(bytes[index..<end])) else {
                index += 1
                continue
            }
            found += 1
            analyseKerasConfig(json, at: place, offset: Int64(index))
            index = end
        }
        return found
    }

    /// The end of the JSON object starting at `start` (braces matched outside strings), within 16 MiB.
    static func jsonObjectEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        var index = start
        let limit = min(bytes.count, start + (16 << 20))
        while index < limit {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == 0x5c { escaped = true } else if byte == 0x22 { inString = false }
            } else if byte == 0x22 {
                inString = true
            } else if byte == 0x7b {
                depth += 1
            } else if byte == 0x7d {
                depth -= 1
                if depth == 0 { return index + 1 }
            }
            index += 1
        }
        return nil
    }
}
