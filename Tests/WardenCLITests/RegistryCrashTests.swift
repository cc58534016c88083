import Foundation
import Synchronization
import Testing
import WardenCore
import WardenTesting

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Atomic uploads for real: a burst of concurrent uploads to a `warden serve` process that is
/// killed with SIGKILL in the middle. After a restart, every acknowledged version is there with
/// its exact bytes, every stored blob is complete (its name is its content's digest), nothing
/// half-written is visible, and the audit chain verifies.
struct RegistryCrashTests {
    final class Server: @unchecked Sendable {  // Process is not Sendable; only the test's task touches it.
        let process = Process()
        let url: String

        init(data: String, token: String, log: String) async throws {
            process.executableURL = URL(fileURLWithPath: WardenProcess.executable)
            process.arguments = ["serve", "--data", data, "--port", "0"]
            process.environment = ProcessInfo.processInfo.environment.merging(["WARDEN_ADMIN_TOKEN": token]) { _, new in new }
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            for _ in 0..<400 {
                let text = String(decoding: (try? FileIO.readAll(log)) ?? [], as: UTF8.self)
                if let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                    url = String(text[range])
                    return
                }
                try await Task.sleep(for: .milliseconds(25))
            }
            process.terminate()
            throw WardenError.internalError("warden serve did not start: \(String(decoding: (try? FileIO.readAll(log)) ?? [], as: UTF8.self))")
        }

        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func call(_ method: String, _ url: String, token: String, body: Data?, json: Bool = false) async throws -> (Int, JSONValue?) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 20
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if json { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONParser().parse(Array(data)))
    }

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    struct Acknowledged: Sendable {
        var version: Int
        var digest: String
    }

    @Test func killDashNineDuringABurstOfUploadsLosesNothingAcknowledged() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let data = folder.url("data")
        let token = "wdn_0123456789ab_" + String(repeating: "Q", count: 43)
        let first = try await Server(data: data, token: token, log: folder.url("serve1.log"))
        #expect(try await Self.call("POST", first.url + "/api/v1/models", token: token, body: Data(#"{"name":"fraud"}"#.utf8), json: true).0 == 201)

        let count = Counter()
        let acknowledged = try await withThrowingTaskGroup(of: [Acknowledged].self) { group in
            for worker in 0..<6 {
                group.addTask {
                    var generator = SeededGenerator(seed: UInt64(worker) + 1)
                    var mine: [Acknowledged] = []
                    for _ in 0..<40 {
                        let bytes = Data((0..<(192 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) })
                        do {
                            let (status, blob) = try await Self.call("PUT", first.url + "/api/v1/blobs", token: token, body: bytes)
                            guard status == 201, let digest = blob?["digest"]?.stringValue else { break }
                            let body = #"{"artefacts":[{"path":"weights.bin","digest":"\#(digest)"}]}"#
                            let (created, version) = try await Self.call("POST", first.url + "/api/v1/models/fraud/versions", token: token, body: Data(body.utf8), json: true)
                            guard created == 201, let number = version?["version"]?.intValue else { break }
                            mine.append(Acknowledged(version: Int(number), digest: digest))
                            count.value.withLock { $0 += 1 }
                        } catch {
                            break  // the server is gone
                        }
                    }
                    return mine
                }
            }
            group.addTask {
                // Kill it mid-burst: once a dozen versions are acknowledged (however slow the
                // machine), while the six workers have more uploads and commits in flight.
                for _ in 0..<1500 where count.value.withLock({ $0 }) < 12 { try await Task.sleep(for: .milliseconds(10)) }
                first.kill9()
                return []
            }
            return try await group.reduce(into: [Acknowledged]()) { $0 += $1 }
        }
        #expect(acknowledged.count >= 12, "the burst acknowledged too little before the kill to mean anything")
        #expect(acknowledged.count < 6 * 40, "the kill came after the burst had finished")

        let second = try await Server(data: data, token: token, log: folder.url("serve2.log"))
        defer { second.kill9() }
        let (status, listing) = try await Self.call("GET", second.url + "/api/v1/models/fraud/versions", token: token, body: nil)
        #expect(status == 200)
        let versions = listing?["versions"]?.arrayValue ?? []
        var stored: [Int: String] = [:]
        for version in versions {
            stored[Int(version["version"]?.intValue ?? 0)] = version["artefacts"]?.arrayValue?.first?["digest"]?.stringValue
        }
        for ack in acknowledged {
            #expect(stored[ack.version] == ack.digest, "acknowledged version \(ack.version) lost or changed")
        }
        #expect(stored.isEmpty || stored.keys.sorted() == Array(1...stored.count), "version numbers have holes")
        // Every version's bytes download and match their digest.
        for (number, digest) in stored {
            var request = URLRequest(url: URL(string: second.url + "/api/v1/models/fraud/versions/\(number)/artefacts/weights.bin")!)
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            let (bytes, _) = try await URLSession.shared.data(for: request)
            #expect(Digest.sha256(Array(bytes)).description == digest, "version \(number) serves other bytes")
        }
        // Every blob in the store is complete: its name is its content's digest.
        let root = data + "/blobs/sha256"
        for prefix in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where prefix.count == 2 {
            for rest in try FileManager.default.contentsOfDirectory(atPath: root + "/" + prefix) {
                #expect(try Digest.sha256(ofFile: root + "/" + prefix + "/" + rest).hex == prefix + rest, "half-written blob \(prefix)\(rest)")
            }
        }
        // The chain is intact after the crash.
        let verify = try await WardenProcess.run(["audit", "verify", "--data", data, "--json"], in: folder)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.json?["ok"] == true)
    }
}
