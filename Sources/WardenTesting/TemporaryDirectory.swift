import Foundation
import WardenCore

/// A fresh folder under the system temp dir, removed by ``remove()``.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "warden-test") throws {
        let base = (NSTemporaryDirectory() as NSString).standardizingPath
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw WardenError.io("Cannot create a temporary folder")
        }
        path = String(cString: made)
    }

    /// `path/relative`.
    public func url(_ relative: String) -> String { path + "/" + relative }

    /// Writes bytes to `relative`, creating parent folders.
    @discardableResult
    public func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let full = url(relative)
        try FileIO.makeDirectory(FileIO.parentDirectory(of: full))
        try FileIO.writeAtomically(bytes, to: full)
        return full
    }

    /// Writes UTF-8 text to `relative`.
    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, Array(text.utf8))
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
