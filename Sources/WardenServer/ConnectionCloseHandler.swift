import HTTPTypes
import HummingbirdCore
import NIOCore

/// Closes a connection once its last response is out, when the connection can carry no further
/// request: the response says `Connection: close`, the request asked for it, or the response went
/// out before the request's body was read to its end (a refusal such as 413 for an oversized body
/// or 408 for a slow one; `Connection: close` is then added to the response).
///
/// Hummingbird on its own only half-closes such a connection (or, for a keep-alive request, keeps
/// reading the rest of the refused body) and then waits for the client to close: a client that
/// keeps its end open, or is still pushing a 9 MiB body, kept the descriptor and NIO's read buffers
/// alive for good (the gateway soak's growing memory). Here the connection lingers instead: after
/// the response is written, whatever the client still sends is read and discarded for at most
/// `linger`, and then the channel is closed (at once when the client closes its side). Lingering
/// rather than closing at once lets the client read the response: closing a socket with unread
/// input sends a reset, which can destroy a response still in flight.
///
/// It sits in the pipeline after the HTTP/1 codec (Hummingbird's `additionalChannelHandlers`); one
/// instance per connection.
final class ConnectionCloseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPConnectionStateHandler.InboundIn
    typealias InboundOut = HTTPConnectionStateHandler.InboundOut
    typealias OutboundIn = HTTPConnectionStateHandler.OutboundIn
    typealias OutboundOut = HTTPConnectionStateHandler.OutboundOut

    /// The most time between the last response and the close.
    let linger: TimeAmount
    /// Request heads and request ends read, final responses written (pipelined requests are answered in order).
    private var requestsStarted = 0
    private var requestsEnded = 0
    private var responsesEnded = 0
    /// The number of the first request that asked for `Connection: close`.
    private var closeAfterRequest: Int?
    /// The response being written is the connection's last.
    private var lastResponse = false
    /// The last response is written: input is discarded until the close.
    private var lingering = false
    private var closeTask: Scheduled<Void>?

    init(linger: TimeAmount = .seconds(2)) {
        self.linger = linger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Whatever follows the last response is read only to be dropped.
        guard !lingering else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestsStarted += 1
            if closeAfterRequest == nil, Self.asksToClose(head.headerFields) { closeAfterRequest = requestsStarted }
        case .body:
            break
        case .end:
            requestsEnded += 1
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // NIOAsyncChannel stops asking for reads once its buffer is full and nobody consumes it
        // any more, so the lingering connection asks for them itself.
        if lingering { context.read() }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client closed its side (Hummingbird allows half-closure): nothing more to wait for.
        if lingering, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A parse error in what the client sends after the last response only ends the linger early.
        if lingering {
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeTask?.cancel()
        closeTask = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closeTask?.cancel()
        closeTask = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.kind != .informational:
            let number = responsesEnded + 1
            let bodyUnread = requestsEnded < number
            let saysClose = Self.asksToClose(head.headerFields)
            lastResponse = saysClose || bodyUnread || closeAfterRequest.map { number >= $0 } == true
            if lastResponse, !saysClose {
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
        case .end where lastResponse:
            responsesEnded += 1
            lingering = true
            let written = promise ?? context.eventLoop.makePromise(of: Void.self)
            context.write(data, promise: written)
            written.futureResult.assumeIsolated().whenComplete { result in
                switch result {
                case .success: self.startLingering(context)
                case .failure: context.close(promise: nil)
                }
            }
            return
        case .end:
            responsesEnded += 1
        default:
            break
        }
        context.write(data, promise: promise)
    }

    /// Reads (and drops) what still comes for at most `linger`, then closes.
    private func startLingering(_ context: ChannelHandlerContext) {
        guard context.channel.isActive, closeTask == nil else { return }
        closeTask = context.eventLoop.assumeIsolated().scheduleTask(in: linger) {
            self.closeTask = nil
            context.close(promise: nil)
        }
        context.read()
    }

    /// Whether a `Connection` header lists the `close` option.
    static func asksToClose(_ fields: HTTPFields) -> Bool {
        fields[values: .connection].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
        }
    }
}

@available(*, unavailable)
extension ConnectionCloseHandler: Sendable {}
