import WardenCore

extension RegistryServer {
    /// Loads and compiles every `--model` file once, so that `warden serve` stops at start with a
    /// clear error for a file it cannot serve.
    /// - Returns: the models' names, sorted.
    /// - Throws: `WardenError` naming the model and the file.
    public func checkInferenceModels() throws -> [String] {
        let repository = ModelRepository(registry: registry, artefacts: artefacts, configuration: configuration.inference, trustedKeys: trustedKeys)
        if let both = configuration.inference.upstreams.keys.sorted().first(where: { configuration.inference.models[$0] != nil }) {
            throw WardenError.invalidInput("'\(both)' is both a --model file and an --upstream; give each served name once")
        }
        try repository.loadFiles()
        return configuration.inference.models.keys.sorted()
    }

    /// Reads each upstream model's metadata once (upstream mode) and says which could not be read:
    /// `warden serve` reports them and serves anyway (each is read again on use and on readiness
    /// checks, so an upstream that starts later is picked up).
    /// - Returns: served name → nil when usable, else the reason.
    public func checkUpstreams() async -> [(name: String, problem: String?)] {
        var results: [(name: String, problem: String?)] = []
        for (name, upstream) in configuration.inference.upstreams.sorted(by: { $0.key < $1.key }) {
            do {
                let model = try await UpstreamClient(name: name, upstream: upstream).load()
                _ = model
                results.append((name, nil))
            } catch {
                results.append((name, InferenceError.from(error).message))
            }
        }
        return results
    }
}
