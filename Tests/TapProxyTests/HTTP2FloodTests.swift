import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// HTTP/2 floods from `Tests/Attacks/h2_floods.py`, frames built by hand, each against a fresh
/// proxy with a well-behaved client beside it: the abusive connection is closed (or, where the
/// proxy stops reading it, held off by backpressure), the proxy's memory stays under 128 MiB and
/// its CPU bounded, no more than the stream limit reaches the upstream, and the well-behaved
/// client gets its whole response.
@Suite(.serialized,
       .enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"),
       .enabled(if: AttackHarness.python != nil, "USAGETAP_SDK_PYTHON is unset (./test makes it, with h2): the attacks are not run"))
struct HTTP2FloodTests {
    static let streamLimit = 32

    static let attacks = [
        "continuation-endless", "continuation-unended", "hpack-amplification", "settings-flood", "ping-flood",
        "empty-data-flood", "window-overflow", "too-many-streams",
    ]

    /// A client with zero windows opens 1,000 streams of endless responses and holds them: the
    /// proxy holds the upstreams back instead of buffering (128 streams, each read 64 KiB ahead
    /// of a client that has taken nothing), and its memory stays bounded.
    ///
    /// Over an HTTP/2 upstream the well-behaved client's streams share the upstream connection
    /// with the attack's: the attack must hold back only its own streams there.
    @Test(.enabled(if: NghttpxFront.program != nil, "nghttp2-proxy (nghttpx) missing: run ./test"), arguments: [false, true])
    func aZeroWindowClientHoldingAThousandStreamsCostsBoundedMemory(upstreamHTTP2: Bool) throws {
        let harness = try AttackHarness("zero-window\(upstreamHTTP2 ? "-h2" : "")", streamLimit: 128, upstreamHTTP2: upstreamHTTP2)
        let client = try harness.startWellBehavedClient()
        let mark = harness.costMark()
        // 128 streams, each read ahead for a client that takes nothing: 64 KiB each
        // (ProxyLimits.firstReadAheadBytes), not the 256 KiB a client that reads may have. At
        // 256 KiB, that burst of reads put the well-behaved client's p99 at 107-134 ms against
        // 22-35 ms without when other work shared the two cores (CI, or three busy loops).
        let (outcome, _, without, beside) = try harness.attackWhileTimingAWellBehavedClient(
            "h2_floods.py", ["zero-window", AttackHarness.bigPath], holdingLatency: Peers.usagetapIsOptimised)
        harness.expectBoundedCost(since: mark, "zero window")
        print("zero window: the well-behaved client's p99 \(without * 1000) ms without, \(beside * 1000) ms beside")
        harness.expectWholeResponse(client)
        print("zero window: \(outcome), upstream requests \(harness.attackRequests)")
        #expect(outcome["held"] as? Bool == true)
        #expect(harness.attackRequests <= 128, "\(harness.attackRequests) requests reached the upstream")
    }

    @Test(arguments: attacks)
    func aFloodIsCutOffWhileAWellBehavedClientIsServed(attack: String) throws {
        let harness = try AttackHarness("flood-\(attack)", streamLimit: Self.streamLimit)
        let client = try harness.startWellBehavedClient()
        let mark = harness.costMark()
        let (outcome, _, _, _) = try harness.attackWhileTimingAWellBehavedClient("h2_floods.py", [attack])
        harness.expectWholeResponse(client)
        harness.expectBoundedCost(since: mark, "flood \(attack)")
        usleep(200_000)
        print("flood \(attack): \(outcome), upstream requests \(harness.attackRequests)")
        // Cut off: GOAWAY, a closed connection, the proxy no longer reading it, or (for streams
        // beyond the limit) each extra stream refused.
        let cutOff = outcome["goaway_error_code"] as? Int != nil || outcome["closed"] as? Bool == true
            || outcome["stalled"] as? Bool == true
            || (attack == "too-many-streams" && (outcome["resets_received"] as? Int ?? 0) > 0)
        #expect(cutOff, "the attack ran to its end: \(outcome)")
        #expect(harness.attackRequests <= Self.streamLimit, "\(harness.attackRequests) of the attack's requests reached the upstream")
        // One connection's flood stays under the bound in every build, the sanitized one too.
        #expect(harness.proxy.process.memory("VmHWM").map { $0 < 128 << 20 } ?? false)
    }
}
