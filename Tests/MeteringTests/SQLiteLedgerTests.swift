import Foundation
import Metering
import Testing
import UsageTap

/// The SQLite ledger on a real database file.
@Suite("SQLite ledger")
struct SQLiteLedgerTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("usagetap-ledger-\(UUID().uuidString).db").path
    }

    static func entry(tenant: Int64, at: Int64, cost: Int64?, status: Int = 200, input: Int = 5, output: Int = 7) -> LedgerEntry {
        LedgerEntry(atMicros: at, requestID: "r\(at)", tenantID: tenant, keyID: 1, provider: "api.example",
                    status: status, outcome: status == 200 ? "completed" : "upstream_failed",
                    usage: UsageRecord(apiProtocol: .chat, model: "m", finished: true, inputTokens: input,
                                       outputTokens: output, totalTokens: input + output),
                    cost: cost.map { CostNanos(priceEntry: "m", input: $0, cachedInput: 0, cacheWrite: 0, output: 0, request: 0, webSearch: 0) })
    }

    @Test func debitsMoveTheBalanceByExactlyTheRowsAndRecordBeforeAndAfter() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteLedger(path: path)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        #expect(try store.topUp(tenantID: tenant.id, nanos: 1_000, atMicros: 2) == 1_000)
        let written = try store.append([Self.entry(tenant: tenant.id, at: 10, cost: 300), Self.entry(tenant: tenant.id, at: 11, cost: nil),
                                        Self.entry(tenant: tenant.id, at: 12, cost: 900)])
        #expect(written.map(\.balanceBefore) == [1_000, 700, 700])
        #expect(written.map(\.balanceAfter) == [700, 700, -200])
        #expect(try store.balance(tenantID: tenant.id) == -200)
        let reread = try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: 100)
        #expect(reread == written)
    }

    @Test func totalsCountEveryStatusAndSumOnlyTheWindow() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteLedger(path: path)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        let other = try store.addTenant(named: "other", atMicros: 1)
        _ = try store.append([Self.entry(tenant: tenant.id, at: 99, cost: 1), Self.entry(tenant: tenant.id, at: 100, cost: 10),
                              Self.entry(tenant: tenant.id, at: 150, cost: 20, status: 502), Self.entry(tenant: tenant.id, at: 200, cost: 40),
                              Self.entry(tenant: other.id, at: 150, cost: 80)])
        let totals = try store.totals(tenantID: tenant.id, fromMicros: 100, toMicros: 200)
        #expect(totals.costNanos == 30 && totals.requestCount == 2 && totals.successCount == 1)
        #expect(totals.promptTokens == 10 && totals.completionTokens == 14 && totals.totalTokens == 24)
    }

    @Test func keysAreFoundByDigestAndTenantsAreNotDuplicated() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteLedger(path: path)
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        #expect(try store.addTenant(named: "acme", atMicros: 2).id == tenant.id)
        let key = CustomerKey.generate()
        let keyID = try store.addKey(digest: CustomerKey.digest(of: key), label: CustomerKey.label(of: key), tenantID: tenant.id, atMicros: 3)
        #expect(try store.keyOwner(digest: CustomerKey.digest(of: key)) == KeyOwner(keyID: keyID, tenant: tenant))
        #expect(try store.keyOwner(digest: CustomerKey.digest(of: key + "x")) == nil)
    }

    @Test func keysAreLongRandomAndHashedWithSHA256() {
        let keys = (0..<1_000).map { _ in CustomerKey.generate() }
        #expect(Set(keys).count == keys.count)
        #expect(keys.allSatisfy { $0.hasPrefix("ut-") && $0.count == 43 && $0.dropFirst(3).allSatisfy { $0.isLetter || $0.isNumber } })
        // FIPS 180-2's example.
        #expect(CustomerKey.digest(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
