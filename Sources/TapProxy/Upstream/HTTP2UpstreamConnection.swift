import NIOCore
import NIOHTTP1

/// An HTTP/2 connection to the upstream (h2c with prior knowledge, or h2 over TLS), carrying
/// many exchanges at once, one stream each.
final class HTTP2UpstreamConnection: ChannelInboundHandler, NGHTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer

    private let loop: LoopContext
    private let address: UpstreamAddress
    /// `address.authority` and `.scheme`, made once: they are formatted afresh each time they
    /// are asked for.
    private let authority: String
    private let scheme: String
    private var session: NGHTTP2Session!
    private var context: ChannelHandlerContext?
    private var streams = StreamMap<HTTP2UpstreamStream>()
    /// False once the upstream said GOAWAY or the connection broke: no new streams here.
    private(set) var isUsable = true
    /// A new stream would start now: the connection is usable and the upstream's limit on
    /// streams at once is not reached. A stream past it would wait inside nghttp2 for one of
    /// the others to end, which a client that takes nothing may hold open for as long as it
    /// likes.
    var hasRoom: Bool { isUsable && streams.count < session.peerStreamLimit }
    var onClose: (() -> Void)?

    init(loop: LoopContext, address: UpstreamAddress) {
        self.loop = loop
        self.address = address
        authority = address.authority
        scheme = address.scheme
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        session = NGHTTP2Session(
            role: .client,
            settings: [
                .enablePush(false),
                .initialWindowSize(loop.limits.firstReadAheadBytes),
            ],
            // The streams' windows bind, never the connection's: a client that takes nothing
            // holds back its own streams, not every exchange sharing this connection. What is
            // held stays bounded by the streams open times their windows (nghttpx's backend
            // connection window is the same).
            connectionWindow: .max,
            maxHeaderBytes: 1 << 20,
            context: context)
        session.delegate = self
        session.sendNow()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll("the upstream connection was closed")
        session.unbind()
        self.context = nil
    }

    /// Sends the exchange's request on a new stream.
    func open(_ exchange: Exchange) {
        let head = exchange.requestHead
        let pseudo: [(StaticString, String)] = [
            (":method", head.method.rawValue),
            (":scheme", scheme),
            (":authority", authority),
            (":path", address.pathPrefix + head.target),
        ]
        let submitted = HopByHopHeaders.withForwardable(head.fields, keepHost: false) { fields, _ in
            session.submitRequest(pseudo: pseudo, fields: fields, hasBody: !exchange.requestIsCompleteAndEmpty)
        }
        guard let streamID = submitted else {
            isUsable = false
            exchange.upstreamFailed("the upstream connection takes no new streams")
            return
        }
        let stream = HTTP2UpstreamStream(
            session: session, streamID: streamID, exchange: exchange,
            held: .responseReadAhead(loop.limits))
        streams.set(stream, for: streamID)
        exchange.upstreamAttached(stream)
        session.scheduleSend()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !session.receiveOrHangUp(unwrapInboundIn(data)) { isUsable = false }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        session.sendNow()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll("the upstream closed the connection")
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { session.sendNow() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll("upstream connection error: \(error)")
        context.close(promise: nil)
    }

    private func failAll(_ reason: String) {
        isUsable = false
        let open = streams
        streams = StreamMap()
        for stream in open.allValues { stream.exchange?.upstreamFailed(reason) }
        if let onClose {
            self.onClose = nil
            onClose()
        }
    }

    func close() {
        context?.close(promise: nil)
    }

    // MARK: NGHTTP2SessionDelegate

    /// Nothing to do before frames go upstream: the journal orders only the client's bytes.
    func willFlush() {}

    func received(headers: consuming HTTP2HeaderBlock, streamID: Int32, endsStream: Bool) {
        guard let stream = streams[streamID], let exchange = stream.exchange else { return }
        if stream.hasFinalHead {
            exchange.upstreamSentResponseEnd(trailers: headers.fields)
            return
        }
        guard let statusText = headers.pseudo(":status"), let status = Int(statusText) else {
            session.reset(streamID: streamID, errorCode: .protocolError)
            exchange.upstreamFailed("the upstream sent a response without :status")
            return
        }
        if status >= 200 { stream.hasFinalHead = true }
        exchange.upstreamSent(responseHead: ResponseHead(status: status, fields: headers.regular))
        if endsStream { exchange.upstreamSentResponseEnd(trailers: nil) }
    }

    func received(data: ByteBuffer, streamID: Int32) {
        session.hold(data, on: streams[streamID], streamID: streamID)?.upstreamSent(responseBody: data)
    }

    func receivedEnd(streamID: Int32) {
        streams[streamID]?.exchange?.upstreamSentResponseEnd(trailers: nil)
    }

    /// The upstream is the operator's: its frames are not budgeted as a client's are.
    func receivedEmptyData(streamID: Int32) {}

    func closed(streamID: Int32, errorCode: HTTP2ErrorCode) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        session.releaseHeld(by: stream)
        if let exchange = stream.exchange, !exchange.isOver {
            exchange.upstreamFailed("the upstream reset the stream (\(errorCode))")
        }
        stream.exchange = nil
    }

    func sent(bodyBytes count: Int, streamID: Int32) {
        streams[streamID]?.exchange?.upstreamTook(requestBytes: count)
    }

    func receivedGoAway() {
        isUsable = false
    }
}

/// One exchange's stream on an upstream HTTP/2 connection.
final class HTTP2UpstreamStream: UpstreamStream, HTTP2ExchangeStream {
    private unowned let session: NGHTTP2Session
    let streamID: Int32
    var exchange: Exchange?
    var hasFinalHead = false
    /// Response bytes not yet taken by the client; its limit is the stream's window, which
    /// grows as the client takes them.
    var held: HeldBytes

    init(session: NGHTTP2Session, streamID: Int32, exchange: Exchange, held: HeldBytes) {
        self.session = session
        self.streamID = streamID
        self.exchange = exchange
        self.held = held
    }

    func sendRequestBody(_ bytes: ByteBuffer) {
        session.enqueue(bytes, streamID: streamID)
        session.scheduleSend()
    }

    func sendRequestEnd(trailers: HTTPHeaders?) {
        session.endBody(streamID: streamID, trailers: trailers)
        session.scheduleSend()
    }

    func cancel() {
        exchange = nil
        session.reset(streamID: streamID, errorCode: .cancel)
        session.scheduleSend()
    }

    func releaseResponseBody(_ count: Int) {
        session.taken(count, on: self)
    }
}
