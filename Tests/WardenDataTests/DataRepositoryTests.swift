import Foundation
import Testing
import WardenCore
import WardenData
import WardenTesting

struct DataRepositoryTests {
    static let clock = WardenClock.fixed(Date(timeIntervalSince1970: 1_790_000_000))

    func repository(in folder: TemporaryDirectory) throws -> DataRepository {
        try DataRepository.open(containing: folder.path, create: true, createAt: folder.path, clock: Self.clock, actor: "tester@ci")
    }

    @Test func addVerifyAndCheckoutAFile() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        let path = try folder.write("train.csv", "id,x\n1,2\n")
        let first = try repo.add(path, message: "v1")
        #expect(first.isNewVersion)
        #expect(first.pointer.digest == Digest.sha256("id,x\n1,2\n"))
        #expect(try repo.verify(path).ok)

        _ = try folder.write("train.csv", "id,x\n1,3\n")
        let check = try repo.verify(path)
        #expect(!check.ok)
        #expect(check.changed.map(\.path) == ["train.csv"])
        let second = try repo.add(path)
        #expect(try repo.versions(of: path).map(\.digest) == [first.pointer.digest, second.pointer.digest])
        #expect(try repo.add(path).isNewVersion == false)

        _ = try repo.checkout(path, version: String(first.pointer.digest.hex.prefix(10)))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "id,x\n1,2\n")
        #expect(try repo.pointer(for: path).digest == first.pointer.digest)
    }

    @Test func foldersAreVersionedByManifest() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        _ = try folder.write("images/a.bin", [1, 2, 3])
        _ = try folder.write("images/sub/b.bin", [4, 5])
        let dataset = folder.url("images")
        let added = try repo.add(dataset)
        #expect(added.pointer.kind == .directory)
        #expect(added.pointer.fileCount == 2)

        _ = try folder.write("images/c.bin", [6])
        try FileManager.default.removeItem(atPath: folder.url("images/a.bin"))
        _ = try folder.write("images/sub/b.bin", [9, 9])
        let check = try repo.verify(dataset)
        #expect(check.added == ["c.bin"])
        #expect(check.removed == ["a.bin"])
        #expect(check.changed.map(\.path) == ["sub/b.bin"])

        #expect(throws: WardenError.self, "c.bin and the edited sub/b.bin are in no version") { try repo.checkout(dataset) }
        #expect(try FileIO.readAll(folder.url("images/c.bin")) == [6], "a refused checkout changed nothing")
        let restored = try repo.checkout(dataset, force: true)
        #expect(Set(restored.restored) == ["a.bin", "sub/b.bin"])
        #expect(restored.removed == ["c.bin"])
        #expect(try repo.verify(dataset).ok)
    }

    @Test func identicalContentIsStoredOnce() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        _ = try folder.write("d/a", [UInt8](repeating: 7, count: 1000))
        _ = try folder.write("d/b", [UInt8](repeating: 7, count: 1000))
        let added = try repo.add(folder.url("d"))
        // One content object plus the manifest.
        #expect(added.newBytes < 2000)
    }

    @Test func rowDiffCountsAddedRemovedAndChangedRows() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        let path = try folder.write("t.csv", "id,v\n1,a\n2,b\n3,\"x,\ny\"\n")
        let a = try repo.add(path).pointer.digest
        _ = try folder.write("t.csv", "id,v,w\n1,a\n2,B\n4,d\n")
        let b = try repo.add(path).pointer.digest
        let diff = try repo.diff(path, from: a.hex, to: b.hex, key: "id")
        #expect(diff.filesChanged == ["t.csv"])
        let rows = try #require(diff.rows.first)
        #expect(rows.changed == 1)  // id 2
        #expect(rows.added == 1)  // id 4
        #expect(rows.removed == 1)  // id 3, whose quoted field spans two lines
        #expect(rows.columnsAdded == ["w"])
    }

    @Test func pushAndPullRestoreALostCache() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        _ = try folder.write("d/a", [1])
        _ = try folder.write("d/b", [2])
        _ = try repo.add(folder.url("d"))
        let remote = folder.url("remote")
        #expect(try repo.push(to: remote).copied == 3)
        #expect(try repo.push(to: remote).copied == 0)
        try FileManager.default.removeItem(atPath: repo.cache.root)
        try FileManager.default.removeItem(atPath: folder.url("d/a"))
        #expect(throws: WardenError.self) { try repo.checkout(folder.url("d")) }
        let pulled = try repo.pull(from: remote)
        #expect(pulled.copied == 3 && pulled.missing.isEmpty)
        _ = try repo.checkout(folder.url("d"))
        #expect(try repo.verify(folder.url("d")).ok)
    }

    @Test func aCorruptedCacheObjectIsNeverRestored() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        let path = try folder.write("f.bin", [1, 2, 3, 4])
        let digest = try repo.add(path).pointer.digest
        let object = repo.cache.path(for: digest)
        chmod(object, 0o644)
        try Data([9, 9, 9, 9]).write(to: URL(fileURLWithPath: object))
        _ = try folder.write("f.bin", [0])
        #expect(throws: WardenError.self) { try repo.checkout(path, force: true) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([0]))
    }

    @Test func checkoutNeverLosesUnsavedWork() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        let file = try folder.write("t.csv", "v1\n")
        let v1 = try repo.add(file).pointer.digest
        _ = try folder.write("t.csv", "v2\n")
        _ = try repo.add(file)
        // Switching versions with a clean working tree needs no --force: v2 is in the cache.
        _ = try repo.checkout(file, version: v1.hex)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "v1\n")
        // An edit that was never added is refused, by name, and left alone.
        _ = try folder.write("t.csv", "edited\n")
        #expect {
            try repo.checkout(file)
        } throws: { error in
            (error as? WardenError)?.message.contains("'t.csv'") == true && (error as? WardenError)?.code == .invalidInput
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "edited\n")
        let forced = try repo.checkout(file, force: true)
        #expect(forced.restored == ["t.csv"])
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "v1\n")
        #expect(try repo.audit.events().last?.details["forced"] == .bool(true))
    }

    @Test func aCheckoutMissingAnObjectChangesNothing() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        _ = try folder.write("d/a.bin", [1])
        _ = try folder.write("d/b.bin", [2])
        let dataset = folder.url("d")
        _ = try repo.add(dataset)
        try FileManager.default.removeItem(atPath: folder.url("d/a.bin"))
        try FileManager.default.removeItem(atPath: folder.url("d/b.bin"))
        let lost = repo.cache.path(for: Digest.sha256([2] as [UInt8]))
        try FileManager.default.removeItem(atPath: lost)
        #expect(throws: WardenError.notFound("")) { try repo.checkout(dataset, force: true) }
        #expect(FileIO.kind(of: folder.url("d/a.bin")) == .missing, "a.bin's object exists, but nothing may be restored when b.bin's is missing")
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var run: @Sendable (DataRepository, TemporaryDirectory) throws -> Void
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "untracked path") { repo, folder in _ = try repo.verify(try folder.write("x.csv", "a")) },
        BadInput(name: "unknown version") { repo, folder in
            let path = try folder.write("x.csv", "a")
            _ = try repo.add(path)
            _ = try repo.checkout(path, version: "ffffffff")
        },
        BadInput(name: "corrupt pointer") { repo, folder in
            let path = try folder.write("x.csv", "a")
            _ = try repo.add(path)
            _ = try folder.write("x.csv.warden", "{not json")
            _ = try repo.verify(path)
        },
        BadInput(name: "pointer of another format") { repo, folder in
            let path = try folder.write("x.csv", "a")
            _ = try repo.add(path)
            _ = try folder.write("x.csv.warden", #"{"format":"dvc"}"#)
            _ = try repo.checkout(path)
        },
        BadInput(name: "path outside the repository") { repo, _ in _ = try repo.add("/etc/hostname") },
        BadInput(name: "missing path") { repo, folder in _ = try repo.add(folder.url("nope.csv")) },
        BadInput(name: "missing remote") { repo, folder in _ = try repo.pull(from: folder.url("no-remote")) },
        BadInput(name: "a version whose CSV cannot be read by rows") { repo, folder in
            let path = try folder.write("t.csv", "id,x\n1,2\n")
            let a = try repo.add(path).pointer.digest
            _ = try folder.write("t.csv", "id,x\n1,\"2\n3,4\n")
            let b = try repo.add(path).pointer.digest
            do {
                _ = try repo.diff(path, from: a.hex, to: b.hex)
            } catch let error as WardenError {
                // Named as the user knows it (dataset and version), not by its cache path.
                #expect(error.message.hasPrefix("'\(path)@\(b.hex.prefix(12))' ends inside a quoted CSV field"))
                throw error
            }
        },
    ]

    @Test(arguments: badInputs)
    func badInputIsAClearError(_ bad: BadInput) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        #expect(throws: WardenError.self) { try bad.run(repo, folder) }
    }

    @Test func everyCommandLeavesAnIntactAuditChain() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        let path = try folder.write("x.csv", "a\n")
        _ = try repo.track(path, source: "test", url: nil)
        _ = try repo.add(path)
        _ = try repo.verify(path)
        _ = try repo.checkout(path)
        let events = try repo.audit.events()
        #expect(events.map(\.action) == ["data.track", "data.add", "data.verify", "data.checkout"])
        #expect(events.allSatisfy { $0.actor == "tester@ci" })
        #expect(try repo.audit.verify() == nil)
    }

    @Test func provenanceWalksBackToTheSources() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repo = try repository(in: folder)
        let raw = try folder.write("raw.csv", "a\n")
        let extra = try folder.write("extra.csv", "b\n")
        _ = try repo.track(raw, source: "upstream", url: "https://example.com/raw.csv")
        let mid = try folder.write("mid.csv", "a\nb\n")
        _ = try repo.recordTransform(operation: "concat", parameters: [:], inputs: [raw, extra], outputs: [mid], command: nil)
        let out = try folder.write("out.csv", "A\nB\n")
        _ = try repo.recordTransform(operation: "upper", parameters: ["locale": "C"], inputs: [mid], outputs: [out], command: ["tr"])
        let graph = try repo.provenance(of: out)
        #expect(graph.steps.map(\.operation) == ["concat", "upper"])
        #expect(graph.sources.map(\.name) == ["upstream"])
        #expect(graph.unexplained.map(\.path) == ["extra.csv"])
    }
}
