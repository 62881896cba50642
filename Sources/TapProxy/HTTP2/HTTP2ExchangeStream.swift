import NIOCore

/// One exchange's stream on an HTTP/2 connection, client side or upstream side: what the
/// connection's flow-control bookkeeping needs of it.
protocol HTTP2ExchangeStream: AnyObject {
    var streamID: Int32 { get }
    var exchange: Exchange? { get }
    /// Body bytes received on the stream that the exchange's other side has not taken yet:
    /// they go back to the peer's flow-control window as they are taken. A limit below
    /// `.max` is the stream's window, set in SETTINGS at first and widened as it grows.
    var held: HeldBytes { get set }
}

extension NGHTTP2Session {
    /// A DATA payload on `streamID`: counted as held by its stream, whose exchange is returned
    /// to hand it on; or, when the stream or its exchange is gone, given straight back to the
    /// peer's window (nil).
    func hold(_ data: ByteBuffer, on stream: (some HTTP2ExchangeStream)?, streamID: Int32) -> Exchange? {
        guard let stream, let exchange = stream.exchange else {
            consume(data.readableBytes, streamID: streamID)
            return nil
        }
        stream.held.received(data.readableBytes)
        return exchange
    }

    /// The other side took `count` of the stream's bytes: the peer may send that many more.
    /// The stream's window grows as its limit does (``HeldBytes``).
    func taken(_ count: Int, on stream: some HTTP2ExchangeStream) {
        let window = stream.held.limit
        consume(stream.held.taken(count), streamID: stream.streamID)
        if stream.held.limit > window { setWindow(stream.held.limit, streamID: stream.streamID) }
        scheduleSend()
    }

    /// The stream is closed: what it still held goes back to the connection's window.
    func releaseHeld(by stream: some HTTP2ExchangeStream) {
        consume(stream.held.releaseAll(), streamID: stream.streamID)
    }
}
