import ArgumentParser
import Foundation
import WardenCore
import WardenData

/// `warden data add|log|checkout|diff|verify|push|pull`: DVC-style versions of datasets.
struct DataAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Store a dataset (file or folder) in the content-addressed cache and write PATH.warden for git.",
        discussion: """
            The first `add` creates the repository (.warden/ in the current folder). Content is \
            deduplicated by SHA-256; PATH.warden records the version the working tree holds. Commit \
            PATH.warden to git; .warden/cache stays out of git (push it with `warden data push`).

            Example:
              warden data add data/train.csv
              warden data add data/images -m "relabelled class 3"
            """
    )

    @Argument(help: "The dataset file or folder.") var path: String
    @Option(name: .shortAndLong, help: "A note stored with the version.") var message: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let repository = try DataRepository.open(containing: path, create: true)
        let bar = ProgressBar(label: "storing", enabled: !output.quiet)
        let added = try repository.add(path, message: message) { done, total in bar.update(done: done, total: total) }
        bar.finish()
        let pointer = added.pointer
        if output.json {
            Console.json([
                "path": .string(pointer.path), "digest": .string(pointer.digest.description), "kind": .string(pointer.kind.rawValue),
                "size": .int(pointer.size), "files": .int(Int64(pointer.fileCount)), "new_version": .bool(added.isNewVersion),
                "new_bytes": .int(added.newBytes), "pointer": .string(path + DataPointer.suffix),
            ] as JSONValue)
        } else {
            let what = added.isNewVersion ? "new version" : "unchanged"
            Console.output("\(pointer.path): \(what) \(pointer.digest) (\(pointer.fileCount) file(s), \(ByteCount.format(pointer.size)), \(ByteCount.format(added.newBytes)) new in the cache)")
            Console.output("  pointer: \(path)\(DataPointer.suffix)")
        }
    }
}

struct DataLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List the recorded versions of a dataset (digest, time, size, who).",
        discussion: """
            Example:
              warden data log data/train.csv
              warden data log data/train.csv --json
            """,
        aliases: ["versions"]
    )

    @Argument(help: "The dataset file or folder.") var path: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let repository = try DataRepository.open(containing: path)
        let versions = try repository.log(path)
        guard !versions.isEmpty else { throw WardenError.notFound("'\(path)' has no recorded versions; run `warden data add \(path)`") }
        let current = try? repository.pointer(for: path).digest
        if output.json {
            Console.json(.array(versions.map { v in
                guard case .object(var members) = v.json else { return v.json }
                members.append(("current", .bool(v.digest == current)))
                return .object(members)
            }))
        } else {
            for v in versions.reversed() {
                let mark = v.digest == current ? "*" : " "
                Console.output("\(mark) \(v.digest.hex.prefix(12))  \(v.time)  \(ByteCount.format(v.size).padding(toLength: 10, withPad: " ", startingAt: 0)) \(v.fileCount) file(s)  \(v.actor)\(v.message.map { "  \($0)" } ?? "")")
            }
        }
    }
}

struct DataCheckoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Restore a dataset byte for byte to its pointer's version or to --version DIGEST.",
        discussion: """
            Every restored byte is checked against its digest; files of a folder that the version \
            does not have are removed. The pointer file is updated to the restored version. Nothing \
            is changed unless the whole checkout can be done: a missing cache object, or a file \
            whose current content is not in the cache (an edit or a new file not yet added), stops \
            it before anything is written (exit 2; --force discards such changes).

            Example:
              warden data checkout data/train.csv
              warden data checkout data/images --version 3fa9c1
              warden data checkout data/train.csv --force
            """
    )

    @Argument(help: "The dataset file or folder.") var path: String
    @Option(help: "A version digest or a unique prefix of one (see `warden data log`).") var version: String?
    @Flag(help: "Discard working-tree changes that are not in the cache.") var force = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let repository = try DataRepository.open(containing: path)
        let result = try repository.checkout(path, version: version, force: force)
        if output.json {
            Console.json([
                "path": .string(result.pointer.path), "digest": .string(result.pointer.digest.description),
                "restored": .array(result.restored.map { .string($0) }), "removed": .array(result.removed.map { .string($0) }),
                "unchanged": .int(Int64(result.unchanged)),
            ] as JSONValue)
        } else {
            Console.output("\(result.pointer.path) is at \(result.pointer.digest): \(result.restored.count) restored, \(result.removed.count) removed, \(result.unchanged) unchanged")
        }
    }
}

