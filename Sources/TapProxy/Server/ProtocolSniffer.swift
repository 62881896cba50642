import NIOCore

/// Tells HTTP/2 with prior knowledge from HTTP/1.1 on a plain connection by its first bytes:
/// HTTP/2 starts with the fixed preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (RFC 9113 §3.4),
/// which no HTTP/1.1 request line can begin with. Waits only as long as the bytes still match.
final class ProtocolSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Verdict { case http1, http2 }

    private static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    private var seen: ByteBuffer?
    private let install: (ChannelHandlerContext, Verdict) throws -> Void

    /// `install` adds the handlers for the verdict after this one; the bytes seen so far go
    /// to them next.
    init(install: @escaping (ChannelHandlerContext, Verdict) throws -> Void) {
        self.install = install
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var seen {
            seen.writeBuffer(&bytes)
            bytes = seen
        }
        let compared = min(bytes.readableBytes, Self.preface.count)
        let matches = bytes.readableBytesView.prefix(compared).elementsEqual(Self.preface.prefix(compared))
        if matches, compared < Self.preface.count {
            seen = bytes
            return
        }
        seen = nil
        do {
            try install(context, matches ? .http2 : .http1)
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Silent before its first request could be told apart: nothing is in flight.
        if event is ConnectionIdle { return context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }
}
