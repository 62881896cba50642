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
       .enabled(if: AttackHarness.python != nil, "USAGETAP_SDK_PYTHON is unset (./test makes it, with h2): the attacks are not run"))
struct RapidResetTests {
    static let streamLimit = 32
    static let enhanceYourCalm = 11

    @Test func streamsResetInTheSameReadAsTheirHeadersNeverReachTheUpstream() throws {
        let harness = try AttackHarness("rapid-reset", streamLimit: Self.streamLimit)
        let client = try harness.startWellBehavedClient()
        let mark = harness.costMark()
        let (outcome, runs, _, _) = try harness.attackWhileTimingAWellBehavedClient("rapid_reset.py", ["100000", "--per-write", "100", "--path", "/v1/messages"])
        harness.expectBoundedCost(since: mark, "rapid reset, same read")
        harness.expectWholeResponse(client)
        #expect(outcome["goaway_error_code"] as? Int == Self.enhanceYourCalm, "\(outcome)")
        #expect((outcome["pairs_sent"] as? Int ?? .max) < 100_000, "the connection was not cut short: \(outcome)")
        usleep(300_000)
        print("rapid reset, same read: \(outcome), upstream requests \(harness.attackRequests) over \(runs) connections")
        #expect(harness.attackRequests == 0, "\(harness.attackRequests) of the attack's requests reached the upstream")
        let lines = harness.proxy.process.standardError.components(separatedBy: "streams cancelled, over the budget").count - 1
        #expect(lines == runs, "one line for each attacking connection (\(runs)): \(harness.proxy.process.standardError)")
    }

    @Test func resetsThatComeApartFromTheirHeadersLetAtMostTwiceTheStreamLimitThrough() throws {
        let harness = try AttackHarness("rapid-reset-split", streamLimit: Self.streamLimit)
        let client = try harness.startWellBehavedClient()
        let mark = harness.costMark()
        let (outcome, runs, _, _) = try harness.attackWhileTimingAWellBehavedClient("rapid_reset.py", ["100000", "--per-write", "8", "--split", "--path", "/v1/messages"])
        harness.expectBoundedCost(since: mark, "rapid reset, resets apart")
        harness.expectWholeResponse(client)
        let closed = outcome["goaway_error_code"] as? Int == Self.enhanceYourCalm || outcome["closed"] as? Bool == true
        #expect(closed, "\(outcome)")
        usleep(300_000)
        print("rapid reset, resets apart: \(outcome), upstream requests \(harness.attackRequests) over \(runs) connections")
        #expect(harness.attackRequests <= 2 * Self.streamLimit * runs, "\(harness.attackRequests) of the attack's requests reached the upstream over \(runs) connections")
        #expect(harness.attackRequests > 0, "with resets apart from their HEADERS, some requests do start")
    }
}
