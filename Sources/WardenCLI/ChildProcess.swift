import Dispatch
import Foundation
import WardenCore

/// Running other programs from commands: inherited stdio, exit status (a signal n becomes 128+n),
/// and optionally SIGINT/SIGTERM forwarded so an interrupted `warden run` stops its child too.
enum ChildProcess {
    static func run(_ argv: [String], forwardSignals: Bool) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        var sources: [any DispatchSourceSignal] = []
        if forwardSignals {
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { if process.isRunning { kill(process.processIdentifier, signalNumber) } }
                source.resume()
                sources.append(source)
            }
        }
        defer {
            for source in sources { source.cancel() }
            if forwardSignals {
                signal(SIGINT, SIG_DFL)
                signal(SIGTERM, SIG_DFL)
            }
        }
        do {
            try process.run()
        } catch {
            throw WardenError.invalidInput("Cannot run '\(argv[0])': \(error.localizedDescription)")
        }
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal { return 128 + process.terminationStatus }
        // /usr/bin/env exits 127 when the program is missing.
        if process.terminationStatus == 127 && !Self.exists(argv[0]) {
            throw WardenError.invalidInput("Cannot run '\(argv[0])': no such program on PATH")
        }
        return process.terminationStatus
    }

    /// Runs a short helper command and returns its stdout, or nil if it failed or is missing.
    static func capture(_ argv: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func exists(_ program: String) -> Bool {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }
    }
}