struct DataVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash a dataset against its pointer and name every file that changed (exit 1).",
        discussion: """
            Example:
              warden data verify data/train.csv
            """
    )

    @Argument(help: "The dataset file or folder.") var path: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let repository = try DataRepository.open(containing: path)
        let result = try repository.verify(path)
        if output.json {
            Console.json([
                "path": .string(result.pointer.path), "ok": .bool(result.ok), "expected": .string(result.pointer.digest.description),
                "actual": result.actualDigest.map { .string($0.description) } ?? .null,
                "added": .array(result.added.map { .string($0) }), "removed": .array(result.removed.map { .string($0) }),
                "changed": .array(result.changed.map { .object([("path", .string($0.path)), ("expected", .string($0.expected.description)), ("actual", .string($0.actual.description))]) }),
            ] as JSONValue)
        } else if result.ok {
            Console.output("Verified: \(result.pointer.path) matches \(result.pointer.digest)")
        } else {
            Console.output("CHANGED: \(result.pointer.path) no longer matches \(result.pointer.digest)")
            for file in result.added { Console.output("  + added   \(file)") }
            for file in result.removed { Console.output("  - removed \(file)") }
            for change in result.changed { Console.output("  ~ changed \(change.path): expected \(change.expected), actual \(change.actual)") }
        }
        if !result.ok { throw CheckFailed() }
    }
}

struct DataDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two versions of a dataset: files, and rows of CSV/JSONL files.",
        discussion: """
            Rows are compared by content; with --key, rows whose key column (CSV) or top-level \
            field (JSONL) is in both versions but whose content differs count as changed.

            Example:
              warden data diff data/train.csv 3fa9c1 81be02 --key id
            """
    )

    @Argument(help: "The dataset file or folder.") var path: String
    @Argument(help: "The older version (digest or unique prefix).") var from: String
    @Argument(help: "The newer version (digest or unique prefix).") var to: String
    @Option(help: "Key column (CSV) or field (JSONL) identifying a row.") var key: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let repository = try DataRepository.open(containing: path)
        let diff = try repository.diff(path, from: from, to: to, key: key)
        if output.json {
            Console.json([
                "from": .string(diff.from.description), "to": .string(diff.to.description),
                "files_added": .array(diff.filesAdded.map { .string($0) }), "files_removed": .array(diff.filesRemoved.map { .string($0) }),
                "files_changed": .array(diff.filesChanged.map { .string($0) }),
                "rows": .array(diff.rows.map { r in
                    .object([
                        ("file", .string(r.file)), ("added", .int(Int64(r.added))), ("removed", .int(Int64(r.removed))), ("changed", .int(Int64(r.changed))),
                        ("columns_added", .array(r.columnsAdded.map { .string($0) })), ("columns_removed", .array(r.columnsRemoved.map { .string($0) })),
                    ])
                }),
            ] as JSONValue)
            return
        }
        Console.output("\(diff.from.hex.prefix(12)) → \(diff.to.hex.prefix(12))")
        if diff.isEmpty { Console.output("  no differences") }
        for file in diff.filesAdded { Console.output("  + \(file)") }
        for file in diff.filesRemoved { Console.output("  - \(file)") }
        for file in diff.filesChanged { Console.output("  ~ \(file)") }
        for r in diff.rows {
            Console.output("    \(r.file): rows +\(r.added) -\(r.removed) ~\(r.changed)\(r.columnsAdded.isEmpty ? "" : ", columns added: \(r.columnsAdded.joined(separator: ", "))")\(r.columnsRemoved.isEmpty ? "" : ", columns removed: \(r.columnsRemoved.joined(separator: ", "))")")
        }
    }
}

struct DataPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy every recorded version's content to a remote (a folder; S3-compatible later).",
        discussion: """
            Example:
              warden data push --remote /mnt/shared/warden-remote
            """
    )

    @Option(help: "The remote folder.") var remote: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let repository = try DataRepository.open(containing: ".")
        let synced = try repository.push(to: remote)
        try report(synced, verb: "pushed", json: output.json)
    }
}

struct DataPullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Fetch content from a remote into the cache (then `warden data checkout`).",
        discussion: """
            Exit 1 if the remote lacks objects that a version needs.

            Example:
              warden data pull --remote /mnt/shared/warden-remote data/train.csv
            """
    )

    @Option(help: "The remote folder.") var remote: String
    @Argument(help: "Only this dataset's current version (default: every recorded version).") var path: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let repository = try DataRepository.open(containing: path ?? ".")
        let synced = try repository.pull(from: remote, path: path)
        try report(synced, verb: "pulled", json: output.json)
    }
}

private func report(_ synced: DataRepository.Synced, verb: String, json: Bool) throws {
    if json {
        Console.json([
            "copied": .int(Int64(synced.copied)), "already_there": .int(Int64(synced.alreadyThere)),
            "missing": .array(synced.missing.map { .string($0.description) }),
        ] as JSONValue)
    } else {
        Console.output("\(verb) \(synced.copied) object(s); \(synced.alreadyThere) already there")
        for digest in synced.missing { Console.output("  missing: \(digest)") }
    }
    if !synced.missing.isEmpty { throw CheckFailed(message: "\(synced.missing.count) object(s) are on neither side") }
}
