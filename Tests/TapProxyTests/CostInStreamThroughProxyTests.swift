import Foundation
import Testing
import TestSupport

/// `usagetap proxy --cost-in-stream`: every recorded stream reaches the client with the
/// `cost_usd_*` members added to its usage objects and nothing else changed, the last of them
/// carrying the usage line's total, and the official Python SDKs read every event of it.
@Suite(.serialized) struct CostInStreamThroughProxyTests {
    /// The members the proxy adds, with the brace they go before left in place.
    static var members: Regex<AnyRegexOutput> { try! Regex(
        #",?"cost_usd_total":([0-9]+\.[0-9]{9}),"cost_usd_input":([0-9]+\.[0-9]{9}),"cost_usd_output":([0-9]+\.[0-9]{9}),"cost_usd_cached_input":([0-9]+\.[0-9]{9}),"cost_usd_request":([0-9]+\.[0-9]{9}),"cost_usd_web_search":([0-9]+\.[0-9]{9})(?=\})"#) }

    /// The body without the added members, and each addition's total and the sum of its parts.
    static func removingCosts(_ body: [UInt8]) -> (original: [UInt8], totals: [(total: Decimal, parts: Decimal)]) {
        let text = String(decoding: body, as: UTF8.self)
        var totals: [(Decimal, Decimal)] = []
        for match in text.matches(of: members) {
            let values = (1...6).map { Decimal(string: String(match.output[$0].substring!))! }
            totals.append((values[0], values[1...].reduce(0, +)))
        }
        return (Array(text.replacing(members, with: "").utf8), totals)
    }

    /// The log line's total, as a decimal (nil where the response was not priced).
    static func loggedTotal(_ line: [String: Any]?) -> Decimal? {
        ((line?["cost"] as? [String: Any])?["total_usd"] as? String).flatMap { Decimal(string: $0) }
    }

    @Test(.enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason),
          .enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func everyRecordedStreamDiffersFromTheUpstreamsBytesOnlyByTheCostAddedBeforeItsUsageBraces() throws {
        let folder = try ScratchFolder("cost-in-stream")
        let site = try FixtureSite(in: folder)
        let upstream = try Nghttpd(root: site.root, folder: folder)
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", arguments: ["--upstream-http2", "--cost-in-stream"],
                                       folder: folder)
        var priced = 0
        for page in site.pages {
            for version in ["--http1.1", "--http2-prior-knowledge"] {
                let linesBefore = proxy.logLines().count
                let result = try run(Peers.curl!, ["-sS", "--fail-with-body", version, "-H", "content-type: application/json", "--data-binary", "{}",
                                                   "http://127.0.0.1:\(proxy.port)\(page.path)"], folder: folder.url)
                #expect(result.status == 0, "\(page.fixture.name) \(version): \(result.error)")
                let line = proxy.logLines(count: linesBefore + 1).dropFirst(linesBefore).first
                let (original, totals) = Self.removingCosts(result.output)
                #expect(original == page.fixture.stream, "\(page.fixture.name) \(version): more than the cost members differ")
                #expect(line?["response_bytes"] as? Int == result.output.count, "\(page.fixture.name) \(version)")
                for (total, parts) in totals { #expect(total == parts, "\(page.fixture.name): total \(total), parts \(parts)") }
                if let logged = Self.loggedTotal(line) {
                    priced += 1
                    #expect(totals.last?.total == logged, "\(page.fixture.name) \(version): added \(totals.map(\.total)), logged \(logged)")
                } else {
                    #expect(totals.isEmpty, "\(page.fixture.name) \(version): not priced, yet \(totals.count) costs were added")
                }
            }
        }
        // Each protocol's priced fixtures (gpt-4o-mini, o3, gpt-4.1, gpt-5, Claude, Gemini).
        #expect(priced >= 2 * 9, "only \(priced) priced fetches")
        #expect(proxy.process.stop() == 0)
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func aJSONBodyGainsItsCostAndLosesItsContentLengthGoingChunkedToAnHTTP1Client() throws {
        let folder = try ScratchFolder("cost-in-body")
        let root = folder.path("htdocs")
        let body = #"{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100}}"#
        try FileManager.default.createDirectory(atPath: root + "/v1/chat", withIntermediateDirectories: true)
        try body.write(toFile: root + "/v1/chat/completions", atomically: true, encoding: .utf8)
        let upstream = try Nghttpd(root: root, folder: folder)
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", arguments: ["--upstream-http2", "--cost-in-stream"],
                                       folder: folder)
        let headers = folder.path("headers")
        let result = try run(Peers.curl!, ["-sS", "--http1.1", "-D", headers, "--data-binary", "{}", "http://127.0.0.1:\(proxy.port)/v1/chat/completions"],
                             folder: folder.url)
        #expect(result.status == 0, "\(result.error)")
        let head = try String(contentsOfFile: headers, encoding: .utf8).lowercased()
        #expect(!head.contains("content-length"), "\(head)")
        #expect(head.contains("transfer-encoding: chunked"), "\(head)")
        // gpt-4o-mini: 1,000 input tokens at 0.15 $/M and 100 output at 0.60 $/M.
        let expected = body.replacingOccurrences(of: #""total_tokens":1100}"#, with:
            #""total_tokens":1100,"cost_usd_total":0.000210000,"cost_usd_input":0.000150000,"cost_usd_output":0.000060000,"cost_usd_cached_input":0.000000000,"cost_usd_request":0.000000000,"cost_usd_web_search":0.000000000}"#)
        #expect(String(decoding: result.output, as: UTF8.self) == expected)
        #expect(proxy.process.stop() == 0)
    }

    /// The virtual environment `./test` makes with the official SDKs (`USAGETAP_SDK_PYTHON`).
    static let sdkPython = ProcessInfo.processInfo.environment["USAGETAP_SDK_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }

    @Test(.enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason),
          .enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"),
          .enabled(if: sdkPython != nil, "USAGETAP_SDK_PYTHON is not set: ./test makes a virtual environment with the openai, anthropic and google-genai SDKs"))
    func theOfficialSDKsParseEveryEventOfEveryStreamAsWithoutTheFlagAndReadTheLoggedCost() throws {
        let folder = try ScratchFolder("cost-in-stream-sdks")
        let site = try FixtureSite(in: folder)
        let upstream = try Nghttpd(root: site.root, folder: folder)
        let plain = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", arguments: ["--upstream-http2", "--prices", "default"],
                                       folder: folder, name: "plain-proxy")
        let costing = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", arguments: ["--upstream-http2", "--cost-in-stream"],
                                         folder: folder, name: "cost-proxy")
        let pages = site.pages.map { ["name": $0.fixture.name, "kind": String($0.fixture.name.prefix(while: { $0 != "_" }))] }
        let pagesJSON = String(decoding: try JSONSerialization.data(withJSONObject: pages), as: UTF8.self)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SDKs/parse_through_proxy.py").path

        func read(through proxy: ProxyUnderTest) throws -> [String: [String: Any]] {
            let result = try run(Self.sdkPython!, [script, "http://127.0.0.1:\(proxy.port)", pagesJSON], folder: folder.url, limit: .seconds(300))
            #expect(result.status == 0, "\(result.error)")
            return (try JSONSerialization.jsonObject(with: Data(result.output)) as? [String: [String: Any]]) ?? [:]
        }
        let without = try read(through: plain)
        let with = try read(through: costing)
        // The cost proxy's log lines, by fixture (its path's first segment).
        var logged: [String: Decimal?] = [:]
        for line in costing.logLines() {
            guard let path = line["path"] as? String else { continue }
            logged[String(path.split(separator: "/").first ?? "")] = Self.loggedTotal(line)
        }
        #expect(with.count == site.pages.count)
        var priced = 0
        for page in site.pages {
            let name = page.fixture.name
            let events = with[name]?["events"] as? Int ?? 0
            #expect(events > 0, "\(name): the SDK yielded no event")
            #expect(events == without[name]?["events"] as? Int, "\(name): \(events) events with costs, \(without[name]?["events"] ?? "none") without")
            #expect((with[name]?["error"] as? String) == (without[name]?["error"] as? String), "\(name): \(with[name]?["error"] ?? "no error") with costs")
            #expect(without[name]?["cost_usd_total"] is NSNull, "\(name): a cost without the flag")
            let read = (with[name]?["cost_usd_total"] as? String).flatMap { Decimal(string: $0) }
            let total = logged[name] ?? nil
            if total != nil { priced += 1 }
            #expect(read == total, "\(name): the SDK read \(read.map { "\($0)" } ?? "no cost"), the log has \(total.map { "\($0)" } ?? "none")")
        }
        #expect(priced >= 9, "only \(priced) fixtures priced")
        #expect(plain.process.stop() == 0)
        #expect(costing.process.stop() == 0)
    }
}
