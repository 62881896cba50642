import Metering
import MeteringPolicy
import NIOCore
import Pricing
import UsageTap

/// A client connection that SIGTERM can ask to finish what it has and take nothing new.
protocol DrainableConnection: AnyObject {
    func drain()
    /// Closes the connection now, cancelling what is in flight.
    func closeNow()
}

/// What the connections on one event loop share: the upstream pool, the usage log, the price
/// table, request ids, and the count of exchanges in flight that a drain waits for.
///
/// Each event loop has its own, used only on that loop, so none of it needs a lock.
final class LoopContext: CostPricing {
    let eventLoop: any EventLoop
    let log: UsageLog
    let prices: PriceTable?
    /// Responses get their cost in their usage object (``ProxyConfiguration/costInStream``).
    let costInStream: Bool
    let limits: ProxyLimits
    let metering: MeteringConfiguration?
    let onExchangeEnded: (@Sendable (ExchangeReport) -> Void)?
    private(set) var upstreams: UpstreamPool!
    /// The request ids' common start: the process run's tag and the loop.
    let requestIDPrefix: String
    private var requestCount: UInt64 = 0
    private var activeExchanges = 0
    private var connections: [ObjectIdentifier: any DrainableConnection] = [:]
    private(set) var isDraining = false
    /// Usage lines of this loop turn, written together at its end.
    private var pendingLog: [UInt8] = []
    private var logFlushScheduled = false
    /// Ledger rows of this loop turn for the usage journal, written at the latest before any
    /// client connection of the loop flushes (``flushJournal()``).
    private var pendingJournal: [UInt8] = []
    private var journalFlushScheduled = false
    private var drained: EventLoopPromise<Void>?
    /// The price table's match for the model priced last on this loop.
    private var lastMatch: (model: String, match: (entry: String, price: ModelPrice)?)?

    init(eventLoop: any EventLoop, index: Int, configuration: ProxyConfiguration, upstreamTLS: TLSClientContext?, processTag: String) {
        self.eventLoop = eventLoop
        self.log = configuration.usageLog
        self.prices = configuration.prices
        self.costInStream = configuration.costInStream && configuration.prices != nil
        self.limits = configuration.limits
        self.metering = configuration.metering
        self.onExchangeEnded = configuration.onExchangeEnded
        self.requestIDPrefix = "\(processTag)-\(index)-"
        self.upstreams = nil
        self.upstreams = UpstreamPool(loop: self, address: configuration.upstream,
                                      version: configuration.upstreamVersion, tls: upstreamTLS)
    }

    /// The next exchange's number on this loop, from which its request id is made.
    func nextRequestNumber() -> UInt64 {
        requestCount += 1
        return requestCount
    }

    /// A request id unique to this process run: a random tag, the loop, and the exchange's number.
    /// (The usage line writes it from its parts, with no `String`.)
    func requestID(_ number: UInt64) -> String {
        requestIDPrefix + String(number)
    }

    /// The cost of `record` by the price table (nil without one), as `PriceTable.cost(of:)`
    /// gives it. The match for the last model priced is kept: a loop's responses mostly come
    /// from a few models, and matching a name takes up to eight dictionary lookups.
    func cost(of record: UsageRecord) -> Cost? {
        guard let prices, let model = record.model else { return nil }
        if lastMatch?.model != model { lastMatch = (model, prices.match(model)) }
        guard let (entry, price) = lastMatch?.match else { return nil }
        return price.cost(of: record, priceEntry: entry)
    }

    /// Writes a usage line with `fields` and queues it; the lines of one event loop turn go to
    /// the log in one write, as soon as the turn's work is done, so no line waits on a timer.
    func appendToLog(_ fields: (inout JSONObjectWriter) -> Void) {
        // Moved, not shared: appending to a buffer still held here would copy every line of
        // the turn so far (callgrind: about 2,500 instructions per request).
        var lines: [UInt8] = []
        swap(&lines, &pendingLog)
        var json = JSONObjectWriter(appendingTo: consume lines)
        fields(&json)
        pendingLog = json.finishBytes(terminator: UInt8(ascii: "\n"))
        if pendingLog.count >= 64 << 10 { return flushLog() }
        guard !logFlushScheduled else { return }
        logFlushScheduled = true
        eventLoop.assumeIsolated().execute { self.flushLog() }
    }

    func flushLog() {
        logFlushScheduled = false
        guard !pendingLog.isEmpty else { return }
        pendingLog.withUnsafeBytes { log.append(lines: $0) }
        pendingLog.removeAll(keepingCapacity: true)
    }

    /// Queues a row for the journal; the rows of one turn go in one write, before the first
    /// client flush that follows (or at the turn's end).
    private func appendToJournal(_ entry: borrowing LedgerEntry) {
        JournalRecord.append(entry, to: &pendingJournal)
        guard !journalFlushScheduled else { return }
        journalFlushScheduled = true
        eventLoop.assumeIsolated().execute { self.flushJournal() }
    }

    /// Hands the rows queued for the journal to the kernel. Client connections call it before
    /// every flush: an exchange journals its row as it ends, before its response's last bytes
    /// are sent, so those bytes never reach the client's socket before the row is safe from a
    /// death of the process.
    func flushJournal() {
        journalFlushScheduled = false
        guard !pendingJournal.isEmpty, let journal = metering?.meter.journal else { return }
        pendingJournal.withUnsafeBytes { journal.append(records: $0) }
        pendingJournal.removeAll(keepingCapacity: true)
    }

    func exchangeStarted() {
        activeExchanges += 1
    }

    /// An exchange ended: its report goes to the usage log, to the meter when the request
    /// carried a customer's key, and to the embedder's closure, in that order.
    func exchangeEnded(_ report: ExchangeReport) {
        appendToLog { report.addLogFields(to: &$0, priced: prices != nil) }
        if let metering, let entry = report.ledgerEntry(atMicros: UTCCalendar.nowMicros(), provider: metering.meter.provider) {
            if metering.meter.journal != nil { appendToJournal(entry) }
            metering.meter.record(entry)
        }
        onExchangeEnded?(report)
        activeExchanges -= 1
        if isDraining, activeExchanges == 0 {
            // Not at once: an exchange ends before its response's end is sent (its ledger row
            // first), and that end is sent, or queued to be, later in this turn. A drain that
            // finished now could shut the loop down ahead of it.
            eventLoop.assumeIsolated().execute {
                guard self.activeExchanges == 0 else { return }
                self.drained?.succeed()
                self.drained = nil
            }
        }
    }

    func register(connection: any DrainableConnection) {
        connections[ObjectIdentifier(connection)] = connection
        if isDraining { connection.drain() }
    }

    func unregister(connection: any DrainableConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    /// Asks every client connection to finish its exchanges and take no new ones; the future
    /// succeeds when no exchange is left in flight.
    func drain() -> EventLoopFuture<Void> {
        isDraining = true
        for connection in Array(connections.values) { connection.drain() }
        if activeExchanges == 0 { return eventLoop.makeSucceededVoidFuture() }
        let promise = drained ?? eventLoop.makePromise(of: Void.self)
        drained = promise
        return promise.futureResult
    }

    /// Closes what is left after the drain's grace period.
    func closeAll() {
        for connection in Array(connections.values) { connection.closeNow() }
        upstreams.closeAll()
        flushLog()
    }
}
