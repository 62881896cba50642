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
    private let headerTimeout: TimeAmount
    /// Armed while a preface has begun and is not whole: a dribbled preface is a slowloris too.
    private var prefaceDeadline = HeaderDeadline()

    /// `install` adds the handlers for the verdict after this one; the bytes seen so far go
    /// to them next. A preface begun must be whole within `headerTimeout`.
    init(headerTimeout: TimeAmount, install: @escaping (ChannelHandlerContext, Verdict) throws -> Void) {
        self.headerTimeout = headerTimeout
        self.install = install
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        prefaceDeadline.cancel()
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
            let timeout = headerTimeout
            prefaceDeadline.arm(on: context.eventLoop, after: timeout) { [weak self] in
                self?.prefaceDeadline.expire()
                // Not HTTP/2 yet, so no GOAWAY: closed, with its line.
                ConnectionReport.refused(peer: context.remoteAddress,
                                         reason: "HTTP/2 preface not whole in \(timeout.nanoseconds / 1_000_000_000) s")
                context.close(promise: nil)
            }
            return
        }
        prefaceDeadline.cancel()
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
