import Testing
import WardenCore
import WardenGuard
import WardenModels
import WardenTensor

/// The schema of a real exported ONNX model: names, datatypes, `-1` for the batch dimension, and
/// input ranges from the model's metadata (malformed metadata gives no ranges).
struct ModelSchemaTests {
    @Test func schemaOfAnExportedModel() throws {
        let dense = try Dense(weight: try Tensor(shape: [2, 3], scalars: [1, 0, 0, 0, 1, 0]), bias: try Tensor(shape: [2], scalars: [0, 0]))
        let ranges = #"{"input": [[0, 1], [0, 10], [-5, 5]]}"#
        let bytes = try ONNXExporter.export(Sequential([dense]), inputShape: [3], metadata: [(ModelSchema.rangesMetadataKey, ranges)])
        let schema = try ModelSchema(model: try ONNXModel(bytes: bytes, source: "m.onnx"))
        #expect(schema.inputs == [TensorSpec(name: "input", datatype: .fp32, shape: [-1, 3], ranges: [0...1, 0...10, -5...5])])
        #expect(schema.outputs.map(\.name) == ["logits"] && schema.outputs[0].datatype == .fp32 && schema.outputs[0].shape == [-1, 2])

        for bad in [#"{"input": [[1, 0]]}"#, #"{"input": "x"}"#, "not json", #"{"input": [[0, 1, 2]]}"#] {
            let other = try ONNXExporter.export(Sequential([dense]), inputShape: [3], metadata: [(ModelSchema.rangesMetadataKey, bad)])
            #expect(try ModelSchema(model: try ONNXModel(bytes: other, source: "m.onnx")).inputs[0].ranges.isEmpty, "\(bad)")
        }
    }

    @Test func datatypeNames() {
        #expect(TensorDatatype(name: "FP32") == .fp32 && TensorDatatype(name: "fp32") == nil && TensorDatatype(name: "") == nil)
        #expect(TensorDatatype(ONNXElementType.int64) == .int64 && TensorDatatype(ONNXElementType(code: 14)) == nil)
        #expect(TensorDatatype.fp32.isSupported && !TensorDatatype.fp64.isSupported && !TensorDatatype.bytes.isSupported)
    }
}
