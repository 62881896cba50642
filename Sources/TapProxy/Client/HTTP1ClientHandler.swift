import NIOCore
import NIOHTTP1

/// The client side of an HTTP/1.1 connection: one exchange at a time (NIO's pipelining handler
/// holds later requests back), the response forwarded part by part as it arrives.
final class HTTP1ClientHandler: ChannelDuplexHandler, ClientStream {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let loop: LoopContext
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var closeAfterResponse = false
    /// Response bytes the client has not drained yet.
    private var undrainedResponse = UndrainedBytes()
    /// Request body bytes read but not yet taken by the upstream.
    private var heldRequest: HeldBytes
    private var isDraining = false

    init(loop: LoopContext) {
        self.loop = loop
        heldRequest = HeldBytes(limit: loop.limits.streamBufferBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loop.register(connection: self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        loop.unregister(connection: self)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            closeAfterResponse = !head.isKeepAlive || isDraining
            let exchange = Exchange(requestHead: head, client: self, loop: loop)
            self.exchange = exchange
            exchange.start()
        case .body(let bytes):
            heldRequest.received(bytes.readableBytes)
            exchange?.clientSent(requestBody: bytes)
        case .end(let trailers):
            exchange?.clientSentRequestEnd(trailers: trailers)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange?.clientCancelled()
        exchange = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        exchange?.clientCancelled()
        exchange = nil
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ConnectionIdle, exchange == nil {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            let count = undrainedResponse.drained()
            if count > 0 { exchange?.clientTook(responseBytes: count) }
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if heldRequest.mayRead() { context.read() }
    }

    // MARK: ClientStream

    func sendResponseHead(_ head: HTTPResponseHead) {
        guard let context, let exchange else { return }
        var head = head
        head.headers = HopByHopHeaders.forwardable(head.headers, keepHost: true)
        head.version = exchange.requestHead.version
        // HTTP/1.0 has no chunked coding: a body of unknown length ends when the connection does.
        if head.version.minor == 0, !head.headers.contains(name: "content-length") { closeAfterResponse = true }
        if closeAfterResponse, head.version.minor >= 1 { head.headers.add(name: "connection", value: "close") }
        context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
    }

    func sendResponseBody(_ bytes: ByteBuffer) {
        guard let context, let exchange else { return }
        let count = bytes.readableBytes
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        let taken = undrainedResponse.wrote(count, isWritable: context.channel.isWritable)
        if taken > 0 { exchange.clientTook(responseBytes: taken) }
    }

    func sendResponseEnd(trailers: HTTPHeaders?) {
        guard let context else { return }
        exchange = nil
        _ = undrainedResponse.drained()
        _ = heldRequest.releaseAll()
        let close = closeAfterResponse
        context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
        if close { context.close(promise: nil) }
        resumeReadingIfHeld()
    }

    func abortResponse() {
        exchange = nil
        context?.close(promise: nil)
    }

    func releaseRequestBody(_ count: Int) {
        _ = heldRequest.taken(count)
        resumeReadingIfHeld()
    }

    private func resumeReadingIfHeld() {
        guard let context, heldRequest.resumesRead() else { return }
        context.read()
    }
}

extension HTTP1ClientHandler: DrainableConnection {
    /// No new requests: close now if idle, else once the response in flight has ended.
    func drain() {
        isDraining = true
        if exchange == nil {
            context?.close(promise: nil)
        } else {
            closeAfterResponse = true
        }
    }

    func closeNow() {
        context?.close(promise: nil)
    }
}
