#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An audit chain kept as a JSONL file (one canonical event per line), appended under an exclusive
/// lock so several processes can write to it. Used by the data commands; the registry keeps the
/// same events in its database.
public struct AuditLogFile: Sendable {
    public let path: String
    public var clock: WardenClock

    public init(path: String, clock: WardenClock = .system) {
        self.path = path
        self.clock = clock
    }

    /// Appends an event after the file's last one and returns it. The line is written with one
    /// `write` under `flock` and fsynced before returning.
    @discardableResult
    public func append(
        actor: String, action: String, subject: String, details: JSONValue = .object([])
    ) throws(WardenError) -> AuditEvent {
        try FileIO.makeDirectory(FileIO.parentDirectory(of: path))
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io("Cannot open the audit log '\(path)': \(FileIO.errnoText())") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw .io("Cannot lock the audit log '\(path)': \(FileIO.errnoText())") }
        defer { flock(fd, LOCK_UN) }
        let previous = try lastEvent(fd: fd)
        let event = AuditEvent(
            after: previous, time: clock.timestamp(), actor: actor, action: action, subject: subject, details: details)
        let bytes = Array((event.line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw .io("Cannot append to the audit log '\(path)': \(FileIO.errnoText())")
        }
        return event
    }

    /// Every event, in file order. Prefer ``verify()`` for long logs: it streams.
    public func events() throws -> [AuditEvent] {
        var events: [AuditEvent] = []
        try forEachEvent { events.append($0) }
        return events
    }

    /// Verifies the whole file: nil when intact, else the first break.
    public func verify(from chain: AuditChain = AuditChain()) throws -> AuditChain.Break? {
        var verifier = chain.verifier()
        var failure: AuditChain.Break?
        do {
            try forEachEvent { event in
                if let broken = verifier.check(event) {
                    failure = broken
                    throw StopReading()
                }
            }
        } catch is StopReading {}
        return failure
    }

    private struct StopReading: Error {}

    func forEachEvent(_ body: (AuditEvent) throws -> Void) throws {
        let parser = JSONParser(maxDepth: 64, maxBytes: 1 << 20)
        try FileIO.forEachLine(of: path, maxLineLength: 1 << 20) { line, number in
            if line.isEmpty { return }
            let source = "'\(path)' line \(number)"
            let json = try parser.parse(line, source: source)
            try body(try AuditEvent(json: json, source: source))
        }
    }

    /// Reads the last line of the open file (scanning back from the end) and parses it.
    private func lastEvent(fd: Int32) throws(WardenError) -> AuditEvent? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io("Cannot read the audit log '\(path)': \(FileIO.errnoText())") }
        let size = Int64(info.st_size)
        if size == 0 { return nil }
        var window: Int64 = 4096
        while true {
            let start = max(0, size - window)
            var bytes = [UInt8](repeating: 0, count: Int(size - start))
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
            guard got == bytes.count else { throw .io("Cannot read the audit log '\(path)': \(FileIO.errnoText())") }
            while bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            if let newline = bytes.lastIndex(of: UInt8(ascii: "\n")) {
                return try parse(Array(bytes[(newline + 1)...]))
            }
            if start == 0 { return bytes.isEmpty ? nil : try parse(bytes) }
            guard window < 1 << 20 else { throw .invalidInput("The audit log '\(path)' ends with a line over 1 MiB; it is not a Warden audit log") }
            window *= 4
        }
        func parse(_ line: [UInt8]) throws(WardenError) -> AuditEvent {
            let source = "the last line of the audit log '\(path)'"
            return try AuditEvent(json: try JSONParser().parse(line, source: source), source: source)
        }
    }
}
