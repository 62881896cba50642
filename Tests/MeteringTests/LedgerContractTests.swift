import Foundation
import Synchronization
@testable import Metering
import Testing
import TestSupport
import Pricing
import UsageTap

/// What every ledger backend must do, each clause checked on a new, empty ledger by the suites
/// below: SQLite always, PostgreSQL where `./test` started a server.
enum LedgerClause: String, CaseIterable, CustomTestStringConvertible {
    case debitsMoveTheBalanceByExactlyTheRowsAndRecordBeforeAndAfter
    case totalsCountEveryStatusAndSumOnlyTheWindow
    case keysAreFoundByDigestAndTenantsAreNotDuplicated
    case concurrentWritersOnSeveralConnectionsLoseNoUpdate
    case textOfAnyLengthIsStoredExactly
    case batchesOfEverySizeAreWrittenWholeAndInOrder
    case aSecondRowForOneRequestIDIsRefusedAndNothingOfItsBatchIsWritten
    case whatWentUnpricedIsKeptAndARepriceDebitsEachRowOnce
    case aLedgerOfAnEarlierVersionGetsTheNewColumnsAndKeepsItsRows

    var testDescription: String { rawValue }

    func check(at location: String) throws {
        switch self {
        case .debitsMoveTheBalanceByExactlyTheRowsAndRecordBeforeAndAfter: try LedgerContract.debits(at: location)
        case .totalsCountEveryStatusAndSumOnlyTheWindow: try LedgerContract.totals(at: location)
        case .keysAreFoundByDigestAndTenantsAreNotDuplicated: try LedgerContract.keys(at: location)
        case .concurrentWritersOnSeveralConnectionsLoseNoUpdate: try LedgerContract.concurrentWriters(at: location)
        case .textOfAnyLengthIsStoredExactly: try LedgerContract.textOfAnyLength(at: location)
        case .batchesOfEverySizeAreWrittenWholeAndInOrder: try LedgerContract.batchesOfEverySize(at: location)
        case .aSecondRowForOneRequestIDIsRefusedAndNothingOfItsBatchIsWritten: try LedgerContract.secondRowRefused(at: location)
        case .whatWentUnpricedIsKeptAndARepriceDebitsEachRowOnce: try LedgerContract.unpricedAndRepriced(at: location)
        case .aLedgerOfAnEarlierVersionGetsTheNewColumnsAndKeepsItsRows: try LedgerContract.earlierVersion(at: location)
        }
    }
}

@Suite("SQLite ledger")
struct SQLiteLedgerTests {
    @Test(arguments: LedgerClause.allCases)
    func aSQLiteFileHoldsTheLedgerContract(_ clause: LedgerClause) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("usagetap-ledger-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        try clause.check(at: path)
    }
}

@Suite("PostgreSQL ledger", .enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresLedgerTests {
    @Test(arguments: LedgerClause.allCases)
    func aPostgreSQLDatabaseHoldsTheLedgerContract(_ clause: LedgerClause) throws {
        try clause.check(at: try TestPostgres.newDatabase())
    }
}

/// PostgreSQL's statements and failed connections, without a server.
@Suite("PostgreSQL without a server")
struct PostgresWithoutServerTests {
    @Test func aServerThatIsNotThereIsAnErrorNamingPostgreSQLNotACrash() throws {
        // A loopback port that was free a moment ago: nothing listens there, so the connection
        // is refused at once.
        let port = Loopback.freePort()
        #expect {
            try SQLLedger.open("postgres://nobody@127.0.0.1:\(port)/ledger")
        } throws: { error in
            "\(error)".hasPrefix("PostgreSQL: ") && "\(error)".contains("127.0.0.1")
        }
    }

    @Test func aServerThatNeverAnswersIsGivenUpOnInsteadOfWaitedForForever() throws {
        let server = Loopback.silentListener()
        defer { close(server.fd) }
        // libpq alone would wait for the server's reply with no limit; the ledger's default
        // connect timeout (10 s) ends it. The open runs on a thread of its own so that, were it
        // to hang, this test fails after a minute rather than hanging the suite.
        let outcome = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do {
                _ = try SQLLedger.open("postgres://nobody@127.0.0.1:\(server.port)/ledger")
                outcome.withLock { $0 = "connected" }
            } catch {
                outcome.withLock { $0 = "\(error)" }
            }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 60) == .success, "the connection attempt is still waiting after a minute")
        #expect(outcome.withLock { $0 }?.hasPrefix("PostgreSQL: ") == true)
    }

    @Test func questionMarkPlaceholdersAreNumberedOutsideQuotedText() {
        #expect(PostgresConnection.numberingPlaceholders("SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)")
                == "SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)")
    }
}

