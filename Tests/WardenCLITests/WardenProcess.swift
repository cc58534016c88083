import Foundation
import Testing
import WardenCore
import WardenTesting

/// Runs the built `warden` executable as a child process, for the few tests that must read what
/// the CLI prints (Console writes straight to the process's stdout and stderr, so an in-process
/// run cannot capture it without racing other tests).
enum WardenProcess {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String

        /// stderr without trailing white space, split into lines.
        var errorLines: [Substring] {
            stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n", omittingEmptySubsequences: false)
        }

        var json: JSONValue? { try? JSONParser().parse(stdout) }
    }

    /// The folder holding the test binary and the `warden` executable SwiftPM built beside it.
    static let productsDirectory: String = {
        #if os(Linux)
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return FileIO.parentDirectory(of: executable)
        #else
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().path
        }
        return Bundle.main.bundleURL.path
        #endif
    }()

    static var executable: String { productsDirectory + "/warden" }

    /// Runs `warden arguments…` (with `environment` added to this process's) and returns its exit
    /// status and output.
    static func run(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:]) async throws -> Result {
        guard FileIO.kind(of: executable) == .regular else {
            throw WardenError.notFound("The warden executable is not at '\(executable)'; build it with `swift build`")
        }
        let out = directory.url(".stdout-\(UUID().uuidString)")
        let err = directory.url(".stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        process.standardInput = FileHandle.nullDevice
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        process.standardOutput = outHandle
        process.standardError = errHandle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try outHandle.close()
        try errHandle.close()
        return Result(
            status: status,
            stdout: String(decoding: try FileIO.readAll(out), as: UTF8.self),
            stderr: String(decoding: try FileIO.readAll(err), as: UTF8.self))
    }
}
