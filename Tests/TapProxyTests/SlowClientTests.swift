import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A client that stops reading in the middle of a 1 GiB stream for 10 s: the proxy holds the
/// upstream back instead of buffering, its memory stays under 64 MiB, and when the client
/// finally hangs up the exchange is logged as cancelled with the usage seen.
///
/// A gigabyte through a debug build takes minutes, so these run against the optimised binary
/// that `./test` builds and names in `USAGETAP_TEST_BINARY`.
@Suite(.serialized) struct SlowClientTests {
    static let streamBytes = 1 << 30
    static let readBeforePause = 512 << 20
    static let pauseSeconds = 10
    static let memoryLimit = 64 << 20

    /// One big text delta, so that the stream is mostly bytes the tap skips over.
    static let bigDelta = MessagesStream(deltas: 1, deltaText: { _ in String(repeating: "x", count: 64 << 10) }).events[1]

    @Test(.enabled(if: Peers.usagetapIsOptimised, "needs the optimised usagetap that ./test builds"),
          .enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func aStalledHTTP1ClientPausesTheHTTP1UpstreamAndMemoryStaysBounded() throws {
        let folder = try ScratchFolder("slow-http1")
        let start = MessagesStream(deltas: 0).events[0]
        let upstream = try ScriptedUpstream { exchange in
            exchange.send(MessagesStream.chunkedHead)
            exchange.sendChunk(start)
            var sent = start.count
            while sent < Self.streamBytes, exchange.sendChunk(Self.bigDelta) { sent += Self.bigDelta.count }
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        try stallAndHangUp(proxy: proxy, upstreamSent: { upstream.accepted.first?.bytesSent ?? 0 })
    }

    @Test(.enabled(if: Peers.usagetapIsOptimised, "needs the optimised usagetap that ./test builds"),
          .enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func aStalledHTTP1ClientHoldsBackAnHTTP2UpstreamThroughFlowControl() throws {
        let folder = try ScratchFolder("slow-h2")
        let file = folder.url.appendingPathComponent("htdocs/v1/messages")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        try handle.write(contentsOf: MessagesStream(deltas: 0).events[0])
        let block = Data(Array([[UInt8]](repeating: Self.bigDelta, count: 64).joined()))
        var written = 0
        while written < Self.streamBytes {
            try handle.write(contentsOf: block)
            written += block.count
        }
        try handle.close()
        let upstream = try Nghttpd(root: folder.path("htdocs"), folder: folder)
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", arguments: ["--upstream-http2"], folder: folder)
        try stallAndHangUp(proxy: proxy, upstreamSent: nil)
    }

    /// Reads half the stream, stops for `pauseSeconds` while watching the proxy's memory (and
    /// the upstream's progress when it can be seen), then hangs up.
    private func stallAndHangUp(proxy: ProxyUnderTest, upstreamSent: (() -> Int)?) throws {
        let client = try #require(RawClient(port: proxy.port, request: "GET /v1/messages HTTP/1.1\r\nhost: test\r\n\r\n"))
        let read = client.discard(upTo: Self.readBeforePause)
        try #require(read >= Self.readBeforePause, "the stream ended after \(read) bytes")

        var largestResident = 0
        let sentAtPause = upstreamSent?() ?? 0
        let pauseEnds = ContinuousClock.now + .seconds(Self.pauseSeconds)
        var sentOneSecondIn = 0
        while ContinuousClock.now < pauseEnds {
            largestResident = max(largestResident, proxy.process.memory("VmRSS") ?? 0)
            usleep(100_000)
            if sentOneSecondIn == 0, ContinuousClock.now > pauseEnds - .seconds(Self.pauseSeconds - 1) {
                sentOneSecondIn = upstreamSent?() ?? 0
            }
        }
        let peak = proxy.process.memory("VmHWM") ?? Int.max
        let sentAtEnd = upstreamSent?() ?? 0
        print("stalled client: read \(read >> 20) MiB, proxy resident ≤ \(largestResident >> 20) MiB while paused, peak \(peak >> 20) MiB; upstream sent \(sentAtPause >> 20) → \(sentAtEnd >> 20) MiB")
        #expect(peak <= Self.memoryLimit, "peak resident \(peak) bytes")
        #expect(largestResident <= Self.memoryLimit)
        if upstreamSent != nil {
            // Held back: after the first second of the pause, the upstream gets nothing more out.
            #expect(sentAtEnd - sentOneSecondIn <= 1 << 20, "upstream kept sending: \(sentOneSecondIn) → \(sentAtEnd)")
            #expect(sentAtEnd < Self.streamBytes)
        }

        client.hangUp()
        let line = try #require(proxy.logLine(path: "/v1/messages"))
        #expect(line["outcome"] as? String == "client_cancelled")
        #expect(line["input_tokens"] as? Int == 10)
        #expect(line["model"] as? String == "claude-test")
        let forwarded = line["response_bytes"] as? Int ?? 0
        #expect(forwarded >= read && forwarded < Self.streamBytes, "response_bytes \(forwarded)")
    }
}
