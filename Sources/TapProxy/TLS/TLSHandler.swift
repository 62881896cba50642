internal import COpenSSL
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// The result of a TLS handshake: the ALPN protocol agreed on, if any.
struct TLSHandshakeCompleted {
    var alpn: String?
}

/// TLS over a NIO channel with OpenSSL, through a ``ChannelBIO``: OpenSSL reads ciphertext
/// from the buffers the socket delivered, plaintext read out of it goes up the pipeline, and the
/// other way round.
///
/// When the handshake completes, a ``TLSHandshakeCompleted`` user event goes up the pipeline and
/// ``handshake`` succeeds. Writes made before then wait for it.
final class TLSHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Role {
        case server(TLSServerContext)
        /// `serverName` is sent as SNI and checked against the certificate.
        case client(TLSClientContext, serverName: String)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let ssl: OpaquePointer
    /// The BIO's own state; the SSL object's BIO points to it, unretained.
    private let channelBIO = ChannelBIO(allocator: ByteBufferAllocator())
    private let isClient: Bool
    private var isHandshakeDone = false
    private var isClosed = false
    private var waitingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var writePromises: [EventLoopPromise<Void>] = []
    private var handshakePromise: EventLoopPromise<TLSHandshakeCompleted>?

    /// Succeeds with the ALPN result once the handshake is done; fails if it does not complete.
    /// Set when the handler is added to a pipeline.
    private(set) var handshake: EventLoopFuture<TLSHandshakeCompleted>!

    init(_ role: Role) throws {
        switch role {
        case .server(let context):
            guard let ssl = SSL_new(context.context) else { throw TLSSetupError("SSL_new") }
            self.ssl = ssl
            isClient = false
            SSL_set_accept_state(ssl)
        case .client(let context, let serverName):
            guard let ssl = SSL_new(context.context) else { throw TLSSetupError("SSL_new") }
            self.ssl = ssl
            isClient = true
            SSL_set_connect_state(ssl)
            // SNI is for host names only; the certificate check works for names and addresses.
            if Self.isIPAddress(serverName) {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
            } else {
                _ = usagetap_ssl_set_sni(ssl, serverName)
                _ = SSL_set1_host(ssl, serverName)
            }
        }
        // The BIO belongs to the SSL object from here on and is freed with it (one reference
        // serves as both the read and the write BIO).
        // (Thrown once every property is set: deinit frees the SSL object.)
        guard let bio = channelBIO.makeBIO() else { throw TLSSetupError("BIO_new") }
        SSL_set_bio(ssl, bio, bio)
    }

    deinit {
        SSL_free(ssl)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: TLSHandshakeCompleted.self)
        handshakePromise = promise
        handshake = promise.futureResult
        if isClient, context.channel.isActive { advanceHandshake(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failPending(Failure(description: "TLS handler removed"))
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if isClient { advanceHandshake(context: context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failPending(Failure(description: "connection closed during the TLS handshake"))
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        channelBIO.receive(unwrapInboundIn(data))
        if !isHandshakeDone { advanceHandshake(context: context) }
        if isHandshakeDone { readPlaintext(context: context) }
        flushCiphertext(context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = unwrapOutboundIn(data)
        guard isHandshakeDone else {
            waitingWrites.append((plaintext, promise))
            return
        }
        encrypt(plaintext, promise: promise, context: context)
    }

    func flush(context: ChannelHandlerContext) {
        flushCiphertext(context: context)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all, isHandshakeDone, !isClosed {
            isClosed = true
            SSL_shutdown(ssl)
            flushCiphertext(context: context)
        }
        context.close(mode: mode, promise: promise)
    }

    // MARK: Private

    private static func isIPAddress(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET, text, &address) == 1 || inet_pton(AF_INET6, text, &address) == 1
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isHandshakeDone = true
            var name: UnsafePointer<UInt8>?
            var length: UInt32 = 0
            SSL_get0_alpn_selected(ssl, &name, &length)
            let alpn = name.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self) }
            let completed = TLSHandshakeCompleted(alpn: alpn)
            handshakePromise?.succeed(completed)
            handshakePromise = nil
            context.fireUserInboundEventTriggered(completed)
            let writes = waitingWrites
            waitingWrites = []
            for (bytes, promise) in writes { encrypt(bytes, promise: promise, context: context) }
            flushCiphertext(context: context)
            return
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            flushCiphertext(context: context)
        default:
            var reason = TLSSetupError.openSSLErrors()
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK { reason = String(cString: X509_verify_cert_error_string(verify)) }
            fail(context: context, Failure(description: "TLS handshake failed: \(reason)"))
        }
    }

    private func readPlaintext(context: ChannelHandlerContext) {
        while true {
            var buffer = context.channel.allocator.buffer(capacity: 16 << 10)
            var result: Int32 = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 16 << 10) { space in
                result = SSL_read(ssl, space.baseAddress, Int32(space.count))
                return max(0, Int(result))
            }
            if result > 0 {
                context.fireChannelRead(wrapInboundOut(buffer))
                continue
            }
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return
            case SSL_ERROR_ZERO_RETURN:
                // close_notify: the peer is done; so is this connection.
                context.close(promise: nil)
                return
            default:
                fail(context: context, Failure(description: "TLS read failed: \(TLSSetupError.openSSLErrors())"))
                return
            }
        }
    }

    private func encrypt(_ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        guard !isClosed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let written = plaintext.withUnsafeReadableBytes { bytes -> Bool in
            guard bytes.count > 0 else { return true }
            // The channel BIO takes every write whole, so SSL_write takes the whole buffer or fails.
            return SSL_write(ssl, bytes.baseAddress, Int32(bytes.count)) == Int32(bytes.count)
        }
        guard written else {
            promise?.fail(Failure(description: "TLS write failed: \(TLSSetupError.openSSLErrors())"))
            return
        }
        if let promise { writePromises.append(promise) }
    }

    /// Moves the ciphertext OpenSSL produced onto the socket.
    private func flushCiphertext(context: ChannelHandlerContext) {
        guard let buffer = channelBIO.takeProduced() else {
            completeWritePromises(context: context)
            return
        }
        let promise: EventLoopPromise<Void>?
        switch writePromises.count {
        case 0: promise = nil
        case 1: promise = writePromises[0]
        default:
            let combined = context.eventLoop.makePromise(of: Void.self)
            for each in writePromises { combined.futureResult.cascade(to: each) }
            promise = combined
        }
        writePromises = []
        context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
    }

    private func completeWritePromises(context: ChannelHandlerContext) {
        // Plaintext that produced no ciphertext yet (never, in practice) still completes.
        for promise in writePromises { promise.succeed() }
        writePromises = []
    }

    private func fail(context: ChannelHandlerContext, _ error: Failure) {
        failPending(error)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func failPending(_ error: Failure) {
        handshakePromise?.fail(error)
        handshakePromise = nil
        for (_, promise) in waitingWrites { promise?.fail(error) }
        waitingWrites = []
    }
}
