import ArgumentParser

/// `warden data …`: training-data security — provenance, versions, integrity, encryption, PII,
/// differential privacy. Each subcommand lives in its own file.
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Protect training data: provenance, versions, integrity, encryption, PII, differential privacy, poisoning scan.",
        discussion: """
            Example:
              warden data add data/train.csv
              warden data verify data/train.csv
              warden data provenance data/train.csv
            """,
        subcommands: [
            DataTrackCommand.self, DataTransformCommand.self, DataProvenanceCommand.self,
            DataAddCommand.self, DataLogCommand.self, DataCheckoutCommand.self, DataDiffCommand.self,
            DataVerifyCommand.self, DataPushCommand.self, DataPullCommand.self,
            DataEncryptCommand.self, DataDecryptCommand.self,
            DataPIICommand.self, DataDPStatsCommand.self, DataDPEpsilonCommand.self,
            DataScanCommand.self, DataDriftCommand.self,
        ]
    )
}
