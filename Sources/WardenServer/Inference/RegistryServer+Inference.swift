import WardenCore

extension RegistryServer {
    /// Loads and compiles every `--model` file once, so that `warden serve` stops at start with a
    /// clear error for a file it cannot serve.
    /// - Returns: the models' names, sorted.
    /// - Throws: `WardenError` naming the model and the file.
    public func checkInferenceModels() throws -> [String] {
        let repository = ModelRepository(registry: registry, artefacts: artefacts, configuration: configuration.inference, trustedKeys: trustedKeys)
        try repository.loadFiles()
        return configuration.inference.models.keys.sorted()
    }
}
