import Foundation
import Testing
import TestSupport

/// A kept-alive HTTP/1.1 upstream connection that the upstream closes just as the proxy reuses
/// it: the race every HTTP/1.1 client has, made to happen every time here.
@Suite struct UpstreamKeepAliveTests {
    @Test(.enabled(if: Peers.curl != nil, "curl missing: run ./test"))
    func aRequestOnAConnectionTheUpstreamClosesUnansweredGoesAgainOnAFreshOne() throws {
        let folder = try ScratchFolder("keep-alive-race")
        let body = "data: {\"type\":\"ping\"}\n\n"
        let upstream = try ScriptedUpstream { exchange in
            exchange.send("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)")
            // Keeps the connection until the proxy sends the next request on it, then closes it
            // without an answer.
            _ = Loopback.read(exchange.fd, through: Array("\r\n\r\n".utf8))
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        for request in 0..<2 {
            let result = try run(Peers.curl!, ["-sS", "--max-time", "20", "http://127.0.0.1:\(proxy.port)/v1/messages"], folder: folder.url)
            #expect(String(decoding: result.output, as: UTF8.self) == body, "request \(request): \(result.error); proxy: \(proxy.process.standardError); log: \(proxy.logLines())")
        }
        // The first connection answered once and was closed on the second request, which the
        // proxy then sent on a second connection.
        #expect(upstream.accepted.count == 2)
        let lines = proxy.logLines(count: 2)
        #expect(lines.map { $0["status"] as? Int } == [200, 200])
    }
}
