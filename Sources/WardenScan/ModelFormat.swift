/// A file format the scanner recognises by content. A struct around a string so that formats can
/// be added without breaking users; the raw value is what reports show.
public struct ModelFormat: RawRepresentable, Sendable, Codable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let pickle = ModelFormat(rawValue: "pickle")
    public static let pytorchZip = ModelFormat(rawValue: "pytorch-zip")
    public static let pytorchLegacy = ModelFormat(rawValue: "pytorch-legacy")
    public static let joblib = ModelFormat(rawValue: "joblib")
    public static let numpy = ModelFormat(rawValue: "npy")
    public static let npz = ModelFormat(rawValue: "npz")
    public static let zip = ModelFormat(rawValue: "zip")
    public static let keras = ModelFormat(rawValue: "keras")
    public static let kerasH5 = ModelFormat(rawValue: "keras-h5")
    public static let hdf5 = ModelFormat(rawValue: "hdf5")
    public static let onnx = ModelFormat(rawValue: "onnx")
    public static let safetensors = ModelFormat(rawValue: "safetensors")
    public static let gguf = ModelFormat(rawValue: "gguf")
    public static let savedModel = ModelFormat(rawValue: "tensorflow-savedmodel")
    public static let json = ModelFormat(rawValue: "json")
    public static let unknown = ModelFormat(rawValue: "unknown")

    /// A compressed stream around another format, e.g. `joblib+zlib`.
    public func compressed(_ codec: String) -> ModelFormat { ModelFormat(rawValue: rawValue + "+" + codec) }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
