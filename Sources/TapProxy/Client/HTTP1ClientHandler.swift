import NIOCore
import NIOHTTP1

/// The client side of an HTTP/1.1 connection, reading and writing its bytes itself
/// (``HTTP1MessageReader``, ``HTTP1Head``, ``HTTP1HeadWriter``): one exchange at a time, a
/// pipelined request read only once the response before it has ended, the response forwarded
/// piece by piece as it arrives, its body slices written as they came.
final class HTTP1ClientHandler: ChannelDuplexHandler, ClientStream {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How the response in flight is framed towards the client.
    private enum Response {
        /// No final head sent yet.
        case awaitingHead
        /// Body bytes go as they are (a `Content-Length`, or until the connection closes).
        case plain
        /// Body bytes go as chunks; `afterChunk` once one went, whose CRLF is still to come.
        case chunked(afterChunk: Bool)
        /// A response to HEAD, or a 204 or 304: no body.
        case bodiless
    }

    private let loop: LoopContext
    private var context: ChannelHandlerContext?
    // Unchecked: changed in place for every read, each change was checked at run time for an
    // overlapping access. None can overlap: the handler runs on its event loop only, and the
    // reader and the bytes are changed by `channelRead`, `readReceived` (which does not
    // re-enter) and `startExchange`, each between the others' changes, never during one.
    @exclusivity(unchecked) private var reader: HTTP1MessageReader
    /// Bytes read and not yet taken by the reader: a head still arriving, or a pipelined
    /// request waiting for the response before it to end.
    @exclusivity(unchecked) private var received = ByteBuffer()
    private var exchange: Exchange?
    private var requestVersion = HTTPVersion.http1_1
    private var requestIsHEAD = false
    private var response = Response.awaitingHead
    private var closeAfterResponse = false
    /// Response bytes the client has not drained yet.
    private var undrainedResponse = UndrainedBytes()
    /// Request body bytes read but not yet taken by the upstream.
    private var heldRequest: HeldBytes
    /// A read was held back while a pipelined request waited.
    private var readHeldForPipelining = false
    private var isReading = false
    private var isClosing = false
    private var isDraining = false
    private var flushScheduled = false
    /// Armed while a request head has begun and is not whole.
    private var headDeadline = HeaderDeadline()
    /// Head and chunk lines not written yet: they go out with the next body slice, or at the
    /// flush, in one write rather than one each.
    private var framingBytes: ByteBuffer?

