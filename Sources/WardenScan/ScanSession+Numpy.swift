import WardenCore
import WardenFormats

extension ScanSession {
    /// A `.npy` array: the header is checked; an object array's data is a pickle, analysed with
    /// NumPy's allowlist (np.load refuses it unless allow_pickle=True, which is what attackers ask for).
    func analyseNumpy(_ source: any ByteSource, at place: Place) -> ModelFormat {
        let header: NumpyHeader
        do {
            header = try NumpyHeader(source: source)
        } catch {
            add(.medium, "numpy.malformed", "the .npy header cannot be read: \(error.message)", member: place.member,
                fix: "Re-create the array with numpy.save.")
            return .numpy
        }
        if header.hasObjects {
            add(.medium, "numpy.object-array", "the array has dtype '\(header.descr)': its data is a pickle, which np.load runs only with allow_pickle=True",
                member: place.member, offset: header.dataOffset,
                fix: "Store numeric arrays; never pass allow_pickle=True for files you did not make.")
            var inner = place
            inner.context = .numpy
            let data = source.slice(header.dataOffset..<source.count, name: source.name)
            let before = findings.count
            _ = analysePickleFile(data, at: inner, insist: true)
            // Offsets inside the pickle are relative to the data: shift them to the file.
            shiftOffsets(from: before, by: header.dataOffset)
            return .numpy
        }
        if let size = header.dataSize {
            let actual = source.count - header.dataOffset
            if actual > size {
                add(.medium, "numpy.trailing-data", "\(actual - size) bytes follow the array data that the header describes",
                    member: place.member, offset: header.dataOffset + size,
                    fix: "np.load ignores them; check what they are before another loader reads them.")
            } else if actual < size {
                add(.low, "numpy.truncated", "the array data is \(size - actual) bytes shorter than the header says",
                    member: place.member, fix: "Re-create the array with numpy.save.")
            }
        }
        return .numpy
    }

    /// A compressed stream (joblib's zlib/gzip/bz2/lzma/xz compression): decompressed within the
    /// budget, then analysed by content like a file.
    func analyseCompressed(_ source: any ByteSource, codec: Decompressor.Codec, at place: Place) -> ModelFormat {
        let container = ModelFormat.unknown.compressed(codec.rawValue)
        guard checkDepth(place) else { return container }
        let limit = Int(min(Int64(options.maxMemberBytes), max(0, budget)))
        let bytes: [UInt8]
        do {
            bytes = try Decompressor.decompress(codec, from: source, limit: limit)
        } catch is Decompressor.LimitExceeded {
            add(.high, "archive.decompression-limit", "the \(codec.rawValue) stream decompresses past the scan's limit (\(limit) bytes); its content is not analysed",
                member: place.member, fix: "Do not load this file: it may be a decompression bomb hiding a payload.")
            return container
        } catch {
            add(.medium, "archive.malformed", "the \(codec.rawValue) stream does not decompress: \(error)", member: place.member,
                fix: "Loaders stop at the corruption; re-create the file.")
            return container
        }
        budget -= Int64(bytes.count)
        var inner = place
        inner.depth += 1
        inner.member = place.member.map { $0 + "!" + codec.rawValue } ?? codec.rawValue
        inner.reportUnknown = true
        let format = (try? analyse(MemorySource(name: source.name, bytes: bytes), at: inner)) ?? .unknown
        return format.compressed(codec.rawValue)
    }
}
