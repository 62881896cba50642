import Foundation
import Metering
import MeteringPolicy
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `usagetap proxy --require-keys` with a real SQLite ledger, tenants made by `usagetap keys
/// add`, clients played by curl, and an upstream of the tests' own that records what reaches it.
@Suite(.serialized) struct MeteringThroughProxyTests {
    /// claude-opus-4-6 in the default table: $5 per million input tokens, $25 per million
    /// output tokens. The upstream's stream has 10 input and 4 output tokens.
    static let costOfOneStream: Int64 = 10 * 5_000 + 4 * 25_000
    static let upstreamSecret = "upstream-secret-5f3a9c"
    static let bodyMarker = "request-body-marker-77e1"

    /// A metered proxy in front of an upstream that answers every request with the stream.
    final class Site {
        let folder: ScratchFolder
        let ledgerPath: String
        let upstream: ScriptedUpstream
        let proxy: ProxyUnderTest

        /// With `prices`, the proxy prices by that table (UsageTap's text format) instead of the
        /// default one.
        init(_ name: String, stream: MessagesStream = MessagesStream(deltas: 4, model: "claude-opus-4-6"),
             paced: Bool = false, prices: String? = nil) throws {
            folder = try ScratchFolder(name)
            ledgerPath = folder.path("ledger.db")
            var priceArguments: [String] = []
            if let prices {
                try Data(prices.utf8).write(to: folder.url.appendingPathComponent("prices.txt"))
                priceArguments = ["--prices", folder.path("prices.txt")]
            }
            upstream = try ScriptedUpstream { exchange in
                guard exchange.readRequest() else { return }
                exchange.send(MessagesStream.chunkedHead)
                for event in stream.events {
                    if paced { usleep(50_000) }
                    guard exchange.sendChunk(event) else { return }
                }
                exchange.send("0\r\n\r\n")
            }
            proxy = try ProxyUnderTest(
                upstream: "http://127.0.0.1:\(upstream.port)",
                arguments: ["--require-keys", "--ledger", ledgerPath, "--upstream-bearer-env", "UPSTREAM_TOKEN"] + priceArguments,
                folder: folder, environment: ["UPSTREAM_TOKEN": MeteringThroughProxyTests.upstreamSecret])
        }