    init(loop: LoopContext) {
        self.loop = loop
        reader = HTTP1MessageReader(maxHeadBytes: loop.limits.maxHeaderBytes)
        heldRequest = HeldBytes(limit: loop.limits.streamBufferBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loop.register(connection: self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        loop.unregister(connection: self)
        headDeadline.cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A connection on its way out (a refused request, a response that closes it) reads
        // nothing more: bytes kept now would only pile up while its last write waits.
        guard !isClosing else { return }
        var bytes = unwrapInboundIn(data)
        if received.readableBytes == 0 {
            received = bytes
        } else {
            received.writeBuffer(&bytes)
        }
        readReceived()
        watchHead(context: context)
    }

    /// Arms the head timer when bytes of a head wait for the rest, and disarms it otherwise. A
    /// head that comes in one read (nearly all) never arms it.
    private func watchHead(context: ChannelHandlerContext) {
        let headBegun = exchange == nil && received.readableBytes > 0 && !isClosing
        if headBegun {
            headDeadline.arm(on: context.eventLoop, after: loop.limits.headerTimeout) { [weak self] in
                self?.headDeadline.expire()
                self?.refuse(HTTP1Error(status: .headTimedOut, reason: "request head not whole in time"))
            }
        } else if headDeadline.isArmed {
            headDeadline.cancel()
        }
    }

    /// Hands what was received to the exchange, part by part, until the bytes run out, a
    /// pipelined request must wait for the response in flight, or the connection closes.
    private func readReceived() {
        guard !isReading else { return }
        isReading = true
        defer { isReading = false }
        do {
            while !isClosing {
                // The next request waits until the response in flight has ended.
                if reader.isBetweenMessages, exchange != nil { break }
                guard let part = try reader.next(&received) else { break }
                switch part {
                case .head(let bytes):
                    try startExchange(head: bytes)
                case .body(let bytes):
                    guard let exchange else { continue }
                    heldRequest.received(bytes.readableBytes)
                    exchange.clientSent(requestBody: bytes)
                case .end(let trailers):
                    exchange?.clientSentRequestEnd(trailers: trailers)
                }
            }
        } catch {
            refuse(error)
        }
    }

    private func startExchange(head bytes: ByteBuffer) throws(HTTP1Error) {
        let (head, version, framing) = try HTTP1Head.request(bytes)
        let bodyLength: HTTP1BodyLength = framing.transferCoding == .chunked ? .chunked : .length(framing.contentLength ?? 0)
        reader.expectBody(bodyLength)
        requestVersion = version
        requestIsHEAD = head.method == .HEAD
        response = .awaitingHead
        closeAfterResponse = framing.close || isDraining
        let exchange = Exchange(requestHead: head, client: self, loop: loop)
        self.exchange = exchange
        if bodyLength == .length(0) {
            // Whole with its head (a GET, nearly always): it goes upstream as a request that
            // ends there, with no body framing over HTTP/1.1 and END_STREAM on its HEADERS over
            // HTTP/2. Sent as a body to come, a GET gained an empty chunked body, which servers
            // that do not read a GET's body take for the start of the next request.
            let end = try reader.next(&received)
            assert({ if case .end? = end { true } else { false } }(), "a request with no body ends with its head")
            exchange.clientSentRequestEnd(trailers: nil)
        }
        exchange.start()
    }

    /// A request that cannot be read: 400 (or 431) if no response has begun, and the
    /// connection closes either way, since where the next request starts is unknown.
    private func refuse(_ error: HTTP1Error) {
        guard let context, !isClosing else { return }
        isClosing = true
        if let exchange {
            self.exchange = nil
            exchange.clientCancelled()
        }
        guard case .awaitingHead = response else { return context.close(promise: nil) }
        let status: StaticString = switch error.status {
        case .headTooLarge: "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        case .headTimedOut: "HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        case .badRequest: "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        }
        var reply = context.channel.allocator.buffer(capacity: status.utf8CodeUnitCount)
        reply.writeStaticString(status)
        writeThenClose(reply, context: context)
    }

    /// Writes the last bytes and closes once they are out (a close fails writes not yet made).
    private func writeThenClose(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        isClosing = true
        let written = context.eventLoop.makePromise(of: Void.self)
        loop.flushJournal()
        context.writeAndFlush(wrapOutboundOut(bytes), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosing = true
        exchange?.clientCancelled()
        exchange = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        isClosing = true
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
        guard !isClosing else { return }
        // A pipelined request already waiting is enough: no more is read until it is taken.
        // (Bytes left over in the middle of a request, a chunk line cut short, need more.)
        guard received.readableBytes == 0 || exchange == nil || !reader.isBetweenMessages else {
            readHeldForPipelining = true
            return
        }
        if heldRequest.mayRead() { context.read() }
    }

    // MARK: ClientStream

    func sendResponseHead(_ head: ResponseHead) {
        guard let context, exchange != nil else { return }
        let code = head.status
        // Interim heads (100 Continue) go as they are; the final one follows.
        if head.isInterim {
            let bytes = HTTP1HeadWriter.response(head, version: requestVersion, framing: "", connection: "", allocator: context.channel.allocator)
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
            return
        }
        let framing: StaticString
        if requestIsHEAD || code == 204 || code == 304 || (100..<200).contains(code) {
            response = .bodiless
            framing = ""
        } else if head.fields.contains("content-length") {
            response = .plain
            framing = ""
        } else if requestVersion.minor >= 1 {
            response = .chunked(afterChunk: false)
            framing = "transfer-encoding: chunked\r\n"
        } else {
            // HTTP/1.0 has no chunks: a body of unknown length ends when the connection does.
            response = .plain
            closeAfterResponse = true
            framing = ""
        }
        let connection: StaticString = closeAfterResponse
            ? (requestVersion.minor >= 1 ? "connection: close\r\n" : "")
            : (requestVersion.minor == 0 ? "connection: keep-alive\r\n" : "")
        writeFraming(context)
        framingBytes = HTTP1HeadWriter.response(head, version: requestVersion, framing: framing, connection: connection,
                                                allocator: context.channel.allocator)
        scheduleFlush(context)
    }

    func sendResponseBody(_ bytes: ByteBuffer) {
        guard let context, let exchange else { return }
        let count = bytes.readableBytes
        guard count > 0 else { return }
        switch response {
        case .plain:
            break
        case .chunked(let afterChunk):
            response = .chunked(afterChunk: true)
            var framing = framingBytes ?? context.channel.allocator.buffer(capacity: 24)
            HTTP1HeadWriter.chunkStart(count: count, afterChunk: afterChunk, to: &framing)
            framingBytes = framing
        case .awaitingHead, .bodiless:
            return
        }
        writeFraming(context)
        context.write(wrapOutboundOut(bytes), promise: nil)
        scheduleFlush(context)
        let taken = undrainedResponse.wrote(count, isWritable: context.channel.isWritable)
        if taken > 0 { exchange.clientTook(responseBytes: taken) }
    }

    func sendResponseEnd(trailers: HTTPHeaders?) {
        guard let context, exchange != nil else { return }
        exchange = nil
        _ = undrainedResponse.drained()
        _ = heldRequest.releaseAll()
        if case .chunked(let afterChunk) = response {
            var framing = framingBytes ?? context.channel.allocator.buffer(capacity: 8)
            HTTP1HeadWriter.chunkedEnd(afterChunk: afterChunk, trailers: trailers, to: &framing)
            framingBytes = framing
        }
        response = .awaitingHead
        if closeAfterResponse {
            let last = framingBytes ?? context.channel.allocator.buffer(capacity: 0)
            framingBytes = nil
            return writeThenClose(last, context: context)
        }
        writeFraming(context)
        // The response's ledger row (journaled as the exchange ended) goes before its last bytes.
        loop.flushJournal()
        context.flush()
        flushScheduled = false
        readNextRequest(context)
    }

    func abortResponse() {
        exchange = nil
        isClosing = true
        // What was written before the break goes out first (but no more framing: the client
        // must see the body break off, not end).
        framingBytes = nil
        loop.flushJournal()
        context?.flush()
        context?.close(promise: nil)
    }

    func refuseRestOfRequestBody() {
        // Where the next request would start is past a body not wanted: the connection ends.
        closeAfterResponse = true
    }

    func releaseRequestBody(_ count: Int) {
        _ = heldRequest.taken(count)
        guard let context, heldRequest.resumesRead() else { return }
        context.read()
    }

    /// After a response: the pipelined request, if one waits, and reading again.
    private func readNextRequest(_ context: ChannelHandlerContext) {
        if received.readableBytes > 0 { readReceived() }
        if readHeldForPipelining, exchange == nil || received.readableBytes == 0 || !reader.isBetweenMessages {
            readHeldForPipelining = false
            context.read()
        } else if heldRequest.resumesRead() {
            context.read()
        }
    }

    /// Writes the head and chunk lines waiting, if any.
    private func writeFraming(_ context: ChannelHandlerContext) {
        guard let bytes = framingBytes else { return }
        framingBytes = nil
        context.write(wrapOutboundOut(bytes), promise: nil)
    }

    /// One flush for everything written in this event loop turn.
    private func scheduleFlush(_ context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            guard flushScheduled, let context = self.context else { return }
            flushScheduled = false
            writeFraming(context)
            loop.flushJournal()
            context.flush()
        }
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
