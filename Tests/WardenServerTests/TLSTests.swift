import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import Testing
import WardenCore
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// `http.tls`: the server speaks HTTPS with the configured certificate, and only HTTPS.
struct TLSTests {
    static let fixtures = #filePath.replacingOccurrences(of: "TLSTests.swift", with: "Fixtures/tls")

    @Test func httpsWithTheConfiguredCertificateAndNoPlainHTTP() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let admin = APIToken.issue(for: "admin", name: "t", now: 0).plaintext
        let configuration = ServerConfiguration().with {
            $0.data = folder.url("data")
            $0.http.tlsCertificate = Self.fixtures + "/cert.pem"
            $0.http.tlsKey = Self.fixtures + "/key.pem"
        }
        let server = try await RegistryServer.open(configuration: configuration, adminToken: admin)
        #expect(server.usesTLS)
        var logger = Logger(label: "test.tls")
        logger.logLevel = .critical
        let running = try await server.start(logger: logger)
        defer { running.stop() }
        let bound = running.port

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(Self.fixtures + "/cert.pem"))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: "https://localhost:\(bound)/api/v1/whoami")
        request.headers.add(name: "Authorization", value: "Bearer \(admin)")
        let response = try await client.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok)
        let body = try await response.body.collect(upTo: 1 << 16)
        #expect(String(buffer: body).contains("\"admin\""))

        // Plain HTTP to the TLS port gets no answer; an untrusting client refuses the certificate.
        let plain = HTTPClientRequest(url: "http://127.0.0.1:\(bound)/healthz")
        await #expect(throws: (any Error).self) { _ = try await HTTPClient.shared.execute(plain, timeout: .seconds(5)) }
        let untrusting = HTTPClientRequest(url: "https://localhost:\(bound)/healthz")
        await #expect(throws: (any Error).self) { _ = try await HTTPClient.shared.execute(untrusting, timeout: .seconds(5)) }
    }

    @Test func aMissingOrBadKeyIsAClearError() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("bad.pem", "not a key")
        for (certificate, key) in [(Self.fixtures + "/cert.pem", folder.url("bad.pem")), (folder.url("missing.pem"), Self.fixtures + "/key.pem")] {
            let configuration = ServerConfiguration().with {
                $0.data = folder.url("data")
                $0.http.tlsCertificate = certificate
                $0.http.tlsKey = key
            }
            let server = try await RegistryServer.open(configuration: configuration, adminToken: nil)
            #expect(throws: WardenError.self) { _ = try server.serverBuilder() }
        }
    }
}
