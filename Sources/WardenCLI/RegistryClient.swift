import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import WardenCore

/// The `/api/v1` client of `warden registry` (AsyncHTTPClient; the only module that uses it).
/// Uploads and downloads stream in 1 MiB pieces with a progress callback; downloads are hashed on
/// the way and land atomically only when their digest is the one the server recorded.
struct RegistryClient: Sendable {
    let server: String
    let token: String

    /// A non-2xx answer: the status and the server's `{error_code, message}`.
    struct Failure: Error, CustomStringConvertible {
        var status: Int
        var code: String
        var message: String
        var description: String { "\(code) (\(status)): \(message)" }

        /// Refusals (401, 403, 409 gates) are checks that ran and failed: exit 1. Bad requests and
        /// missing things are bad input: 2. Anything else is the server's fault: 3.
        var exitCode: Int32 {
            switch status {
            case 401, 403, 409: 1
            case 400..<500: 2
            default: 3
            }
        }
    }

    init(server: String, token: String) throws {
        guard let url = URL(string: server), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw ValidationError("The server '\(server)' is not an http(s) URL (for example http://127.0.0.1:8080)")
        }
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
    }

    static func percentEncoded(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    /// `/api/v1/models/NAME…` with NAME percent-encoded (names may hold `/`).
    static func modelPath(_ name: String, _ rest: String = "") -> String {
        "/models/\(percentEncoded(name))\(rest)"
    }

    func request(_ method: HTTPMethod, _ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: server + "/api/v1" + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "User-Agent", value: "warden/\(Warden.version)")
        return request
    }

    /// A JSON call; throws ``Failure`` for non-2xx answers.
    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil) async throws -> JSONValue {
        var request = request(method, path)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json.compactString))
        }
        let response = try await execute(request)
        let body = try await response.body.collect(upTo: 64 << 20)
        return try Self.decode(response.status, body)
    }

    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        do {
            return try await HTTPClient.shared.execute(request, timeout: .hours(24))
        } catch {
            throw WardenError.invalidInput("Cannot reach the registry at '\(server)': \(error)")
        }
    }

    static func decode(_ status: HTTPResponseStatus, _ body: ByteBuffer) throws -> JSONValue {
        let json = try? JSONParser().parse(Array(body.readableBytesView), source: "the server's answer")
        guard (200..<300).contains(Int(status.code)) else {
            throw Failure(
                status: Int(status.code), code: json?["error_code"]?.stringValue ?? "HTTP_\(status.code)",
                message: json?["message"]?.stringValue ?? String(decoding: body.readableBytesView.prefix(300), as: UTF8.self))
        }
        guard let json else { throw WardenError.internalError("The registry answered with something that is not JSON") }
        return json
    }

    /// Streams a file to `PUT /blobs`; returns the digest the server computed, checked against ours.
    func upload(file path: String, progress: @escaping @Sendable (Int64) -> Void) async throws -> WardenCore.Digest {
        let size = try FileIO.size(of: path)
        let chunks = FileChunks(path: path, size: size, progress: progress)
        var request = request(.PUT, "/blobs")
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(chunks, length: .known(size))
        let response = try await execute(request)
        let answer = try Self.decode(response.status, try await response.body.collect(upTo: 1 << 20))
        let local = try WardenCore.Digest.sha256(ofFile: path)
        guard let text = answer["digest"]?.stringValue, let remote = try? WardenCore.Digest(parsing: text), remote == local else {
            throw WardenError.io("The registry stored '\(path)' under a different digest than its content's \(local): the upload was damaged; retry")
        }
        return remote
    }

    /// Streams `path` (an API path) into `destination` atomically, hashing on the way; the file
    /// appears only if its digest is `expected`.
    func download(_ path: String, to destination: String, expected: WardenCore.Digest, progress: @escaping @Sendable (Int64) -> Void) async throws {
        let response = try await execute(request(.GET, path))
        guard response.status == .ok else {
            _ = try Self.decode(response.status, try await response.body.collect(upTo: 1 << 20))
            return
        }
        try FileIO.makeDirectory(FileIO.parentDirectory(of: destination))
        let temp = try FileIO.temporaryFile(in: FileIO.parentDirectory(of: destination), name: FileIO.lastComponent(of: destination))
        var hasher = SHA256()
        var done: Int64 = 0
        do {
            for try await buffer in response.body {
                try buffer.withUnsafeReadableBytes { raw in
                    hasher.update(bufferPointer: raw)
                    try temp.write(raw)
                }
                done += Int64(buffer.readableBytes)
                progress(done)
            }
            let actual = try WardenCore.Digest(bytes: Array(hasher.finalize()))
            guard actual == expected else {
                throw WardenError.io("'\(destination)': the registry sent bytes with digest \(actual), not the recorded \(expected); nothing was written")
            }
            try temp.rename(to: destination, mode: 0o644)
        } catch {
            temp.discard()
            throw error
        }
    }
}

/// A file as an async sequence of 1 MiB ByteBuffers, reporting bytes read.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let size: Int64
    let progress: @Sendable (Int64) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var offset: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < chunks.size else { return nil }
            let end = Swift.min(chunks.size, offset + Int64(FileIO.defaultChunkSize))
            var buffer = ByteBuffer()
            buffer.reserveCapacity(Int(end - offset))
            try FileIO.forEachChunk(of: chunks.path, range: offset..<end) { buffer.writeBytes($0) }
            guard buffer.readableBytes == Int(end - offset) else {
                throw WardenError.io("'\(chunks.path)' changed size while it was uploaded")
            }
            offset = end
            chunks.progress(offset)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
}
