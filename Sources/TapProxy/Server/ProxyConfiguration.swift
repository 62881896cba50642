import MeteringPolicy
import NIOCore
import Pricing
import UsageTap

/// Everything `usagetap proxy` is told on its command line.
public struct ProxyConfiguration: Sendable {
    /// Where clients connect.
    public var listenHost: String
    public var listenPort: Int
    /// Where requests go.
    public var upstream: UpstreamAddress
    public var upstreamVersion: UpstreamVersion
    /// A certificate and key to serve TLS with (ALPN `h2`, `http/1.1`); plain TCP when nil.
    public var serverTLS: ServerTLSFiles?
    /// A CA certificate to trust for the upstream, in addition to the system's store.
    public var upstreamCA: String?
    public var usageLog: UsageLog
    public var prices: PriceTable?
    /// Adds each response's cost to its final usage object (`--cost-in-stream`), when `prices`
    /// price it: the one mode that changes the bytes a client receives.
    public var costInStream: Bool
    public var threads: Int
    public var limits: ProxyLimits
    /// Customer keys, balances and the ledger; nil for a plain pass-through.
    public var metering: MeteringConfiguration?
    /// Called on the exchange's event loop with each exchange's report as it ends, after the
    /// usage log and the meter have theirs. It runs on the loop: work that may block belongs
    /// elsewhere.
    public var onExchangeEnded: (@Sendable (ExchangeReport) -> Void)?

    public init(
        listenHost: String, listenPort: Int, upstream: UpstreamAddress,
        upstreamVersion: UpstreamVersion = .negotiate, serverTLS: ServerTLSFiles? = nil,
        upstreamCA: String? = nil, usageLog: UsageLog, prices: PriceTable? = nil, costInStream: Bool = false,
        threads: Int = 1, limits: ProxyLimits = ProxyLimits(), metering: MeteringConfiguration? = nil,
        onExchangeEnded: (@Sendable (ExchangeReport) -> Void)? = nil
    ) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.upstream = upstream
        self.upstreamVersion = upstreamVersion
        self.serverTLS = serverTLS
        self.upstreamCA = upstreamCA
        self.usageLog = usageLog
        self.prices = prices
        self.costInStream = costInStream
        self.threads = threads
        self.limits = limits
        self.metering = metering
        self.onExchangeEnded = onExchangeEnded
    }
}

/// What `--require-keys` turns on: every request needs a customer key, is refused with 402 when
/// its tenant's balance is spent, and is debited at its cost when its response ends.
public struct MeteringConfiguration: Sendable {
    public var meter: Meter
    /// Sent upstream in place of the customer's key; nil sends no credential.
    public var upstreamCredential: UpstreamCredential?

    public init(meter: Meter, upstreamCredential: UpstreamCredential?) {
        self.meter = meter
        self.upstreamCredential = upstreamCredential
    }
}

/// Which HTTP version to speak to the upstream.
public enum UpstreamVersion: Sendable {
    /// `https://`: HTTP/2 when ALPN offers it, else HTTP/1.1. `http://`: HTTP/1.1.
    case negotiate
    /// HTTP/2 only: h2c with prior knowledge on `http://`, ALPN `h2` on `https://`.
    case http2
    /// HTTP/1.1 only.
    case http1
}

public struct ServerTLSFiles: Sendable {
    public var certificateChain: String
    public var privateKey: String

    public init(certificateChain: String, privateKey: String) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}

/// Bounds that keep one client from holding more than its share.
public struct ProxyLimits: Sendable {
    /// HTTP/2 streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
    public var maxConcurrentStreams: Int = 128
    /// HTTP/2 streams a client may cancel per second on one connection, after a first burst of
    /// ``maxConcurrentStreams``; beyond that the connection gets GOAWAY with ENHANCE_YOUR_CALM
    /// (HTTP/2 Rapid Reset). A client that stops a stream now and then never comes near it.
    public var streamResetsPerSecond: Int = 50
    /// HTTP/2 DATA frames that carry nothing (no payload, no END_STREAM) a client may send on one
    /// connection: 1,000 at once, then 100 a second. No client needs them; an empty-DATA flood
    /// is made of them, and nghttp2 1.52 takes every one.
    public var emptyFramesBurst: Int = 1000
    public var emptyFramesPerSecond: Int = 100
    /// The largest request header section accepted, in bytes (HTTP/2: the header list, each
    /// field counted with 32 bytes more, as SETTINGS_MAX_HEADER_LIST_SIZE counts it). Requests
    /// to LLM APIs carry a few hundred bytes of headers; browsers' cookies reach a few kilobytes.
    public var maxHeaderBytes: Int = 64 << 10
    /// Client connections open at once, in all: past it, a new one is closed when accepted.
    /// Each costs two file descriptors at most (its own and an upstream's) and a few tens of
    /// kilobytes; 8,192 stays well inside a 20,000-descriptor limit.
    public var maxConnections: Int = 8192
    /// Client connections open at once from one address: one client (or one NAT) cannot take
    /// them all.
    public var maxConnectionsPerAddress: Int = 1024
    /// The largest request body taken, in bytes: past it the request gets 413 (or, once its
    /// response has begun, is broken off) and is not sent on. LLM requests with images or
    /// documents in base64 run to tens of megabytes; none needs more than this.
    public var maxRequestBodyBytes: Int = 64 << 20
    /// A request head that has begun must be whole within this time (slowloris): else 408 and
    /// the connection closes over HTTP/1.1; GOAWAY (ENHANCE_YOUR_CALM) for an HTTP/2 header
    /// block or SETTINGS; a close for an HTTP/2 preface or a TLS handshake. A connection that
    /// sends nothing is the idle timeout's.
    public var headerTimeout: TimeAmount = .seconds(10)
    /// A connection with nothing in flight for this long is closed.
    public var idleTimeout: TimeAmount = .seconds(120)
    /// How long SIGTERM waits for in-flight responses before closing what is left.
    public var drainTimeout: TimeAmount = .seconds(30)
    /// Response bytes held for one stream whose client is not reading (HTTP/2 stream window
    /// towards the upstream; the read pause threshold on HTTP/1.1).
    public var streamBufferBytes: Int = 256 << 10
    /// Response bytes read ahead for a stream before its client has taken any: the read-ahead
    /// doubles each time the client has taken as much, up to ``streamBufferBytes``. A client
    /// that takes nothing (a zero window) so costs this much per stream, not the whole buffer,
    /// and the upstream reads it sends are a burst 4x smaller. HTTP/2's own initial window.
    public var firstReadAheadBytes: Int = 64 << 10

    public init() {}
}
