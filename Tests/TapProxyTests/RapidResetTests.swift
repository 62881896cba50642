import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// HTTP/2 Rapid Reset (CVE-2023-44487) from `Tests/Attacks/rapid_reset.py` (Python `h2`), against
/// the real proxy with an HTTP/1.1 upstream that answers slowly and counts what reaches it:
/// a stream reset in the same read as its HEADERS never goes upstream, at most twice the stream
/// limit reaches it when HEADERS and resets come apart, the connection gets GOAWAY with
/// ENHANCE_YOUR_CALM and one line on standard error, and a well-behaved client still gets its
/// response.
@Suite(.serialized,
       .enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"),
       .enabled(if: AttackPython.path != nil, "USAGETAP_SDK_PYTHON is unset (./test makes it, with h2): the attack is not run"))
struct RapidResetTests {    static let streamLimit = 32
    static let enhanceYourCalm = 11
    static let attackScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Attacks/rapid_reset.py").path

    /// An upstream that, for the attack's `/v1/messages`, sends a response head and the start of
    /// a stream, then holds it open until the proxy lets go (every request that reaches it stays
    /// in flight); and answers anything else with a whole short stream after half a second.
    private func slowUpstream() throws -> ScriptedUpstream {
        try ScriptedUpstream { exchange in
            _ = exchange.readRequest()
            if !exchange.requestHead.contains("/v1/messages") {
                usleep(500_000)
                _ = exchange.send(MessagesStream.chunkedHead)
                for event in MessagesStream(deltas: 2).events { _ = exchange.sendChunk(event) }
                _ = exchange.send("0\r\n\r\n")
                return
            }
            _ = exchange.send(MessagesStream.chunkedHead)
            _ = exchange.sendChunk(MessagesStream(deltas: 0).events[0])
            let deadline = ContinuousClock.now + .seconds(30)
            while !exchange.peerClosed, ContinuousClock.now < deadline { usleep(10_000) }
        }
    }

    private func attack(_ proxy: ProxyUnderTest, pairs: Int, options: [String], folder: ScratchFolder) throws -> [String: Any] {
        let result = try run(
            AttackPython.path!,
            [Self.attackScript, "127.0.0.1", String(proxy.port), String(pairs), "--path", "/v1/messages"] + options,
            folder: folder.url, name: "rapid-reset", limit: .seconds(120))
        #expect(result.status == 0, "\(result.error)")
        return (try? JSONSerialization.jsonObject(with: Data(result.output)) as? [String: Any]) ?? [:]
    }

    /// A plain request beside the attack, on a connection of its own: started before it, its
    /// response comes while the attack runs.
    private func wellBehavedRequest(_ proxy: ProxyUnderTest, folder: ScratchFolder) throws -> ChildProcess {
        try ChildProcess(Peers.curl!, ["-s", "--http2-prior-knowledge", "--max-time", "20",
                                       "http://127.0.0.1:\(proxy.port)/v1/complete"],
                         name: "curl", folder: folder.url)
    }

    private func expectWholeResponse(_ client: ChildProcess) {
        #expect(client.waitForExit(limit: .seconds(30)) == 0, "curl: \(client.standardError)")
        let expected = MessagesStream(deltas: 2).events.reduce([], +)
        #expect(client.standardOutput == expected, "the well-behaved client got \(client.standardOutput.count) bytes")
    }

    @Test func streamsResetInTheSameReadAsTheirHeadersNeverReachTheUpstream() throws {
        let folder = try ScratchFolder("rapid-reset")
        let upstream = try slowUpstream()
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                                       arguments: ["--max-streams", String(Self.streamLimit)], folder: folder)
        let client = try wellBehavedRequest(proxy, folder: folder)
        let outcome = try attack(proxy, pairs: 100_000, options: ["--per-write", "100"], folder: folder)
        expectWholeResponse(client)
        #expect(outcome["goaway_error_code"] as? Int == Self.enhanceYourCalm, "\(outcome)")
        #expect((outcome["pairs_sent"] as? Int ?? .max) < 100_000, "the connection was not cut short: \(outcome)")
        usleep(300_000)
        let attackRequests = upstream.accepted.filter { $0.requestHead.contains("/v1/messages") }.count
        print("rapid reset, same read: \(outcome), upstream requests \(attackRequests)")
        #expect(attackRequests == 0, "\(attackRequests) of the attack's requests reached the upstream")
        #expect(proxy.process.memory("VmHWM").map { $0 < 128 << 20 } ?? false)
        #expect(proxy.process.standardError.components(separatedBy: "streams cancelled, over the budget").count == 2,
                "one line for the connection: \(proxy.process.standardError)")
    }

    @Test func resetsThatComeApartFromTheirHeadersLetAtMostTwiceTheStreamLimitThrough() throws {
        let folder = try ScratchFolder("rapid-reset-split")
        let upstream = try slowUpstream()
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                                       arguments: ["--max-streams", String(Self.streamLimit)], folder: folder)
        let client = try wellBehavedRequest(proxy, folder: folder)
        let outcome = try attack(proxy, pairs: 100_000, options: ["--per-write", "8", "--split"], folder: folder)
        expectWholeResponse(client)
        let closed = outcome["goaway_error_code"] as? Int == Self.enhanceYourCalm || outcome["closed"] as? Bool == true
        #expect(closed, "\(outcome)")
        usleep(300_000)
        // The well-behaved client's request is the one that is not the attack's.
        let attackRequests = upstream.accepted.filter { $0.requestHead.contains("/v1/messages") }.count
        print("rapid reset, resets apart: \(outcome), upstream requests \(attackRequests)")
        #expect(attackRequests <= 2 * Self.streamLimit, "\(attackRequests) of the attack's requests reached the upstream")
        #expect(attackRequests > 0, "with resets apart from their HEADERS, some requests do start")
    }
}

/// The Python that runs the attack scripts: ./test's virtual environment, which has `h2`.
enum AttackPython {
    static let path = ProcessInfo.processInfo.environment["USAGETAP_SDK_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
}
