import Testing
import WardenCore
import WardenFormats
import WardenTesting

struct PickleTests {
    func analyse(_ bytes: [UInt8], joblib: Bool = false) -> PickleAnalysis {
        var reader = PickleReader(source: MemorySource(name: "t", bytes: bytes))
        return PickleMachine.analyse(&reader, options: PickleMachine.Options(joblibArrays: joblib))
    }

    /// `pickle.dumps({'a': [1, 2.5, None, True], 'b': b'xy'}, protocol=4)` from CPython 3.11.
    static let python = Hex.decode("80049523000000000000007d94288c0161945d94284b014740040000000000004e88658c0162944302787994752e") ?? []

    @Test func decodesCPythonOutputToTheEnd() {
        let stopped = Self.python
        #expect(!stopped.isEmpty)
        let analysis = analyse(stopped)
        #expect(analysis.complete)
        #expect(analysis.protocolVersion == 4)
        #expect(analysis.anomalies.isEmpty)
        #expect(analysis.end == Int64(stopped.count))
    }

    @Test func stackGlobalResolvesStringsFromTheMemo() {
        let bytes = PickleWriter.pickle(protocol: 4) { w in
            w.string("os"); w.memoize(); w.op(0x30)
            w.string("system"); w.memoize(); w.op(0x30)
            w.get(0); w.get(1); w.op(0x93)
            w.mark(); w.string("id"); w.tuple(); w.reduce()
        }
        let analysis = analyse(bytes)
        #expect(analysis.imports.map(\.global.qualifiedName) == ["os.system"])
        #expect(analysis.calls.first?.global?.qualifiedName == "os.system")
        #expect(analysis.calls.first?.kind == .reduce)
        #expect(analysis.complete)
    }

    @Test func computedOperandsAreAnAnomaly() {
        let bytes = PickleWriter.pickle(protocol: 4) { w in
            w.call("_codecs", "encode", stack: true) { w in w.string("bf"); w.string("rot13") }
            w.string("system"); w.op(0x93)
        }
        let analysis = analyse(bytes)
        #expect(analysis.anomalies.contains { $0.kind == .computedGlobal })
    }

    @Test func escapedNamesDecodeAsPythonReadsThem() {
        let bytes = PickleWriter.pickle(protocol: 1) { w in
            w.raw(Array("S'\\x6fs'\nV\\u0073ystem\n".utf8)); w.op(0x93)
        }
        #expect(analyse(bytes).imports.map(\.global.qualifiedName) == ["os.system"])
    }

    @Test func instAndObjAndNewObjAreCalls() {
        let bytes = PickleWriter.pickle(protocol: 2) { w in
            w.mark(); w.string("a"); w.inst("subprocess", "Popen")
            w.mark(); w.global("runpy", "_run_code"); w.obj()
            w.global("socket", "socket"); w.emptyTuple(); w.newObj()
            w.op(0x30); w.op(0x30); w.op(0x30); w.none()
        }
        let kinds = analyse(bytes).calls.map(\.kind)
        #expect(kinds == [.inst, .obj, .newobj])
    }

    @Test func buildOnAGlobalIsRecorded() {
        let bytes = PickleWriter.pickle(protocol: 4) { w in
            w.stackGlobal("collections", "OrderedDict"); w.emptyDict(); w.build()
        }
        #expect(analyse(bytes).builds.count == 1)
    }

    @Test func joblibArrayBytesAreSkipped() {
        let analysis = analyse(ModelFileFactory.joblib(), joblib: true)
        #expect(analysis.complete)
        #expect(analysis.skippedDataBytes == 80)  // 8 + 2 float64
        #expect(!analysis.anomalies.contains { $0.kind == .malformed })
        // Without the joblib rule the raw bytes are misread as opcodes.
        #expect(!analyse(ModelFileFactory.joblib()).complete)
    }

    @Test func errorsStopTheMachineWithAnAnomaly() {
        #expect(analyse([0x80, 0x04, 0x52]).anomalies.first?.kind == .malformed)  // REDUCE on an empty stack
        #expect(analyse([0x80, 0x04, 0x68, 0x05, 0x2e]).anomalies.first?.kind == .malformed)  // GET of a missing key
        #expect(analyse([0x80, 0x04, 0xff]).anomalies.first?.kind == .malformed)  // unknown opcode
        #expect(!analyse([0x80, 0x04, 0x8c, 0x10, 0x61]).complete)  // truncated string
    }

    @Test func readerNeverTrapsOnHostileBytes() {
        for item in ScanCorpus.all.prefix(30) {
            ParserVerifier.verify(item.bytes, flips: 100, maxTruncations: 200) { bytes in
                var reader = PickleReader(source: MemorySource(name: "t", bytes: bytes))
                _ = PickleMachine.analyse(&reader, options: PickleMachine.Options(joblibArrays: true))
            }
        }
    }

    @Test func looksLikePickleAcceptsEveryProtocolOpening() {
        #expect(PickleReader.looksLikePickle([0x80, 0x05, 0x95]))
        #expect(PickleReader.looksLikePickle([0x80, 0x00]))
        #expect(PickleReader.looksLikePickle(Array("cos\nsystem\n".utf8)))
        #expect(!PickleReader.looksLikePickle(Array("hello".utf8)))
        #expect(!PickleReader.looksLikePickle([0x80, 0x09]))
    }
}
