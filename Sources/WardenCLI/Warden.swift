import ArgumentParser
import Foundation
import WardenCore

/// The root `warden` command.
public struct Warden: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "Secure the machine-learning lifecycle and leave cryptographic evidence at every step.",
        discussion: """
            Exit codes (every command): 0 ok · 1 a check ran and failed (verification, findings, gate) \
            · 2 bad usage or unreadable input · 3 internal error.

            Example:
              warden demo
              warden keys generate --type p256 --out keys
              warden model sign my-model --key keys/private.pem
              warden model verify my-model --key keys/public.pem --signature my-model.sig
              warden train --data train.csv --label label --model mlp:128,64 --out model.onnx
            """,
        version: version,
        subcommands: [
            DemoCommand.self,
            KeysCommand.self,
            ModelCommand.self,
            DataCommand.self,
            AuditCommand.self,
            ProvenanceRunCommand.self,
            AttestationCommand.self,
            ServeCommand.self,
            IncidentCommand.self,
            BenchCommand.self,
            TrainCommand.self,
            PredictCommand.self,
            EvalCommand.self,
            HardenCommand.self,
            AttackCommand.self,
            CertifyCommand.self,
            RobustnessCommand.self,
            RegistryCommand.self,
        ]
    )

    public init() {}

    /// Parses the arguments, runs the command and maps every outcome to Warden's exit codes.
    /// `warden model scan`'s plain command lines skip ArgumentParser's start-up
    /// (``ModelScanCommand/fastParse(_:)``).
    public static func runMain(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Int32 {
        if arguments.count > 2, arguments[0] == "model", arguments[1] == "scan",
            let scan = ModelScanCommand.fastParse(Array(arguments.dropFirst(2)))
        {
            do {
                try scan.validate()
                try scan.run()
                return 0
            } catch {
                return report(error)
            }
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch {
            return report(error)
        }
    }

    /// Prints an error the way users expect and returns its exit code.
    static func report(_ error: any Error) -> Int32 {
        switch error {
        case let exit as ExitCode:
            return exit.rawValue
        case let failure as CheckFailed:
            if !failure.message.isEmpty { Console.error(failure.message) }
            return 1
        case let warden as WardenError:
            Console.error("error: \(warden.description)")
            if ProcessInfo.processInfo.environment["WARDEN_DEBUG"] != nil { Console.error(warden.detailedDescription()) }
            return warden.code == .internalError ? 3 : 2
        default:
            let code = exitCode(for: error)
            if code == ExitCode.success {
                Console.output(fullMessage(for: error))
                return 0
            }
            if code.rawValue == ExitCode.validationFailure.rawValue || error is ValidationError {
                Console.error(fullMessage(for: error))
                return 2
            }
            Console.error("internal error: \(fullMessage(for: error))")
            return 3
        }
    }
}

/// Thrown by commands when a check ran and failed (exit 1) after printing its report.
struct CheckFailed: Error {
    var message: String = ""
}
