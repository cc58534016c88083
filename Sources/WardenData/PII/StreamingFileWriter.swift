#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WardenCore

/// Writes a file of any size atomically: bytes go to a temporary file beside the destination
/// through a 1 MiB buffer; ``commit()`` fsyncs and renames it into place; anything else (an error,
/// ``abort()``, being dropped uncommitted) removes it. Readers never see a partial file.
final class StreamingFileWriter {
    let path: String
    private let tempPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var done = false

    init(path: String, mode: mode_t = 0o644) throws(WardenError) {
        self.path = path
        let directory = FileIO.parentDirectory(of: path)
        var template = Array("\(directory)/.\(FileIO.lastComponent(of: path)).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .io("Cannot create a temporary file beside '\(path)': \(FileIO.errnoText())") }
        self.fd = fd
        tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        fchmod(fd, mode)
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if !done {
            close(fd)
            unlink(tempPath)
        }
    }

    func write(_ bytes: some Collection<UInt8>) throws(WardenError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws(WardenError) {
        try FileIO.writeAll(buffer, to: fd, naming: path)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, fsyncs and renames the file into place.
    func commit() throws(WardenError) {
        try flush()
        guard fsync(fd) == 0 else { throw .io("Cannot write '\(path)': \(FileIO.errnoText())") }
        close(fd)
        done = true
        guard rename(tempPath, path) == 0 else {
            let text = FileIO.errnoText()
            unlink(tempPath)
            throw .io("Cannot write '\(path)': \(text)")
        }
        FileIO.syncDirectory(FileIO.parentDirectory(of: path))
    }

    /// Removes the temporary file; the destination is untouched.
    func abort() {
        guard !done else { return }
        done = true
        close(fd)
        unlink(tempPath)
    }
}
