import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TestSupport
@testable import TapProxy

/// The proxy's own HTTP/1.1 reading and writing: messages read the same however their bytes
/// are split, framing that two parsers could read differently is refused, and heads are written
/// byte for byte as HTTP/1.1 says.
@Suite struct HTTP1CodecTests {
    /// What a reader made of some bytes: heads as text, bodies joined, ends with their trailers.
    private struct Reading: Equatable {
        var parts: [String] = []
        var error: HTTP1Error.Status?
    }

    /// Reads `pieces` one after another as a connection's reads, the way the client side does:
    /// each head parsed as a request and its body delimited by what it says.
    private func readRequests(_ pieces: [[UInt8]], maxHeadBytes: Int = 64 << 10) -> Reading {
        var reader = HTTP1MessageReader(maxHeadBytes: maxHeadBytes)
        var received = ByteBuffer()
        var reading = Reading()
        var body: [UInt8] = []
        do {
            for piece in pieces {
                received.writeBytes(piece)
                while let part = try reader.next(&received) {
                    switch part {
                    case .head(let bytes):
                        let (head, version, framing) = try HTTP1Head.request(bytes)
                        reader.expectBody(framing.transferCoding == .chunked ? .chunked : .length(framing.contentLength ?? 0))
                        let fields = head.fields.lines.map { $0.replacingOccurrences(of: ": ", with: "=") }.joined(separator: ",")
                        reading.parts.append("\(head.method.rawValue) \(head.target) \(version) [\(fields)]\(framing.close ? " close" : "")")
                    case .body(let bytes):
                        body += bytes.readableBytesView
                    case .end(let trailers):
                        let fields = trailers.map { $0.map { "\($0.name)=\($0.value)" }.joined(separator: ",") } ?? "none"
                        reading.parts.append("body \(String(decoding: body, as: UTF8.self)) trailers \(fields)")
                        body = []
                    }
                }
            }
        } catch {
            reading.error = error.status
        }
        return reading
    }

    private static let pipelined = Array((
        "\r\nPOST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-Empty:\r\n\r\n"
            + "5;ext=1\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-Trailer: done\r\n\r\n"
            + "GET /v1/models?x=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            + "PUT /upload HTTP/1.1\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc"
    ).utf8)

    private static let pipelinedReading = Reading(parts: [
        "POST /v1/chat/completions HTTP/1.1 [Host=a,Transfer-Encoding=chunked,X-Empty=]",
        "body hello abcdefghijklmnopqrstuvwxy trailers X-Trailer=done",
        "GET /v1/models?x=1 HTTP/1.0 [Connection=keep-alive]",
        "body  trailers none",
        "PUT /upload HTTP/1.1 [content-length=3,connection=close] close",
        "body abc trailers none",
    ])

    @Test func pipelinedRequestsReadTheSameWhereverTheirBytesAreSplit() {
        let bytes = Self.pipelined
        #expect(readRequests([bytes]) == Self.pipelinedReading)
        for split in 1..<bytes.count {
            let reading = readRequests([Array(bytes[..<split]), Array(bytes[split...])])
            #expect(reading == Self.pipelinedReading, "split at \(split)")
            if reading != Self.pipelinedReading { return }
        }
        #expect(readRequests(bytes.map { [$0] }) == Self.pipelinedReading)
    }

    /// A chunked body with no trailers ends at `0`, CRLF, CRLF, whichever reads that last CRLF
    /// comes in: each of its two bytes may end a read.
    @Test func aChunkedBodyWithoutTrailersEndsWhereverItsLastBytesAreSplit() {
        let bytes = Array("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n".utf8)
        let expected = Reading(parts: [
            "POST /a HTTP/1.1 [Transfer-Encoding=chunked]", "body abc trailers none", "GET /b HTTP/1.1 []", "body  trailers none",
        ])
        #expect(readRequests([bytes]) == expected)
        for split in 1..<bytes.count {
            #expect(readRequests([Array(bytes[..<split]), Array(bytes[split...])]) == expected, "split at \(split)")
        }
        #expect(readRequests(bytes.map { [$0] }) == expected)
    }

    /// Whole requests, pipelined at random and then damaged at random with pieces hostile
    /// requests are made of.
    private static let templates: [String] = [
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello",
        "POST /v1/messages HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
        "GET /v1/models HTTP/1.0\r\nConnection: keep-alive\r\nx-a:  spaced\t \r\n\r\n",
    ]
    private static let pieces: [String] = [
        "\r\n", "\n", "\r", " ", "\t", ":", ",", "0", "5", "f", "ffffffffffffffff", "Content-Length: 3\r\n",
        "Transfer-Encoding: chunked\r\n", "Connection: close\r\n", "\u{0}", "\u{7f}", "\u{ff}", ";x=\"y\"", "HTTP/1.1",
    ]

