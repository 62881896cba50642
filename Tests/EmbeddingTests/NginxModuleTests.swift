import Foundation
import Pricing
import Testing
import TestSupport
import UsageTap

/// `ngx_http_usagetap_module` in Debian's nginx, proxying to a loopback upstream that serves
/// every recorded fixture with Content-Length, chunked and gzip: the client gets the file's
/// bytes, and the access log's usage variables hold the fixture's expected record.
@Suite(.serialized,
       .enabled(if: Embedding.nginxModule != nil, Embedding.noModule),
       .enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason))
struct NginxModuleTests {
    /// Every variable the module has, as a JSON object per request (escape=json: a variable
    /// that is not found is written as "").
    static let logFormat = #"""
        log_format usage escape=json '{"uri":"$uri","status":"$status","protocol":"$usagetap_protocol","model":"$usagetap_model","error":"$usagetap_error","finished":"$usagetap_finished","input_tokens":"$usagetap_input_tokens","output_tokens":"$usagetap_output_tokens","total_tokens":"$usagetap_total_tokens","cached_input_tokens":"$usagetap_cached_input_tokens","cache_write_tokens":"$usagetap_cache_write_tokens","cache_write_1h_tokens":"$usagetap_cache_write_1h_tokens","reasoning_tokens":"$usagetap_reasoning_tokens","web_search_requests":"$usagetap_web_search_requests","cost_nanos":"$usagetap_cost_nanos","record":"$usagetap_record"}';
        """#

    private func startNginx(_ folder: ScratchFolder, upstream: FixtureUpstream, buffering: Bool = true) throws -> NginxUnderTest {
        try NginxUnderTest(folder: folder, modules: [Embedding.nginxModule!], http: """
            \(Self.logFormat)
            access_log \(folder.url.path)/logs/access.log usage;
            usagetap on;
            usagetap_prices default;
            server {
                listen 127.0.0.1:PORT;
                location / {
                    proxy_pass http://127.0.0.1:\(upstream.port);
                    proxy_http_version 1.1;
                    proxy_buffering \(buffering ? "on" : "off");
                }
            }
            """)
    }

    /// The log lines by URI, each a dictionary of its fields as text.
    private func logLines(_ nginx: NginxUnderTest, count: Int) -> [String: [String: String]] {
        var byURI: [String: [String: String]] = [:]
        for line in nginx.lines(of: "access.log", atLeast: count) {
            guard let data = line.data(using: .utf8),
                  let fields = try? JSONDecoder().decode([String: String].self, from: data),
                  let uri = fields["uri"] else { continue }
            byURI[uri] = fields
        }
        return byURI
    }

    /// A variable's text as the expected record's value: "" (not found) is null.
    private func value(_ text: String?, of key: String) -> RecordedFixtures.ExpectedValue? {
        guard let text else { return nil }
        if text.isEmpty { return .null }
        if key == "finished" { return .bool(text == "true") }
        if let integer = Int(text), !["model", "error", "protocol"].contains(key) { return .integer(integer) }
        return .string(text)
    }

    @Test func everyFixtureInEveryFramingReachesTheClientUnchangedAndLogsItsExpectedRecord() throws {
        let folder = try ScratchFolder("nginx-module")
        let upstream = try FixtureUpstream(folder: folder)
        let nginx = try startNginx(folder, upstream: upstream)
        let fixtures = RecordedFixtures.all()
        let framings = ["length", "chunked", "gzip"]
        for fixture in fixtures {
            for framing in framings {
                let body = try nginx.get("/\(framing)/\(fixture.name).sse", compressed: framing == "gzip")
                #expect(body == fixture.stream, "\(fixture.name) (\(framing)): \(body.count) bytes of \(fixture.stream.count)")
            }
        }
        let lines = logLines(nginx, count: fixtures.count * framings.count)
        #expect(lines.count == fixtures.count * framings.count, "\(nginx.errorLog.suffix(2000))")
        for fixture in fixtures {
            var tap = UsageTap(protocol: .auto)
            tap.feed(fixture.stream)
            let cost = PriceTable.defaultPrices.cost(of: tap.finish())
            for framing in framings {
                let where_ = "\(fixture.name) (\(framing))"
                guard let fields = lines["/\(framing)/\(fixture.name).sse"] else {
                    Issue.record("\(where_): no log line")
                    continue
                }
                #expect(fields["status"] == "200", "\(where_)")
                let record = fields["record"].flatMap { RecordJSON.parse($0) }
                #expect(record != nil, "\(where_): $usagetap_record is \(fields["record"] ?? "absent")")
                for (key, expected) in fixture.expected {
                    #expect(value(fields[key], of: key) == expected, "\(where_): $usagetap_\(key)")
                    #expect(record?[key] == expected, "\(where_): $usagetap_record's \(key)")
                }
                #expect(fields["cost_nanos"] == cost.map { String($0.nanos.total) } ?? "", "\(where_): $usagetap_cost_nanos")
            }
        }
    }

    @Test func aClientThatGoesAwayMidStreamGetsTheUsageSeenSoFarLogged() throws {
        let folder = try ScratchFolder("nginx-module-cut")
        let upstream = try FixtureUpstream(folder: folder)
        // Unbuffered, as streams are proxied: each piece goes to the client as it arrives.
        let nginx = try startNginx(folder, upstream: upstream, buffering: false)
        // The upstream sends the first half of the stream, then nothing: the client gives up.
        let name = "messages_anthropic_web_search_tool_stream.0"
        guard let fixture = RecordedFixtures.all().first(where: { $0.name == name }) else {
            Issue.record("\(name) is not among the fixtures")
            return
        }
        let body = try nginx.get("/slow/\(name).sse", maxTime: 2)
        #expect(body == Array(fixture.stream[..<(fixture.stream.count / 2)]))
        // What a tap has read of what the client got, with the stream not finished.
        var tap = UsageTap(protocol: .auto)
        tap.feed(body)
        let seen = tap.record
        #expect(seen.inputTokens != nil && seen.finished == false, "the first half should hold usage")
        let lines = logLines(nginx, count: 1)
        guard let fields = lines["/slow/\(name).sse"] else {
            Issue.record("no log line: \(nginx.errorLog.suffix(2000))")
            return
        }
        #expect(fields["finished"] == "false")
        #expect(fields["protocol"] == "messages")
        #expect(fields["model"] == seen.model)
        #expect(fields["input_tokens"] == seen.inputTokens.map(String.init))
        #expect(fields["output_tokens"] == seen.outputTokens.map(String.init))
        #expect(fields["record"].flatMap { RecordJSON.parse($0) } == RecordJSON.parse(seen.jsonLine))
    }
}
