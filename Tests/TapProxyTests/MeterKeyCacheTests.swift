import Foundation
import Metering
import NIOCore
import NIOPosix
import Testing
@testable import TapProxy

/// The meter's cache of key owners, over a real SQLite ledger.
@Suite struct MeterKeyCacheTests {
    @Test func aKeyInSteadyUseIsReadAgainInTheBackgroundAndNeverExpires() throws {
        let folder = try ScratchFolder("meter-keys")
        let store = try MeterBatchingTests.CountingLedger(path: folder.path("ledger.db"))
        let tenant = try store.addTenant(named: "acme", atMicros: 1)
        _ = try store.topUp(tenantID: tenant.id, nanos: 1_000, atMicros: 2)
        let key = CustomerKey.generate()
        _ = try store.addKey(digest: CustomerKey.digest(of: key), label: CustomerKey.label(of: key), tenantID: tenant.id, atMicros: 3)
        let meter = Meter(provider: "api.example", store: store)
        defer { meter.drainAndStop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }

        let started = ContinuousClock.now
        guard case .allowed(let first) = try meter.lookUp(key: key[...], on: group.next()).wait() else {
            Issue.record("the key was not found")
            return
        }
        #expect(first.tenant.balance == 1_000)
        // Another process tops the tenant up: this proxy sees it when it next reads the key.
        _ = try SQLLedger(sqlitePath: folder.path("ledger.db")).topUp(tenantID: tenant.id, nanos: 500, atMicros: 4)

        // Requests every 20 ms for three seconds, three times the cache's limit: each is
        // answered from the cache, which background reads keep fresh.
        var balances: [Int64?] = []
        for _ in 0..<150 {
            balances.append(meter.freshOwner(of: key[...])?.tenant.balance)
            usleep(20_000)
        }
        #expect(!balances.contains(nil), "a request found the key expired and would have waited for a lookup")
        #expect(balances.first == 1_000)
        #expect(balances.last == 1_500)
        // The first lookup, then at most one background read per refresh age: not one per request.
        let reads = store.ownerReads.withLock { $0 }
        let elapsed = ContinuousClock.now - started
        let refreshAges = Int(elapsed / .microseconds(Meter.ownerRefreshAge))
        #expect(reads >= 2 && reads <= 2 + refreshAges, "\(reads) reads of the key for 150 requests in \(elapsed)")
    }
}
