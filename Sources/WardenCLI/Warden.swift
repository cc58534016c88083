import ArgumentParser

/// The root `warden` command.
public struct Warden: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "Secure the machine-learning lifecycle and leave cryptographic evidence at every step.",
        version: "0.1.0",
        subcommands: []
    )
    public init() {}
}
