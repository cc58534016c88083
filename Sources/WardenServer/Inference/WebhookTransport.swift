import AsyncHTTPClient
import NIOCore
import WardenGuard

/// The webhook sink's HTTP side: one JSON POST per alert with AsyncHTTPClient, within the
/// queue's timeout; the answer's body is read (at most 64 KiB) and dropped.
enum WebhookTransport {
    static func post(to url: String) -> WebhookQueue.Transport {
        { body, timeout in
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "warden-gateway/\(InferenceAPI.serverVersion)")
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(max(0.001, timeout) * 1000)))
            _ = try? await response.body.collect(upTo: 64 << 10)
            return Int(response.status.code)
        }
    }
}
