#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The regular files under a root, found by a walk that refuses what a signed manifest must not
/// silently include: symlinks (unless allowed, then followed with loop detection) and special files.
public struct FileTree: Sendable {
    /// One regular file found by the walk.
    public struct Entry: Sendable, Hashable {
        /// POSIX path relative to the root; "." when the root itself is a file.
        public var relativePath: String
        /// Path to open.
        public var absolutePath: String
        public var size: Int64
    }

    /// Whether symlinks are followed (true) or are an error (false).
    public var followSymlinks: Bool
    /// Relative paths to leave out; a path leaves out everything beneath it.
    public var ignoredPaths: [String]

    public init(followSymlinks: Bool = false, ignoredPaths: [String] = []) {
        self.followSymlinks = followSymlinks
        self.ignoredPaths = ignoredPaths.map(FileTree.normalise)
    }

    /// Whether `relativePath` is one of ``ignoredPaths`` or lies beneath one.
    public func isIgnored(_ relativePath: String) -> Bool {
        ignoredPaths.contains { ignored in
            relativePath == ignored || relativePath.hasPrefix(ignored + "/") || ignored == "."
        }
    }

    /// Walks `root` (a file or a folder) and returns its regular files, sorted by path components.
    /// - Throws: ``WardenError`` (`invalidInput`) for a symlink when not allowed, a special file, a
    ///   symlink loop, or a missing root; (`io`) when a folder cannot be read.
    public func files(under root: String) throws(WardenError) -> [Entry] {
        let rootKind = FileIO.kind(of: root)
        switch rootKind {
        case .missing:
            throw .notFound("'\(root)' does not exist")
        case .special:
            throw .invalidInput("Cannot use '\(root)': it is a special file (device, socket or pipe), not a model file or folder")
        case .symlink where !followSymlinks:
            throw .invalidInput("Cannot use '\(root)' because it is a symlink; pass --allow-symlinks to follow symlinks")
        default:
            break
        }
        var info = stat()
        guard stat(root, &info) == 0 else { throw .invalidInput("Cannot use '\(root)': \(errnoText())") }
        if (info.st_mode & S_IFMT) == S_IFREG {
            return [Entry(relativePath: ".", absolutePath: root, size: Int64(info.st_size))]
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .invalidInput("Cannot use '\(root)': it is a special file, not a model file or folder")
        }
        var out: [Entry] = []
        var visiting: Set<FileID> = [FileID(info)]
        // Each folder's names are visited in code-point order, so the depth-first walk already lists
        // the files in ``PathOrder`` (component by component) without a sort over whole paths.
        try walk(directory: root, relative: "", visiting: &visiting, into: &out)
        return out
    }

    private struct FileID: Hashable {
        var device: UInt64
        var inode: UInt64
        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    private func walk(
        directory: String, relative: String, visiting: inout Set<FileID>, into out: inout [Entry]
    ) throws(WardenError) {
        guard let dir = opendir(directory) else {
            throw .io("Cannot read the folder '\(directory)': \(errnoText())")
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        closedir(dir)
        // UTF-8 byte order is code-point order (``PathOrder``), not String's canonical ordering.
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in names {
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            if isIgnored(childRelative) { continue }
            let childPath = directory + "/" + name
            var info = stat()
            guard lstat(childPath, &info) == 0 else { throw .io("Cannot read '\(childPath)': \(errnoText())") }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                guard followSymlinks else {
                    throw .invalidInput(
                        "Cannot use '\(childPath)' because it is a symlink; pass --allow-symlinks to follow symlinks")
                }
                guard stat(childPath, &info) == 0 else {
                    throw .invalidInput("Cannot use '\(childPath)': it is a broken symlink (\(errnoText()))")
                }
            }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                out.append(Entry(relativePath: childRelative, absolutePath: childPath, size: Int64(info.st_size)))
            case S_IFDIR:
                let id = FileID(info)
                guard visiting.insert(id).inserted else {
                    throw .invalidInput("Cannot use '\(childPath)': a symlink loop leads back to a folder already being walked")
                }
                try walk(directory: childPath, relative: childRelative, visiting: &visiting, into: &out)
                visiting.remove(id)
            default:
                throw .invalidInput(
                    "Cannot use '\(childPath)': it is a special file (device, socket or pipe); remove it or ignore it with --ignore-paths")
            }
        }
    }

    static func normalise(_ path: String) -> String {
        var p = path
        while p.hasPrefix("./") { p.removeFirst(2) }
        while p.hasSuffix("/") && p.count > 1 { p.removeLast() }
        return p.isEmpty ? "." : p
    }
}

/// Orders POSIX relative paths component by component, comparing components by Unicode code
/// points, as Python's `pathlib.PurePosixPath` does (so `a/b` sorts before `a.txt`).
public enum PathOrder: Sendable {
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let a = lhs.split(separator: "/", omittingEmptySubsequences: true)
        let b = rhs.split(separator: "/", omittingEmptySubsequences: true)
        // Compare code points, not Characters: Swift's `==` on strings treats canonically
        // equivalent names (NFC "é" and NFD "e\u{301}") as equal, but they are different files.
        for (x, y) in zip(a, b) where !x.unicodeScalars.elementsEqual(y.unicodeScalars) {
            return x.unicodeScalars.map(\.value).lexicographicallyPrecedes(y.unicodeScalars.map(\.value))
        }
        return a.count < b.count
    }
}
