import Foundation
import Testing
import WardenCore
import WardenRegistry
import Yams

@testable import WardenServer

/// docs/openapi.yaml stays true: it documents exactly the `/api/v1` routes the router serves.
struct OpenAPITests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
        let path = #filePath.replacingOccurrences(of: "Tests/WardenServerTests/OpenAPITests.swift", with: "docs/openapi.yaml")
        let document = try #require(try Yams.load(yaml: String(contentsOfFile: path, encoding: .utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        var documented = Set<String>()
        for (route, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where ["get", "put", "post", "delete", "patch"].contains(method) {
                documented.insert("\(method.uppercased()) \(route)")
            }
        }
        let server = RegistryServer(
            registry: Registry(store: InMemoryRegistryStore()), blobs: BlobStore(root: "/nonexistent"), trustedKeys: [], configuration: ServerConfiguration())
        var served = Set<String>()
        for route in server.router().routes {
            let text = route.path.description
            guard text.hasPrefix("/api/v1") || text == "/healthz" else { continue }
            let openapi = text.split(separator: "/").map { part -> String in
                if part.hasPrefix(":") { return "{\(part.dropFirst())}" }
                return part == "**" ? "{path}" : String(part)
            }.joined(separator: "/")
            served.insert("\(route.method.rawValue) /\(openapi)")
        }
        #expect(served.subtracting(documented).sorted() == [], "served but not in docs/openapi.yaml")
        #expect(documented.subtracting(served).sorted() == [], "documented but not served")
    }
}
