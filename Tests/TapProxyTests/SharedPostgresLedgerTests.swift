import Foundation
import Metering
import MeteringPolicy
import Testing
import TestSupport

/// Two `usagetap proxy` processes metering the same tenants into one PostgreSQL ledger, driven
/// by h2load as twenty customers at once, in front of nghttpd serving a Chat Completions stream.
@Suite(.serialized) struct SharedPostgresLedgerTests {
    static let tenants = 20
    static let requestsPerTenantPerProxy = 250
    static let startingBalanceNanos: Int64 = 5_000_000_000

    /// 53 prompt tokens of which 13 cached, 20 completion tokens, priced as gpt-4o-mini by the
    /// default table: 40 × 150 + 13 × 75 + 20 × 600 nano-dollars.
    static let costOfOneStream: Int64 = 40 * 150 + 13 * 75 + 20 * 600

    static func chatStream() -> String {
        let head = #""id":"chatcmpl-shared","object":"chat.completion.chunk","created":1782955817,"model":"gpt-4o-mini-2024-07-18""#
        var stream = ""
        for word in 0..<20 {
            stream += #"data: {\#(head),"choices":[{"index":0,"delta":{"content":" w\#(word)"},"finish_reason":null}],"usage":null}"# + "\n\n"
        }
        stream += #"data: {\#(head),"choices":[],"usage":{"prompt_tokens":53,"completion_tokens":20,"total_tokens":73,"prompt_tokens_details":{"cached_tokens":13}}}"# + "\n\n"
        return stream + "data: [DONE]\n\n"
    }

