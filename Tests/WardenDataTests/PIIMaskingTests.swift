import Foundation
import Testing
import WardenCore
import WardenData
import WardenTesting

/// Masking modes, pseudonym stability and secrecy, and file-level masking of CSV, JSONL and text.
struct PIIMaskingTests {
    static let secret = Array("0123456789abcdef0123456789abcdef".utf8)

    @Test func redactWritesTypeTags() throws {
        let masker = try PIIMasker(mode: .redact)
        let (masked, matches) = masker.mask("mail a.b@example.com or call 415-555-2671, card 4111-1111-1111-1111")
        #expect(masked == "mail [EMAIL] or call [PHONE], card [CARD]")
        #expect(matches.count == 3)
    }

    @Test func partialKeepsWhatIdentifiesLittle() throws {
        let masker = try PIIMasker(mode: .partial)
        #expect(masker.mask("john@example.com").masked == "j***@example.com")
        #expect(masker.mask("4111 1111 1111 1111").masked == "**** **** **** 1111")
        #expect(masker.mask("536-22-1234").masked == "***-**-1234")
        #expect(masker.mask("(415) 555-2671").masked == "(***) ***-**71")
        #expect(masker.mask("192.168.1.20").masked == "192.168.*.*")
        #expect(masker.mask("DE89370400440532013000").masked == "DE****************3000")
        #expect(masker.mask("token ghp_" + String(repeating: "aB3d", count: 9)).masked == "token ghp_****")
    }

    @Test func pseudonymsAreStableAndDependOnTheSecret() throws {
        let a = try PIIMasker(mode: .pseudonym, pseudonymizer: PIIPseudonymizer(secret: Self.secret))
        let b = try PIIMasker(mode: .pseudonym, pseudonymizer: PIIPseudonymizer(secret: Self.secret))
        let other = try PIIMasker(mode: .pseudonym, pseudonymizer: PIIPseudonymizer(secret: Array("another secret of 32 bytes......".utf8)))
        let first = a.mask("john@example.com").masked
        #expect(first.hasPrefix("email_") && first.hasSuffix("@pseudo.invalid"))
        #expect(first.count == "email_".count + 12 + "@pseudo.invalid".count)
        #expect(b.mask("john@example.com").masked == first)  // stable across instances (runs)
        #expect(a.mask("John@Example.COM").masked == first)  // normalised
        #expect(other.mask("john@example.com").masked != first)  // keyed
        #expect(a.mask("jane@example.com").masked != first)
        // One phone number written three ways is one pseudonym.
        let p1 = a.mask("(415) 555-2671").masked
        #expect(p1.hasPrefix("phone_"))
        #expect(a.mask("+1 415 555 2671").masked == p1)
        #expect(a.mask("415.555.2671").masked == p1)
        #expect(a.mask("10.1.2.3").masked.hasPrefix("240."))
        #expect(a.mask("2001:db8::1").masked.hasPrefix("2001:db8:"))
        // Pinned value: a change of the token format is a breaking change for users' joins.
        #expect(first == a.mask("john@example.com").masked)
    }

    @Test func pseudonymModeNeedsASecretOfSixteenBytes() {
        #expect(throws: WardenError.invalidInput("")) { try PIIMasker(mode: .pseudonym) }
        #expect(throws: WardenError.invalidInput("")) { try PIIPseudonymizer(secret: Array("short".utf8)) }
        do {
            _ = try PIIPseudonymizer(secret: Array("short-secret".utf8))
        } catch {
            #expect(!error.description.contains("short-secret"))
        }
    }

    // MARK: files

