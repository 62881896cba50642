import Foundation
import Metering
import Testing
import TestSupport

/// `kill -9` of a metered proxy while h2load runs, then a restart on the same ledger: the usage
/// journal must leave every delivered response billed exactly once.
@Suite(.serialized) struct KillUnderLoadTests {
    static let requestsPerRun = 20_000
    static let clients = 16
    static let streamsPerClient = 8

    @Test(.enabled(if: Peers.nghttpd != nil && Peers.h2load != nil, "nghttpd or h2load missing: run ./test"))
    func aProxyKilledFiveTimesUnderLoadBillsEveryDeliveredResponseOnceAfterEachRestart() throws {
        let folder = try ScratchFolder("kill-sqlite")
        // Killed once this many responses have ended (by the usage log): early, while the first
        // batches are written, and later, with thousands of rows behind. By count, not time: a
        // fast machine finishes all 20,000 in well under a second.
        try killAndRestart(ledger: folder.path("ledger.db"), folder: folder, afterResponses: [200, 1_500, 4_000, 7_000, 10_000])
    }

    @Test(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason),
          .enabled(if: Peers.nghttpd != nil && Peers.h2load != nil, "nghttpd or h2load missing: run ./test"))
    func aProxyKilledUnderLoadBillsEveryDeliveredResponseOnceOnPostgreSQL() throws {
        let folder = try ScratchFolder("kill-postgres")
        try killAndRestart(ledger: try TestPostgres.newDatabase(), folder: folder, afterResponses: [3_000])
    }

    private func killAndRestart(ledger: String, folder: ScratchFolder, afterResponses thresholds: [Int]) throws {
        let upstream = try SharedPostgresLedgerTests.upstreamServingTheChatStream(in: folder)
        let added = try run(Peers.usagetap, ["keys", "add", "--tenant", "acme", "--balance", "1000", "--ledger", ledger], folder: folder.url)
        try #require(added.status == 0, "keys add: \(added.error)")
        let key = String(decoding: added.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let arguments = ["--upstream-http2", "--require-keys", "--ledger", ledger, "--journal", folder.path("journal")]

        var delivered = 0
        var inFlightAtKills = 0
        for (round, threshold) in thresholds.enumerated() {
            let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", arguments: arguments,
                                           folder: folder, name: "proxy-\(round)")
            let load = try ChildProcess(Peers.h2load!, ["-n", "\(Self.requestsPerRun)", "-c", "\(Self.clients)", "-m", "\(Self.streamsPerClient)",
                                                        "-H", "authorization: Bearer \(key)",
                                                        "http://127.0.0.1:\(proxy.port)/v1/chat/completions"],
                                        name: "h2load-\(round)", folder: folder.url)
            let deadline = ContinuousClock.now + .seconds(60)
            while Self.lines(in: proxy.logPath) < threshold, ContinuousClock.now < deadline { usleep(500) }
            _ = proxy.process.stop(signal: SIGKILL)
            #expect(load.waitForExit(limit: .seconds(120)) != -1)
            let succeeded = try Self.succeeded(in: String(decoding: load.standardOutput, as: UTF8.self))
            #expect(succeeded < Self.requestsPerRun, "round \(round): h2load finished before the kill, which then proved nothing")
            delivered += succeeded
            // At most this many requests were in flight when the process died.
            inFlightAtKills += Self.clients * Self.streamsPerClient

            // The next start replays the journal before it listens.
            let restarted = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", arguments: arguments,
                                               folder: folder, name: "restart-\(round)")
            let store = try SQLLedger.open(ledger)
            let tenant = try #require(try store.tenant(named: "acme"))
            let rows = try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max)
            #expect(rows.count >= delivered, "round \(round): \(delivered) responses delivered, \(rows.count) rows")
            #expect(rows.count <= delivered + inFlightAtKills, "round \(round): more rows than responses that could have been made")
            #expect(Set(rows.map(\.requestID)).count == rows.count, "round \(round): a request id has two rows")
            #expect(rows.allSatisfy { $0.debit > 0 }, "round \(round): a row was not priced")
            let spent = rows.reduce(0) { $0 + $1.debit }
            #expect(try store.balance(tenantID: tenant.id) == 1_000_000_000_000 - spent, "round \(round): the balance is not top-ups minus rows")
            #expect(restarted.process.stop() == 0)
            #expect(restarted.process.standardError.contains("journal"), "round \(round): the restart replayed nothing: \(restarted.process.standardError)")
        }
    }

    /// The lines of a file so far.
    static func lines(in path: String) -> Int {
        // With memchr: a loop over megabytes in Swift is slow in a debug build, and the count
        // must keep up with the proxy.
        (readWholeFile(path) ?? []).withUnsafeBytes { bytes in
            guard var cursor = bytes.baseAddress else { return 0 }
            let end = cursor + bytes.count
            var count = 0
            while cursor < end, let newline = memchr(cursor, 0x0A, end - cursor) {
                count += 1
                cursor = UnsafeRawPointer(newline) + 1
            }
            return count
        }
    }

    /// The `N succeeded` of h2load's report.
    static func succeeded(in report: String) throws -> Int {
        let words = report.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," })
        let index = try #require(words.firstIndex(of: "succeeded"), "no h2load report: \(report)")
        return try #require(Int(words[index - 1]))
    }
}
