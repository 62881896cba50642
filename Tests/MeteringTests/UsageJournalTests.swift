import Foundation
@testable import Metering
import Testing
import TestSupport
import UsageTap

/// The usage journal on its own: its lines, its segments, and the replay into a ledger.
@Suite struct UsageJournalTests {
    private static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("usagetap-journal-\(UUID().uuidString)").path
    }

    private static func entry(_ index: Int, tenant: Int64 = 1, cost: Int64? = 100) -> LedgerEntry {
        LedgerContract.entry(tenant: tenant, at: Int64(1_000 + index), cost: cost)
    }

    private static func write(_ entries: [LedgerEntry], to journal: UsageJournal) {
        var bytes: [UInt8] = []
        for entry in entries { JournalLine.append(entry, to: &bytes) }
        bytes.withUnsafeBytes { journal.append(lines: $0) }
    }

    @Test func aLineGivesBackTheEntryItWasWrittenFrom() throws {
        var full = Self.entry(1)
        full.usage = UsageRecord(apiProtocol: .messages, model: "modèle \"été\"\n🙂", finished: false, error: "overloaded_error",
                                 inputTokens: 9_000_000_000_000, outputTokens: 0, totalTokens: 9_000_000_000_000,
                                 cachedInputTokens: 3, cacheWriteTokens: 4, reasoningTokens: 5, webSearchRequests: 2)
        full.status = nil
        full.cost = CostNanos(priceEntry: "claude", input: 1, cachedInput: 2, cacheWrite: 3, output: 4, request: 5, webSearch: Int64.max / 2)
        var bare = Self.entry(2, cost: nil)
        bare.usage = UsageRecord()
        bare.provider = ""
        for entry in [full, bare] {
            var bytes: [UInt8] = []
            JournalLine.append(entry, to: &bytes)
            #expect(bytes.last == UInt8(ascii: "\n"))
            #expect(bytes.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") }, "a line holds a raw newline")
            #expect(try JournalLine.entry(from: bytes.dropLast()) == entry)
        }
    }

    @Test func aCutOffLastLineAndDamagedLinesAreReportedAndTheRestRead() throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try UsageJournal(directory: directory)
        Self.write([Self.entry(1)], to: journal)
        let damaged = Array(#"{"request_id":"x","at_micros":"soon"}"#.utf8) + [10] + Array("not json\n".utf8)
        damaged.withUnsafeBytes { journal.append(lines: $0) }
        Self.write([Self.entry(2)], to: journal)
        var cut: [UInt8] = []
        JournalLine.append(Self.entry(3), to: &cut)
        cut.dropLast(5).withUnsafeBytes { journal.append(lines: UnsafeRawBufferPointer($0)) }
        let read = try UsageJournal.entries(inSegment: journal.currentSegment)
        #expect(read.entries.map(\.requestID) == ["r1001", "r1002"])
        #expect(read.unreadable.map(\.line) == [2, 3, 5])
    }

    @Test func aSecondProcessCannotUseAJournalInUse() throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try UsageJournal(directory: directory)
        #expect(throws: UsageJournal.Failure.self) { _ = try UsageJournal(directory: directory) }
        withExtendedLifetime(journal) {}
    }

    @Test func replayWritesOnlyTheRowsTheLedgerLacksAndEachOnceHoweverOftenItRuns() throws {
        let directory = Self.folder()
        let ledgerPath = Self.folder() + ".db"
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: ledgerPath + suffix) }
        }
        let store = try SQLLedger(sqlitePath: ledgerPath)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        _ = try store.topUp(tenantID: tenant.id, nanos: 1_000_000, atMicros: 2)
        let entries = (0..<700).map { Self.entry($0, tenant: tenant.id, cost: Int64($0)) }
        // The first 300 reached the ledger before the process died; all 700 the journal, in
        // two segments.
        var written = Array(entries[..<300])
        try store.append(&written)
        do {
            let journal = try UsageJournal(directory: directory)
            Self.write(Array(entries[..<400]), to: journal)
            _ = try journal.rotate()
            Self.write(Array(entries[400...]), to: journal)
        }
        // A copy of the segments, to replay a second time as if the first replay had died
        // before removing them.
        let copy = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: directory, toPath: copy)

        let journal = try UsageJournal(directory: directory)
        #expect(journal.leftover.count == 2)
        var summary = UsageJournal.ReplaySummary()
        summary.written = 400
        summary.alreadyInLedger = 300
        #expect(try journal.replayLeftover(into: store) == summary)
        #expect(try UsageJournal(directory: copy).replayLeftover(into: store).written == 0)

        let rows = try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max)
        #expect(rows.map(\.requestID) == entries.map(\.requestID))
        #expect(try store.balance(tenantID: tenant.id) == 1_000_000 - (0..<700).reduce(0, +))
        // Replayed segments are gone; the new run's own segment is all that is left.
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }
        #expect(left == [URL(fileURLWithPath: journal.currentSegment).lastPathComponent])
    }
}