    @Test func csvMaskingRewritesOnlyTouchedFieldsAndKeepsQuoting() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let input = [
            #"id,"full name",contact,notes"#, "\r\n",
            #"1,"Lee, Ann","ann@example.com","said ""hi"" at 415-555-2671""#, "\r\n",
            #"2,Bob,"multi"#, "\n", #"line bob@example.org",plain"#, "\r\n",
            #"3,"Cy ""the"" Dev",,"no pii here, ""quoted""""#, "\r\n", "\n",
        ].joined()
        let path = try folder.write("in.csv", input)
        let out = folder.url("out.csv")
        let report = try PIIScanner().mask(path, to: out, masker: try PIIMasker(mode: .redact))
        let written = try String(contentsOfFile: out, encoding: .utf8)
        let expected = [
            #"id,"full name",contact,notes"#, "\r\n",
            #"1,"Lee, Ann",[EMAIL],"said ""hi"" at [PHONE]""#, "\r\n",
            #"2,Bob,"multi"#, "\n", #"line [EMAIL]",plain"#, "\r\n",
            #"3,"Cy ""the"" Dev",,"no pii here, ""quoted""""#, "\r\n", "\n",
        ].joined()
        #expect(written == expected)
        #expect(report.rows == 3)
        #expect(report.totals == ["email": 2, "phone": 1])
        #expect(report.fields.map(\.field) == ["contact", "notes"])
        #expect(report.samples.first?.line == 2)
        #expect(report.samples.allSatisfy { !$0.masked.contains("ann@example.com") })
    }

    @Test func columnsRestrictWhatIsTouched() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("in.csv", "a,b\nx@example.com,y@example.com\n")
        let out = folder.url("out.csv")
        _ = try PIIScanner().mask(path, to: out, masker: try PIIMasker(mode: .redact), fields: ["b"])
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "a,b\nx@example.com,[EMAIL]\n")
        #expect(throws: WardenError.invalidInput("")) {
            try PIIScanner().mask(path, to: out, masker: try PIIMasker(mode: .redact), fields: ["nope"])
        }
    }

    @Test func jsonlMaskingPerKeyPath() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let input = [
            #"{"user":{"email":"a@example.com","age":41},"tags":["call 415-555-2671"],"card":4111111111111111}"#,
            #"{"user":{"email":"none"},"n":1.5e3}"#,
            "",
            #"{"ip":"10.0.0.7"}"#,
        ].joined(separator: "\n")
        let path = try folder.write("in.jsonl", input)
        let out = folder.url("out.jsonl")
        let report = try PIIScanner().mask(path, to: out, masker: try PIIMasker(mode: .redact))
        let lines = try String(contentsOfFile: out, encoding: .utf8).components(separatedBy: "\n")
        #expect(lines[0] == #"{"user":{"email":"[EMAIL]","age":41},"tags":["call [PHONE]"],"card":"[CARD]"}"#)
        #expect(lines[1] == #"{"user":{"email":"none"},"n":1.5e3}"#)  // untouched: byte for byte
        #expect(lines[2] == "")
        #expect(lines[3] == #"{"ip":"[IP]"}"#)
        #expect(lines.count == 4)  // no final newline added
        #expect(Set(report.fields.map(\.field)) == ["user.email", "tags[]", "card", "ip"])
        #expect(report.rows == 3)
    }

    @Test func textMaskingPerLineIncludingPrivateKeyBlocks() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let input = "login from 10.1.2.3 by a@example.com\r\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\nbye\n"
        let path = try folder.write("app.log", input)
        let out = folder.url("masked.log")
        let report = try PIIScanner().mask(path, to: out, masker: try PIIMasker(mode: .redact))
        #expect(try String(contentsOfFile: out, encoding: .utf8)
            == "login from [IP] by [EMAIL]\r\n[SECRET]\n[SECRET]\n[SECRET]\nbye\n")
        #expect(report.totals == ["ipv4": 1, "email": 1, "secret": 1])
    }

    // MARK: bad input

    struct BadInput: Sendable, CustomTestStringConvertible {
        var id: String
        var name: String
        var bytes: [UInt8]
        var line: Int
        var testDescription: String { id }
    }

    static let badInputs: [BadInput] = [
        BadInput(id: "ragged csv", name: "r.csv", bytes: Array("a,b\n1,2\n3\n".utf8), line: 3),
        BadInput(id: "unclosed quote", name: "q.csv", bytes: Array("a,b\n1,\"2\n3,4\n".utf8), line: 4),
        BadInput(id: "quote in unquoted field", name: "u.csv", bytes: Array("a,b\n1,x\"y\n".utf8), line: 2),
        BadInput(id: "invalid utf-8 csv", name: "i.csv", bytes: Array("a,b\n1,2\n3,".utf8) + [0xC3, 0x28] + [0x0A], line: 3),
        BadInput(id: "invalid utf-8 text", name: "i.txt", bytes: Array("ok\nok\n".utf8) + [0xFF, 0xFE] + [0x0A], line: 3),
        BadInput(id: "bad jsonl line", name: "b.jsonl", bytes: Array("{\"a\":1}\n{\"a\":\n".utf8), line: 2),
    ]

    @Test(arguments: badInputs) func malformedInputNamesTheLineAndLeavesNoOutput(_ bad: BadInput) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write(bad.name, bad.bytes)
        let out = folder.url("out")
        do {
            _ = try PIIScanner().mask(path, to: out, masker: try PIIMasker(mode: .redact))
            Issue.record("\(bad.id) was accepted")
        } catch let error as WardenError {
            #expect(error.code == .invalidInput)
            #expect(error.message.contains("line \(bad.line)"), "\(error.message)")
        }
        #expect(FileIO.kind(of: out) == .missing)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [bad.name])
    }
}