    @Test func damagedPipelinedRequestsReadTheSameWholeAndCutAnywhereAndNeverCrash() {
        var random = SeededRandom(seed: 0x4854_5450)
        var read = 0, refused = 0
        for round in 0..<3000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...3, using: &random) { bytes += Self.templates.randomElement(using: &random)!.utf8 }
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                let at = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.insert(contentsOf: Self.pieces.randomElement(using: &random)!.utf8, at: at)
                case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...5, using: &random)))
                default: bytes.replaceSubrange(at..<min(bytes.count, at + 1), with: Self.pieces.randomElement(using: &random)!.utf8)
                }
            }
            let whole = readRequests([bytes])
            if whole.parts.contains(where: { $0.hasPrefix("body ") }) { read += 1 }
            if whole.error != nil { refused += 1 }
            let cut = Int.random(in: 0...bytes.count, using: &random)
            let split = readRequests([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(split == whole, "round \(round), cut \(cut): \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            if split != whole { return }
        }
        // The damage leaves both: requests that still read whole, and ones refused.
        #expect(read > 500 && refused > 500, "read \(read), refused \(refused)")
    }

    @Test func framingThatTwoParsersCouldReadDifferentlyIsRefused() {
        let refused: [(String, String)] = [
            ("content-length with chunked", "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ("two different lengths", "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            ("a list of different lengths", "POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n"),
            ("a signed length", "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n"),
            ("a length past 18 digits", "POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n"),
            ("a coding other than chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            ("chunked not last", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            ("chunked twice", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ("chunked in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ("an obs-fold", "GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n"),
            ("a bare LF ending a field", "GET / HTTP/1.1\r\nX-A: 1\nX-B: 2\r\n\r\n"),
            ("a bare LF ending the head", "GET / HTTP/1.1\n\n"),
            ("a bare CR in a value", "GET / HTTP/1.1\r\nX-A: 1\r2\r\n\r\n"),
            ("a space before the colon", "GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\n"),
            ("a control byte in a value", "GET / HTTP/1.1\r\nX-A: 1\u{01}\r\n\r\n"),
            ("a field with no name", "GET / HTTP/1.1\r\n: 1\r\n\r\n"),
            ("a field with no colon", "GET / HTTP/1.1\r\nX-A\r\n\r\n"),
            ("two spaces in the request line", "GET  / HTTP/1.1\r\n\r\n"),
            ("a space in the target", "GET /a b HTTP/1.1\r\n\r\n"),
            ("HTTP/2.0 as a version", "GET / HTTP/2.0\r\n\r\n"),
            ("a lowercase version", "GET / http/1.1\r\n\r\n"),
            ("a chunk size that would overflow", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n"),
            ("a chunk size that is not hex", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            ("a negative chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n"),
            ("a chunk without its CRLF", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n"),
            ("a chunk-size line ending in a bare LF", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\na\r\n0\r\n\r\n"),
        ]
        for (what, request) in refused {
            let reading = readRequests([Array(request.utf8)])
            #expect(reading.error == .badRequest, "\(what): \(reading)")
        }
    }

    @Test func aHeadLongerThanTheLimitIsRefusedAsTooLargeBeforeItEnds() {
        let line = "GET /" + String(repeating: "a", count: 1 << 20)
        // The request line alone, without its end: refused once it passes the limit.
        #expect(readRequests([Array(line.utf8)]).error == .headTooLarge)
        let fields = "GET / HTTP/1.1\r\n" + String(repeating: "X-A: 1234567890\r\n", count: 100) + "\r\n"
        #expect(readRequests([Array(fields.utf8)], maxHeadBytes: 1024).error == .headTooLarge)
        #expect(readRequests([Array(fields.utf8)], maxHeadBytes: 4096).error == nil)
    }

    @Test func aResponseHeadIsReadWithItsReasonAndItsFraming() throws {
        func response(_ text: String) throws -> (ResponseHead, HTTP1Framing) {
            try HTTP1Head.response(ByteBuffer(string: text))
        }
        let (head, framing) = try response("HTTP/1.1 200 Fine\r\nContent-Length: 12\r\nConnection: keep-alive\r\nX-Empty:\r\n\r\n")
        #expect(head.status == 200 && head.reasonPhrase == "Fine" && framing.contentLength == 12 && !framing.close)
        #expect(head.fields.lines == ["Content-Length: 12", "Connection: keep-alive", "X-Empty: "])
        let (noReason, _) = try response("HTTP/1.1 204\r\n\r\n")
        #expect(noReason.status == 204 && noReason.reasonPhrase == "")
        // Both a length and chunks: the chunks frame it and the connection is not reused.
        let (_, both) = try response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(both.transferCoding == .chunked && both.contentLength == nil && both.close)
        // HTTP/1.0 closes unless asked to keep alive.
        #expect(try response("HTTP/1.0 200 OK\r\n\r\n").1.close)
        #expect(try !response("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n").1.close)
        #expect(throws: HTTP1Error.self) { try response("HTTP/1.1 2000 OK\r\n\r\n") }
        #expect(throws: HTTP1Error.self) { try response("HTTP/1.1 20x OK\r\n\r\n") }
    }

    @Test func aBodyThatRunsUntilTheConnectionClosesEndsWithItAndAnyOtherBreaksOff() throws {
        var reader = HTTP1MessageReader(maxHeadBytes: 1024)
        var bytes = ByteBuffer(string: "HTTP/1.0 200 OK\r\n\r\nsome body")
        guard case .head? = try reader.next(&bytes) else { Issue.record("no head"); return }
        reader.expectBody(.untilClose)
        guard case .body(let body)? = try reader.next(&bytes) else { Issue.record("no body"); return }
        #expect(String(buffer: body) == "some body")
        guard case .end(nil)? = try reader.connectionClosed() else { Issue.record("no end"); return }

        var cut = HTTP1MessageReader(maxHeadBytes: 1024)
        var short = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\nab")
        _ = try cut.next(&short)
        cut.expectBody(.length(5))
        _ = try cut.next(&short)
        #expect(throws: HTTP1Error.self) { try cut.connectionClosed() }
    }

    @Test func bodySlicesShareTheBytesThatArrivedRatherThanCopyThem() throws {
        var reader = HTTP1MessageReader(maxHeadBytes: 1024)
        var received = ByteBuffer(string: "POST / HTTP/1.1\r\ncontent-length: 10\r\n\r\n0123456789")
        let arrived = received.withUnsafeReadableBytes { $0.baseAddress! }
        _ = try reader.next(&received)
        reader.expectBody(.length(10))
        guard case .body(let body)? = try reader.next(&received) else { Issue.record("no body"); return }
        let sliced = body.withUnsafeReadableBytes { $0.baseAddress! }
        #expect(sliced == arrived + 39)
    }

    @Test func headsAndChunksAreWrittenAsHTTP1Says() {
        let allocator = ByteBufferAllocator()
        let headers = HTTPHeaders([("Host", "client"), ("Connection", "close, X-Hop"), ("X-Hop", "1"), ("Content-Type", "text/event-stream")])
        let fields = HeaderFields(headers.map { ($0.name, $0.value) })
        let response = HTTP1HeadWriter.response(
            ResponseHead(status: 200, fields: fields), version: .http1_1,
            framing: "transfer-encoding: chunked\r\n", connection: "connection: close\r\n", allocator: allocator)
        #expect(String(buffer: response) == "HTTP/1.1 200 OK\r\nHost: client\r\nContent-Type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n")
        let old = HTTP1HeadWriter.response(ResponseHead(status: 404, reason: "Gone Away", fields: HeaderFields()), version: .http1_0,
                                           framing: "", connection: "", allocator: allocator)
        #expect(String(buffer: old) == "HTTP/1.0 404 Gone Away\r\n\r\n")
        let request = HTTP1HeadWriter.request(method: .POST, target: ("/prefix", "/v1/messages"), host: "upstream:8080",
                                              fields: fields, framing: "", allocator: allocator)
        #expect(String(buffer: request) == "POST /prefix/v1/messages HTTP/1.1\r\nhost: upstream:8080\r\nContent-Type: text/event-stream\r\n\r\n")
        var framing = allocator.buffer(capacity: 0)
        HTTP1HeadWriter.chunkStart(count: 0x1a2b, afterChunk: false, to: &framing)
        HTTP1HeadWriter.chunkStart(count: 1, afterChunk: true, to: &framing)
        HTTP1HeadWriter.chunkedEnd(afterChunk: true, trailers: HTTPHeaders([("x-t", "1")]), to: &framing)
        #expect(String(buffer: framing) == "1a2b\r\n\r\n1\r\n\r\n0\r\nx-t: 1\r\n\r\n")
        var empty = allocator.buffer(capacity: 0)
        HTTP1HeadWriter.chunkedEnd(afterChunk: false, trailers: nil, to: &empty)
        #expect(String(buffer: empty) == "0\r\n\r\n")
    }
}
