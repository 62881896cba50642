import Foundation
@testable import Metering
import Testing
import TestSupport
import Pricing
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
        for entry in entries { JournalRecord.append(entry, to: &bytes) }
        bytes.withUnsafeBytes { journal.append(records: $0) }
    }

    /// A segment's bytes: its header, then `records`.
    private static func segment(_ records: [UInt8]) -> [UInt8] {
        JournalRecord.segmentHeader + records
    }

    @Test func aRecordGivesBackTheEntryItWasWrittenFrom() throws {
        var full = Self.entry(1)
        full.usage = UsageRecord(apiProtocol: .messages, model: "modèle \"été\"\n🙂", finished: false, error: "overloaded_error",
                                 inputTokens: 9_000_000_000_000, outputTokens: 0, totalTokens: 9_000_000_000_000,
                                 cachedInputTokens: 3, cacheWriteTokens: 4, reasoningTokens: 5, webSearchRequests: 2)
        full.status = nil
        full.requestID = String(repeating: "long", count: 5_000)
        full.cost = Cost(priceEntry: "claude", input: Money(nanos: 1), cachedInput: Money(nanos: 2), cacheWrite: Money(nanos: 3), output: Money(nanos: -4), request: Money(nanos: 5), webSearch: Money(nanos: Int64.max / 2))
        var bare = Self.entry(2, cost: nil)
        bare.usage = UsageRecord()
        bare.provider = ""
        var bytes: [UInt8] = []
        for entry in [full, bare] { JournalRecord.append(entry, to: &bytes) }
        let read = JournalRecord.entries(inSegment: Self.segment(bytes))
        #expect(read.unreadable == nil)
        #expect(read.entries == [full, bare])
    }

    @Test func aRecordCutOffAtTheEndIsToldFromDamageAndWhatCameBeforeIsRead() throws {
        var bytes: [UInt8] = []
        for index in 0..<3 { JournalRecord.append(Self.entry(index), to: &bytes) }
        let whole = bytes.count
        JournalRecord.append(Self.entry(3), to: &bytes)
        // Cut anywhere in the last record.
        for cut in whole + 1..<bytes.count {
            let read = JournalRecord.entries(inSegment: Self.segment(Array(bytes[..<cut])))
            #expect(read.entries.map(\.requestID) == ["r1000", "r1001", "r1002"])
            #expect(read.unreadable?.isCutOff == true, "cut at \(cut)")
        }
        // A byte changed anywhere in the second record's payload or checksum: the first is
        // read, nothing after it. (A changed length that points past the end reads as a cut.)
        var first: [UInt8] = []
        JournalRecord.append(Self.entry(0), to: &first)
        var second: [UInt8] = []
        JournalRecord.append(Self.entry(1), to: &second)
        for position in first.count + 4..<first.count + second.count {
            var damaged = bytes
            damaged[position] ^= 0x40
            let read = JournalRecord.entries(inSegment: Self.segment(damaged))
            #expect(read.entries.map(\.requestID) == ["r1000"], "damage at \(position)")
            #expect(read.unreadable != nil && read.unreadable?.isCutOff == false, "damage at \(position)")
        }
        #expect(JournalRecord.entries(inSegment: Array("not a journal\n".utf8)).unreadable != nil)
    }

    @Test func aSegmentWithColumnsOfAnotherVersionIsReadByName() throws {
        // Written by a version whose columns were fewer and in another order.
        var segment = Array("usagetap journal 1\nkey_id,request_id,at_micros,tenant_id,retired_column\n".utf8)
        var payload: [UInt8] = [1] + withUnsafeBytes(of: Int64(7).littleEndian, Array.init)
        payload += [2] + withUnsafeBytes(of: UInt32(3).littleEndian, Array.init) + Array("abc".utf8)
        payload += [1] + withUnsafeBytes(of: Int64(1_234).littleEndian, Array.init)
        payload += [1] + withUnsafeBytes(of: Int64(9).littleEndian, Array.init)
        payload += [0]
        segment += withUnsafeBytes(of: UInt32(payload.count).littleEndian, Array.init) + payload
        segment += withUnsafeBytes(of: payload.withUnsafeBytes { JournalRecord.checksum($0) }.littleEndian, Array.init)
        let read = JournalRecord.entries(inSegment: segment)
        #expect(read.unreadable == nil)
        let entry = try #require(read.entries.first)
        #expect(entry.keyID == 7 && entry.requestID == "abc" && entry.atMicros == 1_234 && entry.tenantID == 9)
        #expect(entry.usage.model == nil && entry.cost == nil)
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
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".journal") }
        #expect(left == [URL(fileURLWithPath: journal.currentSegment).lastPathComponent])
    }
}
