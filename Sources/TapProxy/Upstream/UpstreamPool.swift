import NIOCore
import NIOHTTP1
import NIOPosix

/// The upstream connections of one event loop: HTTP/2 connections shared by many exchanges (a
/// further one opened when those open have as many streams as the upstream allows), idle
/// HTTP/1.1 connections waiting for the next one. Over TLS with `negotiate`, the first
/// handshake's ALPN tells which the upstream speaks, and later exchanges go the same way.
final class UpstreamPool {
    private enum Mode { case unknown, http1, http2 }

    /// A connection being opened, with the exchanges waiting for it.
    private final class Connecting {
        var waiting: [Exchange] = []
    }

    private unowned let loop: LoopContext
    private let address: UpstreamAddress
    private let tls: TLSClientContext?
    private var mode: Mode
    private var http2: [HTTP2UpstreamConnection] = []
    private var connectingHTTP2: Connecting?
    private var idleHTTP1: [HTTP1UpstreamConnection] = []
    private var openChannels: [ObjectIdentifier: any Channel] = [:]

    init(loop: LoopContext, address: UpstreamAddress, version: UpstreamVersion, tls: TLSClientContext?) {
        self.loop = loop
        self.address = address
        self.tls = tls
        switch version {
        case .http2: mode = .http2
        case .http1: mode = .http1
        case .negotiate: mode = address.isSecure ? .unknown : .http1
        }
    }

    /// Sends the exchange's request on a connection that can take it, opening one if needed.
    func dispatch(_ exchange: Exchange) {
        switch mode {
        case .http2:
            if let connection = http2.first(where: \.hasRoom) {
                connection.open(exchange)
            } else if let connecting = connectingHTTP2 {
                connecting.waiting.append(exchange)
            } else {
                let connecting = Connecting()
                connecting.waiting.append(exchange)
                connectingHTTP2 = connecting
                connect(connecting)
            }
        case .http1:
            while let connection = idleHTTP1.popLast() {
                if connection.isOpen { return connection.open(exchange) }
            }
            let connecting = Connecting()
            connecting.waiting.append(exchange)
            connect(connecting)
        case .unknown:
            let connecting = Connecting()
            connecting.waiting.append(exchange)
            connect(connecting)
        }
    }

    /// Closes every upstream connection (after a drain's grace period).
    func closeAll() {
        for channel in openChannels.values { channel.close(promise: nil) }
    }

    private func connect(_ connecting: Connecting) {
        let tls = self.tls
        let host = address.host
        let bootstrap = ClientBootstrap(group: loop.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
        bootstrap.connect(host: host, port: address.port).flatMap { channel -> EventLoopFuture<(any Channel, String?)> in
            guard let tls else { return channel.eventLoop.makeSucceededFuture((channel, nil)) }
            do {
                let handler = try TLSHandler(.client(tls, serverName: host))
                try channel.pipeline.syncOperations.addHandler(handler)
                return handler.handshake.map { (channel, $0.alpn) }.flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw error
                }
            } catch {
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let (channel, alpn)):
                self.connected(connecting, channel: channel, alpn: alpn)
            case .failure(let error):
                self.failed(connecting, reason: "\(error)")
            }
        }
    }

    private func failed(_ connecting: Connecting, reason: String) {
        if connectingHTTP2 === connecting { connectingHTTP2 = nil }
        let waiting = connecting.waiting
        connecting.waiting = []
        for exchange in waiting { exchange.upstreamFailed("\(address): \(reason)") }
    }

    private func connected(_ connecting: Connecting, channel: any Channel, alpn: String?) {
        if connectingHTTP2 === connecting { connectingHTTP2 = nil }
        let speaksHTTP2 = mode == .http2 || alpn == "h2"
        if mode == .unknown { mode = speaksHTTP2 ? .http2 : .http1 }
        let id = ObjectIdentifier(channel)
        openChannels[id] = channel
        let waiting = connecting.waiting.filter { !$0.isOver }
        connecting.waiting = []
        do {
            if speaksHTTP2 {
                let connection = HTTP2UpstreamConnection(loop: loop, address: address)
                connection.onClose = { [unowned self] in
                    self.http2.removeAll { $0 === connection }
                    self.openChannels[id] = nil
                }
                try channel.pipeline.syncOperations.addHandler(connection)
                http2.append(connection)
                for exchange in waiting { connection.open(exchange) }
            } else {
                let connection = HTTP1UpstreamConnection(loop: loop, address: address)
                connection.onIdle = { [unowned self] in self.idleHTTP1.append($0) }
                connection.onClose = { [unowned self] closed in
                    self.idleHTTP1.removeAll { $0 === closed }
                    self.openChannels[id] = nil
                }
                try channel.pipeline.syncOperations.addHandler(connection)
                guard let first = waiting.first else {
                    idleHTTP1.append(connection)
                    return
                }
                connection.open(first)
                // One exchange per HTTP/1.1 connection: the others get their own.
                for exchange in waiting.dropFirst() { dispatch(exchange) }
            }
        } catch {
            channel.close(promise: nil)
            openChannels[id] = nil
            for exchange in waiting { exchange.upstreamFailed("\(address): \(error)") }
        }
    }
}
