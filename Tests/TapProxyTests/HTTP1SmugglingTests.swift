import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// HTTP/1.1 request smuggling and framing attacks, sent as raw bytes on a socket to the real
/// proxy in front of an upstream that records every request it is sent: ambiguous framing gets
/// 400 and a closed connection, and nothing the client did not frame as a request reaches the
/// upstream. (The request head's reader is strict by design: `HTTP1Head`.)
@Suite(.serialized, .enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
struct HTTP1SmugglingTests {
    /// Each case: the bytes, the status the proxy must answer, and how many requests at most may
    /// reach the upstream (a head that is sound is sent on before a broken body is seen).
    static let cases: [(name: String, bytes: String, status: Int, upstream: Int)] = [
        ("Content-Length with Transfer-Encoding: chunked",
         "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
         400, 0),
        ("two different Content-Lengths",
         "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
         400, 0),
        ("obs-fold", "GET /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", 400, 0),
        ("a bare LF in the head", "GET /v1/chat/completions HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400, 0),
        ("a bare CR in the head", "GET /v1/chat/completions HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n", 400, 0),
        ("Transfer-Encoding whose last coding is not chunked",
         "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400, 0),
        ("a chunk size that overflows",
         "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
         400, 1),
        ("a request line of 1 MB", "GET /" + String(repeating: "a", count: 1 << 20) + " HTTP/1.1\r\nHost: x\r\n\r\n", 431, 0),
    ]

    /// The proxy in front of an upstream that answers each request it is sent with `ok`, and
    /// keeps what it was sent.
    private func proxyInFrontOfARecordingUpstream(_ folder: ScratchFolder) throws -> (ScriptedUpstream, ProxyUnderTest) {
        let upstream = try ScriptedUpstream.answeringOK()
        return (upstream, try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder))
    }

    /// Sends `bytes` on a connection of its own and reads until the proxy closes it (or 10 s).
    private func exchange(_ bytes: String, port: Int) -> (response: String, closed: Bool) {
        guard let fd = Loopback.connect(port: port) else { return ("", false) }
        defer { close(fd) }
        Loopback.send(fd, Array(bytes.utf8))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollfd, 1, 100) > 0 else { continue }
            let got = recv(fd, &chunk, chunk.count, 0)
            if got <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += chunk[0..<got]
        }
        return (String(decoding: received, as: UTF8.self), false)
    }

    @Test func ambiguousFramingGetsAnErrorAndAClosedConnectionAndSmugglesNothing() throws {
        let harness = try AttackHarness("smuggling", streamLimit: 128)
        var reached = 0
        var rounds = 0
        let mark = harness.costMark()
        // Every case, again and again, while a well-behaved client is timed beside them.
        let (without, beside) = try harness.timingAWellBehavedClient(describing: "the smuggling cases") { timing in
            repeat {
                for test in Self.cases {
                    let (response, closed) = exchange(test.bytes, port: harness.proxy.port)
                    #expect(response.hasPrefix("HTTP/1.1 \(test.status) "), "\(test.name): \(response.prefix(80))")
                    #expect(closed, "\(test.name): the connection stayed open")
                    usleep(100_000)
                    let now = harness.attackRequests
                    #expect(now - reached <= test.upstream, "\(test.name): \(now - reached) requests reached the upstream")
                    reached = now
                }
                rounds += 1
            } while timing()
        }
        harness.expectBoundedCost(since: mark, "smuggling")
        print("smuggling: \(rounds) rounds of \(Self.cases.count) cases; p99 \(without * 1000) ms without, \(beside * 1000) ms beside")
        #expect(!harness.upstream.accepted.contains { $0.requestHead.contains("/smuggled") }, "a smuggled request reached the upstream")
    }

    @Test func pipelinedRequestsReachTheUpstreamExactlyAsTheClientFramedThem() throws {
        let folder = try ScratchFolder("pipelined")
        let (upstream, proxy) = try proxyInFrontOfARecordingUpstream(folder)
        let body = "GET /v1/inside HTTP/1.1\r\n\r\n"
        let requests = "POST /v1/first HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            + "GET /v1/second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let (response, closed) = exchange(requests, port: proxy.port)
        #expect(closed)
        #expect(response.components(separatedBy: "HTTP/1.1 200 OK").count == 3, "\(response)")
        let paths = upstream.accepted.map { $0.requestHead.split(separator: " ").dropFirst().first.map(String.init) ?? "" }
        #expect(paths == ["/v1/first", "/v1/second"], "the upstream saw \(paths)")
        // The first request's body is bytes that look like a request and are not one.
        #expect(upstream.accepted.first?.request.map { String(decoding: $0, as: UTF8.self).hasSuffix("GET /v1/inside HTTP/1.1\r\n\r\n") } ?? false)
    }
}
