import NIOCore
import NIOHTTP1

/// Sets up a client connection's pipeline: TLS first when configured, then HTTP/2 or
/// HTTP/1.1 as ALPN (or, on plain TCP, the first bytes) says.
enum ClientPipeline {
    static func configure(_ channel: any Channel, loop: LoopContext, tls: TLSServerContext?) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(IdleTimer(timeout: loop.limits.idleTimeout))
        guard let tls else {
            try pipeline.addHandler(sniffer(loop: loop))
            return
        }
        try pipeline.addHandler(TLSHandler(.server(tls)))
        try pipeline.addHandler(ALPNSwitch(loop: loop))
    }

    static func sniffer(loop: LoopContext) -> ProtocolSniffer {
        ProtocolSniffer(headerTimeout: loop.limits.headerTimeout) { context, verdict in
            try install(verdict, on: context.pipeline.syncOperations, loop: loop)
        }
    }

    static func install(_ verdict: ProtocolSniffer.Verdict, on pipeline: ChannelPipeline.SynchronousOperations, loop: LoopContext) throws {
        switch verdict {
        case .http2:
            try pipeline.addHandler(HTTP2ClientConnection(loop: loop))
        case .http1:
            try pipeline.addHandler(HTTP1ClientHandler(loop: loop))
        }
    }
}

/// Waits for the TLS handshake, then puts the handlers for the protocol ALPN chose in its
/// place (and sniffs, when the client offered no ALPN at all).
final class ALPNSwitch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let loop: LoopContext

    /// The handshake must end within the header timeout of the connection's start: a client
    /// that dribbles its ClientHello holds the connection for nothing, as a dribbled head does.
    private var handshakeDeadline = HeaderDeadline()

    init(loop: LoopContext) {
        self.loop = loop
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let timeout = loop.limits.headerTimeout
        handshakeDeadline.arm(on: context.eventLoop, after: timeout) { [weak self] in
            self?.handshakeDeadline.expire()
            ConnectionReport.refused(peer: context.remoteAddress,
                                     reason: "TLS handshake not done in \(timeout.nanoseconds / 1_000_000_000) s")
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handshakeDeadline.cancel()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Silent before its handshake ended: nothing is in flight.
        if event is ConnectionIdle { return context.close(promise: nil) }
        guard let completed = event as? TLSHandshakeCompleted else {
            return context.fireUserInboundEventTriggered(event)
        }
        handshakeDeadline.cancel()
        do {
            let pipeline = context.pipeline.syncOperations
            switch completed.alpn {
            case "h2": try ClientPipeline.install(.http2, on: pipeline, loop: loop)
            case "http/1.1": try ClientPipeline.install(.http1, on: pipeline, loop: loop)
            default: try pipeline.addHandler(ClientPipeline.sniffer(loop: loop))
            }
            pipeline.removeHandler(context: context, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }
}
