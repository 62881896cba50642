import Foundation
import Metering
import NIOCore
import NIOPosix
import Testing
@testable import MeteringPolicy
import TestSupport

/// The meter's cache of key owners, over a real SQLite ledger.
@Suite struct MeterKeyCacheTests {
    @Test func aKeyInSteadyUseIsReadAgainInTheBackgroundAndNeverExpires() throws {
        let folder = try ScratchFolder("meter-keys")
        let (meter, store, tenant) = try MeterBatchingTests.meter(in: folder)
        defer { meter.drainAndStop() }
        // Made on a connection of its own, as `usagetap keys add` would: the meter's is its thread's.
        let operatorLedger = try SQLLedger(sqlitePath: folder.path("ledger.db"))
        let key = CustomerKey.generate()
        _ = try operatorLedger.addKey(digest: CustomerKey.digest(of: key), label: CustomerKey.label(of: key), tenantID: tenant.id, atMicros: 3)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }

        let started = ContinuousClock.now
        let lookup = Array(key.utf8).withUnsafeBytes { meter.lookUp(key: $0, on: group.next()) }
        guard case .allowed(let first) = try lookup.wait() else {
            Issue.record("the key was not found")
            return
        }
        #expect(first.tenant.balance == 1_000_000)
        // Another process tops the tenant up: this proxy sees it when it next reads the key.
        _ = try operatorLedger.topUp(tenantID: tenant.id, nanos: 500, atMicros: 4)

        // Requests every 20 ms for three seconds, three times the cache's limit: each is
        // answered from the cache, which background reads keep fresh.
        var balances: [Int64?] = []
        for _ in 0..<150 {
            balances.append(Array(key.utf8).withUnsafeBytes { meter.freshOwner(of: $0) }?.tenant.balance)
            usleep(20_000)
        }
        #expect(!balances.contains(nil), "a request found the key expired and would have waited for a lookup")
        #expect(balances.first == 1_000_000)
        #expect(balances.last == 1_000_500)
        // The first lookup, then at most one background read per refresh age: not one per request.
        let reads = store.ownerReads.withLock { $0 }
        let elapsed = ContinuousClock.now - started
        let refreshAges = Int(elapsed / .microseconds(Meter.ownerRefreshAge))
        #expect(reads >= 2 && reads <= 2 + refreshAges, "\(reads) reads of the key for 150 requests in \(elapsed)")
    }

    @Test func aKnownKeyIsFoundByItsExactBytesOnly() {
        var keys = KnownKeys()
        let stored = (1...40).map { length in Array(("ut-" + String(repeating: "k", count: length)).utf8) }
        for (index, key) in stored.enumerated() {
            let owner = KeyOwner(keyID: Int64(index), tenant: Tenant(id: 1, name: "t", currency: "USD", balance: 0))
            key.withUnsafeBytes { keys.set($0, owner: owner, fetchedMicros: 0) }
        }
        for (index, key) in stored.enumerated() {
            #expect(key.withUnsafeBytes { keys[$0]?.owner.keyID } == Int64(index))
            var changed = key
            changed[changed.count - 1] ^= 0x20
            #expect(changed.withUnsafeBytes { keys[$0] } == nil, "a key one byte off matched")
        }
        #expect(Array("".utf8).withUnsafeBytes { keys[$0] } == nil)
        stored[7].withUnsafeBytes { keys.remove($0) }
        #expect(stored[7].withUnsafeBytes { keys[$0] } == nil)
        #expect(stored[8].withUnsafeBytes { keys[$0]?.owner.keyID } == 8)
    }
}
