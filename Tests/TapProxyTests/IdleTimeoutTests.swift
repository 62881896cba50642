import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// `--idle-seconds`: a client connection with nothing in flight that has been silent that long
/// is closed; one whose response is in flight is kept, however quiet.
@Suite(.serialized) struct IdleTimeoutTests {
    static let lastChunk = Array("0\r\n\r\n".utf8)

    /// Seconds until the proxy closes `fd` (a read sees the end of the stream), or nil if it is
    /// still open after `limit` seconds. Anything that arrives before the end is dropped.
    static func secondsUntilClosed(_ fd: Int32, limit: Double) -> Double? {
        let start = ContinuousClock.now
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let elapsed = start.duration(to: .now)
            let remaining = limit - Double(elapsed.components.seconds) - Double(elapsed.components.attoseconds) / 1e18
            guard remaining > 0 else { return nil }
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, Int32(remaining * 1000) + 1)
            if polled < 0, errno == EINTR { continue }
            guard polled > 0 else { return nil }
            if read(fd, &buffer, buffer.count) <= 0 {
                let taken = start.duration(to: .now)
                return Double(taken.components.seconds) + Double(taken.components.attoseconds) / 1e18
            }
        }
    }

    /// `fd` is closed by the proxy after its one-second idle timeout, not before, and in time.
    static func expectClosedAfterTheIdleTimeout(_ fd: Int32, _ what: String) throws {
        let closedAfter = try #require(secondsUntilClosed(fd, limit: 10), "\(what) was still open after 10 s")
        #expect(closedAfter >= 0.9, "\(what) was closed after \(closedAfter) s, before the idle timeout")
    }

    /// Reads until the response's last chunk has arrived; false if the connection ends first.
    static func readResponse(_ client: RawClient) -> Bool {
        while !client.received.suffix(lastChunk.count).elementsEqual(lastChunk) {
            guard !client.readOnce(timeoutMilliseconds: 10_000).isEmpty else { return false }
        }
        return true
    }

    @Test func aConnectionThatSendsNothingIsClosedAfterTheIdleTimeout() throws {
        let folder = try ScratchFolder("idle-silent")
        // No request ever comes, so the upstream is never dialled.
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:9", arguments: ["--idle-seconds", "1"], folder: folder)
        let fd = try #require(Loopback.connect(port: proxy.port))
        defer { close(fd) }
        try Self.expectClosedAfterTheIdleTimeout(fd, "a silent connection")
    }

    /// Over HTTP/2, what counts is a stream in flight, not bytes: a client that opens no stream
    /// and sends a PING every half second is closed after the idle timeout all the same.
    @Test func anHTTP2ConnectionWithNoStreamIsClosedAfterTheIdleTimeoutEvenWhileItPings() throws {
        let folder = try ScratchFolder("idle-pings")
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:9", arguments: ["--idle-seconds", "1"], folder: folder)
        let fd = try #require(Loopback.connect(port: proxy.port))
        defer { close(fd) }
        _ = Loopback.send(fd, Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0])
        let ping: [UInt8] = [0, 0, 8, 6, 0, 0, 0, 0, 0] + [UInt8](repeating: 7, count: 8)
        let start = ContinuousClock.now
        var closedAfter: Double?
        while closedAfter == nil, start.duration(to: .now) < .seconds(10) {
            _ = Loopback.send(fd, ping)
            if Self.secondsUntilClosed(fd, limit: 0.5) != nil {
                let elapsed = start.duration(to: .now)
                closedAfter = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
        }
        let seconds = try #require(closedAfter, "a pinging connection with no stream was still open after 10 s")
        #expect(seconds >= 0.9, "closed after \(seconds) s, before the idle timeout")
    }

    @Test func aKeptAliveConnectionIsClosedOnceItHasBeenIdleAfterItsResponse() throws {
        let folder = try ScratchFolder("idle-kept-alive")
        let stream = MessagesStream(deltas: 3)
        let upstream = try ScriptedUpstream { exchange in
            exchange.send(MessagesStream.chunkedHead)
            for event in stream.events { exchange.sendChunk(event) }
            exchange.send("0\r\n\r\n")
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", arguments: ["--idle-seconds", "1"], folder: folder)
        let client = try #require(RawClient(port: proxy.port, request: "GET /v1/messages HTTP/1.1\r\nhost: test\r\n\r\n"))
        try #require(Self.readResponse(client), "the response did not arrive whole")
        try Self.expectClosedAfterTheIdleTimeout(client.fd, "a kept-alive connection after its response")
    }

    @Test func aResponseInFlightKeepsItsConnectionThroughASilenceLongerThanTheIdleTimeout() throws {
        let folder = try ScratchFolder("idle-in-flight")
        let stream = MessagesStream(deltas: 3)
        let upstream = try ScriptedUpstream { exchange in
            exchange.send(MessagesStream.chunkedHead)
            exchange.sendChunk(stream.events[0])
            usleep(2_500_000)
            for event in stream.events.dropFirst() { exchange.sendChunk(event) }
            exchange.send("0\r\n\r\n")
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", arguments: ["--idle-seconds", "1"], folder: folder)
        let client = try #require(RawClient(port: proxy.port, request: "GET /v1/messages HTTP/1.1\r\nhost: test\r\n\r\n"))
        #expect(Self.readResponse(client), "the connection ended before the response did")
        #expect(count(stream.events.last!, in: client.received) == 1)
        let line = try #require(proxy.logLine(path: "/v1/messages"))
        #expect(line["outcome"] as? String == "completed")
    }
}
