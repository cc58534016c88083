import ArgumentParser
import Foundation
import WardenCore
import WardenCrypto

/// `warden demo`: the capstone run on generated data, end to end, with real keys and files.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run every built stage of Warden end to end on generated data and show the evidence.",
        discussion: """
            Creates keys and a model in a fresh folder (or --dir), signs and verifies the model, \
            tampers with it and shows the verification failure, writes an ML SBOM and a signed \
            provenance attestation of a training run, and prints where everything is. Stages \
            that are not built yet are listed as skipped. Exit 1 if any stage misbehaves.

            Example:
              warden demo
              warden demo --dir /tmp/warden-demo --json
            """
    )

    @Option(help: "Folder to work in (default: a new temporary folder). Must be empty or missing.")
    var dir: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let root = try dir.map { d -> String in
            try FileIO.makeDirectory(d)
            let existing = (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []
            guard existing.isEmpty else { throw ValidationError("'\(d)' is not empty; pass an empty or new folder") }
            return d
        } ?? DemoRun.makeTemporaryFolder()
        let run = DemoRun(root: root, quiet: output.json)
        await run.execute()
        if output.json {
            Console.json(run.summaryJSON)
        } else {
            Console.output("")
            Console.output("Everything is in \(root)")
            for (label, path) in run.artefacts { Console.output("  \(label.padding(toLength: 22, withPad: " ", startingAt: 0)) \(path)") }
        }
        if run.failed { throw CheckFailed(message: "demo: a stage did not behave as expected") }
    }
}
