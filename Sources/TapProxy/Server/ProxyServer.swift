import Dispatch
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// `usagetap proxy` running: the listening socket, one ``LoopContext`` per event loop, and the
/// drain that SIGTERM starts.
public final class ProxyServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let listener: any Channel
    private let loops: [NIOLoopBound<LoopContext>]
    private let configuration: ProxyConfiguration

    /// The address the proxy listens on (with the port the system chose, for port 0).
    public var localAddress: SocketAddress? { listener.localAddress }

    /// Binds the listening socket and starts serving; returns once clients can connect.
    public static func start(_ configuration: ProxyConfiguration) throws -> ProxyServer {
        let serverTLS = try configuration.serverTLS.map(TLSServerContext.init)
        let upstreamTLS = configuration.upstream.isSecure
            ? try TLSClientContext(additionalCA: configuration.upstreamCA, version: configuration.upstreamVersion)
            : nil
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        let processTag = String(UInt32.random(in: .min ... .max), radix: 16)
        var loops: [NIOLoopBound<LoopContext>] = []
        for (index, eventLoop) in group.makeIterator().enumerated() {
            loops.append(try eventLoop.submit {
                NIOLoopBound(LoopContext(eventLoop: eventLoop, index: index, configuration: configuration,
                                         upstreamTLS: upstreamTLS, processTag: processTag), eventLoop: eventLoop)
            }.wait())
        }
        let byLoop = Dictionary(uniqueKeysWithValues: loops.map { (ObjectIdentifier($0.eventLoop), $0) })
        let limiter = ConnectionLimiter(maxTotal: configuration.limits.maxConnections,
                                        maxPerAddress: configuration.limits.maxConnectionsPerAddress)
        do {
            let listener = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    let address = channel.remoteAddress
                    guard limiter.admit(address) else { return channel.close() }
                    channel.closeFuture.whenComplete { _ in limiter.release(address) }
                    return channel.eventLoop.makeCompletedFuture {
                        try ClientPipeline.configure(channel, loop: byLoop[ObjectIdentifier(channel.eventLoop)]!.value, tls: serverTLS)
                    }
                }
                .bind(host: configuration.listenHost, port: configuration.listenPort)
                .wait()
            return ProxyServer(group: group, listener: listener, loops: loops, configuration: configuration)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    private init(group: MultiThreadedEventLoopGroup, listener: any Channel, loops: [NIOLoopBound<LoopContext>], configuration: ProxyConfiguration) {
        self.group = group
        self.listener = listener
        self.loops = loops
        self.configuration = configuration
    }

    /// Stops taking connections, lets the exchanges in flight finish (up to the drain timeout),
    /// closes what is left, flushes the usage log and stops the event loops.
    public func drainAndStop() {
        try? listener.close().wait()
        let drained = loops.map { bound in
            bound.eventLoop.flatSubmit { bound.value.drain() }
        }
        let all = EventLoopFuture.andAllComplete(drained, on: group.next())
        let deadline = DispatchTime.now() + .nanoseconds(Int(configuration.limits.drainTimeout.nanoseconds))
        let finished = DispatchSemaphore(value: 0)
        all.whenComplete { _ in finished.signal() }
        if finished.wait(timeout: deadline) == .timedOut {
            for bound in loops { try? bound.eventLoop.submit { bound.value.closeAll() }.wait() }
        }
        configuration.usageLog.sync()
        try? group.syncShutdownGracefully()
    }
}
