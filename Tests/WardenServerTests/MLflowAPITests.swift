import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenCore
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// The MLflow-compatible API as the mlflow client drives it (exchanges as captured in the spec);
/// scripts/interop/mlflow.sh runs the real client.
struct MLflowAPITests {
    struct Harness {
        let folder: TemporaryDirectory
        let server: RegistryServer
        let maintainer: String
        let reader: String
    }

    func harness() async throws -> Harness {
        let folder = try TemporaryDirectory()
        let registry = Registry(store: InMemoryRegistryStore())
        let server = RegistryServer(
            registry: registry, blobs: BlobStore(root: folder.url("blobs")), trustedKeys: [], configuration: ServerConfiguration().with { $0.data = folder.path })
        let admin = Principal(id: "root", name: "root", roles: [.admin])
        let maintainer = try await registry.createToken(name: "mia", role: .maintainer, by: admin).plaintext
        let reader = try await registry.createToken(name: "rita", role: .reader, by: admin).plaintext
        return Harness(folder: folder, server: server, maintainer: maintainer, reader: reader)
    }

    typealias Call = (HTTPRequest.Method, String, String?, String) async throws -> (HTTPResponse.Status, JSONValue?, String)

    func withClient(_ harness: Harness, _ body: @escaping @Sendable (Call) async throws -> Void) async throws {
        let app = Application(router: harness.server.router())
        try await app.test(.router) { client in
            try await body { method, path, json, token in
                try await client.execute(
                    uri: path, method: method, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                    body: json.map { ByteBuffer(string: $0) }
                ) { response in
                    let text = String(buffer: response.body)
                    return (response.status, try? JSONParser().parse(text), text)
                }
            }
        }
    }

