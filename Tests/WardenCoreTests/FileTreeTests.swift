import Foundation
import Testing
import WardenCore
import WardenTesting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The walk that decides what a model signature covers: only regular files, in Python's
/// `pathlib` order, refusing symlinks (unless allowed), loops and special files.
struct FileTreeTests {
    @Test func listsRegularFilesInPathlibOrderAndSkipsEmptyFolders() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let names = ["a.txt", "a/b", "a/b/c", "a/b.txt", "a/c/d", "b", "A", "a-b", ".hidden", "a b", "a0", "z", "é.txt"]
        for name in names where name != "a/b" {
            _ = try folder.write("m/" + name, name)
        }
        try FileIO.makeDirectory(folder.url("m/empty/deeper"))
        try FileIO.makeDirectory(folder.url("m/zz-empty"))
        let entries = try FileTree().files(under: folder.url("m"))
        // sorted(paths, key=PurePosixPath) in Python 3.
        let expected = [".hidden", "A", "a/b/c", "a/b.txt", "a/c/d", "a b", "a-b", "a.txt", "a0", "b", "z", "é.txt"]
        #expect(entries.map(\.relativePath) == expected)
        for entry in entries {
            #expect(entry.absolutePath == folder.url("m/" + entry.relativePath))
            #expect(entry.size == Int64(entry.relativePath.utf8.count))
        }
    }

    /// The walk lists files in ``PathOrder`` without sorting whole paths: a seeded random tree of
    /// look-alike names (prefixes, separators' neighbours, NFC/NFD) comes out exactly sorted.
    @Test func randomTreesComeOutInPathOrder() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let parts = ["a", "a.b", "a b", "a-b", "a0", "A", "b", "\u{E9}", "e\u{301}", "z", "a.", "ab"]
        var rng = SeededGenerator(seed: 7)
        // Byte strings, not Strings: Swift's String equality merges NFC and NFD names, the disk does not.
        var written: [String] = []
        var files = Set<[UInt8]>()
        var folders = Set<[UInt8]>()
        for _ in 0..<120 {
            let depth = Int.random(in: 1...3, using: &rng)
            let components = (0..<depth).map { _ in parts.randomElement(using: &rng)! }
            let path = components.joined(separator: "/")
            let prefixes = (1..<depth).map { Array(components.prefix($0).joined(separator: "/").utf8) }
            // A name is either a file or a folder, never both.
            guard !files.contains(Array(path.utf8)), !folders.contains(Array(path.utf8)), !prefixes.contains(where: files.contains) else { continue }
            _ = try folder.write("m/" + path, path)
            written.append(path)
            files.insert(Array(path.utf8))
            folders.formUnion(prefixes)
        }
        let listed = try FileTree().files(under: folder.url("m")).map { Array($0.relativePath.utf8) }
        #expect(listed.count == written.count)
        #expect(listed == written.sorted(by: PathOrder.precedes).map { Array($0.utf8) })
    }

    @Test func aSingleFileIsNamedDot() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("model.bin", [1, 2, 3])
        let entries = try FileTree().files(under: path)
        #expect(entries.map(\.relativePath) == ["."])
        #expect(entries.map(\.absolutePath) == [path])
        #expect(entries.map(\.size) == [3])
    }

    @Test func anEmptyFolderHasNoFiles() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileIO.makeDirectory(folder.url("m/x/y"))
        #expect(try FileTree().files(under: folder.url("m")).isEmpty)
    }

    struct Order: Sendable, CustomTestStringConvertible {
        var lhs: String
        var rhs: String
        var precedes: Bool
        var testDescription: String { "\(lhs.debugDescription) < \(rhs.debugDescription) is \(precedes)" }
    }

    static let orders: [Order] = [
        Order(lhs: "a/b", rhs: "a.txt", precedes: true),
        Order(lhs: "a.txt", rhs: "a/b", precedes: false),
        Order(lhs: "a", rhs: "a/b", precedes: true),
        Order(lhs: "a/b", rhs: "a", precedes: false),
        Order(lhs: "a", rhs: "a", precedes: false),
        Order(lhs: "B", rhs: "a", precedes: true),
        Order(lhs: "a b", rhs: "a/b", precedes: false),
        Order(lhs: "a/b/c", rhs: "a/b.txt", precedes: true),
        Order(lhs: "z", rhs: "é", precedes: true),
        Order(lhs: "a//b", rhs: "a/b", precedes: false),
        // NFD "e\u{301}" (U+0065 U+0301) precedes NFC "é" (U+00E9): code points, not Characters.
        Order(lhs: "e\u{301}.txt", rhs: "\u{E9}.txt", precedes: true),
        Order(lhs: "\u{E9}.txt", rhs: "e\u{301}.txt", precedes: false),
        Order(lhs: "d/e\u{301}", rhs: "d/\u{E9}", precedes: true),
    ]

    @Test(arguments: orders)
    func pathOrderIsComponentWiseByCodePoint(_ c: Order) {
        #expect(PathOrder.precedes(c.lhs, c.rhs) == c.precedes)
    }

    /// Canonically equivalent names are different files on Linux; both are listed, in code-point order.
    @Test func canonicallyEquivalentNamesAreDistinctFiles() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("m/\u{E9}.txt", "nfc")
        _ = try folder.write("m/e\u{301}.txt", "nfd")
        let entries = try FileTree().files(under: folder.url("m"))
        #expect(entries.map { Array($0.relativePath.unicodeScalars) } == [Array("e\u{301}.txt".unicodeScalars), Array("\u{E9}.txt".unicodeScalars)])
    }

    struct Ignore: Sendable, CustomTestStringConvertible {
        var ignored: [String]
        var path: String
        var isIgnored: Bool
        var testDescription: String { "\(ignored) ignores \(path): \(isIgnored)" }
    }

    static let ignores: [Ignore] = [
        Ignore(ignored: [".git"], path: ".git", isIgnored: true),
        Ignore(ignored: [".git"], path: ".git/config", isIgnored: true),
        Ignore(ignored: [".git"], path: ".gitignore", isIgnored: false),
        Ignore(ignored: [".git"], path: "sub/.git", isIgnored: false),
        Ignore(ignored: ["a/b"], path: "a/b/c/d", isIgnored: true),
        Ignore(ignored: ["a/b"], path: "a/bc", isIgnored: false),
        Ignore(ignored: ["a/b"], path: "a", isIgnored: false),
        Ignore(ignored: ["./a/b/"], path: "a/b/c", isIgnored: true),
        Ignore(ignored: ["x", "y"], path: "y/z", isIgnored: true),
        Ignore(ignored: [], path: "anything", isIgnored: false),
    ]

    @Test(arguments: ignores)
    func ignoredPathsArePrefixesByComponent(_ c: Ignore) {
        #expect(FileTree(ignoredPaths: c.ignored).isIgnored(c.path) == c.isIgnored)
    }

    @Test func ignoredPathsAreLeftOutOfTheWalk() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        for name in [".git/HEAD", ".git/objects/ab/cd", ".gitignore", "keep/a", "keep/skip/b", "keep/skipped.txt", "top"] {
            _ = try folder.write("m/" + name, "x")
        }
        let tree = FileTree(ignoredPaths: [".git", "keep/skip/", "top"])
        let entries = try tree.files(under: folder.url("m"))
        #expect(entries.map(\.relativePath) == [".gitignore", "keep/a", "keep/skipped.txt"])
    }

    @Test func symlinksAreRefusedUnlessAllowed() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("m/real.bin", "0123456789")
        _ = try folder.write("outside/target.txt", "abc")
        #expect(symlink(folder.url("outside/target.txt"), folder.url("m/link.txt")) == 0)
        #expect(symlink(folder.url("outside"), folder.url("m/dirlink")) == 0)

        #expect {
            try FileTree().files(under: folder.url("m"))
        } throws: { error in
            let error = error as? WardenError
            return error?.code == .invalidInput && error?.message.contains("symlink") == true
                && error?.message.contains("--allow-symlinks") == true
        }

        let entries = try FileTree(followSymlinks: true).files(under: folder.url("m"))
        #expect(entries.map(\.relativePath) == ["dirlink/target.txt", "link.txt", "real.bin"])
        #expect(entries.map(\.size) == [3, 3, 10])
    }

    @Test func anIgnoredSymlinkIsNotAnError() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("m/a", "x")
        #expect(symlink("/etc/hostname", folder.url("m/link")) == 0)
        #expect(try FileTree(ignoredPaths: ["link"]).files(under: folder.url("m")).map(\.relativePath) == ["a"])
    }

    @Test func aSymlinkedRootNeedsPermission() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("m/a", "x")
        #expect(symlink(folder.url("m"), folder.url("alias")) == 0)
        #expect(throws: WardenError.invalidInput("")) { try FileTree().files(under: folder.url("alias")) }
        #expect(try FileTree(followSymlinks: true).files(under: folder.url("alias")).map(\.relativePath) == ["a"])
    }

    @Test func brokenSymlinkIsAnErrorEvenWhenFollowing() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("m/a", "x")
        #expect(symlink(folder.url("nowhere"), folder.url("m/dangling")) == 0)
        #expect {
            try FileTree(followSymlinks: true).files(under: folder.url("m"))
        } throws: { error in
            (error as? WardenError)?.message.contains("broken symlink") == true
        }
    }

    @Test(arguments: ["..", ".", "../..", "../m/sub"])
    func symlinkLoopsAreDetected(_ target: String) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("m/sub/file", "x")
        #expect(symlink(target, folder.url("m/sub/loop")) == 0)
        #expect {
            try FileTree(followSymlinks: true).files(under: folder.url("m"))
        } throws: { error in
            let error = error as? WardenError
            return error?.code == .invalidInput && error?.message.contains("loop") == true
        }
    }

    /// Two links to one folder are not a loop: the folder is listed under both names.
    @Test func aFolderReachedTwiceIsNotALoop() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("shared/w.bin", "w")
        _ = try folder.write("m/x", "x")
        #expect(symlink(folder.url("shared"), folder.url("m/one")) == 0)
        #expect(symlink(folder.url("shared"), folder.url("m/two")) == 0)
        let entries = try FileTree(followSymlinks: true).files(under: folder.url("m"))
        #expect(entries.map(\.relativePath) == ["one/w.bin", "two/w.bin", "x"])
    }

    @Test func specialFilesAreRefused() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("m/a", "x")
        #expect(mkfifo(folder.url("m/pipe"), 0o600) == 0)
        #expect {
            try FileTree().files(under: folder.url("m"))
        } throws: { error in
            let error = error as? WardenError
            return error?.code == .invalidInput && error?.message.contains("special file") == true
                && error?.message.contains("pipe") == true
        }
        // Ignoring it makes the walk succeed; a FIFO as the root is refused too.
        #expect(try FileTree(ignoredPaths: ["pipe"]).files(under: folder.url("m")).map(\.relativePath) == ["a"])
        #expect(throws: WardenError.invalidInput("")) { try FileTree().files(under: folder.url("m/pipe")) }
        // A symlink to a special file is refused even when symlinks are followed.
        #expect(symlink("/dev/null", folder.url("m/null")) == 0)
        #expect(throws: WardenError.invalidInput("")) {
            try FileTree(followSymlinks: true, ignoredPaths: ["pipe"]).files(under: folder.url("m"))
        }
    }

    @Test func aMissingRootIsNotFound() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(throws: WardenError.notFound("")) { try FileTree().files(under: folder.url("nothing")) }
    }
}
