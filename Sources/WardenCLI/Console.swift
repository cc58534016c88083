import Foundation
import WardenCore

/// Where the CLI writes: results on stdout, diagnostics and progress on stderr.
enum Console {
    static func output(_ text: String) {
        write(text, to: STDOUT_FILENO, naming: "standard output")
    }

    static func error(_ text: String) {
        write(text, to: STDERR_FILENO, naming: "standard error")
    }

    /// One line, written straight to the descriptor (`Data(text.utf8)` would dynamically cast the
    /// view to find contiguous storage, a search of every conformance record on first use). Like
    /// `print`, a failed write is dropped: there is nowhere left to report it.
    private static func write(_ text: String, to fd: Int32, naming name: String) {
        var line = text
        line.append("\n")
        try? FileIO.writeAll(Array(line.utf8), to: fd, naming: name)
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