    @Test func logRegisterAliasLoadTheWayTheClientDoes() async throws {
        let h = try await harness()
        defer { h.folder.remove() }
        let maintainer = h.maintainer, reader = h.reader
        try await withClient(h) { call in
            let m = maintainer
            // set_experiment: not found, create, get.
            #expect(try await call(.get, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=x", nil, m).0 == .notFound)
            let (_, created, _) = try await call(.post, "/api/2.0/mlflow/experiments/create", #"{"name":"x"}"#, m)
            let experiment = try #require(created?["experiment_id"]?.stringValue)
            #expect(try await call(.post, "/api/2.0/mlflow/experiments/create", #"{"name":"x"}"#, m).2.contains("RESOURCE_ALREADY_EXISTS"))
            let (_, got, _) = try await call(.get, "/api/2.0/mlflow/experiments/get?experiment_id=\(experiment)", nil, m)
            #expect(got?["experiment"]?["artifact_location"]?.stringValue == "mlflow-artifacts:/\(experiment)")
            // start_run, logged model, artefacts, finalize.
            let (_, run, _) = try await call(.post, "/api/2.0/mlflow/runs/create", #"{"experiment_id":"\#(experiment)","start_time":1,"tags":[]}"#, m)
            let runID = try #require(run?["run"]?["info"]?["run_id"]?.stringValue)
            let (_, logged, _) = try await call(
                .post, "/api/2.0/mlflow/logged-models", #"{"experiment_id":"\#(experiment)","name":"model","source_run_id":"\#(runID)"}"#, m)
            let modelID = try #require(logged?["model"]?["info"]?["model_id"]?.stringValue)
            let root = try #require(logged?["model"]?["info"]?["artifact_uri"]?.stringValue).dropFirst("mlflow-artifacts:/".count)
            #expect(logged?["model"]?["info"]?["status"]?.stringValue == "LOGGED_MODEL_PENDING")
            for (file, content) in [("MLmodel", "flavors: {}"), ("model.pkl", "weights"), ("sub/extra.txt", "x")] {
                let (status, _, text) = try await call(.put, "/api/2.0/mlflow-artifacts/artifacts/\(root)/\(file)", content, m)
                #expect(status == .ok, "\(text)")
            }
            // Traversal and foreign paths are refused; a reader cannot write.
            #expect(try await call(.put, "/api/2.0/mlflow-artifacts/artifacts/\(root)/../../x", "x", m).0 == .badRequest)
            #expect(try await call(.put, "/api/2.0/mlflow-artifacts/artifacts/\(root)/evil", "x", reader).0 == .forbidden)
            let (_, listing, _) = try await call(.get, "/api/2.0/mlflow-artifacts/artifacts?path=\(root)", nil, m)
            let names = listing?["files"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
            #expect(names == ["MLmodel", "model.pkl", "sub"])
            #expect(try await call(.patch, "/api/2.0/mlflow/logged-models/\(modelID)", #"{"model_id":"\#(modelID)","status":"LOGGED_MODEL_READY"}"#, m).0 == .ok)

            // register: create (then 400 RESOURCE_ALREADY_EXISTS), version from the logged model.
            #expect(try await call(.post, "/api/2.0/mlflow/registered-models/create", #"{"name":"iris"}"#, m).0 == .ok)
            let again = try await call(.post, "/api/2.0/mlflow/registered-models/create", #"{"name":"iris"}"#, m)
            #expect(again.0 == .badRequest && again.1?["error_code"]?.stringValue == "RESOURCE_ALREADY_EXISTS")
            let (status, version, text) = try await call(
                .post, "/api/2.0/mlflow/model-versions/create", #"{"name":"iris","source":"models:/\#(modelID)","model_id":"\#(modelID)","run_id":"\#(runID)"}"#, m)
            #expect(status == .ok, "\(text)")
            #expect(version?["model_version"]?["version"]?.stringValue == "1")
            #expect(version?["model_version"]?["status"]?.stringValue == "READY")
            #expect(version?["model_version"]?["current_stage"]?.stringValue == "None")
            // Registered artefacts are frozen.
            #expect(try await call(.put, "/api/2.0/mlflow-artifacts/artifacts/\(root)/late.bin", "x", m).0 == .badRequest)
            #expect(try await call(.post, "/api/2.0/mlflow/model-versions/create", #"{"name":"iris","source":"s3://bucket/model"}"#, m).0 == .badRequest)

            // Aliases, stages, search, download through the registry root.
            #expect(try await call(.post, "/api/2.0/mlflow/registered-models/alias", #"{"name":"iris","alias":"champion","version":"1"}"#, m).0 == .ok)
            let (_, byAlias, _) = try await call(.get, "/api/2.0/mlflow/registered-models/alias?name=iris&alias=champion", nil, reader)
            #expect(byAlias?["model_version"]?["aliases"] == ["champion"])
            let unknown = try await call(.get, "/api/2.0/mlflow/registered-models/alias?name=iris&alias=nope", nil, reader)
            #expect(unknown.0 == .badRequest && unknown.2.contains("Registered model alias nope not found."))
            let (_, staged, _) = try await call(.post, "/api/2.0/mlflow/model-versions/transition-stage", #"{"name":"iris","version":"1","stage":"Staging"}"#, m)
            #expect(staged?["model_version"]?["current_stage"]?.stringValue == "Staging")
            let refused = try await call(.post, "/api/2.0/mlflow/model-versions/transition-stage", #"{"name":"iris","version":"1","stage":"Production"}"#, m)
            #expect(refused.0 == .badRequest && refused.1?["error_code"]?.stringValue == "INVALID_STATE")
            #expect(refused.2.contains("approval") && refused.2.contains("signature") && refused.2.contains("provenance"))
            let (_, model, _) = try await call(.get, "/api/2.0/mlflow/registered-models/get?name=iris", nil, reader)
            #expect(model?["registered_model"]?["latest_versions"]?.arrayValue?.count == 1)
            #expect(model?["registered_model"]?["aliases"] == [["alias": "champion", "version": "1"], ["alias": "staging", "version": "1"]])
            let filter = "tag.%60mlflow.prompt.is_prompt%60%20!%3D%20%27true%27"
            let (_, found, _) = try await call(.get, "/api/2.0/mlflow/registered-models/search?filter=\(filter)&max_results=100", nil, reader)
            #expect(found?["registered_models"]?.arrayValue?.count == 1)
            let (_, versions, _) = try await call(.get, "/api/2.0/mlflow/model-versions/search?filter=name%3D%27iris%27&max_results=10000", nil, reader)
            #expect(versions?["model_versions"]?.arrayValue?.count == 1)
            let (_, uri, _) = try await call(.get, "/api/2.0/mlflow/model-versions/get-download-uri?name=iris&version=1", nil, reader)
            #expect(uri?["artifact_uri"]?.stringValue == "mlflow-artifacts:/registry/iris/1")
            let (_, files, _) = try await call(.get, "/api/2.0/mlflow-artifacts/artifacts?path=registry/iris/1", nil, reader)
            #expect(files?["files"]?.arrayValue?.count == 3)
            let (ok, _, bytes) = try await call(.get, "/api/2.0/mlflow-artifacts/artifacts/registry/iris/1/model.pkl", nil, reader)
            #expect(ok == .ok && bytes == "weights")
            // The run's own folder stays its owner's.
            #expect(try await call(.get, "/api/2.0/mlflow/runs/get?run_id=\(runID)", nil, reader).0 == .forbidden)
            #expect(try await call(.get, "/api/2.0/mlflow/runs/get?run_id=\(runID)&run_uuid=\(runID)", nil, m).0 == .ok)
            let (missing, body, _) = try await call(.get, "/api/2.0/mlflow/model-versions/get?name=iris&version=99", nil, reader)
            #expect(missing == .notFound && body?["error_code"]?.stringValue == "RESOURCE_DOES_NOT_EXIST")
            #expect(try await call(.get, "/api/2.0/mlflow/model-versions/get?name=iris&version=abc", nil, reader).0 == .badRequest)
        }
    }

    /// Python's `requests` encodes query values as forms do (`+` for a space); metric history is
    /// what `MlflowClient.get_metric_history` reads.
    @Test func formEncodedFiltersAndMetricHistory() async throws {
        let h = try await harness()
        defer { h.folder.remove() }
        let m = h.maintainer
        try await withClient(h) { call in
            #expect(try await call(.post, "/api/2.0/mlflow/registered-models/create", #"{"name":"iris"}"#, m).0 == .ok)
            #expect(try await call(.post, "/api/2.0/mlflow/registered-models/set-tag", #"{"name":"iris","key":"team","value":"risk team"}"#, m).0 == .ok)
            let (_, found, text) = try await call(.get, "/api/2.0/mlflow/registered-models/search?filter=name+%3D+%27iris%27+and+tag.team+%3D+%27risk+team%27", nil, m)
            #expect(found?["registered_models"]?.arrayValue?.count == 1, "\(text)")
            let (_, none, _) = try await call(.get, "/api/2.0/mlflow/registered-models/search?filter=tag.team+%3D+%27risk%2Bteam%27", nil, m)
            #expect(none?["registered_models"]?.arrayValue?.count == 0)

            let (_, experiment, _) = try await call(.post, "/api/2.0/mlflow/experiments/create", #"{"name":"e"}"#, m)
            let id = try #require(experiment?["experiment_id"]?.stringValue)
            let (_, run, _) = try await call(.post, "/api/2.0/mlflow/runs/create", #"{"experiment_id":"\#(id)","start_time":1}"#, m)
            let runID = try #require(run?["run"]?["info"]?["run_id"]?.stringValue)
            for (key, value, step) in [("loss", 0.9, 0), ("acc", 0.5, 0), ("loss", 0.4, 1)] {
                let body = #"{"run_id":"\#(runID)","key":"\#(key)","value":\#(value),"timestamp":5,"step":\#(step)}"#
                #expect(try await call(.post, "/api/2.0/mlflow/runs/log-metric", body, m).0 == .ok)
            }
            let (_, history, _) = try await call(.get, "/api/2.0/mlflow/metrics/get-history?run_id=\(runID)&metric_key=loss", nil, m)
            #expect(history?["metrics"]?.arrayValue?.map { $0["step"]?.intValue } == [0, 1])
            #expect(try await call(.get, "/api/2.0/mlflow/metrics/get-history?run_id=\(runID)", nil, m).0 == .badRequest)
            #expect(try await call(.get, "/api/2.0/mlflow/metrics/get-history?run_id=\(runID)&metric_key=loss", nil, h.reader).0 == .forbidden)
        }
    }

    @Test func basicAuthMapsUserAndTokenAndSaysHowToAuthenticate() async throws {
        let h = try await harness()
        defer { h.folder.remove() }
        let app = Application(router: h.server.router())
        let reader = h.reader
        try await app.test(.router) { client in
            func basic(_ user: String, _ password: String) -> HTTPFields {
                [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
            }
            try await client.execute(uri: "/api/2.0/mlflow/registered-models/search", method: .get, headers: basic("rita", reader)) { response in
                #expect(response.status == .ok)
            }
            for headers in [basic("mia", reader), basic("rita", "wrong"), [.authorization: "Basic !!!"], [:]] as [HTTPFields] {
                try await client.execute(uri: "/api/2.0/mlflow/registered-models/search", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate]?.contains("Basic") == true)
                    #expect(String(buffer: response.body).contains("UNAUTHENTICATED"))
                }
            }
        }
    }
}
