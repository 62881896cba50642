import Dispatch
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
    package enum Decision: Sendable {
        case allowed(KeyOwner)
        case unknownKey
        case ledgerFailed
    }

    /// Key owners are kept this long before the ledger is asked again; balances in them are
    /// also refreshed by every batch this proxy writes. Other proxies' debits show up within it.
    static let ownerFreshness: Int64 = 1_000_000
    /// Past this age a key still in use is read again in the background, while requests go on
    /// being answered from the cache: under steady traffic no request waits for a lookup.
    static let ownerRefreshAge: Int64 = 500_000
    /// How long a failed batch waits before it is tried again.
    static let retryDelay: TimeAmount = .milliseconds(500)

    /// What this proxy knows of keys and balances.
    private struct Owners: Sendable {
        /// Known keys' owners, by the key's bytes: a hit costs no digest and makes no `String`.
        var keys = KnownKeys()
        /// The latest balance seen of each tenant, from a lookup or a batch this proxy wrote:
        /// apart from the owners, so that a batch updates its tenants, not every cached key.
        var balances: [Int64: Int64] = [:]
    }

    private struct Queue: Sendable {
        var pending: [LedgerEntry] = []
        /// Rows recorded since start, and a journal segment ended when `recorded` was
        /// `rowsBefore`: once that many are written, every row in it is in the ledger.
        var recorded = 0
        var endedSegment: (path: String, rowsBefore: Int)?
        /// A batch's timer is set or its write is running: rows queued meanwhile go in the
        /// next batch of that chain and start no timer of their own.
        var isFlushing = false
        var written = 0
    }

    private let pool: NIOThreadPool
    private let ledger: StoreBox
    /// Where the loops write each row before its response's last bytes (see ``UsageJournal``);
    /// nil for a meter without one (an embedder's choice, and tests).
    public let journal: UsageJournal?
    /// A journal segment is ended past this size (16 MiB by default: about 27,000 rows), and
    /// removed once its rows are in the ledger.
    let journalSegmentBytes: Int
    private let owners = Mutex(Owners())
    private let queue = Mutex(Queue())
    public let provider: String

    /// Rows wait this long for others to share their transaction. A transaction has a cost of
    /// its own (locks, the balance update, a WAL commit that rewrites the partly filled pages):
    /// per SQLite row at 9,000 rows/s here, the ledger thread spent 7.8 µs with 20 ms batches
    /// and 6.1 µs with 100 ms ones. Balances and `/v1/usage` lag the responses by about this
    /// much, well inside the second that a cached key's balance may already be behind.
    let batchWait: TimeAmount

    /// A meter over `store`, which from now on is used on the ledger thread only. With a
    /// journal, its leftover segments must have been replayed first
    /// (``UsageJournal/replayLeftover(into:)``).
    public init(provider: String, store: any LedgerStore, journal: UsageJournal? = nil,
                batchWait: TimeAmount = .milliseconds(100), journalSegmentBytes: Int = 16 << 20) {
        self.provider = provider
        self.journal = journal
        self.journalSegmentBytes = journalSegmentBytes
        self.batchWait = batchWait
        ledger = StoreBox(store)
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    /// The owner of `key` when this proxy looked it up less than `ownerFreshness` ago: most
    /// requests are answered here, on the caller's thread, with no hop to the ledger thread.
    /// Past `ownerRefreshAge` the first request to ask also starts a background read, so that a
    /// key in steady use never expires: otherwise, once a second, every request arriving until
    /// the lookup came back (behind a batch write, perhaps) would wait for one of its own.
    package func freshOwner(of key: UnsafeRawBufferPointer) -> KeyOwner? {
        let now = Self.monotonicMicros()
        let (owner, startsRefresh) = owners.withLock { owners -> (KeyOwner?, Bool) in
            guard let cached = owners.keys[key], now - cached.fetchedMicros < Self.ownerFreshness else { return (nil, false) }
            var owner = cached.owner
            owner.tenant.balance = owners.balances[owner.tenant.id] ?? owner.tenant.balance
            guard now - cached.fetchedMicros >= Self.ownerRefreshAge, !cached.isRefreshing else { return (owner, false) }
            owners.keys.update(key) { $0.isRefreshing = true }
            return (owner, true)
        }
        if startsRefresh {
            let key = Array(key)
            pool.submit { state in
                guard case .active = state else { return }
                do {
                    _ = try self.readAndCacheOwner(of: key, at: now)
                } catch {
                    // The next request past the refresh age tries again; past `ownerFreshness`
                    // one waits for a lookup of its own, which reports the failure.
                    self.owners.withLock { owners in key.withUnsafeBytes { owners.keys.update($0) { $0.isRefreshing = false } } }
                }
            }
        }
        return owner
    }

    /// The owner of `key`, from the ledger by its digest, on the ledger thread; kept for
    /// ``freshOwner(of:)``.
    package func lookUp(key: UnsafeRawBufferPointer, on eventLoop: any EventLoop) -> EventLoopFuture<Decision> {
        let now = Self.monotonicMicros()
        let key = Array(key)
        return pool.runIfActive(eventLoop: eventLoop) { () -> Decision in
            do {
                guard let owner = try self.readAndCacheOwner(of: key, at: now) else { return .unknownKey }
                return .allowed(owner)
            } catch {
                Self.report("key lookup failed: \(error)")
                return .ledgerFailed
            }
        }.flatMapErrorThrowing { _ in .ledgerFailed }
    }

    /// Reads the key's owner from the ledger and caches it as of `now`; a key the ledger no
    /// longer knows leaves the cache. Runs on the ledger thread only.
    private func readAndCacheOwner(of key: [UInt8], at now: Int64) throws -> KeyOwner? {
        let digest = CustomerKey.digest(of: String(decoding: key, as: UTF8.self))
        let owner = try Self.readTwice { try ledger.store.keyOwner(digest: digest) }
        owners.withLock { owners in
            key.withUnsafeBytes { key in
                guard let owner else { return owners.keys.remove(key) }
                owners.keys.set(key, owner: owner, fetchedMicros: now)
                owners.balances[owner.tenant.id] = owner.tenant.balance
            }
        }
        return owner
    }

    /// Queues a finished response's row. Rows are written in batches: the first row of a batch
    /// starts a timer, and when it fires everything queued by then is written in one
    /// transaction (see ``batchWait``).
    package func record(_ entry: LedgerEntry) {
        let startsBatch = queue.withLock { queue -> Bool in
            queue.pending.append(entry)
            queue.recorded += 1
            guard !queue.isFlushing else { return false }
            queue.isFlushing = true
            return true
        }
        if startsBatch {
            writeBatch(in: batchWait)
        }
    }

    /// Writes what is queued `delay` from now, then, while rows keep coming, the next batch
    /// after another `batchWait`. The waits are timers rather than sleeps, so the ledger thread
    /// stays free for key lookups meanwhile; Dispatch's rather than an event loop's, which may
    /// have shut down by the time a batch ends.
    private func writeBatch(in delay: TimeAmount) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(delay.nanoseconds))) {
            self.pool.submit { state in
                // A pool already stopped runs this at once on the caller's thread: not ours to use.
                guard case .active = state else { return }
                switch self.writePending() {
                case .empty: return
                case .written: self.writeBatch(in: self.batchWait)
                case .failed: self.writeBatch(in: Self.retryDelay)
                }
            }
        }
    }

    /// The tenant's usage report as of now, read on the ledger thread.
    package func report(for tenant: Tenant, on eventLoop: any EventLoop) -> EventLoopFuture<UsageReport> {
        let ledger = ledger
        let now = UTCCalendar.nowMicros()
        return pool.runIfActive(eventLoop: eventLoop) {
            try Self.readTwice { try UsageReport(store: ledger.store, tenant: tenant, nowMicros: now) }
        }
    }

    /// A read of the ledger, made a second time when the first fails: a connection the
    /// database dropped (a restart, a failover) fails the first statement after it and is made
    /// anew for the next. Only for reads, which are safe to repeat.
    private static func readTwice<Value>(_ read: () throws -> Value) throws -> Value {
        do {
            return try read()
        } catch {
            return try read()
        }
    }

    /// Rows written so far by this meter.
    public var writtenCount: Int { queue.withLock { $0.written } }

    /// Waits until every queued row is in the ledger (retrying failed batches), then stops the
    /// ledger thread.
    public func drainAndStop() {
        // What is left is written here, batch after batch, without waiting for the timer.
        let drained = DispatchSemaphore(value: 0)
        pool.submit { state in
            defer { drained.signal() }
            guard case .active = state else { return }
            while true {
                switch self.writePending() {
                case .empty: return
                case .written: continue
                case .failed: usleep(UInt32(Self.retryDelay.nanoseconds / 1_000))
                }
            }
        }
        drained.wait()
        try? pool.syncShutdownGracefully()
        // Every row is in the ledger: the journal has nothing left to replay.
        if let journal, queue.withLock({ $0.pending.isEmpty }) {
            if let ended = queue.withLock({ $0.endedSegment }) { journal.remove(segment: ended.path) }
            journal.stop(removingCurrentSegment: true)
        }
    }


    private enum BatchResult {
        /// Nothing was queued; the next row starts a new batch.
        case empty
        case written
        /// The batch is queued again, ahead of newer rows.
        case failed
    }

    /// Writes every queued row in one transaction. Runs on the ledger thread only.
    private func writePending() -> BatchResult {
        var batch = queue.withLock { queue -> [LedgerEntry] in
            let batch = queue.pending
            // Room for as many as last time, made here rather than by the event loops' appends.
            queue.pending = []
            queue.pending.reserveCapacity(batch.count)
            if batch.isEmpty { queue.isFlushing = false }
            return batch
        }
        if batch.isEmpty { return .empty }
        do {
            try ledger.store.append(&batch)
            refreshBalances(from: batch)
            queue.withLock { $0.written += batch.count }
            settleJournal()
            return .written
        } catch {
            Self.report("ledger write of \(batch.count) rows failed, will retry: \(error)")
            dropRowsAlreadyWritten(from: &batch)
            queue.withLock { $0.pending.insert(contentsOf: batch, at: 0) }
            return .failed
        }
    }

    /// After a failed write: rows the ledger already has leave the batch, so that they are
    /// neither billed twice nor retried for ever against its refusal of a second row per
    /// request id. That happens when a commit succeeded but its answer was lost (a database
    /// connection dropped at that moment), and the batch was then tried again.
    private func dropRowsAlreadyWritten(from batch: inout [LedgerEntry]) {
        guard let known = try? ledger.store.knownRequestIDs(among: batch.map(\.requestID)), !known.isEmpty else { return }
        let before = batch.count
        batch.removeAll { known.contains($0.requestID) }
        Self.report("\(before - batch.count) rows of the batch were already in the ledger; not written again")
        queue.withLock { $0.written += before - batch.count }
    }

    /// Ends a journal segment that has grown past `journalSegmentBytes`, and removes the
    /// ended one once every row recorded before it ended is written: rows are recorded before
    /// the loops write them to the journal, and written to the ledger in the order recorded.
    private func settleJournal() {
        guard let journal else { return }
        let settled = queue.withLock { queue -> String? in
            guard let ended = queue.endedSegment, queue.written >= ended.rowsBefore else { return nil }
            queue.endedSegment = nil
            return ended.path
        }
        if let settled { journal.remove(segment: settled) }
        guard journal.currentSize >= journalSegmentBytes, queue.withLock({ $0.endedSegment == nil }) else { return }
        do {
            let ended = try journal.rotate()
            // Counted after the rotation: every row in the ended segment was recorded before.
            queue.withLock { $0.endedSegment = (ended, $0.recorded) }
        } catch {
            Self.report("the journal could not start a new segment, will try again: \(error)")
        }
    }

    /// Cached owners take the balances a batch left behind.
    private func refreshBalances(from written: [LedgerEntry]) {
        owners.withLock { owners in
            // By index: a loop over the entries would copy each one, retaining every string in it.
            for index in written.indices { owners.balances[written[index].tenantID] = written[index].balanceAfter }
        }
    }

    /// Microseconds on the monotonic clock (NIO's, which the exchanges' timings use too), which a
    /// change of the wall clock (NTP stepping it, an operator setting it) does not move: the key
    /// cache's ages are measured on it.
    static func monotonicMicros() -> Int64 {
        Int64(NIODeadline.now().uptimeNanoseconds / 1_000)
    }

    /// Ledger problems go to stderr: they never reach a client or the usage log.
    package static func report(_ message: String) {
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
