import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// The proxy against an upstream of the tests' own that sends one event every 50 ms: nothing
/// is held back, and cancelled or broken streams are logged with the usage seen.
@Suite(.serialized) struct PacedStreamTests {
    static let interval: UInt32 = 50_000

    /// An upstream that sends `stream` as a chunked body, waiting `interval` before each event
    /// (noting when it leaves in `departures`), and stops when the proxy hangs up.
    static func pacedUpstream(_ stream: MessagesStream, departures: Timeline? = nil) throws -> ScriptedUpstream {
        try ScriptedUpstream { exchange in
            exchange.send(MessagesStream.chunkedHead)
            for event in stream.events {
                usleep(interval)
                departures?.record()
                guard exchange.sendChunk(event) else { return }
            }
            exchange.send("0\r\n\r\n")
        }
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func eachEventReachesAnHTTP1ClientBeforeTheNextLeavesTheUpstream() throws {
        let folder = try ScratchFolder("paced")
        let stream = MessagesStream(deltas: 18)
        let sent = Timeline()
        let upstream = try Self.pacedUpstream(stream, departures: sent)
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        let client = try #require(RawClient(port: proxy.port, request: "POST /v1/messages HTTP/1.1\r\nhost: test\r\ncontent-length: 2\r\n\r\n{}"))

        var arrived: [UInt64] = []
        while arrived.count < stream.events.count {
            guard !client.readOnce().isEmpty else { break }
            let events = count([10, 10], in: client.received)
            while arrived.count < events { arrived.append(monotonicNanoseconds()) }
        }
        let departures = sent.all
        try #require(arrived.count == stream.events.count && departures.count == stream.events.count)
        let latencies = zip(arrived, departures).map { Double(Int64($0) - Int64($1)) / 1e6 }
        for index in 0..<(stream.events.count - 1) {
            #expect(arrived[index] < departures[index + 1], "event \(index) arrived after event \(index + 1) left the upstream")
        }
        print("paced HTTP/1.1: \(latencies.count) events, latency max \(latencies.max()!) ms, median \(latencies.sorted()[latencies.count / 2]) ms")

        let line = try #require(proxy.logLine(path: "/v1/messages"))
        #expect(line["outcome"] as? String == "completed")
        #expect(line["output_tokens"] as? Int == 18)
        #expect(line["input_tokens"] as? Int == 10)
        #expect(line["model"] as? String == "claude-test")
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func eachEventReachesAnHTTP2ClientInItsOwnDataFrame() throws {
        let folder = try ScratchFolder("paced-h2")
        let stream = MessagesStream(deltas: 8)
        let upstream = try Self.pacedUpstream(stream)
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        let result = try run(Peers.nghttp!, ["-v", "http://127.0.0.1:\(proxy.port)/v1/messages"], folder: folder.url)
        #expect(result.status == 0)
        let trace = String(decoding: result.output, as: UTF8.self)
        let dataFrames = trace.split(separator: "\n").filter { $0.contains("recv DATA frame") && !$0.contains("length=0,") }
        #expect(dataFrames.count == stream.events.count, "\(dataFrames.joined(separator: "\n"))")
        #expect(trace.contains(String(decoding: stream.events[3], as: UTF8.self)))
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func aClientThatHangsUpIsLoggedAsCancelledWithTheUsageSeenAndTheUpstreamIsDropped() throws {
        let folder = try ScratchFolder("cancel")
        let stream = MessagesStream(deltas: 40)
        let upstream = try Self.pacedUpstream(stream)
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        let client = try #require(RawClient(port: proxy.port, request: "GET /v1/messages HTTP/1.1\r\nhost: test\r\n\r\n"))
        while count([10, 10], in: client.received) < 3 {
            guard !client.readOnce().isEmpty else { break }
        }
        client.hangUp()

        let line = try #require(proxy.logLine(path: "/v1/messages"))
        #expect(line["outcome"] as? String == "client_cancelled")
        #expect(line["input_tokens"] as? Int == 10)
        #expect(line["model"] as? String == "claude-test")
        #expect(line["finished"] as? Bool == false)
        // The proxy closes its upstream connection rather than reading the rest.
        let deadline = ContinuousClock.now + .seconds(5)
        while upstream.accepted.first?.peerClosed != true, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(upstream.accepted.first?.peerClosed == true)
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func anHTTP2ClientThatResetsItsStreamIsLoggedAsCancelled() throws {
        let folder = try ScratchFolder("cancel-h2")
        let stream = MessagesStream(deltas: 40)
        let upstream = try Self.pacedUpstream(stream)
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        let result = try run(Peers.curl!, ["-sS", "--http2-prior-knowledge", "--max-time", "0.5", "http://127.0.0.1:\(proxy.port)/v1/messages"], folder: folder.url)
        #expect(result.status == 28, "curl should time out mid-stream: \(result.error)")
        let line = try #require(proxy.logLine(path: "/v1/messages"))
        #expect(line["outcome"] as? String == "client_cancelled")
        #expect(line["input_tokens"] as? Int == 10)
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func anUpstreamThatBreaksOffIsLoggedAsFailedAndTheClientSeesTheBreak() throws {
        let folder = try ScratchFolder("broken")
        let stream = MessagesStream(deltas: 5)
        let upstream = try ScriptedUpstream { exchange in
            exchange.send(MessagesStream.chunkedHead)
            for event in stream.events.prefix(4) { exchange.sendChunk(event) }
            // Closed without the last chunk: the response is cut off.
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        let http1 = try run(Peers.curl!, ["-sS", "--http1.1", "http://127.0.0.1:\(proxy.port)/v1/messages"], folder: folder.url)
        #expect(http1.status != 0, "HTTP/1.1: the client must not see a clean end")
        #expect(http1.output == Array(stream.events.prefix(4).joined()))
        let h2 = try run(Peers.curl!, ["-sS", "--http2-prior-knowledge", "http://127.0.0.1:\(proxy.port)/v1/messages"], folder: folder.url)
        #expect(h2.status != 0, "HTTP/2: the client must see the stream reset")
        let lines = proxy.logLines(count: 2)
        #expect(lines.count == 2)
        for line in lines {
            #expect(line["outcome"] as? String == "upstream_failed")
            #expect(line["status"] as? Int == 200)
            #expect(line["input_tokens"] as? Int == 10)
        }
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func anUnreachableUpstreamGivesTheClientA502WithAJSONError() throws {
        let folder = try ScratchFolder("unreachable")
        let closedPort = Loopback.freePort()
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(closedPort)", folder: folder)
        for version in ["--http1.1", "--http2-prior-knowledge"] {
            let error = try Self.badGatewayError(from: proxy, path: "/v1/chat/completions", version: version, folder: folder)
            #expect(error["type"] as? String == "upstream_error")
            #expect((error["message"] as? String)?.contains("127.0.0.1:\(closedPort)") == true)
        }
        let lines = proxy.logLines(count: 2)
        #expect(lines.map { $0["outcome"] as? String } == ["upstream_failed", "upstream_failed"])
        #expect(lines.map { $0["status"] as? Int } == [502, 502])
        #expect(lines.allSatisfy { $0["input_tokens"] is NSNull })
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func anUpstreamWhoseCertificateIsNotTrustedGivesTheClientA502NamingTheCheckThatFailed() throws {
        let folder = try ScratchFolder("untrusted")
        let pki = try TestPKI(in: folder)
        let root = folder.path("site")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "{}".write(toFile: root + "/v1", atomically: true, encoding: .utf8)
        let upstream = try Nghttpd(root: root, pki: pki, folder: folder)
        // No --upstream-ca: the test CA that signed the upstream's certificate is not trusted.
        let proxy = try ProxyUnderTest(upstream: "https://localhost:\(upstream.port)", folder: folder)
        for version in ["--http1.1", "--http2-prior-knowledge"] {
            let error = try Self.badGatewayError(from: proxy, path: "/v1", version: version, folder: folder)
            #expect((error["message"] as? String)?.contains("certificate") == true, "\(error)")
        }
        #expect(proxy.logLines(count: 2).map { $0["outcome"] as? String } == ["upstream_failed", "upstream_failed"])
    }

    /// Fetches `path` through the proxy with curl over `version`, expects a 502, and returns the
    /// JSON error object of its body.
    private static func badGatewayError(from proxy: ProxyUnderTest, path: String, version: String, folder: ScratchFolder) throws -> [String: Any] {
        let result = try run(Peers.curl!, ["-sS", version, "-w", "\n%{http_code}", "http://127.0.0.1:\(proxy.port)\(path)"], folder: folder.url)
        let lines = String(decoding: result.output, as: UTF8.self).split(separator: "\n")
        #expect(lines.last == "502", "\(version)")
        let body = try #require(lines.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        return try #require(body["error"] as? [String: Any])
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func sigtermLetsTheStreamInFlightFinishThenExitsWithTheLogWritten() throws {
        let folder = try ScratchFolder("drain")
        let stream = MessagesStream(deltas: 16)
        let upstream = try Self.pacedUpstream(stream)
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        let client = try #require(RawClient(port: proxy.port, request: "GET /v1/messages HTTP/1.1\r\nhost: test\r\n\r\n"))
        while count([10, 10], in: client.received) < 2 {
            guard !client.readOnce().isEmpty else { break }
        }
        kill(proxy.process.pid, SIGTERM)
        usleep(200_000)
        #expect(Loopback.connect(port: proxy.port) == nil, "the listener closes at SIGTERM")
        while !client.readOnce().isEmpty {}
        #expect(count([10, 10], in: client.received) == stream.events.count)
        #expect(proxy.process.waitForExit(limit: .seconds(10)) == 0)
        let line = try #require(proxy.logLines().first)
        #expect(line["outcome"] as? String == "completed")
        #expect(line["output_tokens"] as? Int == 16)
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func aGzipBodyIsForwardedEncodedAndTappedThroughAnInflatedCopy() throws {
        let folder = try ScratchFolder("gzip")
        let plain = MessagesStream(deltas: 300, deltaText: { "token \($0) of a long answer" }).bytes
        try Data(plain).write(to: folder.url.appendingPathComponent("plain.sse"))
        let compressed = try run(Peers.gzip!, ["-c", "-9", folder.path("plain.sse")], folder: folder.url).output
        #expect(compressed.count < plain.count / 4)
        let upstream = try ScriptedUpstream { exchange in
            exchange.send("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\ncontent-length: \(compressed.count)\r\n\r\n")
            // In small pieces, so that the inflater is fed across many slices.
            var offset = 0
            while offset < compressed.count {
                exchange.send(Array(compressed[offset..<min(offset + 97, compressed.count)]))
                offset += 97
            }
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        for version in ["--http1.1", "--http2-prior-knowledge"] {
            let result = try run(Peers.curl!, ["-sS", version, "http://127.0.0.1:\(proxy.port)/v1/messages"], folder: folder.url)
            #expect(result.output == compressed, "\(version): the encoded bytes reach the client untouched")
        }
        let lines = proxy.logLines(count: 2)
        #expect(lines.count == 2)
        for line in lines {
            #expect(line["output_tokens"] as? Int == 300)
            #expect(line["response_bytes"] as? Int == compressed.count)
            #expect(line["finished"] as? Bool == true)
        }
    }
}
