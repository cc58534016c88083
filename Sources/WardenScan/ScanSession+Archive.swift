import WardenCore
import WardenFormats

/// Quick checks for a ZIP end record.
enum ArchiveSniffer {
    /// Whether the last 64 KiB of `source` hold a ZIP end-of-central-directory record.
    static func hasEndRecord(_ source: any ByteSource) throws(WardenError) -> Bool {
        guard source.count >= 22 else { return false }
        let tail = try source.read(max(0, source.count - 65_557)..<source.count)
        return ZipArchive.endRecordIndex(in: tail) != nil
    }
}

extension ScanSession {
    /// A ZIP archive: classified as a PyTorch checkpoint, a Keras file, an .npz or a plain zip by
    /// its members, then every member is analysed by content.
    func analyseArchive(_ source: any ByteSource, at place: Place, prefixed: Bool) throws(WardenError) -> ModelFormat {
        guard checkDepth(place) else { return .zip }
        let archive: ZipArchive
        do {
            archive = try ZipArchive(source: source)
        } catch {
            add(.medium, "archive.malformed", "the ZIP archive cannot be read: \(error.message)", member: place.member,
                fix: "Loaders disagree on broken archives; re-create the archive.")
            return .zip
        }
        let names = archive.entries.map(\.name)
        let format: ModelFormat
        var context = place.context
        if names.contains(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }) {
            format = .pytorchZip
            context = .pytorch
        } else if names.contains("config.json") && (names.contains("metadata.json") || names.contains("model.weights.h5")) {
            format = .keras
        } else if !names.isEmpty && names.allSatisfy({ $0.hasSuffix(".npy") }) {
            format = .npz
            context = .numpy
        } else {
            format = .zip
        }
        for anomaly in archive.anomalies {
            if anomaly.contains("appears more than once") {
                add(.high, "archive.duplicate-member", "the archive has a \(anomaly); loaders disagree on which copy they read",
                    member: place.member, fix: "Do not load this file; re-create the archive with unique names.")
            } else if anomaly.contains("overlap") {
                add(.high, "archive.overlapping-members", "\(anomaly) (a zip-bomb construction or two names for one content)",
                    member: place.member, fix: "Do not load this file; re-create the archive.")
            } else if anomaly.contains("precede") {
                if !prefixed {
                    add(.medium, "archive.prefixed-data", "\(anomaly)", member: place.member,
                        fix: "Check what the leading bytes are; loaders that read from the start see them instead of the archive.")
                }
            } else {
                add(.medium, "archive.malformed", anomaly, member: place.member, fix: "Re-create the archive.")
            }
        }
        for entry in archive.entries where !entry.isDirectory {
            analyseMember(entry, of: archive, format: format, at: place, context: context)
        }
        return format
    }

    private func analyseMember(_ entry: ZipArchive.Entry, of archive: ZipArchive, format: ModelFormat, at place: Place, context: PickleRules.Context) {
        var child = place.child(entry.name)
        child.context = context
        if entry.name.hasPrefix("/") || entry.name.hasPrefix("\\") || entry.name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).contains("..") {
            add(.medium, "archive.unsafe-member-name", "member name '\(entry.name)' is absolute or climbs out with '..' (a path-traversal name for extractors)",
                member: child.member, fix: "Never extract this archive with a tool that trusts member names.")
        }
        let head: [UInt8]
        do {
            head = try archive.prefix(of: entry, count: 64)
        } catch {
            add(.medium, "archive.unreadable-member", "member '\(entry.name)' cannot be read: \(error)", member: child.member,
                fix: "Content that cannot be read cannot be checked; re-create the archive without encryption, with stored or DEFLATE members.")
            return
        }
        if format == .keras && entry.name == "config.json" {
            if let source = memberSource(entry, of: archive, name: child.member ?? entry.name, at: child) { analyseKerasJSON(source, at: child) }
            return
        }
        let isPickleName = entry.name.hasSuffix(".pkl") || entry.name.hasSuffix(".pickle")
        let isStorage = format == .pytorchZip && entry.name.split(separator: "/").dropLast().last == "data"
        let interesting = isPickleName || PickleReader.looksLikePickle(head) || ZipArchive.looksLikeZip(head)
            || head.starts(with: NumpyHeader.magic) || Decompressor.Codec.detect(head) != nil || head.starts(with: GGUFMetadata.magic)
            || head.starts(with: Self.hdf5Signature) || SafetensorsHeader.looksLikeSafetensors(head) || entry.name.hasSuffix(".onnx") || entry.name.hasSuffix(".pb")
        guard interesting else { return }
        guard let source = memberSource(entry, of: archive, name: child.member ?? entry.name, at: child) else { return }
        if isStorage && !ZipArchive.looksLikeZip(head) {
            // Tensor bytes that start like a pickle are analysed only if they decode as one: torch
            // never unpickles a storage, but a pickle hidden there is waiting for a second loader.
            if analysePickleFile(source, at: child, requireComplete: true) != .unknown {
                add(.medium, "pytorch.hidden-pickle", "storage member '\(entry.name)' holds a pickle, not tensor data",
                    member: child.member, fix: "Check why a tensor storage holds a pickle; its content was analysed.")
            }
            return
        }
        if isPickleName {
            var insisted = child
            insisted.reportUnknown = true
            _ = analysePickleFile(source, at: insisted, insist: true)
            return
        }
        _ = try? analyse(source, at: child)
    }

    /// A member's bytes: a view of the archive when stored, decompressed (within the budget) when not.
    private func memberSource(_ entry: ZipArchive.Entry, of archive: ZipArchive, name: String, at place: Place) -> (any ByteSource)? {
        do {
            if let stored = try archive.storedSource(entry, name: name) { return stored }
            let limit = Int(min(Int64(options.maxMemberBytes), max(0, budget)))
            let bytes = try archive.read(entry, limit: limit)
            budget -= Int64(bytes.count)
            return MemorySource(name: name, bytes: bytes)
        } catch is Decompressor.LimitExceeded {
            add(.high, "archive.decompression-limit", "member '\(entry.name)' decompresses past the scan's limit (\(min(Int64(options.maxMemberBytes), budget)) bytes); its content is not analysed",
                member: place.member, fix: "Do not load this file: it may be a decompression bomb hiding a payload.")
        } catch {
            add(.medium, "archive.unreadable-member", "member '\(entry.name)' cannot be read: \(error)", member: place.member,
                fix: "Content that cannot be read cannot be checked; re-create the archive.")
        }
        return nil
    }
}
