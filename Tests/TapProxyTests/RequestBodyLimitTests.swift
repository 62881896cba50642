import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `--max-request-body-bytes` (issue 20): a request body past the limit gets 413 with an
/// OpenAI-style error, over HTTP/1.1 (with Content-Length and chunked) and HTTP/2, promptly and
/// without the rest of the body being sent on; a body within it goes upstream whole. And
/// `--max-header-bytes`, the same for a request's headers.
@Suite(.serialized, .enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
struct RequestBodyLimitTests {
    static let limit = 1_000_000

    @Test(arguments: [["--http1.1"], ["--http1.1", "-H", "Transfer-Encoding: chunked"], ["--http2-prior-knowledge"]])
    func aBodyPastTheLimitGets413AndGoesNoFurther(curlOptions: [String]) throws {
        let folder = try ScratchFolder("body-limit")
        // An upstream that reads the whole request before it answers, as a real one does.
        let upstream = try ScriptedUpstream.answeringOK()
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                                       arguments: ["--max-request-body-bytes", String(Self.limit)], folder: folder)
        let big = folder.path("big.bin")
        try Data(repeating: UInt8(ascii: "x"), count: 3 * Self.limit).write(to: URL(fileURLWithPath: big))
        let started = ContinuousClock.now
        let result = try run(Peers.curl!, ["-s", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}"] + curlOptions
                                + ["--data-binary", "@\(big)", "http://127.0.0.1:\(proxy.port)/v1/chat/completions"],
                             folder: folder.url, name: "curl")
        let took = ContinuousClock.now - started
        let output = String(decoding: result.output, as: UTF8.self)
        #expect(output.hasSuffix("\n413"), "\(curlOptions): \(output.suffix(200))")
        #expect(output.contains(#""code":"request_too_large""#))
        #expect(took < .seconds(10), "the client waited \(took)")
        // Nothing reached the upstream whole: it read no complete request.
        usleep(200_000)
        #expect(upstream.accepted.allSatisfy { $0.request == nil }, "a request over the limit reached the upstream whole")

        let small = try run(Peers.curl!, ["-s", "--max-time", "20", "-o", "-"] + curlOptions
                                + ["--data-binary", "hello", "http://127.0.0.1:\(proxy.port)/v1/chat/completions"],
                            folder: folder.url, name: "curl-small")
        #expect(String(decoding: small.output, as: UTF8.self) == "ok")
    }

    /// `--max-header-bytes`: headers past it get 431 over HTTP/1.1 and the stream reset over
    /// HTTP/2, and do not reach the upstream; headers within it do.
    @Test(arguments: [["--http1.1"], ["--http2-prior-knowledge"]])
    func headersPastTheHeaderLimitGoNoFurther(curlOptions: [String]) throws {
        let folder = try ScratchFolder("header-limit")
        let upstream = try ScriptedUpstream.answeringOK()
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                                       arguments: ["--max-header-bytes", "4096"], folder: folder)
        let big = try run(Peers.curl!, ["-s", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}"] + curlOptions
                              + ["-H", "x-big: " + String(repeating: "b", count: 5000),
                                 "http://127.0.0.1:\(proxy.port)/v1/models"], folder: folder.url, name: "curl-big")
        let output = String(decoding: big.output, as: UTF8.self)
        if curlOptions == ["--http1.1"] {
            #expect(output.hasSuffix("\n431"), "\(output.suffix(200))")
        } else {
            // The stream is reset: curl gets no response at all.
            #expect(big.status != 0 && output.hasSuffix("\n000"), "curl \(big.status): \(output.suffix(200))")
        }
        let small = try run(Peers.curl!, ["-s", "--max-time", "20", "-o", "-"] + curlOptions
                                + ["-H", "x-small: " + String(repeating: "s", count: 3000),
                                   "http://127.0.0.1:\(proxy.port)/v1/models"], folder: folder.url, name: "curl-small")
        #expect(String(decoding: small.output, as: UTF8.self) == "ok")
        #expect(upstream.accepted.count == 1, "only the request within the limit reaches the upstream")
    }
}
