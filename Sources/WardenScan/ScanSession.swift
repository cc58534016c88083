import WardenCore
import WardenFormats

/// The state of scanning one file: findings so far, the decompression budget, and the dispatch
/// from detected format to analyser. The analysers live in `ScanSession+<Format>.swift`.
final class ScanSession {
    let options: Scanner.Options
    private(set) var findings: [Finding] = []
    private var omitted = 0
    /// Decompressed bytes still allowed for this file.
    var budget: Int64

    init(options: Scanner.Options) {
        self.options = options
        self.budget = options.maxDecompressedBytes
    }

    /// Records a finding (up to the per-file maximum; beyond it, counts them).
    func add(
        _ severity: Severity, _ rule: String, _ message: String, construct: String? = nil,
        member: String?, offset: Int64? = nil, fix: String
    ) {
        let finding = Finding(
            severity: severity, rule: rule, message: message, construct: construct,
            location: Finding.Location(member: member, offset: offset), fix: fix)
        if findings.contains(finding) { return }
        guard findings.count < options.maxFindingsPerFile else {
            omitted += 1
            if omitted == 1 {
                findings.append(Finding(
                    severity: .info, rule: "scan.findings-omitted", message: "more findings than the report keeps were omitted",
                    location: Finding.Location(member: member, offset: offset), fix: "Fix the findings shown and scan again."))
            }
            return
        }
        findings.append(finding)
    }

    /// Moves the offsets of findings `index…` by `delta` (findings of a slice, reported in file offsets).
    func shiftOffsets(from index: Int, by delta: Int64) {
        for position in index..<findings.count {
            findings[position].location.offset = findings[position].location.offset.map { $0 + delta }
        }
    }

    /// How a member was reached: its name chain for locations, and how deep it is nested.
    struct Place {
        var member: String?
        var depth: Int
        /// The pickle allowlists that apply (from the enclosing format).
        var context: PickleRules.Context = .any
        /// Whether an unrecognised format is worth reporting (true for files, false for archive
        /// members such as tensor storages).
        var reportUnknown = true

        func child(_ name: String) -> Place {
            Place(member: member.map { $0 + "!" + name } ?? name, depth: depth + 1, context: context, reportUnknown: false)
        }
    }

    /// Detects the format of a whole file and analyses it.
    func analyseTopLevel(_ source: any ByteSource) throws(WardenError) -> ModelFormat {
        let format = try analyse(source, at: Place(member: nil, depth: 0))
        // A zip directory at the end of a file that starts as something else: zip readers (and
        // torch.load) see the archive, other loaders the start. Both halves are analysed.
        if format != .zip && !format.rawValue.hasPrefix("pytorch-zip") && format != .npz && format != .keras,
            try ArchiveSniffer.hasEndRecord(source)
        {
            add(.high, "archive.polyglot", "the file is both a \(format) file and a ZIP archive (the archive's directory is at its end)",
                member: nil, fix: "Do not load this file; a polyglot shows different content to different loaders.")
            _ = try analyseArchive(source, at: Place(member: nil, depth: 0), prefixed: true)
        }
        return format
    }

    /// Detects the format of `source` from its first bytes and runs the matching analyser.
    func analyse(_ source: any ByteSource, at place: Place) throws(WardenError) -> ModelFormat {
        let head = try source.read(0..<min(source.count, 64))
        if ZipArchive.looksLikeZip(head) { return try analyseArchive(source, at: place, prefixed: false) }
        if head.starts(with: NumpyHeader.magic) { return analyseNumpy(source, at: place) }
        if head.starts(with: GGUFMetadata.magic) { return try analyseGGUF(source, at: place) }
        if head.starts(with: Self.hdf5Signature) { return try analyseHDF5(source, at: place) }
        if SafetensorsHeader.looksLikeSafetensors(head) { return try analyseSafetensors(source, at: place) }
        if let codec = Decompressor.Codec.detect(head) { return analyseCompressed(source, codec: codec, at: place) }
        if PickleReader.looksLikePickle(head) {
            let format = analysePickleFile(source, at: place)
            if format != .unknown { return format }
        }
        if head.first == 0x08 || head.first == 0x0a || head.first == 0x12 {
            switch ModelGraphSummary.sniff(source) {
            case "onnx": return analyseONNX(source, at: place)
            case "savedmodel": return analyseSavedModel(source, at: place)
            default: break
            }
        }
        if head.first == 0x7b, source.count < 64 << 20 {
            let text = try source.read(0..<min(source.count, 1 << 16))
            if text.firstRange(of: Array(#""class_name""#.utf8)) != nil || text.firstRange(of: Array(#""module""#.utf8)) != nil {
                analyseKerasJSON(source, at: place)
                return .json
            }
        }
        if place.reportUnknown {
            add(.info, "scan.not-analysed", "the format is not one Warden analyses (\(source.count) bytes; first bytes \(Hex.encode(Array(head.prefix(8)))))",
                member: place.member, fix: "Check that this file is not loaded by code that deserialises it (pickle, torch.load, joblib.load).")
        }
        return .unknown
    }

    /// Reaching the nesting limit is itself a finding: recursive archives must not hide content.
    func checkDepth(_ place: Place) -> Bool {
        guard place.depth < options.maxNestingDepth else {
            add(.high, "archive.nesting-limit", "containers are nested more than \(options.maxNestingDepth) deep; the innermost content is not analysed",
                member: place.member, fix: "Do not load this file; legitimate models are not nested this deep.")
            return false
        }
        return true
    }
}
