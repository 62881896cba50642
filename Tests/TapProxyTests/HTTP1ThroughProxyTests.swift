import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// HTTP/1.1 clients on bare sockets against the proxy and an upstream of the tests' own: what
/// the proxy's own HTTP/1.1 reader and writer do with pipelining, chunks, HEAD and bad framing,
/// seen byte for byte on both sides.
@Suite struct HTTP1ThroughProxyTests {
    /// Reads from `client` until `done` holds for what it has received, or the stream ends.
    private func read(_ client: RawClient, until done: ([UInt8]) -> Bool) {
        while !done(client.received), !client.readOnce().isEmpty {}
    }

    /// A message's head as text and the bytes after it.
    private func split(_ message: [UInt8]) -> (head: String, rest: ArraySlice<UInt8>)? {
        let blankLine = Array("\r\n\r\n".utf8)
        guard message.count >= 4, let end = (0...(message.count - 4)).first(where: { message[$0..<$0 + 4].elementsEqual(blankLine) }) else {
            return nil
        }
        return (String(decoding: message[..<end], as: UTF8.self), message[(end + 4)...])
    }

    /// The payload of a chunked body, and what follows its last chunk; nil if it is not whole.
    private func dechunk(_ bytes: ArraySlice<UInt8>) -> (body: [UInt8], trailers: String)? {
        var rest = bytes
        var body: [UInt8] = []
        while true {
            guard let lineEnd = rest.firstIndex(of: UInt8(ascii: "\n")),
                  let size = Int(String(decoding: rest[..<(lineEnd - 1)], as: UTF8.self).split(separator: ";")[0], radix: 16)
            else { return nil }
            rest = rest[(lineEnd + 1)...]
            if size == 0 { return (body, String(decoding: rest, as: UTF8.self)) }
            guard rest.count >= size + 2 else { return nil }
            body += rest.prefix(size)
            rest = rest.dropFirst(size + 2)
        }
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func pipelinedRequestsAreAnsweredInOrderEachWhenTheOneBeforeHasEnded() throws {
        let folder = try ScratchFolder("http1-pipelined")
        let answered = Counter()
        let upstream = try ScriptedUpstream { exchange in
            let body = "answer \(answered.next())"
            exchange.send("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)")
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        let request = "GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n"
        let client = try #require(RawClient(port: proxy.port, request: request + request + request))
        read(client) { count(Array("answer ".utf8), in: $0) == 3 && $0.last == UInt8(ascii: "2") }
        let text = String(decoding: client.received, as: UTF8.self)
        #expect(count(Array("HTTP/1.1 200 OK\r\n".utf8), in: client.received) == 3)
        let order = ["answer 0", "answer 1", "answer 2"].map { text.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order == order.sorted { $0! < $1! }, "\(text)")
        #expect(upstream.accepted.count == 3)
        #expect(proxy.logLines(count: 3).filter { $0["status"] as? Int == 200 }.count == 3)
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func aChunkedRequestGoesUpInChunksWithItsTrailersAndAnUnsizedResponseComesBackInChunks() throws {
        let folder = try ScratchFolder("http1-chunked")
        let upstream = try ScriptedUpstream { exchange in
            exchange.readRequest()
            exchange.send("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
            exchange.send("data: one\n\n")
            usleep(20_000)
            exchange.send("data: two\n\n")
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        let request = "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n"
            + "7;note=x\r\n{\"a\":1,\r\n8\r\n\"b\":22}\n\r\n0\r\nx-checksum: 9\r\n\r\n"
        let client = try #require(RawClient(port: proxy.port, request: request))
        read(client) { String(decoding: $0, as: UTF8.self).hasSuffix("0\r\n\r\n") }
        let (head, body) = try #require(split(client.received))
        #expect(head.lowercased().contains("transfer-encoding: chunked"))
        let response = try #require(dechunk(body))
        #expect(String(decoding: response.body, as: UTF8.self) == "data: one\n\ndata: two\n\n")

        // The upstream got the same body, in chunks, with the trailer.
        let (upstreamHead, upstreamBytes) = try #require(split(upstream.accepted.first?.request ?? []))
        #expect(upstreamHead.lowercased().contains("transfer-encoding: chunked") && !upstreamHead.contains("host: x\r\n"))
        let upstreamBody = try #require(dechunk(upstreamBytes))
        #expect(String(decoding: upstreamBody.body, as: UTF8.self) == "{\"a\":1,\"b\":22}\n")
        #expect(upstreamBody.trailers == "x-checksum: 9\r\n\r\n")
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func aChunkedRequestThatPausesInTheMiddleOfAChunkLineIsStillReadToItsEnd() throws {
        let folder = try ScratchFolder("http1-paused-chunk")
        let upstream = try ScriptedUpstream { exchange in
            exchange.readRequest()
            exchange.send("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        // Cut between a chunk's data and its CR LF, and again inside the last chunk's line: the
        // proxy holds the cut bytes and must go on reading for the rest.
        let client = try #require(RawClient(port: proxy.port, request: "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r"))
        usleep(100_000)
        #expect(Loopback.send(client.fd, Array("\n0\r".utf8)))
        usleep(100_000)
        #expect(Loopback.send(client.fd, Array("\n\r\n".utf8)))
        read(client) { String(decoding: $0, as: UTF8.self).hasSuffix("ok") }
        #expect(String(decoding: client.received, as: UTF8.self).hasSuffix("\r\n\r\nok"))
        let (_, body) = try #require(split(upstream.accepted.first?.request ?? []))
        #expect(String(decoding: try #require(dechunk(body)).body, as: UTF8.self) == "hello")
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func aHEADResponseCarriesItsLengthButNoBodyAndTheConnectionGoesOn() throws {
        let folder = try ScratchFolder("http1-head")
        let upstream = try ScriptedUpstream { exchange in
            if exchange.requestHead.hasPrefix("HEAD") {
                exchange.send("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
            } else {
                exchange.send("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody")
            }
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        let client = try #require(RawClient(port: proxy.port, request: "HEAD /v1/models HTTP/1.1\r\nhost: x\r\n\r\nGET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n"))
        read(client) { String(decoding: $0, as: UTF8.self).hasSuffix("body") }
        let text = String(decoding: client.received, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody"), "\(text)")
    }

    /// A request with no body (a GET) goes upstream as one that ends with its head: no body
    /// framing over HTTP/1.1, and over HTTP/2 END_STREAM on its HEADERS. Seen through nghttpx,
    /// which forwards an HTTP/2 request whose HEADERS do not end the stream to its HTTP/1.1
    /// backend with `Transfer-Encoding: chunked`; a POST's length goes on as it came.
    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"),
          .enabled(if: NghttpxFront.program != nil, "nghttp2-proxy (nghttpx) missing: run ./test"),
          arguments: [false, true])
    func aRequestWithNoBodyGoesUpstreamWithNoBodyFraming(throughHTTP2: Bool) throws {
        let folder = try ScratchFolder("bodyless-\(throughHTTP2 ? "h2" : "http1")")
        let upstream = try ScriptedUpstream.answeringOK()
        var upstreamURL = "http://127.0.0.1:\(upstream.port)"
        var arguments: [String] = []
        var nghttpx: NghttpxFront?
        defer { _ = nghttpx?.process.stop() }
        if throughHTTP2 {
            nghttpx = try NghttpxFront(backendPort: upstream.port, folder: folder)
            upstreamURL = nghttpx!.url
            arguments = ["--upstream-http2"]
        }
        let proxy = try ProxyUnderTest(upstream: upstreamURL, arguments: arguments, folder: folder)
        let url = "http://127.0.0.1:\(proxy.port)/v1/models"
        // Two GETs on one connection, then a POST with a body.
        let gets = try run(Peers.curl!, ["-s", "--http1.1", url, url], folder: folder.url, name: "curl-get")
        #expect(gets.output == Array("okok".utf8))
        let post = try run(Peers.curl!, ["-s", "--http1.1", "--data-binary", "hello", url], folder: folder.url, name: "curl-post")
        #expect(post.output == Array("ok".utf8))
        let heads = upstream.accepted.map { $0.requestHead.lowercased() }
        #expect(heads.count == 3)
        for head in heads.prefix(2) {
            #expect(!head.contains("transfer-encoding") && !head.contains("content-length"), "a GET went upstream as \(head)")
        }
        #expect(heads.last.map { $0.contains("content-length: 5") } == true, "the POST went upstream as \(heads.last ?? "")")
    }

    @Test(.enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func ambiguousFramingGets400AndAClosedConnectionAndNothingReachesTheUpstream() throws {
        let folder = try ScratchFolder("http1-refused")
        let upstream = try ScriptedUpstream { exchange in
            exchange.send("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        }
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)", folder: folder)
        let cases = [
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ncontent-length: 50\r\n\r\nhello",
            "GET /v1/models HTTP/1.1\r\nhost: x\r\nx-a: 1\r\n folded\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nhost: x\nx-a: 1\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
        ]
        for request in cases {
            let client = try #require(RawClient(port: proxy.port, request: request))
            read(client) { _ in false }
            let text = String(decoding: client.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n") && text.hasSuffix("\r\n\r\n"), "\(request.debugDescription): \(text)")
        }
        let long = try #require(RawClient(port: proxy.port, request: "GET /" + String(repeating: "a", count: 1 << 20) + " HTTP/1.1\r\n\r\n"))
        read(long) { _ in false }
        #expect(String(decoding: long.received, as: UTF8.self).hasPrefix("HTTP/1.1 431 "))
        #expect(upstream.accepted.isEmpty)
    }
}

/// A count shared with an upstream script's threads.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count - 1
    }
}
