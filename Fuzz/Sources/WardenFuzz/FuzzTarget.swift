import CFuzzer
import WardenCore
import WardenFormats
import WardenScan

#if canImport(Glibc)
import Glibc
#endif

/// The reader a run exercises, from WARDEN_FUZZ_TARGET: pickle, zip, npy, safetensors, gguf, onnx, scan.
let target: String = {
    guard let value = getenv("WARDEN_FUZZ_TARGET") else { return "scan" }
    return String(cString: value)
}()

/// libFuzzer's entry point: every input must parse or be rejected, never trap or leak.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let source = MemorySource(name: "fuzz", bytes: bytes)
    switch target {
    case "pickle":
        var reader = PickleReader(source: source)
        while !reader.atEnd {
            let analysis = PickleMachine.analyse(&reader, options: PickleMachine.Options(joblibArrays: true))
            if !analysis.complete { break }
        }
    case "zip":
        if let archive = try? ZipArchive(source: source) {
            for entry in archive.entries.prefix(64) {
                _ = try? archive.prefix(of: entry, count: 64)
                _ = try? archive.read(entry, limit: 1 << 20)
            }
        }
    case "npy":
        _ = try? NumpyHeader(source: source)
    case "safetensors":
        _ = try? SafetensorsHeader(source: source)
    case "gguf":
        _ = try? GGUFMetadata(source: source)
    case "hdf5":
        _ = (try? HDF5RootAttributes(source: source))?.attributes.map(\.strings)
    case "onnx":
        _ = try? ModelGraphSummary.onnx(source)
        _ = try? ModelGraphSummary.savedModel(source)
    default:
        var options = Scanner.Options()
        options.maxDecompressedBytes = 64 << 20
        options.maxMemberBytes = 16 << 20
        _ = Scanner(options: options).scan(bytes: bytes, name: "fuzz")
    }
    return 0
}

/// SwiftPM links an executable's entry point as `<Target>_main`; hand control to libFuzzer's driver.
@_cdecl("WardenFuzz_main")
public func wardenFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzz(data!, size) }
}
