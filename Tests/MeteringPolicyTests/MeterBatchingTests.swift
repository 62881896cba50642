import Foundation
import Metering
import NIOCore
import Synchronization
import Testing
import Pricing
import UsageTap
@testable import MeteringPolicy
import TestSupport

/// The meter's writes to a real SQLite ledger: rows share transactions, a failed write is
/// retried without losing or doubling a row, and shutdown writes what is still queued.
@Suite struct MeterBatchingTests {
    /// A real ledger whose `append` can be made to fail a number of times, and which counts
    /// the batches and key reads that reach it.
    final class CountingLedger: LedgerStore, @unchecked Sendable {
        // Unchecked: the meter calls it from its ledger thread only; the counts are behind locks.
        let ledger: SQLLedger
        let batchSizes = Mutex<[Int]>([])
        let failuresLeft: Mutex<Int>

        init(path: String, failingFirst failures: Int = 0) throws {
            ledger = try SQLLedger(sqlitePath: path)
            failuresLeft = Mutex(failures)
        }

        struct InjectedFailure: Error {}

        func append(_ entries: inout [LedgerEntry]) throws {
            let fails = failuresLeft.withLock { left -> Bool in
                guard left > 0 else { return false }
                left -= 1
                return true
            }
            if fails { throw InjectedFailure() }
            try ledger.append(&entries)
            batchSizes.withLock { $0.append(entries.count) }
        }

        func prepareSchema() throws { try ledger.prepareSchema() }
        func tenant(named name: String) throws -> Tenant? { try ledger.tenant(named: name) }
        func addTenant(named name: String, atMicros: Int64) throws -> Tenant { try ledger.addTenant(named: name, atMicros: atMicros) }
        func addKey(digest: String, label: String, tenantID: Int64, atMicros: Int64) throws -> Int64 {
            try ledger.addKey(digest: digest, label: label, tenantID: tenantID, atMicros: atMicros)
        }
        let ownerReads = Mutex(0)
        func keyOwner(digest: String) throws -> KeyOwner? {
            ownerReads.withLock { $0 += 1 }
            return try ledger.keyOwner(digest: digest)
        }
        func topUp(tenantID: Int64, nanos: Int64, atMicros: Int64) throws -> Int64 { try ledger.topUp(tenantID: tenantID, nanos: nanos, atMicros: atMicros) }
        func balance(tenantID: Int64) throws -> Int64? { try ledger.balance(tenantID: tenantID) }
        func knownRequestIDs(among ids: [String]) throws -> Set<String> { try ledger.knownRequestIDs(among: ids) }
        func entriesWithUnpricedModel(fromMicros: Int64, toMicros: Int64) throws -> [(id: Int64, entry: LedgerEntry)] {
            try ledger.entriesWithUnpricedModel(fromMicros: fromMicros, toMicros: toMicros)
        }
        func price(_ rows: [(id: Int64, cost: Cost, unpriced: [UnpricedPart])]) throws -> [Int64] { try ledger.price(rows) }
        func totals(tenantID: Int64, fromMicros: Int64, toMicros: Int64) throws -> UsageTotals {
            try ledger.totals(tenantID: tenantID, fromMicros: fromMicros, toMicros: toMicros)
        }
        func entries(tenantID: Int64, fromMicros: Int64, toMicros: Int64) throws -> [LedgerEntry] {
            try ledger.entries(tenantID: tenantID, fromMicros: fromMicros, toMicros: toMicros)
        }
    }

    static func entry(_ index: Int, tenant: Int64) -> LedgerEntry {
        LedgerEntry(atMicros: Int64(1_000 + index), requestID: "request-\(index)", tenantID: tenant, keyID: 1, provider: "api.example",
                    status: 200, outcome: "completed", usage: UsageRecord(apiProtocol: .chat, model: "m", finished: true),
                    cost: Cost(priceEntry: "m", input: Money(nanos: Int64(index)), cachedInput: Money(nanos: 0), cacheWrite: Money(nanos: 0), output: Money(nanos: 0), request: Money(nanos: 0), webSearch: Money(nanos: 0)))
    }

    /// A meter over a fresh ledger with one tenant holding 1,000,000 nano-units.
    static func meter(in folder: ScratchFolder, failingFirst failures: Int = 0,
                      batchWait: TimeAmount = .milliseconds(100)) throws -> (Meter, CountingLedger, Tenant) {
        let store = try CountingLedger(path: folder.path("ledger.db"), failingFirst: failures)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        _ = try store.topUp(tenantID: tenant.id, nanos: 1_000_000, atMicros: 2)
        return (Meter(provider: "api.example", store: store, batchWait: batchWait), store, tenant)
    }

    /// Polls `condition` for up to 20 s: the meter writes on its own thread.
    static func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while !condition() {
            if Date() > deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// What the ledger holds for the tenant: its rows' request ids and its balance.
    static func ledgerContents(_ folder: ScratchFolder, tenant: Tenant) throws -> (requests: [String], balance: Int64?) {
        let reader = try SQLLedger(sqlitePath: folder.path("ledger.db"))
        let rows = try reader.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max)
        return (rows.map(\.requestID), try reader.balance(tenantID: tenant.id))
    }

