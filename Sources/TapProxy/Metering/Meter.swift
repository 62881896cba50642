import Metering
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The proxy's side of metering: who a key belongs to, whether the tenant may spend, and the
/// ledger rows of finished responses, written in batches off the event loops.
///
/// All ledger work runs on one thread of its own, the only one that touches the store, so the
/// byte path never waits on a disk or a database: lookups answer through futures on the
/// caller's loop, and finished responses are queued. A batch that fails is kept and retried;
/// nothing is dropped, and shutdown waits for the queue to empty.
public final class Meter: Sendable {
    /// What a key lookup decided.
    enum Decision: Sendable {
        case allowed(KeyOwner)
        case unknownKey
        case ledgerFailed
    }

    /// Key owners are kept this long before the ledger is asked again; balances in them are
    /// also refreshed by every batch this proxy writes. Other proxies' debits show up within it.
    static let ownerFreshness: Int64 = 1_000_000
    /// How long a failed batch waits before it is tried again.
    static let retryDelayMicros: UInt32 = 500_000

    private struct Cached: Sendable {
        var owner: KeyOwner
        var fetchedMicros: Int64
    }

    private struct Queue: Sendable {
        var pending: [LedgerEntry] = []
        /// A flush is scheduled or running; rows queued meanwhile go with it.
        var isFlushing = false
        var written = 0
    }

    private let pool: NIOThreadPool
    private let ledger: StoreBox
    /// Known keys' owners, by the key itself: a hit costs no hash. Unknown keys are never
    /// cached, so a client cannot fill this with made-up keys.
    private let owners = Mutex<[String: Cached]>([:])
    private let queue = Mutex(Queue())
    public let provider: String

    /// A meter over `store`, which from now on is used on the ledger thread only.
    public init(provider: String, store: any LedgerStore) {
        self.provider = provider
        ledger = StoreBox(store)
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    /// The owner of `key` when this proxy looked it up less than `ownerFreshness` ago: most
    /// requests are answered here, on the caller's thread, with no hop to the ledger thread.
    func freshOwner(of key: String) -> KeyOwner? {
        guard let cached = owners.withLock({ $0[key] }),
              UTCCalendar.nowMicros() - cached.fetchedMicros < Self.ownerFreshness
        else { return nil }
        return cached.owner
    }

    /// The owner of `key`, from the ledger by its digest, on the ledger thread; kept for
    /// ``freshOwner(of:)``.
    func lookUp(key: String, on eventLoop: any EventLoop) -> EventLoopFuture<Decision> {
        let ledger = ledger
        let now = UTCCalendar.nowMicros()
        return pool.runIfActive(eventLoop: eventLoop) { () -> Decision in
            do {
                guard let owner = try ledger.store.keyOwner(digest: CustomerKey.digest(of: key)) else { return .unknownKey }
                self.owners.withLock { $0[key] = Cached(owner: owner, fetchedMicros: now) }
                return .allowed(owner)
            } catch {
                Self.report("key lookup failed: \(error)")
                return .ledgerFailed
            }
        }.flatMapErrorThrowing { _ in .ledgerFailed }
    }

    /// Queues a finished response's row; it is written with the others of its batch, which
    /// starts `batchWait` after the first row (a timer on `eventLoop`, so that the ledger
    /// thread stays free for key lookups meanwhile).
    func record(_ entry: LedgerEntry, on eventLoop: any EventLoop) {
        let startsBatch = queue.withLock { queue -> Bool in
            queue.pending.append(entry)
            guard !queue.isFlushing else { return false }
            queue.isFlushing = true
            return true
        }
        if startsBatch {
            eventLoop.scheduleTask(in: Self.batchWait) { self.startFlush() }
        }
    }

    private func startFlush() {
        pool.submit { state in
            // A pool already stopped runs this at once on the caller's thread: not ours to use.
            guard case .active = state else { return }
            self.flush()
        }
    }

    /// The tenant's usage report as of now, read on the ledger thread.
    func report(for tenant: Tenant, on eventLoop: any EventLoop) -> EventLoopFuture<UsageReport> {
        let ledger = ledger
        let now = UTCCalendar.nowMicros()
        return pool.runIfActive(eventLoop: eventLoop) {
            try UsageReport(store: ledger.store, tenant: tenant, nowMicros: now)
        }
    }

    /// Rows written so far by this meter.
    public var writtenCount: Int { queue.withLock { $0.written } }

    /// Waits until every queued row is in the ledger (retrying failed batches), then stops the
    /// ledger thread.
    public func drainAndStop() {
        // The timer of the last batch may have gone with its event loop.
        startFlush()
        while queue.withLock({ !$0.pending.isEmpty || $0.isFlushing }) {
            usleep(10_000)
        }
        try? pool.syncShutdownGracefully()
    }

    /// Rows wait this long for others to share their transaction: one transaction per row
    /// would be most of the ledger's cost. Balances and `/v1/usage` lag the responses by it.
    static let batchWait: TimeAmount = .milliseconds(20)

    /// Writes the queue until it is empty. Runs on the ledger thread only.
    private func flush() {
        while true {
            let batch = queue.withLock { queue -> [LedgerEntry] in
                let batch = queue.pending
                queue.pending = []
                if batch.isEmpty { queue.isFlushing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let written = try ledger.store.append(batch)
                refreshBalances(from: written)
                queue.withLock { $0.written += written.count }
            } catch {
                Self.report("ledger write of \(batch.count) rows failed, will retry: \(error)")
                queue.withLock { $0.pending.insert(contentsOf: batch, at: 0) }
                usleep(Self.retryDelayMicros)
            }
        }
    }

    /// Cached owners take the balances a batch left behind.
    private func refreshBalances(from written: [LedgerEntry]) {
        var latest: [Int64: Int64] = [:]
        for entry in written { latest[entry.tenantID] = entry.balanceAfter }
        owners.withLock { owners in
            for (key, var cached) in owners {
                guard let balance = latest[cached.owner.tenant.id] else { continue }
                cached.owner.tenant.balance = balance
                owners[key] = cached
            }
        }
    }

    /// Ledger problems go to stderr: they never reach a client or the usage log.
    static func report(_ message: String) {
        let line = "usagetap: ledger: \(message)\n"
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
}

/// The store, handed to the ledger thread.
private final class StoreBox: @unchecked Sendable {
    // Unchecked: after `Meter.init` only the ledger thread (a pool of one) touches it.
    let store: any LedgerStore

    init(_ store: any LedgerStore) {
        self.store = store
    }
}
