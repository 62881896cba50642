import Foundation
import NIOCore
import Testing
import TestSupport
@testable import TapProxy
#if canImport(Glibc)
import Glibc
#endif

/// An embedder's closure gets one report per exchange, the same that the usage log writes.
@Suite struct ExchangeReportTests {
    @Test func anEmbeddersClosureGetsOneReportPerExchangeThatAgreesWithTheUsageLog() throws {
        let folder = try ScratchFolder("exchange-report")
        let stream = "data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[]}\n\n"
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":4,\"total_tokens\":15}}\n\ndata: [DONE]\n\n"
        let upstream = try ScriptedUpstream { exchange in
            exchange.send("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: \(stream.utf8.count)\r\n\r\n\(stream)")
        }
        let reports = Reports()
        let logPath = folder.path("usage.jsonl")
        let server = try ProxyServer.start(ProxyConfiguration(
            listenHost: "127.0.0.1", listenPort: 0, upstream: try UpstreamAddress("http://127.0.0.1:\(upstream.port)"),
            upstreamVersion: .http1, usageLog: try UsageLog(path: logPath), onExchangeEnded: { reports.add($0) }))
        defer { server.drainAndStop() }
        let port = try #require(server.localAddress?.port)
        let client = try #require(RawClient(port: port, request: "POST /v1/chat/completions?key=secret HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}"))
        while !String(decoding: client.received, as: UTF8.self).hasSuffix("[DONE]\n\n"), !client.readOnce().isEmpty {}

        let report = try #require(reports.wait(for: 1).first)
        #expect(report.method == .POST && report.path == "/v1/chat/completions")
        #expect(report.status == 200 && report.outcome == .completed && report.responseBytes == stream.utf8.count)
        #expect(report.usage.inputTokens == 11 && report.usage.outputTokens == 4 && report.usage.model == "gpt-4o")
        #expect(report.timeToFirstByteMicros != nil && report.durationMicros >= report.timeToFirstByteMicros!)

        // The log line is written from the same report.
        var line: [String: Any]?
        for _ in 0..<200 where line == nil {
            // The file is there before its line: an empty file reads as no line yet.
            line = readWholeFile(logPath)?.split(separator: 10).first.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
            if line == nil { usleep(10_000) }
        }
        let logged = try #require(line)
        #expect(logged["request_id"] as? String == report.requestID)
        #expect(logged["path"] as? String == "/v1/chat/completions")
        #expect(logged["input_tokens"] as? Int == 11 && logged["status"] as? Int == 200 && logged["outcome"] as? String == "completed")
        #expect(reports.count == 1)
    }
}

/// Reports handed over from the proxy's event loop.
private final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [ExchangeReport] = []

    func add(_ report: ExchangeReport) {
        lock.lock()
        reports.append(report)
        lock.unlock()
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return reports.count
    }

    /// The reports once there are `count`, or what there is after five seconds.
    func wait(for count: Int) -> [ExchangeReport] {
        for _ in 0..<500 {
            lock.lock()
            let now = reports
            lock.unlock()
            if now.count >= count { return now }
            usleep(10_000)
        }
        return reports
    }
}