    @Test func rowsQueuedBeforeTheBatchTimerFiresShareOneTransaction() throws {
        let folder = try ScratchFolder("meter-batch")
        // A wait long enough that all 200 rows are queued before it ends, however loaded the machine.
        let (meter, store, tenant) = try Self.meter(in: folder, batchWait: .seconds(2))
        for index in 0..<200 { meter.record(Self.entry(index, tenant: tenant.id)) }
        #expect(Self.eventually { meter.writtenCount == 200 })
        #expect(store.batchSizes.withLock { $0 } == [200])
        meter.drainAndStop()
        let contents = try Self.ledgerContents(folder, tenant: tenant)
        #expect(contents.requests == (0..<200).map { "request-\($0)" })
        #expect(contents.balance == Int64(1_000_000 - (0..<200).reduce(0, +)))
    }

    @Test func aBatchThatFailsIsWrittenLaterWithNoRowLostOrWrittenTwice() throws {
        let folder = try ScratchFolder("meter-retry")
        let (meter, store, tenant) = try Self.meter(in: folder, failingFirst: 2)
        for index in 0..<10 { meter.record(Self.entry(index, tenant: tenant.id)) }
        // Rows that come while the first batch waits for its retry go after it, in order.
        #expect(Self.eventually { store.failuresLeft.withLock { $0 } == 1 })
        for index in 10..<15 { meter.record(Self.entry(index, tenant: tenant.id)) }
        #expect(Self.eventually { meter.writtenCount == 15 })
        meter.drainAndStop()
        #expect(store.failuresLeft.withLock { $0 } == 0)
        let contents = try Self.ledgerContents(folder, tenant: tenant)
        #expect(contents.requests == (0..<15).map { "request-\($0)" })
        #expect(contents.balance == Int64(1_000_000 - (0..<15).reduce(0, +)))
    }

    @Test func shutdownWritesTheRowsStillWaitingForTheirBatch() throws {
        let folder = try ScratchFolder("meter-drain")
        // The batch's timer would fire long after the drain: only the drain can write these rows.
        let (meter, store, tenant) = try Self.meter(in: folder, batchWait: .seconds(60))
        for index in 0..<50 { meter.record(Self.entry(index, tenant: tenant.id)) }
        meter.drainAndStop()
        #expect(meter.writtenCount == 50)
        #expect(store.batchSizes.withLock { $0 } == [50])
        let contents = try Self.ledgerContents(folder, tenant: tenant)
        #expect(contents.requests == (0..<50).map { "request-\($0)" })
        #expect(contents.balance == Int64(1_000_000 - (0..<50).reduce(0, +)))
    }

    @Test func rowsTheLedgerAlreadyHasLeaveAFailedBatchAndAreNotBilledTwice() throws {
        let folder = try ScratchFolder("meter-duplicates")
        let (meter, store, tenant) = try Self.meter(in: folder)
        // Written once already, as a batch whose commit's answer was lost would have been.
        var first = (0..<5).map { Self.entry($0, tenant: tenant.id) }
        try store.append(&first)
        for index in 0..<10 { meter.record(Self.entry(index, tenant: tenant.id)) }
        #expect(Self.eventually { meter.writtenCount == 10 })
        meter.drainAndStop()
        let contents = try Self.ledgerContents(folder, tenant: tenant)
        #expect(contents.requests == (0..<10).map { "request-\($0)" })
        #expect(contents.balance == Int64(1_000_000 - (0..<10).reduce(0, +)))
    }

    @Test func aJournalSegmentGoesOnceEveryRowWrittenToItIsInTheLedger() throws {
        let folder = try ScratchFolder("meter-journal")
        let store = try CountingLedger(path: folder.path("ledger.db"))
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        let journal = try UsageJournal(directory: folder.path("journal"))
        // Any row ends a segment. A batch waits long enough for the rows recorded with it to
        // reach the journal, as they do within the loop turn that records them.
        let meter = Meter(provider: "api.example", store: store, journal: journal, batchWait: .milliseconds(200), journalSegmentBytes: 1)
        func segments() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: folder.path("journal")).filter { $0.hasSuffix(".journal") }.sorted()
        }
        // As a loop does: each row recorded, then journaled.
        func end(_ indices: Range<Int>) {
            var lines: [UInt8] = []
            for index in indices {
                let entry = Self.entry(index, tenant: tenant.id)
                meter.record(entry)
                JournalRecord.append(entry, to: &lines)
            }
            lines.withUnsafeBytes { journal.append(records: $0) }
        }
        end(0..<10)
        #expect(Self.eventually { meter.writtenCount == 10 })
        // The batch after the segment grew ended it; its rows are all written, but only the
        // next batch's settling removes it.
        #expect(Self.eventually { (try? segments()) == ["0000000001.journal", "0000000002.journal"] })
        end(10..<11)
        #expect(Self.eventually { meter.writtenCount == 11 })
        #expect(Self.eventually { (try? segments())?.contains("0000000001.journal") == false })
        meter.drainAndStop()
        // A clean stop leaves nothing to replay.
        #expect(try segments() == [])
    }
}
