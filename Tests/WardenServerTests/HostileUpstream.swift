import Foundation
import WardenCore

#if canImport(Glibc)
import Glibc
#endif

/// A tiny raw-socket HTTP/1.1 server on loopback for upstream-mode tests: each request (method and
/// path) gets what `behaviour` says — a well-formed answer, malformed JSON, an endless body, a
/// late answer, a 500 — and the connection is closed after it. Threads, blocking sockets, no NIO,
/// so that nothing of the server under test is shared with it.
final class HostileUpstream: @unchecked Sendable {
    /// What to send for one request.
    enum Answer: Sendable {
        /// Status and body, with a correct Content-Length.
        case reply(Int, String)
        /// Status line and headers as given, then `body`, then close (a lying or missing length).
        case raw(String, String)
        /// 200 with no length, then `megabytes` MiB of JSON-ish bytes until the peer stops reading.
        case endless(megabytes: Int)
        /// Waits `seconds`, then answers.
        case late(Double, Int, String)
        /// Closes the connection without a word.
        case hangUp
    }

    let port: Int
    private let listener: Int32
    private let behaviour: @Sendable (_ method: String, _ path: String) -> Answer
    /// Requests seen, as "METHOD path".
    private let lock = NSLock()
    private var seenRequests: [String] = []

    init(_ behaviour: @escaping @Sendable (_ method: String, _ path: String) -> Answer) throws {
        self.behaviour = behaviour
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw WardenError.internalError("socket() failed: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw WardenError.internalError("bind/listen failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var requests: [String] { lock.withLock { seenRequests } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            Thread { [self] in serve(connection) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Head, then as much body as Content-Length says.
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        while headEnd == nil {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return }
            data += buffer[0..<n]
            headEnd = Self.find([13, 10, 13, 10], in: data)
        }
        let head = String(decoding: data[0..<headEnd!], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        guard requestLine.count >= 2 else { return }
        let length = lines.dropFirst().compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        while data.count - (headEnd! + 4) < length {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return }
            data += buffer[0..<n]
        }
        let method = String(requestLine[0]), path = String(requestLine[1])
        lock.withLock { seenRequests.append("\(method) \(path)") }
        switch behaviour(method, path) {
        case .reply(let status, let body):
            send(fd, Self.response(status, body))
        case .raw(let head, let body):
            send(fd, Array((head + "\r\n\r\n" + body).utf8))
        case .endless(let megabytes):
            guard send(fd, Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"outputs\": [".utf8)) else { return }
            let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 1 << 20)
            for _ in 0..<megabytes where send(fd, chunk) {}
        case .late(let seconds, let status, let body):
            Thread.sleep(forTimeInterval: seconds)
            send(fd, Self.response(status, body))
        case .hangUp:
            return
        }
    }

    /// Sends everything, or false once the peer is gone (no SIGPIPE).
    @discardableResult
    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    static func response(_ status: Int, _ body: String) -> [UInt8] {
        Array("HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
    }

    static func find(_ needle: [UInt8], in data: [UInt8]) -> Int? {
        guard data.count >= needle.count else { return nil }
        for start in 0...(data.count - needle.count) where data[start..<(start + needle.count)].elementsEqual(needle) { return start }
        return nil
    }
}
