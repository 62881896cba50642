import Foundation
import Metering
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
        let page = folder.url.appendingPathComponent("htdocs/v1/chat/completions")
        try FileManager.default.createDirectory(at: page.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(Self.chatStream().utf8).write(to: page)
        let upstream = try Nghttpd(root: folder.path("htdocs"), folder: folder)

        var keys: [String] = []
        for tenant in 0..<Self.tenants {
            let added = try run(Peers.usagetap, ["keys", "add", "--tenant", "t\(tenant)", "--balance", "5", "--ledger", ledger], folder: folder.url)
            try #require(added.status == 0, "keys add: \(added.error)")
            keys.append(String(decoding: added.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let proxies = try ["a", "b"].map { name in
            try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                               arguments: ["--upstream-http2", "--require-keys", "--ledger", ledger, "--upstream-bearer-env", "UPSTREAM_TOKEN"],
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
            #expect(rows.allSatisfy { $0.cost?.total == Self.costOfOneStream && $0.outcome == "completed" })
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
