import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCLI

struct AuditCommandTests {
    @Test func verifyExportAndDetectTampering() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let log = AuditLogFile(path: folder.url("audit.jsonl"))
        for index in 0..<3 { try log.append(actor: "a", action: "data.add", subject: "s\(index)") }
        #expect(await Warden.runMain(arguments: ["audit", "verify", "--file", log.path, "--json"]) == 0)
        let export = folder.url("export.jsonl")
        #expect(await Warden.runMain(arguments: ["audit", "export", "--file", log.path, "--output", export]) == 0)
        #expect(await Warden.runMain(arguments: ["audit", "verify", "--file", export]) == 0)

        var lines = try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n").map(String.init)
        lines.swapAt(0, 1)
        try FileIO.writeAtomically(lines.joined(separator: "\n") + "\n", to: export)
        #expect(await Warden.runMain(arguments: ["audit", "verify", "--file", export]) == 1)
        #expect(await Warden.runMain(arguments: ["audit", "verify", "--file", folder.url("none.jsonl")]) == 2)
        #expect(await Warden.runMain(arguments: ["audit", "verify", "--file", log.path, "--repository", folder.path]) == 2)
    }

    @Test func cefEscapesSeparators() {
        let event = AuditEvent(
            after: nil, time: "2026-01-01T00:00:00.000Z", actor: "eve|x=y", action: "auth.denied", subject: "a\nb",
            details: .object([]))
        let line = CEF.line(for: event)
        #expect(line.hasPrefix("CEF:0|Warden|warden|"))
        #expect(line.contains("|auth.denied|auth.denied|7|"))
        #expect(line.contains("suser=eve|x\\=y"))
        #expect(line.contains("fname=a\\nb"))
        #expect(!line.contains("\n"))
    }
}
