import WardenCore

/// Generates small model folders with known contents for signing and scanning tests.
public enum ModelFixture {
    /// The files of the standard fixture: relative path → bytes, seeded so they never change.
    public static func files(seed: UInt64 = 42) -> [(String, [UInt8])] {
        var rng = SeededGenerator(seed: seed)
        return [
            ("config.json", Array(#"{"model_type": "mlp", "hidden": [64, 32]}"#.utf8)),
            ("weights/layer0.bin", rng.bytes(70_000)),
            ("weights/layer1.bin", rng.bytes(3_000)),
            ("tokenizer/vocab.txt", Array("a\nb\nc\n".utf8)),
            ("empty.txt", []),
            ("README.md", Array("# fixture model\n".utf8)),
            (".gitignore", Array("*.tmp\n".utf8)),
        ]
    }

    /// Writes the standard fixture into `directory/name` and returns the model path.
    @discardableResult
    public static func write(into directory: TemporaryDirectory, name: String = "model", seed: UInt64 = 42) throws -> String {
        for (path, bytes) in files(seed: seed) {
            try directory.write("\(name)/\(path)", bytes)
        }
        return directory.url(name)
    }
}
