import Testing
import WardenCore
import WardenFormats
import WardenTesting

struct GraphFormatTests {
    func source(_ bytes: [UInt8]) -> MemorySource { MemorySource(name: "t", bytes: bytes) }

    @Test func onnxSummaryFindsOperatorsDomainsAndExternalData() throws {
        let summary = try ModelGraphSummary.onnx(source(ModelFileFactory.onnx(externalLocation: "../w.bin", customDomain: "com.x")))
        #expect(summary.operators.map(\.type) == ["MatMul", "Add", "Relu", "RunScript"])
        #expect(summary.operators.last?.domain == "com.x")
        #expect(summary.opsetDomains == ["", "com.x"])
        #expect(summary.externalData.map(\.location) == ["../w.bin"])
        #expect(ModelGraphSummary.sniff(source(ModelFileFactory.onnx())) == "onnx")
        #expect(ModelGraphSummary.sniff(source(ModelFileFactory.savedModel())) == "savedmodel")
    }

    @Test func savedModelOpsIncludeFunctionLibraries() throws {
        let summary = try ModelGraphSummary.savedModel(source(ModelFileFactory.savedModel(ops: ["ReadFile"], functionOps: ["EagerPyFunc"])))
        #expect(summary.operators.map(\.type).contains("ReadFile"))
        #expect(summary.operators.map(\.type).contains("EagerPyFunc"))
    }

    @Test func safetensorsChecksEveryRule() throws {
        #expect(try SafetensorsHeader(source: source(ModelFileFactory.safetensors())).problems.isEmpty)
        let huge = try SafetensorsHeader(source: source(ModelFileFactory.safetensors(declaredLength: 1 << 40)))
        #expect(huge.problems.first?.contains("claims") == true)
        let gap = try SafetensorsHeader(source: source(ModelFileFactory.safetensors(data: ModelFileFactory.floats(21, seed: 1))))
        #expect(gap.problems == ["4 bytes after the last tensor belong to no tensor"])
    }

    @Test func ggufKeepsStringsAndChecksTensors() throws {
        let metadata = try GGUFMetadata(source: source(ModelFileFactory.gguf(chatTemplate: "{{ x }}")))
        #expect(metadata.version == 3)
        #expect(metadata.strings.map(\.key) == ["general.architecture", "tokenizer.chat_template"])
        #expect(metadata.strings.last?.value == "{{ x }}")
        #expect(metadata.problems.isEmpty)
    }

    @Test func parsersNeverTrapOnHostileBytes() {
        let inputs = [ModelFileFactory.onnx(externalLocation: "a"), ModelFileFactory.savedModel(ops: ["ReadFile"]),
                      ModelFileFactory.safetensors(), ModelFileFactory.gguf(chatTemplate: "{{ x }}")]
        for input in inputs {
            ParserVerifier.verify(input, flips: 300) { bytes in
                _ = try? ModelGraphSummary.onnx(source(bytes))
                _ = try? ModelGraphSummary.savedModel(source(bytes))
                _ = ModelGraphSummary.sniff(source(bytes))
                _ = try SafetensorsHeader(source: source(bytes))
                _ = try GGUFMetadata(source: source(bytes))
            }
        }
    }
}
