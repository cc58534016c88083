import Foundation
import WardenCore

/// Where the CLI writes: results on stdout, diagnostics and progress on stderr.
enum Console {
    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Prints an Encodable value as pretty JSON with sorted keys on stdout.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        output(String(decoding: data, as: UTF8.self))
    }

    /// Prints a JSONValue pretty on stdout.
    static func json(_ value: JSONValue) {
        output(value.prettyString(indent: 2))
    }

    /// Whether stderr is a terminal (progress bars only there).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}

/// Options every command shares.
struct OutputOptions: ParsableArgumentsSendable {
    @Flag(name: .long, help: "Print machine-readable JSON on stdout instead of text.")
    var json = false

    @Flag(name: .long, help: "Hide progress bars.")
    var quiet = false

    init() {}
}

import ArgumentParser

/// ParsableArguments that can cross concurrency domains (all our option groups are plain values).
typealias ParsableArgumentsSendable = ParsableArguments & Sendable