    @Test(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason),
          .enabled(if: Peers.nghttpd != nil && Peers.h2load != nil && Peers.curl != nil, "nghttpd, h2load or curl missing: run ./test"))
    func twoProxiesDebitingTwentyTenantsAtOnceLoseNoUpdateAndReportWhatTheLedgerHolds() throws {
        let folder = try ScratchFolder("shared-postgres")
        let ledger = try TestPostgres.newDatabase()
        let upstream = try Self.upstreamServingTheChatStream(in: folder)

        var keys: [String] = []
        for tenant in 0..<Self.tenants {
            let added = try run(Peers.usagetap, ["keys", "add", "--tenant", "t\(tenant)", "--balance", "5", "--ledger", ledger], folder: folder.url)
            try #require(added.status == 0, "keys add: \(added.error)")
            keys.append(String(decoding: added.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let proxies = try ["a", "b"].map { name in
            try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                               // A journal each: one process per journal directory.
                               arguments: ["--upstream-http2", "--require-keys", "--ledger", ledger, "--upstream-bearer-env", "UPSTREAM_TOKEN",
                                           "--journal", folder.path("proxy-\(name).journal")],
                               folder: folder, name: "proxy-\(name)", environment: ["UPSTREAM_TOKEN": "upstream-secret"])
        }

        // Five tenants at a time, each through both proxies at once: ten h2load processes.
        for wave in stride(from: 0, to: Self.tenants, by: 5) {
            let loads = try (wave..<wave + 5).flatMap { tenant in
                try proxies.enumerated().map { index, proxy in
                    try ChildProcess(Peers.h2load!, ["-n", "\(Self.requestsPerTenantPerProxy)", "-c", "2", "-m", "4",
                                                     "-H", "authorization: Bearer \(keys[tenant])",
                                                     "http://127.0.0.1:\(proxy.port)/v1/chat/completions"],
                                     name: "h2load-\(tenant)-\(index)", folder: folder.url)
                }
            }
            for load in loads {
                #expect(load.waitForExit(limit: .seconds(120)) == 0)
                let report = String(decoding: load.standardOutput, as: UTF8.self)
                #expect(report.contains("\(Self.requestsPerTenantPerProxy) succeeded, 0 failed"), "\(load.name): \(report)")
            }
        }
        let total = Self.tenants * 2 * Self.requestsPerTenantPerProxy
        for proxy in proxies {
            #expect(proxy.logLines(count: total / 2).count == total / 2)
        }

        let store = try SQLLedger.open(ledger)
        let perTenant = 2 * Self.requestsPerTenantPerProxy
        let now = UTCCalendar.nowMicros()
        for (index, key) in keys.enumerated() {
            let tenant = try #require(try store.tenant(named: "t\(index)"))
            let rows = try waitForRows(perTenant, of: tenant, in: store)
            #expect(rows.count == perTenant)
            #expect(rows.allSatisfy { $0.cost?.nanos.total == Int128(Self.costOfOneStream) && $0.outcome == "completed" })
            let spent = rows.reduce(0) { $0 + $1.debit }
            #expect(try store.balance(tenantID: tenant.id) == Self.startingBalanceNanos - spent, "tenant t\(index)")

            // Each window holds the rows since its start (all of them, unless a UTC day, week or
            // month began during the test).
            let report = try usageReport(key: key, proxy: proxies[index % 2], folder: folder)
            let windows = ["daily": UTCCalendar.dayStart(containing: now), "weekly": UTCCalendar.weekStart(containing: now),
                           "monthly": UTCCalendar.monthStart(containing: now)]
            for (window, start) in windows {
                let inWindow = rows.filter { $0.atMicros >= start }
                let totals = try #require(report[window] as? [String: Any])
                #expect(totals["cost_micro"] as? Int == Int(UsageReport.micros(ofNanos: inWindow.reduce(0) { $0 + $1.debit })), "t\(index) \(window)")
                #expect(totals["prompt_tokens"] as? Int == 53 * inWindow.count)
                #expect(totals["completion_tokens"] as? Int == 20 * inWindow.count)
                #expect(totals["total_tokens"] as? Int == 73 * inWindow.count)
                #expect(totals["request_count"] as? Int == inWindow.count)
                #expect(totals["success_count"] as? Int == inWindow.count)
            }
        }
    }

    @Test(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason),
          .enabled(if: Peers.nghttpd != nil && Peers.h2load != nil, "nghttpd or h2load missing: run ./test"))
    func aLedgerConnectionTheServerCutsIsMadeAnewAndNoRequestOrRowIsLost() throws {
        let folder = try ScratchFolder("postgres-cut")
        let ledger = try TestPostgres.newDatabase()
        let upstream = try Self.upstreamServingTheChatStream(in: folder)
        let added = try run(Peers.usagetap, ["keys", "add", "--tenant", "cut", "--balance", "5", "--ledger", ledger], folder: folder.url)
        try #require(added.status == 0, "keys add: \(added.error)")
        let key = String(decoding: added.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                                       arguments: ["--upstream-http2", "--require-keys", "--ledger", ledger, "--upstream-bearer-env", "UPSTREAM_TOKEN",
                                                   "--journal", folder.path("journal")],
                                       folder: folder, environment: ["UPSTREAM_TOKEN": "upstream-secret"])
        func wave(_ number: Int) throws {
            let load = try ChildProcess(Peers.h2load!, ["-n", "200", "-c", "2", "-m", "4", "-H", "authorization: Bearer \(key)",
                                                        "http://127.0.0.1:\(proxy.port)/v1/chat/completions"],
                                        name: "h2load-\(number)", folder: folder.url)
            #expect(load.waitForExit(limit: .seconds(120)) == 0)
            let report = String(decoding: load.standardOutput, as: UTF8.self)
            #expect(report.contains("200 succeeded, 0 failed"), "wave \(number): \(report)")
        }
        // As a server restart or a failover would: the server ends the proxy's session.
        func cutTheProxysConnection() throws {
            let database = String(ledger[ledger.index(after: ledger.lastIndex(of: "/")!)...])
            let cut = try run("/usr/bin/psql", ["-tA", TestPostgres.adminURL!, "-c",
                                                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database)'"],
                              folder: folder.url)
            let sessions = Int(String(decoding: cut.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(sessions >= 1, "no session of the proxy to cut: \(cut.error)")
        }

        try wave(1)
        #expect(try waitForRows(200, ofTenantNamed: "cut", in: ledger).count == 200)
        try cutTheProxysConnection()
        // Past the key cache's second, the next request asks the ledger, on the cut connection.
        usleep(1_100_000)
        try wave(2)
        #expect(try waitForRows(400, ofTenantNamed: "cut", in: ledger).count == 400)
        // Now whichever comes first, a batch of rows or a lookup, meets the cut.
        try cutTheProxysConnection()
        try wave(3)
        let rows = try waitForRows(600, ofTenantNamed: "cut", in: ledger)
        #expect(rows.count == 600)
        #expect(rows.allSatisfy { $0.cost?.nanos.total == Int128(Self.costOfOneStream) })
        #expect(Set(rows.map(\.requestID)).count == 600, "a row was written twice")
        let store = try SQLLedger.open(ledger)
        let tenant = try #require(try store.tenant(named: "cut"))
        #expect(tenant.balance == Self.startingBalanceNanos - 600 * Self.costOfOneStream)
    }

    /// nghttpd serving ``chatStream()`` at /v1/chat/completions.
    static func upstreamServingTheChatStream(in folder: ScratchFolder) throws -> Nghttpd {
        let page = folder.url.appendingPathComponent("htdocs/v1/chat/completions")
        try FileManager.default.createDirectory(at: page.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(Self.chatStream().utf8).write(to: page)
        return try Nghttpd(root: folder.path("htdocs"), folder: folder)
    }

    /// The rows of the tenant of that name once there are `count`, read on a connection of
    /// their own (a cut may have ended any other), or what there is after ten seconds.
    private func waitForRows(_ count: Int, ofTenantNamed name: String, in ledger: String) throws -> [LedgerEntry] {
        let store = try SQLLedger.open(ledger)
        let tenant = try #require(try store.tenant(named: name))
        return try waitForRows(count, of: tenant, in: store)
    }

    /// The tenant's rows once there are `count` (the proxies write theirs a few milliseconds
    /// after each response ends), or what there is after ten seconds.
    private func waitForRows(_ count: Int, of tenant: Tenant, in store: SQLLedger) throws -> [LedgerEntry] {
        let deadline = ContinuousClock.now + .seconds(10)
        var rows = try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max)
        while rows.count < count, ContinuousClock.now < deadline {
            usleep(20_000)
            rows = try store.entries(tenantID: tenant.id, fromMicros: 0, toMicros: .max)
        }
        return rows
    }

    private func usageReport(key: String, proxy: ProxyUnderTest, folder: ScratchFolder) throws -> [String: Any] {
        let reply = try run(Peers.curl!, ["-s", "--max-time", "20", "-H", "Authorization: Bearer \(key)",
                                          "http://127.0.0.1:\(proxy.port)/v1/usage"], folder: folder.url)
        return try #require(try JSONSerialization.jsonObject(with: Data(reply.output)) as? [String: Any],
                            "GET /v1/usage: \(String(decoding: reply.output, as: UTF8.self))")
    }
}
