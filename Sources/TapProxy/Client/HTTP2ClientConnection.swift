import NIOCore
import NIOHTTP1

/// The client side of an HTTP/2 connection (h2c with prior knowledge, or h2 over TLS): an
/// nghttp2 server session, one ``Exchange`` per stream.
final class HTTP2ClientConnection: ChannelInboundHandler, NGHTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer

    private let loop: LoopContext
    private var session: NGHTTP2Session!
    private var context: ChannelHandlerContext?
    private var streams = StreamMap<HTTP2ClientStream>()
    private var isDraining = false
    /// Exchanges whose HEADERS arrived in the read being processed: they start once the whole
    /// read is, so that a stream the same read resets never costs an upstream request.
    private var startingAfterRead: [Exchange] = []
    private var resets: AbuseBudget
    private var emptyFrames: AbuseBudget
    /// The connection got GOAWAY for abuse: nothing more is started on it.
    private var isRefused = false
    /// Armed while the preface's SETTINGS or a header block has begun and is not whole.
    private var headDeadline = HeaderDeadline()
    /// Since when no stream has been open: bytes that open none (a dribbled frame, PINGs) do
    /// not keep the connection from its idle timeout.
    private var streamlessSince = NIODeadline.now()

    init(loop: LoopContext) {
        self.loop = loop
        resets = AbuseBudget(burst: loop.limits.maxConcurrentStreams, perSecond: loop.limits.streamResetsPerSecond)
        emptyFrames = AbuseBudget(burst: loop.limits.emptyFramesBurst, perSecond: loop.limits.emptyFramesPerSecond)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        session = NGHTTP2Session(
            role: .server,
            settings: [
                .maxConcurrentStreams(loop.limits.maxConcurrentStreams),
                .initialWindowSize(loop.limits.streamBufferBytes),
                .maxHeaderListSize(loop.limits.maxHeaderBytes),
            ],
            connectionWindow: Int32(clamping: loop.limits.streamBufferBytes * 64),
            maxHeaderBytes: loop.limits.maxHeaderBytes,
            context: context)
        session.delegate = self
        loop.register(connection: self)
        session.sendNow()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        loop.unregister(connection: self)
        headDeadline.cancel()
        cancelAll()
        session.unbind()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        _ = session.receiveOrHangUp(unwrapInboundIn(data))
        startAfterRead()
        watchHead(context: context)
        if streams.isEmpty, !isDraining, NIODeadline.now() - streamlessSince >= loop.limits.idleTimeout {
            // Reads, but no stream for the idle timeout: idle all the same.
            drain()
        }
    }

    /// Arms the header deadline when the client's SETTINGS or a header block waits for the
    /// rest, and disarms it otherwise. A request's HEADERS come in one read (nearly always),
    /// which never arms it.
    private func watchHead(context: ChannelHandlerContext) {
        let headBegun = session.isAwaitingHeaderBytes && !isRefused
        if headBegun {
            let timeout = loop.limits.headerTimeout
            headDeadline.arm(on: context.eventLoop, after: timeout) { [weak self] in
                guard let self else { return }
                headDeadline.expire()
                refuse(because: "HTTP/2 settings or header block not whole in \(timeout.nanoseconds / 1_000_000_000) s")
            }
        } else if headDeadline.isArmed {
            headDeadline.cancel()
        }
    }

    /// Starts the exchanges of the read just processed that are still wanted.
    private func startAfterRead() {
        guard !startingAfterRead.isEmpty else { return }
        let starting = startingAfterRead
        startingAfterRead.removeAll(keepingCapacity: true)
        guard !isRefused else { return }
        for exchange in starting { exchange.start() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        session.sendNow()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelAll()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { session.sendNow() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ConnectionIdle, streams.isEmpty {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func cancelAll() {
        let open = streams
        streams = StreamMap()
        for stream in open.allValues { stream.exchange?.clientCancelled() }
    }

    // MARK: NGHTTP2SessionDelegate

    func received(headers: consuming HTTP2HeaderBlock, streamID: Int32, endsStream: Bool) {
        if let stream = streams[streamID] {
            // A second header block on a request is its trailers.
            stream.exchange?.clientSentRequestEnd(trailers: headers.fields)
            return
        }
        guard let method = headers.pseudo(":method"), let path = headers.pseudo(":path") else {
            session.reset(streamID: streamID, errorCode: .protocolError)
            return
        }
        // Moved, not copied, into the exchange: the metered path swaps the customer's key for
        // the upstream's credential in these fields, which a second reference would make copy.
        let head = RequestHead(method: HTTPMethod(rawValue: method), target: path, fields: (consume headers).regular)
        let stream = HTTP2ClientStream(session: session, streamID: streamID)
        streams.set(stream, for: streamID)
        let exchange = Exchange(requestHead: consume head, client: stream, loop: loop)
        stream.exchange = exchange
        if endsStream { exchange.clientSentRequestEnd(trailers: nil) }
        startingAfterRead.append(exchange)
    }

    func willFlush() {
        // A response's last frames never reach the socket before its ledger row.
        loop.flushJournal()
    }

    func received(data: ByteBuffer, streamID: Int32) {
        session.hold(data, on: streams[streamID], streamID: streamID)?.clientSent(requestBody: data)
    }

    func receivedEnd(streamID: Int32) {
        streams[streamID]?.exchange?.clientSentRequestEnd(trailers: nil)
    }

    func closed(streamID: Int32, errorCode: HTTP2ErrorCode) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        session.releaseHeld(by: stream)
        // Closed before the response ended: the client reset the stream or went away.
        if let exchange = stream.exchange {
            exchange.clientCancelled()
            if !isRefused, !resets.spend() {
                refuse(because: "\(resets.spent) streams cancelled, over the budget of "
                    + "\(loop.limits.maxConcurrentStreams) at once and \(loop.limits.streamResetsPerSecond) a second")
            }
        }
        stream.exchange = nil
        if streams.isEmpty { streamlessSince = .now() }
        closeIfDrained()
    }

    func receivedEmptyData(streamID: Int32) {
        guard !isRefused, !emptyFrames.spend() else { return }
        refuse(because: "\(emptyFrames.spent) DATA frames that carry nothing, over the budget of "
            + "\(loop.limits.emptyFramesBurst) at once and \(loop.limits.emptyFramesPerSecond) a second")
    }

    /// The client abuses the connection: GOAWAY (ENHANCE_YOUR_CALM), nothing more started, the
    /// connection closed once that is sent (its streams then cancelled), and one line said.
    private func refuse(because reason: String) {
        isRefused = true
        session.goAway(errorCode: .enhanceYourCalm)
        session.closesAfterSend = true
        session.scheduleSend()
        ConnectionReport.refused(peer: context?.remoteAddress, reason: reason)
    }

    func sent(bodyBytes count: Int, streamID: Int32) {
        streams[streamID]?.exchange?.clientTook(responseBytes: count)
    }

    func receivedGoAway() {}
}

extension HTTP2ClientConnection: DrainableConnection {
    /// GOAWAY: the client opens no new streams here; the connection closes when the last
    /// stream in flight ends.
    func drain() {
        isDraining = true
        session.goAway()
        closeIfDrained()
        session.scheduleSend()
    }

    /// A draining connection closes once its last stream has ended and the GOAWAY is out.
    private func closeIfDrained() {
        guard isDraining, streams.isEmpty else { return }
        session.closesAfterSend = true
        session.scheduleSend()
    }

    func closeNow() {
        context?.close(promise: nil)
    }
}

/// One request stream of an HTTP/2 client connection, as its exchange sees it.
final class HTTP2ClientStream: ClientStream, HTTP2ExchangeStream {
    private unowned let session: NGHTTP2Session
    let streamID: Int32
    var exchange: Exchange?
    /// Request body bytes not yet taken by the upstream (the client's window is the limit).
    var held = HeldBytes(limit: .max)

    init(session: NGHTTP2Session, streamID: Int32) {
        self.session = session
        self.streamID = streamID
    }

    func sendResponseHead(_ head: ResponseHead) {
        HopByHopHeaders.withForwardable(head.fields, keepHost: false) { fields, _ in
            if head.status < 200 {
                session.submitInterimHead(status: head.status, fields: fields, streamID: streamID)
            } else {
                session.submitResponse(status: head.status, fields: fields, streamID: streamID, hasBody: true)
            }
        }
        session.scheduleSend()
    }

    func sendResponseBody(_ bytes: ByteBuffer) {
        session.enqueue(bytes, streamID: streamID)
        session.scheduleSend()
    }

    func sendResponseEnd(trailers: HTTPHeaders?) {
        session.endBody(streamID: streamID, trailers: trailers)
        exchange = nil
        session.scheduleSend()
    }

    func abortResponse() {
        session.reset(streamID: streamID, errorCode: .internalError)
        exchange = nil
        session.scheduleSend()
    }

    func releaseRequestBody(_ count: Int) {
        session.taken(count, on: self)
    }

    func refuseRestOfRequestBody() {
        // nghttp2 resets the stream (NO_ERROR) itself once the response has ended while the
        // request has not, which tells the client to stop sending (RFC 9113 §8.1).
    }
}