        /// A new key for `tenant`, made by the command as an operator would.
        func addKey(tenant: String, balance: String? = nil) throws -> String {
            let result = try run(Peers.usagetap, ["keys", "add", "--tenant", tenant, "--ledger", ledgerPath] + (balance.map { ["--balance", $0] } ?? []), folder: folder.url)
            #expect(result.status == 0, "keys add: \(result.error)")
            return String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// curl's status code and body for a request with `headers`, and how curl ended (a
        /// response broken off after its head still has its status).
        func fetch(_ path: String, headers: [String], http2: Bool = false, method: String = "POST") throws -> (status: Int, body: String, curlExit: Int32, curlError: String) {
            let bodyFile = folder.path("body-\(UUID().uuidString.prefix(6))")
            // A response that never comes fails the test in 20 s instead of hanging it.
            var arguments = ["-sS", "--max-time", "20", "-o", bodyFile, "-w", "%{http_code}", "-X", method]
            if http2 { arguments.append("--http2-prior-knowledge") }
            for header in headers { arguments += ["-H", header] }
            if method == "POST" { arguments += ["-d", #"{"marker":"\#(MeteringThroughProxyTests.bodyMarker)"}"#] }
            let result = try run(Peers.curl!, arguments + ["http://127.0.0.1:\(proxy.port)\(path)"], folder: folder.url)
            let body = String(decoding: readWholeFile(bodyFile) ?? [], as: UTF8.self)
            return (Int(String(decoding: result.output, as: UTF8.self)) ?? -1, body, result.status, result.error)
        }

        /// The ledger as the proxy left it, once `rows` rows are in (they are written in batches
        /// after each response ends).
        func ledger(waitingFor rows: Int, tenant: String) throws -> (tenant: Tenant, entries: [LedgerEntry]) {
            let store = try SQLLedger(sqlitePath: ledgerPath)
            let deadline = ContinuousClock.now + .seconds(10)
            let id = try #require(try store.tenant(named: tenant)).id
            while true {
                let entries = try store.entries(tenantID: id, fromMicros: 0, toMicros: .max)
                if entries.count >= rows || ContinuousClock.now > deadline {
                    // Read after the rows: a batch writes its rows and the balance in one
                    // transaction, so a balance read before the rows may predate them.
                    return (try #require(try store.tenant(named: tenant)), entries)
                }
                usleep(20_000)
            }
        }
    }

    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func aTenantAtZeroBalanceGetsTheExact402BodyForItsAuthStyleAndTheUpstreamReceivesNothing() throws {
        let site = try Site("metering-402")
        let key = try site.addKey(tenant: "broke")
        let bearer = try site.fetch("/v1/messages", headers: ["Authorization: Bearer \(key)"])
        #expect(bearer.status == 402)
        #expect(bearer.body == #"{"error":{"message":"Insufficient balance. Please recharge your wallet.","type":"billing_error","param":null,"code":"insufficient_balance"}}"#)
        let apiKey = try site.fetch("/v1/messages", headers: ["x-api-key: \(key)"], http2: true)
        #expect(apiKey.status == 402)
        #expect(apiKey.body == #"{"type":"error","error":{"type":"billing_error","message":"Insufficient balance. Please recharge your wallet."}}"#)
        #expect(site.upstream.accepted.isEmpty, "the upstream received \(site.upstream.accepted.count) connections")
    }

    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func aResponseWhoseModelHasNoPriceDebitsNothingUntilRepricedAndTwoRepricesDebitItOnce() throws {
        let site = try Site("metering-reprice", prices: "some-other-model input=1 output=1\n")
        let key = try site.addKey(tenant: "acme", balance: "1")
        #expect(try site.fetch("/v1/messages", headers: ["x-api-key: \(key)"]).status == 200)
        let unpriced = try #require(try site.ledger(waitingFor: 1, tenant: "acme").entries.first)
        #expect(unpriced.cost == nil && unpriced.unpriced == [.model])
        #expect(site.proxy.logLines(count: 1).first?["unpriced"] as? [String] == ["model"])

        let today = String(UTCCalendar.timestamp(micros: unpriced.atMicros).prefix(10))
        let runs = try (0..<2).map { _ in
            try run(Peers.usagetap, ["ledger", "reprice", "--from", today, "--to", today, "--prices", "default", "--ledger", site.ledgerPath],
                    folder: site.folder.url)
        }
        #expect(runs.map(\.status) == [0, 0], "\(runs.map(\.error))")
        let reports = try runs.map { try JSONSerialization.jsonObject(with: Data($0.output)) as? [String: Any] }
        #expect(reports.map { $0?["priced"] as? Int } == [1, 0])
        #expect(reports.first??["debited_nanos"] as? Int == Int(Self.costOfOneStream))
        let after = try site.ledger(waitingFor: 1, tenant: "acme")
        #expect(after.tenant.balance == 1_000_000_000 - Self.costOfOneStream)
        #expect(after.entries.first?.cost?.nanos.total == Int128(Self.costOfOneStream) && after.entries.first?.unpriced == [])
    }

    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func missingAndUnknownKeysGet401InTheShapeOfTheirAuthStyle() throws {
        let site = try Site("metering-401")
        let missing = try site.fetch("/v1/chat/completions", headers: [])
        #expect(missing.status == 401)
        #expect(missing.body.contains(#""code":"missing_api_key""#) && missing.body.hasPrefix(#"{"error":{"#))
        let unknownBearer = try site.fetch("/v1/chat/completions", headers: ["Authorization: Bearer ut-not-a-real-key"])
        #expect(unknownBearer.status == 401)
        #expect(unknownBearer.body.contains(#""code":"invalid_api_key""#))
        let unknownAPIKey = try site.fetch("/v1/messages", headers: ["x-api-key: ut-not-a-real-key"], http2: true)
        #expect(unknownAPIKey.status == 401)
        #expect(unknownAPIKey.body == #"{"type":"error","error":{"type":"authentication_error","message":"Invalid API key."}}"#)
        #expect(site.upstream.accepted.isEmpty)
    }

    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func theUpstreamGetsTheConfiguredCredentialInPlaceOfTheCustomerKey() throws {
        let site = try Site("metering-credential")
        let key = try site.addKey(tenant: "acme", balance: "1")
        #expect(try site.fetch("/v1/messages", headers: ["x-api-key: \(key)"]).status == 200)
        #expect(try site.fetch("/v1/messages", headers: ["Authorization: Bearer \(key)"], http2: true).status == 200,
                "usage log: \(site.proxy.logLines()); proxy: \(site.proxy.process.standardError)")
        let heads = site.upstream.accepted.map { $0.requestHead.lowercased() }
        #expect(heads.count == 2)
        for head in heads {
            #expect(head.contains("authorization: bearer \(Self.upstreamSecret)"))
            #expect(!head.contains(key.lowercased()))
            #expect(!head.contains("x-api-key"))
        }
    }

    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func eachResponseIsDebitedAtItsExactCostAndTheBalanceMovesByTheSumOfTheRows() throws {
        let site = try Site("metering-debit")
        let key = try site.addKey(tenant: "acme", balance: "0.01")
        for index in 0..<6 {
            let reply = try site.fetch("/v1/messages", headers: [index.isMultiple(of: 2) ? "x-api-key: \(key)" : "Authorization: Bearer \(key)"], http2: index % 3 == 0)
            #expect(reply.status == 200)
            #expect(reply.curlExit == 0, "request \(index): curl: \(reply.curlError)")
        }
        let (tenant, entries) = try site.ledger(waitingFor: 6, tenant: "acme")
        #expect(entries.count == 6)
        // Read only when an expectation fails.
        func shown() -> Comment { "usage log: \(site.proxy.logLines()); proxy: \(site.proxy.process.standardError)" }
        #expect(entries.allSatisfy { $0.cost?.nanos.total == Int128(Self.costOfOneStream) && $0.usage.inputTokens == 10 && $0.usage.outputTokens == 4 }, shown())
        #expect(entries.allSatisfy { $0.balanceBefore - $0.balanceAfter == $0.debit && $0.provider == "127.0.0.1" && $0.outcome == "completed" }, shown())
        #expect(tenant.balance == 10_000_000 - entries.reduce(0) { $0 + $1.debit })
        #expect(tenant.balance == 10_000_000 - 6 * Self.costOfOneStream)
        // The usage log prices the same responses the same way.
        let logged = site.proxy.logLines(count: 6).compactMap { ($0["cost"] as? [String: Any])?["total"] as? Int }
        #expect(logged == Array(repeating: Int(Self.costOfOneStream), count: 6))
        // Each response has its own request id, the same in the log line and the ledger row:
        // the process's tag, the event loop, the exchange's number.
        let loggedIDs = site.proxy.logLines(count: 6).compactMap { $0["request_id"] as? String }
        #expect(Set(loggedIDs).count == 6 && Set(loggedIDs) == Set(entries.map(\.requestID)), shown())
        #expect(loggedIDs.allSatisfy { $0.wholeMatch(of: /[0-9a-f]+-0-[1-9][0-9]*/) != nil }, "\(loggedIDs)")
    }

    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func aBalanceSpentByEarlierResponsesTurnsTheNextRequestAway() throws {
        let site = try Site("metering-spent")
        // Exactly two streams' worth.
        let key = try site.addKey(tenant: "small", balance: "0.0003")
        #expect(try site.fetch("/v1/messages", headers: ["x-api-key: \(key)"]).status == 200)
        #expect(try site.fetch("/v1/messages", headers: ["x-api-key: \(key)"]).status == 200)
        _ = try site.ledger(waitingFor: 2, tenant: "small")
        // The proxy's cached balance is refreshed by the batch that debited it.
        let deadline = ContinuousClock.now + .seconds(5)
        var status = 0
        repeat {
            status = try site.fetch("/v1/messages", headers: ["x-api-key: \(key)"]).status
        } while status == 200 && ContinuousClock.now < deadline
        #expect(status == 402)
        let (tenant, _) = try site.ledger(waitingFor: 0, tenant: "small")
        #expect(tenant.balance <= 0)
    }

    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func aCancelledStreamIsDebitedForTheUsageSeenBeforeTheClientLeft() throws {
        let site = try Site("metering-cancel", stream: MessagesStream(deltas: 40, model: "claude-opus-4-6"), paced: true)
        let key = try site.addKey(tenant: "acme", balance: "1")
        let client = try #require(RawClient(port: site.proxy.port, request: "POST /v1/messages HTTP/1.1\r\nhost: test\r\nx-api-key: \(key)\r\ncontent-length: 2\r\n\r\n{}"))
        while count(Array("content_block_delta".utf8), in: client.received) < 3 {
            guard !client.readOnce().isEmpty else { break }
        }
        client.hangUp()
        let (_, entries) = try site.ledger(waitingFor: 1, tenant: "acme")
        let entry = try #require(entries.first)
        #expect(entry.outcome == "client_cancelled")
        #expect(entry.usage.inputTokens == 10)
        // message_start said 1 output token; the cumulative count at the end never arrived.
        #expect(entry.debit == 10 * 5_000 + 1 * 25_000 && entry.cost != nil)
        #expect(entry.balanceBefore - entry.balanceAfter == entry.debit)
    }

    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func usageIsAnsweredByTheProxyFromTheLedgerInEitherAuthStyle() throws {
        let site = try Site("metering-usage")
        let key = try site.addKey(tenant: "acme", balance: "1")
        for _ in 0..<3 { #expect(try site.fetch("/v1/messages", headers: ["x-api-key: \(key)"]).status == 200) }
        let (_, entries) = try site.ledger(waitingFor: 3, tenant: "acme")
        let accepted = site.upstream.accepted.count
        for headers in [["Authorization: Bearer \(key)"], ["x-api-key: \(key)"]] {
            let reply = try site.fetch("/v1/usage", headers: headers, method: "GET")
            #expect(reply.status == 200)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
            #expect(object["currency"] as? String == "USD")
            for window in ["daily", "weekly", "monthly"] {
                let totals = try #require(object[window] as? [String: Any])
                #expect(totals["cost_micro"] as? Int == Int(UsageReport.micros(ofNanos: entries.reduce(0) { $0 + $1.debit })))
                #expect(totals["prompt_tokens"] as? Int == 30)
                #expect(totals["completion_tokens"] as? Int == 12)
                #expect(totals["total_tokens"] as? Int == 42)
                #expect(totals["request_count"] as? Int == 3)
                #expect(totals["success_count"] as? Int == 3)
            }
        }
        #expect(site.upstream.accepted.count == accepted, "GET /v1/usage went upstream")
        let unknown = try site.fetch("/v1/usage", headers: ["x-api-key: ut-unknown"], method: "GET")
        #expect(unknown.status == 401)
    }

    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func aStatementLineSumsToItsTotalToTheNanoUnit() throws {
        let site = try Site("metering-export")
        let key = try site.addKey(tenant: "acme", balance: "1")
        for _ in 0..<4 { #expect(try site.fetch("/v1/messages", headers: ["x-api-key: \(key)"]).status == 200) }
        _ = try site.ledger(waitingFor: 4, tenant: "acme")
        let today = UTCCalendar.date(days: Int64(Date().timeIntervalSince1970) / 86_400)
        let day = String(format: "%04d-%02d-%02d", today.year, today.month, today.day)
        let export = try run(Peers.usagetap, ["ledger", "export", "--tenant", "acme", "--from", day, "--to", day, "--ledger", site.ledgerPath], folder: site.folder.url)
        #expect(export.status == 0, "\(export.error)")
        let lines = String(decoding: export.output, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.count == 5)
        let rows = lines.dropLast()
        let total = try #require(lines.last)
        #expect(total["request_count"] as? Int == 4)
        #expect(total["cost_nanos"] as? Int == rows.reduce(0) { $0 + ($1["cost_nanos"] as? Int ?? 0) })
        #expect(total["cost_nanos"] as? Int == Int(4 * Self.costOfOneStream))
        #expect(total["cost_usd"] as? String == "0.000600000")
        let csv = try run(Peers.usagetap, ["ledger", "export", "--tenant", "acme", "--from", day, "--to", day, "--csv", "--ledger", site.ledgerPath], folder: site.folder.url)
        let csvLines = String(decoding: csv.output, as: UTF8.self).split(separator: "\n")
        #expect(csvLines.count == 6 && csvLines.last?.hasPrefix("total,") == true && csvLines.last?.contains(",600000,0.000600000,") == true)
        #expect(csvLines.first == "at,request_id,key_id,provider,status,outcome,protocol,model,finished,error,input_tokens,output_tokens,total_tokens,cached_input_tokens,cache_write_tokens,cache_write_1h_tokens,reasoning_tokens,web_search_requests,price_entry,cost_nanos,cost_usd,unpriced,balance_before_nanos,balance_after_nanos")
        // The total's cost lies under the rows' cost_nanos column.
        let costColumn = csvLines.first?.split(separator: ",").firstIndex(of: "cost_nanos")
        #expect(costColumn != nil && costColumn == csvLines.last?.split(separator: ",", omittingEmptySubsequences: false).firstIndex(of: "600000"))
    }

    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func noKeyCredentialOrBodyAppearsInTheLogTheLedgerOrTheProxysMessages() throws {
        let site = try Site("metering-secrets")
        let key = try site.addKey(tenant: "acme", balance: "1")
        let broke = try site.addKey(tenant: "broke")
        #expect(try site.fetch("/v1/messages", headers: ["x-api-key: \(key)"]).status == 200)
        #expect(try site.fetch("/v1/messages", headers: ["Authorization: Bearer \(key)"], http2: true).status == 200)
        #expect(try site.fetch("/v1/messages", headers: ["x-api-key: \(broke)"]).status == 402)
        #expect(try site.fetch("/v1/messages", headers: ["x-api-key: ut-wrong-\(key.dropFirst(3))"]).status == 401)
        _ = try site.ledger(waitingFor: 2, tenant: "acme")
        #expect(site.proxy.process.stop() == 0)
        let secrets = [key, String(key.dropFirst(3)), broke, Self.upstreamSecret, Self.bodyMarker]
        let files = try FileManager.default.contentsOfDirectory(atPath: site.folder.url.path)
            .filter { $0.hasPrefix("proxy") || $0.hasPrefix("ledger") }
        #expect(files.contains("proxy.jsonl") && files.contains("ledger.db") && files.contains("proxy.err"))
        for file in files {
            let bytes = readWholeFile(site.folder.path(file)) ?? []
            for secret in secrets {
                #expect(count(Array(secret.utf8), in: bytes) == 0, "\(file) holds a secret")
            }
        }
    }
}
