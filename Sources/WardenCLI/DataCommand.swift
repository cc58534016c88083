import ArgumentParser

/// `warden data …`: training-data security — provenance, versions, integrity, encryption, PII,
/// differential privacy. Each subcommand lives in its own file.
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Protect training data: provenance, versions, integrity, encryption, PII, differential privacy.",
        subcommands: [
        ]
    )
}