/// The clauses' checks, on the ledger at a location.
enum LedgerContract {
    /// A row; its request id is `r` and its time unless given (ids are unique in a ledger).
    static func entry(tenant: Int64, at: Int64, cost: Int64?, status: Int = 200, input: Int = 5, output: Int = 7,
                      requestID: String? = nil) -> LedgerEntry {
        LedgerEntry(atMicros: at, requestID: requestID ?? "r\(at)", tenantID: tenant, keyID: 1, provider: "api.example",
                    status: status, outcome: status == 200 ? "completed" : "upstream_failed",
                    usage: UsageRecord(apiProtocol: .chat, model: "m", finished: true, inputTokens: input,
                                       outputTokens: output, totalTokens: input + output),
                    cost: cost.map { Cost(priceEntry: "m", input: Money(nanos: $0), cachedInput: Money(nanos: 0), cacheWrite: Money(nanos: 0), output: Money(nanos: 0), request: Money(nanos: 0), webSearch: Money(nanos: 0)) })
    }

    static func debits(at location: String) throws {
        let store = try SQLLedger.open(location)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        #expect(try store.topUp(tenantID: tenant.id, nanos: 1_000, atMicros: 2) == 1_000)
        var written = [Self.entry(tenant: tenant.id, at: 10, cost: 300), Self.entry(tenant: tenant.id, at: 11, cost: nil),
                       Self.entry(tenant: tenant.id, at: 12, cost: 900)]
        try store.append(&written)
        #expect(written.map(\.balanceBefore) == [1_000, 700, 700])
        #expect(written.map(\.balanceAfter) == [700, 700, -200])
        #expect(try store.balance(tenantID: tenant.id) == -200)
        let reread = try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: 100)
        #expect(reread == written)
    }

    static func totals(at location: String) throws {
        let store = try SQLLedger.open(location)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        let other = try store.addTenant(named: "other", atMicros: 1)
        var rows = [Self.entry(tenant: tenant.id, at: 99, cost: 1), Self.entry(tenant: tenant.id, at: 100, cost: 10),
                    Self.entry(tenant: tenant.id, at: 150, cost: 20, status: 502), Self.entry(tenant: tenant.id, at: 200, cost: 40),
                    Self.entry(tenant: other.id, at: 150, cost: 80, requestID: "other-150")]
        try store.append(&rows)
        let totals = try store.totals(tenantID: tenant.id, fromMicros: 100, toMicros: 200)
        #expect(totals.costNanos == 30 && totals.requestCount == 2 && totals.successCount == 1)
        #expect(totals.promptTokens == 10 && totals.completionTokens == 14 && totals.totalTokens == 24)
        #expect(try store.totals(tenantID: tenant.id, fromMicros: 300, toMicros: 400) == UsageTotals())
    }

    static func keys(at location: String) throws {
        let store = try SQLLedger.open(location)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        #expect(try store.addTenant(named: "acme", atMicros: 2).id == tenant.id)
        let key = CustomerKey.generate()
        let keyID = try store.addKey(digest: CustomerKey.digest(of: key), label: CustomerKey.label(of: key), tenantID: tenant.id, atMicros: 3)
        let second = try store.addKey(digest: CustomerKey.digest(of: key + "2"), label: "second", tenantID: tenant.id, atMicros: 3)
        #expect(second != keyID)
        #expect(try store.keyOwner(digest: CustomerKey.digest(of: key)) == KeyOwner(keyID: keyID, tenant: tenant))
        #expect(try store.keyOwner(digest: CustomerKey.digest(of: key + "x")) == nil)
    }

    /// Empty text, non-ASCII text, text longer than SQLite's bound-text blocks, and enough rows
    /// that their text fills several blocks; in two batches, so that the second reuses what the
    /// first bound.
    static func textOfAnyLength(at location: String) throws {
        let store = try SQLLedger.open(location)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        func entry(_ index: Int, requestID: String, model: String?) -> LedgerEntry {
            var entry = Self.entry(tenant: tenant.id, at: Int64(index), cost: 1)
            entry.requestID = requestID
            entry.provider = index.isMultiple(of: 2) ? "" : "api.example"
            entry.usage.model = model
            return entry
        }
        var first = (0..<300).map { entry($0, requestID: "request-\($0)-" + String(repeating: "x", count: 100), model: "gpt-4o-mini") }
        first.append(entry(300, requestID: String(repeating: "long", count: 10_000), model: "modèle-été-🙂"))
        var second = (301..<340).map { entry($0, requestID: "r\($0)", model: nil) }
        try store.append(&first)
        try store.append(&second)
        let reread = try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max)
        #expect(reread == first + second)
    }

    /// A batch is written as INSERT statements of 32, 16, …, 1 rows, reused from batch to
    /// batch: every size from 1 to 70 (each sum of them), with values that change between
    /// batches, so that a placeholder a statement failed to bind again would show.
    static func batchesOfEverySize(at location: String) throws {
        let store = try SQLLedger.open(location)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        var written: [LedgerEntry] = []
        var at: Int64 = 0
        for size in 1...70 {
            var batch = (0..<size).map { row -> LedgerEntry in
                at += 1
                var entry = Self.entry(tenant: tenant.id, at: at, cost: row.isMultiple(of: 3) ? nil : Int64(size))
                entry.requestID = "batch-\(size)-row-\(row)"
                entry.usage.model = row.isMultiple(of: 2) ? "model-\(size)" : nil
                entry.status = size.isMultiple(of: 5) ? nil : 200 + row
                return entry
            }
            try store.append(&batch)
            written += batch
        }
        #expect(try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max) == written)
        #expect(try store.balance(tenantID: tenant.id) == -written.reduce(0) { $0 + $1.debit })
    }

    /// A replayed journal, or a batch retried after its commit's answer was lost, must not bill
    /// a response twice: the ledger refuses the row, and the whole batch with it.
    static func secondRowRefused(at location: String) throws {
        let store = try SQLLedger.open(location)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        var first = [Self.entry(tenant: tenant.id, at: 10, cost: 300)]
        try store.append(&first)
        var again = [Self.entry(tenant: tenant.id, at: 11, cost: 5), Self.entry(tenant: tenant.id, at: 10, cost: 300)]
        #expect(throws: (any Error).self) { try store.append(&again) }
        #expect(try store.balance(tenantID: tenant.id) == -300)
        #expect(try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max).map(\.requestID) == ["r10"])
        #expect(try store.knownRequestIDs(among: ["r10", "r11", "r12"]) == ["r10"])
        #expect(try store.knownRequestIDs(among: []) == [])
    }

    static func unpricedAndRepriced(at location: String) throws {
        let store = try SQLLedger.open(location)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        var searched = Self.entry(tenant: tenant.id, at: 10, cost: 50)
        searched.unpriced = [.webSearch]
        var unknownModel = Self.entry(tenant: tenant.id, at: 11, cost: nil)
        unknownModel.unpriced = [.model]
        var noUsage = Self.entry(tenant: tenant.id, at: 12, cost: nil)
        noUsage.usage = UsageRecord()
        var rows = [searched, unknownModel, noUsage]
        try store.append(&rows)
        #expect(try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max) == rows)

        // Only the row whose model had no price is to be priced, and only once.
        let waiting = try store.entriesWithUnpricedModel(fromMicros: 0, toMicros: 100)
        #expect(waiting.map(\.entry.requestID) == ["r11"])
        let cost = Cost(priceEntry: "m", input: Money(nanos: 7), cachedInput: Money(nanos: 0), cacheWrite: Money(nanos: 0), output: Money(nanos: 3), request: Money(nanos: 0), webSearch: Money(nanos: 0))
        let id = try #require(waiting.first?.id)
        #expect(try store.price([(id, cost, [])]) == [id])
        #expect(try store.price([(id, cost, [])]) == [])
        #expect(try store.balance(tenantID: tenant.id) == -60)
        #expect(try store.entriesWithUnpricedModel(fromMicros: 0, toMicros: 100).isEmpty)
        let repriced = try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max)[1]
        #expect(repriced.cost == cost && repriced.unpriced == [])
    }

    /// A ledger table as the versions before issue 18 made it (no `unpriced`, no
    /// `cache_write_1h_tokens`), with one row.
    static func earlierVersion(at location: String) throws {
        let old: any SQLDatabase = SQLLedger.isPostgresURL(location)
            ? try PostgresConnection(url: location) : try SQLiteConnection(path: location)
        let added = ["unpriced", "cache_write_1h_tokens"]
        let earlier = LedgerColumns.all.filter { !added.contains("\($0.name)") }
        try old.execute("""
            CREATE TABLE tenants (id \(old.identityColumnType), name TEXT NOT NULL UNIQUE, currency TEXT NOT NULL DEFAULT 'USD',
                balance_nanos BIGINT NOT NULL DEFAULT 0, created_micros BIGINT NOT NULL);
            INSERT INTO tenants (name, created_micros) VALUES ('acme', 1);
            CREATE TABLE ledger (id \(old.identityColumnType), \(earlier.map { "\($0.name) \($0.type)" }.joined(separator: ", ")));
            INSERT INTO ledger (at_micros, request_id, tenant_id, key_id, provider, outcome, finished, web_search_requests,
                balance_before_nanos, balance_after_nanos, input_tokens, output_tokens)
                VALUES (5, 'old-row', 1, 1, 'api.example', 'completed', 1, 0, 0, 0, 3, 4);
            """)
        let store = try SQLLedger.open(location)
        #expect(try old.columnNames(of: "ledger").isSuperset(of: added))
        let tenant = try #require(try store.tenant(named: "acme"))
        let rows = try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max)
        #expect(rows.map(\.requestID) == ["old-row"] && rows.first?.unpriced == [])
        // A count the old row has no column for is 0, as the record's contract says.
        #expect(rows.first?.usage.cacheWrite1hTokens == 0)
        // A null cost with usage, from before `unpriced` existed, is one reprice can price.
        #expect(try store.entriesWithUnpricedModel(fromMicros: 0, toMicros: 100).map(\.entry.requestID) == ["old-row"])
        var new = [Self.entry(tenant: tenant.id, at: 6, cost: 1)]
        new[0].unpriced = [.webSearch]
        try store.append(&new)
        #expect(try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max).last?.unpriced == [.webSearch])
    }

    /// Three connections (as two proxies and a `usagetap topup` would have) debit and top up one
    /// tenant at once; every change must land.
    static func concurrentWriters(at location: String) throws {
        let setup = try SQLLedger.open(location)
        let tenant = try setup.addTenant(named: "shared", atMicros: 1)
        let bystander = try setup.addTenant(named: "bystander", atMicros: 1)
        let batches = 200, rowsPerBatch = 5
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { writer in
            do {
                let store = try SQLLedger.open(location)
                for batch in 0..<batches {
                    if writer == 2 {
                        _ = try store.topUp(tenantID: tenant.id, nanos: 1_000, atMicros: Int64(batch))
                    } else {
                        // Both tenants in each batch, in the writers' opposite orders.
                        let rows = (0..<rowsPerBatch).map { row in
                            Self.entry(tenant: tenant.id, at: Int64(batch), cost: 7, requestID: "w\(writer)-b\(batch)-r\(row)")
                        }
                        let other = [Self.entry(tenant: bystander.id, at: Int64(batch), cost: 1, requestID: "w\(writer)-b\(batch)-other")]
                        var batch = writer == 0 ? rows + other : other + rows
                        try store.append(&batch)
                    }
                }
            } catch {
                failures.withLock { $0.append("writer \(writer): \(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let rows = try setup.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max)
        #expect(rows.count == 2 * batches * rowsPerBatch)
        #expect(try setup.balance(tenantID: tenant.id) == Int64(batches) * 1_000 - rows.reduce(0) { $0 + $1.debit })
    }

}

/// Customer keys themselves, without a database.
@Suite("Customer keys")
struct CustomerKeyTests {
    @Test func keysAreLongRandomAndHashedWithSHA256() {
        let keys = (0..<1_000).map { _ in CustomerKey.generate() }
        #expect(Set(keys).count == keys.count)
        #expect(keys.allSatisfy { $0.hasPrefix("ut-") && $0.count == 43 && $0.dropFirst(3).allSatisfy { $0.isLetter || $0.isNumber } })
        // FIPS 180-2's example.
        #expect(CustomerKey.digest(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
