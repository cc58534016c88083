import WardenCore
import WardenFormats

extension ScanSession {
    /// The pickle that starts every legacy (non-zip) torch.save file: the magic number 0x1950a86a20f9469cfc6c.
    static let legacyTorchMagic: [UInt8] = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]

    /// A file (or member) that starts like a pickle: every pickle in the stream, back to back.
    /// Returns `.unknown` when the first pickle does not decode at all and the place does not
    /// insist (an archive member that only happened to start with a pickle-like byte).
    func analysePickleFile(_ source: any ByteSource, at place: Place, insist: Bool = false, requireComplete: Bool = false) -> ModelFormat {
        let head = (try? source.read(0..<Int64(Self.legacyTorchMagic.count))) ?? []
        let legacy = head == Self.legacyTorchMagic
        var context = place.context
        if legacy { context = .pytorch }
        let insist = insist || PickleReader.startsWithProto(head)
        var reader = PickleReader(source: source)
        var analyses: [PickleAnalysis] = []
        while !reader.atEnd {
            if !analyses.isEmpty {
                guard let next = try? reader.peek(2), PickleReader.looksLikePickle(next) else { break }
            }
            let analysis = PickleMachine.analyse(&reader, options: PickleMachine.Options(joblibArrays: true))
            if analyses.isEmpty && !analysis.complete && (requireComplete || (!insist && analysis.opcodes < 3)) {
                return .unknown
            }
            analyses.append(analysis)
            if !analysis.complete { break }
            // torch's legacy format: magic, protocol, system info, the object, the storage keys, then raw storages.
            if legacy && analyses.count == 5 { break }
            if analyses.count >= 10_000 { break }
        }
        guard let first = analyses.first else { return .unknown }
        let imports = Set(analyses.flatMap(\.allImports).map(\.global.qualifiedName))
        let isJoblib = imports.contains { $0.hasSuffix("numpy_pickle.NumpyArrayWrapper") || $0.hasSuffix("numpy_pickle.NDArrayWrapper") }
        if isJoblib && context == .any { context = .joblibFile }
        for analysis in analyses {
            grade(analysis, at: place, context: context)
        }
        if analyses.count > 1 && !legacy {
            add(.low, "pickle.multiple-pickles", "the stream holds \(analyses.count) pickles back to back; a loader that calls load() repeatedly runs each",
                member: place.member, offset: analyses[1].start,
                fix: "Check why the file holds more than one pickle; each was analysed.")
        }
        let end = analyses.last?.end ?? first.end
        if let last = analyses.last, last.complete, end < source.count, !legacy {
            add(.low, "pickle.trailing-data", "\(source.count - end) bytes follow the last pickle and are not a pickle",
                member: place.member, offset: end, fix: "Check what the trailing bytes are; loaders ignore them.")
        }
        if legacy { return .pytorchLegacy }
        return isJoblib ? .joblib : .pickle
    }

    /// Turns what the machine saw into findings, using the allowlists of `context`.
    func grade(_ analysis: PickleAnalysis, at place: Place, context: PickleRules.Context) {
        let member = place.member
        var called: Set<QualifiedName> = []
        for call in analysis.calls {
            if let global = call.global {
                called.insert(QualifiedName(global.qualifiedName))
                if Self.constructorLike.contains(global.qualifiedName) {
                    for argument in call.argumentGlobals { called.insert(QualifiedName(argument.qualifiedName)) }
                }
            }
        }
        // Protocol 0–2 pickles of bytes call _codecs.encode(text, 'latin1'): that use is benign.
        let latin1 = analysis.calls.filter { $0.global?.qualifiedName == "_codecs.encode" }.allSatisfy { call in
            guard let arguments = call.stringArguments, arguments.count == 2 else { return false }
            return ["latin1", "latin-1", "iso-8859-1"].contains(arguments[1].lowercased())
        }
        var seen: Set<QualifiedName> = []
        for entry in analysis.imports {
            let name = entry.global.qualifiedName
            guard seen.insert(QualifiedName(name)).inserted else { continue }
            let isCalled = called.contains(QualifiedName(name))
            if name == "_codecs.encode" && latin1 && isCalled { continue }
            if PickleRules.reachesInternals(entry.global) {
                add(.critical, "pickle.dunder-global", "\(entry.opcode) resolves '\(name)', which reaches Python object internals",
                    construct: name, member: member, offset: entry.offset,
                    fix: "Do not load this file: no model needs a dunder attribute as a global.")
            } else if let denied = PickleRules.denied(name) {
                let use = isCalled ? "calls" : "imports"
                add(denied.severity, "pickle.denylisted-global", "the pickle \(use) '\(name)', which \(denied.why)",
                    construct: name, member: member, offset: entry.offset,
                    fix: "Do not load this file with pickle, torch.load or joblib.load; re-export the weights as safetensors from a trusted source.")
            } else if PickleRules.isAllowed(name, in: context) {
                continue
            } else if isCalled {
                add(.high, "pickle.unknown-call", "the pickle calls '\(name)', which is not on the allowlist for this format",
                    construct: name, member: member, offset: entry.offset,
                    fix: "Load only if you trust the producer and '\(name)' is expected; otherwise re-export as safetensors.")
            } else {
                add(.medium, "pickle.unknown-global", "the pickle imports '\(name)', which is not on the allowlist for this format (it is not called)",
                    construct: name, member: member, offset: entry.offset,
                    fix: "Importing a module runs its top-level code; check that '\(name)' is expected.")
            }
        }
        for call in analysis.calls where call.global == nil {
            let dangerous = call.calleeGlobals.contains { PickleRules.denied($0.qualifiedName) != nil }
            add(dangerous ? .critical : .high, "pickle.indirect-call",
                "\(call.kind.rawValue) calls a computed callable (\(call.callee)) with \(call.arguments)",
                construct: call.callee, member: member, offset: call.offset,
                fix: "Do not load this file: calling the result of another call is how gadget chains run code.")
        }
        for build in analysis.builds {
            add(.high, "pickle.build-on-global", "BUILD sets attributes on '\(build.target)', not on an object the pickle made",
                construct: build.target, member: member, offset: build.offset,
                fix: "Do not load this file: overwriting attributes of a module or class changes code that runs later.")
        }
        for anomaly in analysis.anomalies {
            gradeAnomaly(anomaly, member: member, context: context)
        }
        for inline in analysis.inline {
            grade(inline.analysis, at: place, context: context)
        }
        for embedded in analysis.embedded {
            let inner = place.child("embedded@\(embedded.offset)")
            add(.info, "pickle.embedded-payload", "a \(embedded.bytes.count)-byte pickle or archive is passed to \(embedded.consumer); it was analysed too",
                construct: embedded.consumer, member: member, offset: embedded.offset, fix: "See the findings of the embedded payload.")
            guard checkDepth(inner) else { continue }
            var nested = inner
            nested.reportUnknown = true
            _ = try? analyse(MemorySource(name: inner.member ?? "embedded", bytes: embedded.bytes), at: nested)
        }
    }

    private func gradeAnomaly(_ anomaly: PickleAnalysis.Anomaly, member: String?, context: PickleRules.Context) {
        switch anomaly.kind {
        case .computedGlobal:
            add(.critical, "pickle.computed-global", anomaly.message, member: member, offset: anomaly.offset,
                fix: "Do not load this file: a global whose name is computed at load time hides what it imports.")
        case .extensionCode:
            add(.high, "pickle.extension-code", anomaly.message, member: member, offset: anomaly.offset,
                fix: "Do not load this file: extension codes name globals indirectly and no model uses them.")
        case .malformed:
            add(.medium, "pickle.malformed", "the pickle does not decode: \(anomaly.message)", member: member, offset: anomaly.offset,
                fix: "The loader stops with an error here; what precedes it was analysed. Re-export the file if it should be valid.")
        case .limit:
            add(.high, "pickle.limit", "analysis stopped at a resource limit (\(anomaly.message)); the rest of the pickle is not analysed",
                member: member, offset: anomaly.offset, fix: "Do not load this file: legitimate models stay far below these limits.")
        case .unsizedData:
            add(.high, "pickle.unsized-data", anomaly.message, member: member, offset: anomaly.offset,
                fix: "Do not load this file unless you trust its producer; what follows the array was not analysed.")
        case .persistentID:
            if !context.contains(.torch) {
                add(.info, "pickle.persistent-id", anomaly.message, member: member, offset: anomaly.offset,
                    fix: "Only loaders with a persistent_load (torch.load) accept this pickle.")
            }
        case .outOfBandBuffer:
            add(.low, "pickle.out-of-band-buffer", anomaly.message, member: member, offset: anomaly.offset,
                fix: "Check which loader supplies the buffers.")
        default:
            add(.medium, "pickle.anomaly", anomaly.message, member: member, offset: anomaly.offset, fix: "Check the file's origin.")
        }
    }

    /// A qualified name as a set element. A set of this type is specialised only in this module,
    /// which is built without mangled-name metadata lookups; a `Set<String>`'s specialisation is
    /// shared with (and may be taken from) dependencies built with them, and its first resize then
    /// walks every conformance record of the binary on the scanning thread.
    struct QualifiedName: Hashable {
        var text: String
        init(_ text: String) { self.text = text }
    }

    /// Allowlisted callables that call (or instantiate) the globals given as their arguments.
    static let constructorLike: Set<String> = ["copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__"]
}
