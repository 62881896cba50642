import NIOCore
import NIOHTTP1

/// An HTTP/1.1 connection to the upstream, reading and writing its bytes itself
/// (``HTTP1MessageReader``, ``HTTP1Head``, ``HTTP1HeadWriter``): one exchange at a time, going
/// back to the pool between them when both sides keep it alive.
final class HTTP1UpstreamConnection: ChannelDuplexHandler, UpstreamStream {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How the request in flight is framed towards the upstream.
    private enum RequestBody {
        /// A `Content-Length` the client gave, or no body at all: bytes go as they are.
        case plain
        /// Chunks; `afterChunk` once one went, whose CRLF is still to come.
        case chunked(afterChunk: Bool)
    }

    private let loop: LoopContext
    private let address: UpstreamAddress
    private let host: String
    private var context: ChannelHandlerContext?
    // Unchecked: changed in place for every read, each change was checked at run time for an
    // overlapping access. None can overlap: the connection runs on its event loop only, and
    // the reader and the bytes are changed in `channelRead`, `take` and `channelInactive`, one at a time.
    @exclusivity(unchecked) private var reader: HTTP1MessageReader
    /// Bytes read and not yet taken by the reader.
    @exclusivity(unchecked) private var received = ByteBuffer()
    private var exchange: Exchange?
    private var requestIsHEAD = false
    private var requestBody = RequestBody.plain
    private var keepAlive = true
    /// Exchanges this connection has carried, the current one included.
    private var exchangesCarried = 0
    private var requestBodyBytesSent = 0
    /// The request's end as sent (with its trailers, if any); nil until it is.
    private var sentRequestEnd: RequestEnd?
    /// The final response head arrived: from here, a close is a failure, not a reason to retry.
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
        host = address.authority
        reader = HTTP1MessageReader(maxHeadBytes: 1 << 20)
        heldResponse = .responseReadAhead(loop.limits)
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
        // Each response starts small: its client has yet to show it takes what it is sent.
        heldResponse = .responseReadAhead(loop.limits)
        _ = undrainedRequest.drained()
        let head = exchange.requestHead
        requestIsHEAD = head.method == .HEAD
        // The client's length goes on; a body of unknown length goes in chunks.
        let framing: StaticString
        if head.fields.contains("content-length") || exchange.requestIsCompleteAndEmpty {
            requestBody = .plain
            framing = ""
        } else {
            requestBody = .chunked(afterChunk: false)
            framing = "transfer-encoding: chunked\r\n"
        }
        keepAlive = true
        let bytes = HTTP1HeadWriter.request(method: head.method, target: (address.pathPrefix, head.target), host: host,
                                            fields: head.fields, framing: framing, allocator: context.channel.allocator)
        context.write(wrapOutboundOut(bytes), promise: nil)
        exchange.upstreamAttached(self)
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received.readableBytes == 0 {
            received = bytes
        } else {
            received.writeBuffer(&bytes)
        }
        do {
            while exchange != nil, let part = try reader.next(&received) {
                take(part)
            }
        } catch {
            return fail("\(error)")
        }
        // Bytes with no exchange to take them: the upstream said more than it was asked.
        if exchange == nil, received.readableBytes > 0 { fail("bytes after the response") }
    }

    private func take(_ part: HTTP1MessageReader.Part) {
        guard let exchange else { return }
        switch part {
        case .head(let bytes):
            let head: ResponseHead, framing: HTTP1Framing
            do {
                (head, framing) = try HTTP1Head.response(bytes)
            } catch {
                return fail("\(error)")
            }
            let code = head.status
            if head.isInterim {
                // Interim: its end is taken at once, and the final head follows.
                reader.expectBody(.none)
                _ = try? reader.next(&received)
                exchange.upstreamSent(responseHead: head)
                return
            }
            responseStarted = true
            let length: HTTP1BodyLength
            if requestIsHEAD || code == 204 || code == 304 || code < 200 {
                length = .none
            } else if framing.transferCoding == .chunked {
                length = .chunked
            } else if framing.transferCoding == .none, let contentLength = framing.contentLength {
                length = .length(contentLength)
            } else {
                length = .untilClose
            }
            keepAlive = !framing.close && length != .untilClose
            reader.expectBody(length)
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
        // A body that runs until the connection closes has ended now.
        if exchange != nil, case .end(let trailers)? = try? reader.connectionClosed() {
            keepAlive = false
            exchange?.upstreamSentResponseEnd(trailers: trailers)
            finishExchange()
        }
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

    /// The upstream broke the protocol: the exchange fails and the connection closes.
    private func fail(_ reason: String) {
        if let current = exchange {
            exchange = nil
            current.upstreamFailed("upstream: \(reason)")
        }
        keepAlive = false
        context?.close(promise: nil)
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
        guard count > 0 else { return }
        requestBodyBytesSent += count
        if case .chunked(let afterChunk) = requestBody {
            requestBody = .chunked(afterChunk: true)
            var line = context.channel.allocator.buffer(capacity: 24)
            HTTP1HeadWriter.chunkStart(count: count, afterChunk: afterChunk, to: &line)
            context.write(wrapOutboundOut(line), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        let taken = undrainedRequest.wrote(count, isWritable: context.channel.isWritable)
        if taken > 0 { exchange?.upstreamTook(requestBytes: taken) }
    }

    func sendRequestEnd(trailers: HTTPHeaders?) {
        guard let context else { return }
        sentRequestEnd = RequestEnd(trailers: trailers)
        // Trailers go only with chunks: a body of known length has nowhere to put them.
        guard case .chunked(let afterChunk) = requestBody else { return }
        var end = context.channel.allocator.buffer(capacity: 8)
        HTTP1HeadWriter.chunkedEnd(afterChunk: afterChunk, trailers: trailers, to: &end)
        context.writeAndFlush(wrapOutboundOut(end), promise: nil)
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
