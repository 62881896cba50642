import NIOCore
import NIOHTTP1

/// An HTTP/1.1 connection to the upstream, carrying one exchange at a time and going back to
/// the pool between them when both sides keep it alive.
final class HTTP1UpstreamConnection: ChannelDuplexHandler, UpstreamStream {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let loop: LoopContext
    private let address: UpstreamAddress
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var keepAlive = true
    /// Exchanges this connection has carried, the current one included.
    private var exchangesCarried = 0
    private var requestBodyBytesSent = 0
    /// The request's end as sent (with its trailers, if any); nil until it is.
    private var sentRequestEnd: RequestEnd?
    private var responseStarted = false
    /// Response bytes passed to the client but not yet taken.
    private var heldResponse: HeldBytes
    /// Request bytes the upstream has not drained yet.
    private var undrainedRequest = UndrainedBytes()
    /// Called when the connection can take another exchange.
    var onIdle: ((HTTP1UpstreamConnection) -> Void)?
    var onClose: ((HTTP1UpstreamConnection) -> Void)?

    init(loop: LoopContext, address: UpstreamAddress) {
        self.loop = loop
        self.address = address
        heldResponse = HeldBytes(limit: loop.limits.streamBufferBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    var isOpen: Bool { context?.channel.isActive ?? false }

    /// Sends the exchange's request head and attaches the exchange.
    func open(_ exchange: Exchange) {
        guard let context else { return exchange.upstreamFailed("the upstream connection is closed") }
        self.exchange = exchange
        exchangesCarried += 1
        requestBodyBytesSent = 0
        sentRequestEnd = nil
        responseStarted = false
        _ = heldResponse.releaseAll()
        _ = undrainedRequest.drained()
        var head = exchange.requestHead
        head.version = .http1_1
        head.uri = address.pathPrefix + head.uri
        head.headers = HopByHopHeaders.forwardable(head.headers)
        head.headers.replaceOrAdd(name: "host", value: address.authority)
        keepAlive = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        exchange.upstreamAttached(self)
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            responseStarted = true
            if head.status.code >= 200 { keepAlive = head.isKeepAlive }
            exchange.upstreamSent(responseHead: head)
        case .body(let bytes):
            heldResponse.received(bytes.readableBytes)
            exchange.upstreamSent(responseBody: bytes)
        case .end(let trailers):
            exchange.upstreamSentResponseEnd(trailers: trailers)
            finishExchange()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        lose(reason: "the upstream closed the connection")
        onClose?(self)
        onClose = nil
        onIdle = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        lose(reason: "upstream connection error: \(error)")
        context.close(promise: nil)
    }

    /// Detaches the exchange from a connection that is going away. A kept-alive connection that
    /// the upstream closed as it was being reused (the race every HTTP/1.1 client has) took
    /// nothing the request cannot send again, no body byte and no answer: the exchange retries.
    private func lose(reason: String) {
        guard let current = exchange else { return }
        exchange = nil
        if exchangesCarried > 1, !responseStarted, requestBodyBytesSent == 0 {
            current.upstreamClosedBeforeAnswering(sentRequestEnd: sentRequestEnd)
        } else {
            current.upstreamFailed(reason)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            let count = undrainedRequest.drained()
            if count > 0 { exchange?.upstreamTook(requestBytes: count) }
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if heldResponse.mayRead() { context.read() }
    }

    // MARK: UpstreamStream

    func sendRequestBody(_ bytes: ByteBuffer) {
        guard let context else { return }
        let count = bytes.readableBytes
        requestBodyBytesSent += count
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        let taken = undrainedRequest.wrote(count, isWritable: context.channel.isWritable)
        if taken > 0 { exchange?.upstreamTook(requestBytes: taken) }
    }

    func sendRequestEnd(trailers: HTTPHeaders?) {
        guard let context else { return }
        sentRequestEnd = RequestEnd(trailers: trailers)
        context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
    }

    func cancel() {
        // An HTTP/1.1 response cannot be stopped halfway but by closing its connection.
        exchange = nil
        keepAlive = false
        context?.close(promise: nil)
    }

    func releaseResponseBody(_ count: Int) {
        _ = heldResponse.taken(count)
        guard let context, heldResponse.resumesRead() else { return }
        context.read()
    }

    /// The response is over: back to the pool if the request went out whole and both ends keep
    /// the connection alive, else closed.
    private func finishExchange() {
        exchange = nil
        _ = heldResponse.releaseAll()
        if let context, heldResponse.resumesRead() { context.read() }
        // A response that ended before its request was sent whole leaves the connection in an
        // unknown state: it is not reused.
        if sentRequestEnd != nil, keepAlive, isOpen, let onIdle {
            onIdle(self)
        } else {
            context?.close(promise: nil)
        }
    }
}
