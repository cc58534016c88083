import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WardenCore
import WardenFormats

/// Scans model files for code that would run when they are loaded, without loading them.
///
/// Formats are detected by content, never by extension, and containers (zip archives, compressed
/// joblib files, NumPy object arrays) are parsed down to each pickle they hold. Everything the
/// scanner reads is bounded: decompression stops at ``Options/maxDecompressedBytes`` and nesting
/// at ``Options/maxNestingDepth``, and reaching a bound is itself a finding. Tensor data is never
/// read beyond the few bytes needed to tell what it is.
///
/// ```swift
/// let report = try Scanner().scan(path: "model.pt")
/// if report.hasFinding(atLeast: .high) { … }
/// ```
public struct Scanner: Sendable {
    /// The scanner's version, written into reports.
    public static let version = "1.0"

    /// What a scan may do and when it fails.
    public struct Options: Sendable {
        /// The severity at which a finding makes a file unsafe (the CLI's `--fail-on`).
        public var threshold: Severity = .high
        /// The most bytes decompressed for one scanned file, over all its members.
        public var maxDecompressedBytes: Int64 = 4 << 30
        /// The most bytes one decompressed member may have.
        public var maxMemberBytes: Int = 1 << 30
        /// How many archives (or compressed streams) deep the scan goes.
        public var maxNestingDepth = 6
        /// The most findings kept per file (the rest are counted in one finding).
        public var maxFindingsPerFile = 500
        /// Follow symlinks when walking folders (otherwise a symlink is an error).
        public var followSymlinks = false
        /// How many files ``Scanner/scan(paths:)`` scans at once (default: one per CPU core).
        public var concurrency = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

        public init(threshold: Severity = .high) {
            self.threshold = threshold
        }
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Scans a file, or every regular file under a folder (recursively).
    /// - Parameter path: a file or a folder.
    /// - Returns: one entry per file, in path order.
    /// - Throws: ``WardenError`` when the path does not exist or a folder or file cannot be read.
    public func scan(path: String) throws -> ScanReport {
        try scan(paths: [path])
    }

    /// Scans several files or folders into one report. Files are scanned on
    /// ``Options/concurrency`` threads; the report keeps path order whatever the order they finish.
    public func scan(paths: [String]) throws -> ScanReport {
        var jobs: [(path: String, display: String)] = []
        for path in paths {
            let entries = try FileTree(followSymlinks: options.followSymlinks).files(under: path)
            for entry in entries {
                jobs.append((entry.absolutePath, entry.relativePath == "." ? path : joined(path, entry.relativePath)))
            }
        }
        let workers = min(jobs.count, max(1, options.concurrency))
        guard workers > 1 else {
            return ScanReport(threshold: options.threshold, files: try jobs.map { try scanFile(at: $0.path, displayPath: $0.display) })
        }
        let work = jobs
        let results = Mutex<[Result<ScanReport.File, any Error>?]>(Array(repeating: nil, count: work.count))
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < work.count else { return }
                let result = Result { try scanFile(at: work[index].path, displayPath: work[index].display) }
                results.withLock { $0[index] = result }
            }
        }
        // The first failure in path order, as a sequential scan would have thrown it.
        let files = try results.withLock { $0 }.map { result throws -> ScanReport.File in
            guard let result else { throw WardenError.internalError("a scan job did not run") }
            return try result.get()
        }
        return ScanReport(threshold: options.threshold, files: files)
    }

    /// Scans one file.
    /// - Throws: ``WardenError`` when the file cannot be opened or read.
    public func scanFile(at path: String, displayPath: String? = nil) throws -> ScanReport.File {
        let source = try FileSource(path: path)
        return try scan(source, path: displayPath ?? path)
    }

    /// Scans bytes in memory (an upload, a test fixture).
    public func scan(bytes: [UInt8], name: String) -> ScanReport.File {
        // A memory source cannot fail to read.
        (try? scan(MemorySource(name: name, bytes: bytes), path: name))
            ?? ScanReport.File(path: name, size: Int64(bytes.count), format: .unknown, findings: [], verdict: .notAnalysed)
    }

    /// Scans any byte source.
    /// - Throws: ``WardenError`` (`io`) when the source cannot be read.
    public func scan(_ source: any ByteSource, path: String) throws -> ScanReport.File {
        let session = ScanSession(options: options)
        let format = try session.analyseTopLevel(source)
        var findings = session.findings
        findings.sort { ($0.severity, $1.location.offset ?? 0) > ($1.severity, $0.location.offset ?? 0) }
        let verdict: ScanReport.Verdict
        if findings.contains(where: { $0.severity >= options.threshold }) {
            verdict = .unsafe
        } else if findings.contains(where: { $0.severity > .info }) {
            verdict = .warning
        } else if format == .unknown {
            verdict = .notAnalysed
        } else {
            verdict = .clean
        }
        return ScanReport.File(path: path, size: source.count, format: format, findings: findings, verdict: verdict)
    }

    private func joined(_ root: String, _ relative: String) -> String {
        root.hasSuffix("/") ? root + relative : root + "/" + relative
    }
}
