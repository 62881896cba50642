import ArgumentParser
import Dispatch
import Metering
import MeteringPolicy
import TapProxy
import UsageTap

#if canImport(Glibc)
import Glibc
#endif

/// `usagetap proxy`: the pass-through that writes one usage line per response.
struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Forward HTTP/1.1 and HTTP/2 requests to an upstream API, writing each response's usage as a JSON line.",
        discussion: """
            Clients speak HTTP/1.1 or HTTP/2 (h2c with prior knowledge, or TLS with ALPN when \
            --tls-cert and --tls-key are given). Bodies pass through unchanged, each piece as it \
            arrives. SIGTERM or SIGINT stops taking connections, lets responses in flight end \
            (up to --drain-seconds), then exits.
            """
    )

    @Option(help: "Listen on HOST:PORT.")
    var listen: String

    @Option(help: "The upstream API: http://HOST[:PORT][/PREFIX] or https://….")
    var upstream: String

    @Flag(help: "Speak HTTP/2 to the upstream (h2c with prior knowledge on http://).")
    var upstreamHttp2 = false

    @Flag(help: "Speak HTTP/1.1 to the upstream, even when it offers HTTP/2.")
    var upstreamHttp1 = false

    @Option(help: "Serve TLS with this certificate chain (PEM).")
    var tlsCert: String?

    @Option(help: "The private key of --tls-cert (PEM).")
    var tlsKey: String?

    @Option(help: "Also trust this CA certificate (PEM) for the upstream.")
    var upstreamCa: String?

    @Option(help: "Append usage lines to this file; '-' for stdout.")
    var usageLog = "usage.jsonl"

    @Option(help: "Add each response's cost, priced by the built-in table ('default') or a price file.")
    var prices: String?

    @Flag(help: ArgumentHelp(
        "Add each response's cost to its final usage object (cost_usd_total and its parts); priced by --prices, else the built-in table.",
        discussion: "The one mode that changes what clients receive: the members are inserted, the rest of the body is forwarded as it came, and content-length is dropped where the length changes."))
    var costInStream = false

    @Option(help: "Event loop threads.")
    var threads = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    @Option(help: "HTTP/2 streams a client may have open at once.")
    var maxStreams = 128

    @Option(help: ArgumentHelp(
        "HTTP/2 streams a client may cancel per second on one connection, after a first burst of --max-streams.",
        discussion: "Beyond it the connection gets GOAWAY with ENHANCE_YOUR_CALM and is closed (HTTP/2 Rapid Reset)."))
    var maxStreamResetsPerSecond = 50

    @Option(help: "Client connections open at once, in all; past it a new one is closed when accepted.")
    var maxConnections = 8192

    @Option(help: "Client connections open at once from one address.")
    var maxConnectionsPerAddress = 1024

    @Option(help: "The largest request body taken, in bytes; past it 413, and nothing more goes upstream.")
    var maxRequestBodyBytes = 64 << 20

    @Option(help: ArgumentHelp(
        "Seconds a request's headers that have begun may take to be whole (slowloris).",
        discussion: "An HTTP/1.1 head then gets 408; an HTTP/2 header block or SETTINGS, GOAWAY with ENHANCE_YOUR_CALM; an HTTP/2 preface or a TLS handshake, a closed connection."))
    var headerTimeoutSeconds = 10

    @Option(help: "The largest request header section taken, in bytes: past it 431 (HTTP/1.1) or the stream reset (HTTP/2).")
    var maxHeaderBytes = 64 << 10

    @Option(help: "Close a connection that has had nothing in flight for this many seconds.")
    var idleSeconds = 120

    @Option(help: "After SIGTERM, wait this many seconds for responses in flight.")
    var drainSeconds = 30

    @Flag(help: "Require a customer key (Bearer or x-api-key) on every request, refuse spent balances with 402, and debit each response's cost in the ledger.")
    var requireKeys = false

    @OptionGroup var ledger: LedgerOptions

    @Option(help: ArgumentHelp(
        "With --require-keys: the directory of the usage journal, where each response's ledger row is written before the response ends, and replayed at the next start if the process died first.",
        discussion: "Default: the SQLite ledger's path followed by .journal; with a PostgreSQL ledger, usagetap.journal in the working directory. One process per directory."))
    var journal: String?

    @Option(help: "With --require-keys: send upstream `Authorization: Bearer` with the value of this environment variable.")
    var upstreamBearerEnv: String?

    @Option(help: "With --require-keys: send upstream `x-api-key` with the value of this environment variable.")
    var upstreamApiKeyEnv: String?

    func validate() throws {
        if upstreamHttp1 && upstreamHttp2 { throw ValidationError("--upstream-http1 and --upstream-http2 exclude each other") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard maxStreams >= 1 else { throw ValidationError("--max-streams must be at least 1") }
        guard maxConnections >= 1, maxConnectionsPerAddress >= 1 else {
            throw ValidationError("--max-connections and --max-connections-per-address must be at least 1")
        }
        guard maxRequestBodyBytes >= 0 else { throw ValidationError("--max-request-body-bytes must be 0 or more") }
        guard headerTimeoutSeconds >= 1 else { throw ValidationError("--header-timeout-seconds must be at least 1") }
        guard maxHeaderBytes >= 1024 else { throw ValidationError("--max-header-bytes must be at least 1024") }
        guard maxStreamResetsPerSecond >= 0 else { throw ValidationError("--max-stream-resets-per-second must be 0 or more") }
        if upstreamBearerEnv != nil && upstreamApiKeyEnv != nil {
            throw ValidationError("--upstream-bearer-env and --upstream-api-key-env exclude each other")
        }
        if !requireKeys && journal != nil { throw ValidationError("--journal needs --require-keys") }
        if !requireKeys && (upstreamBearerEnv != nil || upstreamApiKeyEnv != nil) {
            throw ValidationError("--upstream-bearer-env and --upstream-api-key-env need --require-keys")
        }
        _ = try listenAddress()
    }

    func run() throws {
        let (host, port) = try listenAddress()
        var limits = ProxyLimits()
        limits.maxConcurrentStreams = maxStreams
        limits.streamResetsPerSecond = maxStreamResetsPerSecond
        limits.maxConnections = maxConnections
        limits.maxConnectionsPerAddress = maxConnectionsPerAddress
        limits.headerTimeout = .seconds(Int64(headerTimeoutSeconds))
        limits.maxRequestBodyBytes = maxRequestBodyBytes
        limits.maxHeaderBytes = maxHeaderBytes
        limits.idleTimeout = .seconds(Int64(idleSeconds))
        limits.drainTimeout = .seconds(Int64(drainSeconds))
        let configuration = ProxyConfiguration(
            listenHost: host, listenPort: port,
            upstream: try UpstreamAddress(upstream),
            upstreamVersion: upstreamHttp2 ? .http2 : upstreamHttp1 ? .http1 : .negotiate,
            serverTLS: tlsCert.map { ServerTLSFiles(certificateChain: $0, privateKey: tlsKey!) },
            upstreamCA: upstreamCa,
            usageLog: try UsageLog(path: usageLog),
            // Metering debits costs, and a cost in the stream is a cost, so both price with the
            // built-in table unless told otherwise.
            prices: try (prices ?? (requireKeys || costInStream ? "default" : nil)).map(PriceSource.load),
            costInStream: costInStream,
            threads: threads,
            limits: limits,
            metering: requireKeys ? try meteringConfiguration(upstreamHost: try UpstreamAddress(upstream).host) : nil)

        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        // A client that goes away mid-write must not kill the process.
        signal(SIGPIPE, SIG_IGN)

        let server = try ProxyServer.start(configuration)
        Standard.error("usagetap: proxy listening on \(server.localAddress.map { "\($0)" } ?? listen), upstream \(configuration.upstream)")
        stop.wait()
        Standard.error("usagetap: draining")
        server.drainAndStop()
        configuration.metering?.meter.drainAndStop()
        sources.forEach { $0.cancel() }
    }

    private func meteringConfiguration(upstreamHost: String) throws -> MeteringConfiguration {
        let store = try ledger.open()
        let journal = try UsageJournal(directory: journal ?? ledger.defaultJournalDirectory)
        // Rows of a run that died before writing them: billed now, once, before any new one.
        let replayed = try journal.replayLeftover(into: store)
        if replayed != UsageJournal.ReplaySummary() {
            Standard.error("usagetap: journal \(journal.directory): \(replayed.written) rows written to the ledger, "
                           + "\(replayed.alreadyInLedger) already there, \(replayed.unreadableSegments) segments not readable to their end")
        }
        let meter = Meter(provider: upstreamHost, store: store, journal: journal)
        return MeteringConfiguration(meter: meter, upstreamCredential: try upstreamCredential())
    }

    /// The upstream credential, read from the environment (never from the command line, where
    /// `ps` would show it).
    private func upstreamCredential() throws -> UpstreamCredential? {
        func value(of variable: String) throws -> String {
            guard let pointer = getenv(variable), case let text = String(cString: pointer), !text.isEmpty else {
                throw ValidationError("the environment variable \(variable) is not set")
            }
            return text
        }
        if let upstreamBearerEnv { return .bearer(try value(of: upstreamBearerEnv)) }
        if let upstreamApiKeyEnv { return .apiKey(try value(of: upstreamApiKeyEnv)) }
        return nil
    }

    private func listenAddress() throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port)
        else { throw ValidationError("--listen takes HOST:PORT, not \(listen)") }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
