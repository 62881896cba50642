import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What the attack tests share: the proxy under attack in front of an upstream that counts what
/// reaches it, the attack scripts (`Tests/Attacks`, Python with `h2` from ./test's virtual
/// environment), and a well-behaved client on a connection of its own beside the attack.
struct AttackHarness {
    static let python = ProcessInfo.processInfo.environment["USAGETAP_SDK_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Attacks")
    /// The well-behaved client's path; the attacks use others.
    static let politePath = "/v1/complete"
    /// A path whose responses never end, sent as fast as the proxy takes them.
    static let bigPath = "/v1/big"
    /// The well-behaved client's path for latency: a short stream after 20 ms, as an upstream's
    /// first byte takes.
    static let quickPath = "/v1/quick"

    /// Every response's head. The upstream closes each connection after its one exchange, and
    /// says so: nghttpx (in front of it with `upstreamHTTP2`) keeps a connection that does not
    /// say so for the next request, and answers 502 when the close comes as it reuses it.
    static let head = MessagesStream.chunkedHead.replacingOccurrences(of: "\r\n\r\n", with: "\r\nconnection: close\r\n\r\n")

    /// One chunk of ``bigPath``'s endless stream: a 64 KiB event with its chunk framing.
    static let bigChunk: [UInt8] = {
        let event = MessagesStream(deltas: 1, deltaText: { _ in String(repeating: "x", count: 64 << 10) }).events[1]
        return Array(String(event.count, radix: 16).utf8) + [13, 10] + event + [13, 10]
    }()

    let folder: ScratchFolder
    let upstream: ScriptedUpstream
    /// With `upstreamHTTP2`: nghttpx between the proxy and the upstream.
    let front: NghttpxFront?
    let proxy: ProxyUnderTest

    /// A proxy with `streamLimit` HTTP/2 streams per connection, in front of an upstream that,
    /// for the attack's requests, sends a response head and the start of a stream and then holds
    /// it open until the proxy lets go (every request that reaches it stays in flight), sends an
    /// endless stream as fast as it is taken for ``bigPath``, and answers the well-behaved client
    /// with a whole short stream after half a second. With `upstreamHTTP2`, the proxy reaches
    /// that upstream over h2c, through nghttpx.
    init(_ name: String, streamLimit: Int, arguments: [String] = [], upstreamHTTP2: Bool = false) throws {
        folder = try ScratchFolder(name)
        upstream = try ScriptedUpstream { exchange in
            _ = exchange.readRequest()
            if exchange.requestHead.contains(AttackHarness.bigPath) {
                // As much as the proxy takes: 64 KiB events until it stops reading or lets go.
                // This upstream shares the proxy's two cores, where a real one is across a
                // network that bounds what is in flight. So one chunk is made once and sent
                // again and again, and the socket's send buffer is kept at 64 KiB: 128 of these
                // threads framing a fresh chunk each time (a debug build's array copies), and
                // the kernel growing their buffers to megabytes each, took the CPU the proxy is
                // timed on (the well-behaved client's p99 went from 22 ms to 200–626 ms while
                // the proxy spent 0.12 s of CPU over the whole attack; 41–45 ms with these two).
                var sendBuffer: Int32 = 64 << 10
                setsockopt(exchange.fd, SOL_SOCKET, SO_SNDBUF, &sendBuffer, socklen_t(MemoryLayout<Int32>.size))
                _ = exchange.send(AttackHarness.head)
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline, exchange.send(AttackHarness.bigChunk) {}
                return
            }
            // The well-behaved client's paths: a whole short stream, after a first-byte delay.
            let delay: UInt32? = exchange.requestHead.contains(AttackHarness.quickPath) ? 20_000
                : exchange.requestHead.contains(AttackHarness.politePath) ? 500_000 : nil
            if let delay {
                usleep(delay)
                _ = exchange.send(AttackHarness.head)
                for event in MessagesStream(deltas: 2).events { _ = exchange.sendChunk(event) }
                _ = exchange.send("0\r\n\r\n")
                return
            }
            _ = exchange.send(AttackHarness.head)
            _ = exchange.sendChunk(MessagesStream(deltas: 0).events[0])
            let deadline = ContinuousClock.now + .seconds(30)
            while !exchange.peerClosed, ContinuousClock.now < deadline { usleep(10_000) }
        }
        front = upstreamHTTP2 ? try NghttpxFront(backendPort: upstream.port, folder: folder) : nil
        proxy = try ProxyUnderTest(upstream: front?.url ?? "http://127.0.0.1:\(upstream.port)",
                                   arguments: ["--max-streams", String(streamLimit)] + (upstreamHTTP2 ? ["--upstream-http2"] : [])
                                       + arguments, folder: folder)
    }

    /// The requests of the attack that reached the upstream.
    var attackRequests: Int {
        upstream.accepted.filter { !$0.requestHead.contains(Self.politePath) && !$0.requestHead.contains(Self.quickPath) }.count
    }

    /// Starts `count` requests for ``quickPath``, `perSecond` a second, one at a time on one h2c
    /// connection of their own (h2load; curl 7.88 cannot reuse an h2c connection); their
    /// latencies come from ``latencies(_:)``.
    func startTimedRequests(count: Int, perSecond: Int, name: String) throws -> (client: ChildProcess, log: String) {
        let log = folder.path("\(name).log")
        let client = try ChildProcess(
            Peers.h2load!, ["-n", String(count), "-c", "1", "-m", "1", "--rps", String(perSecond), "--log-file", log,
                            "http://127.0.0.1:\(proxy.port)\(Self.quickPath)"],
            name: name, folder: folder.url)
        return (client, log)
    }

    /// Each request's latency in seconds, once the client has ended; nil for one that failed
    /// (h2load's log: start, status, microseconds).
    func latencies(_ timed: (client: ChildProcess, log: String)) -> [Double?] {
        _ = timed.client.waitForExit(limit: .seconds(90))
        return String(decoding: readWholeFile(timed.log) ?? [], as: UTF8.self).split(separator: "\n").map { line in
            let fields = line.split(separator: "\t")
            guard fields.count >= 3, fields[1] == "200", let micros = Double(fields[2]) else { return nil }
            return micros / 1e6
        }
    }

    /// Runs `attack` again and again (each time on a new connection) while a well-behaved
    /// client makes timed requests beside it; every one of them must succeed, and, with
    /// `holdingLatency`, its p99 latency must be at most 3× that of the same requests just
    /// before, without the attack. Returns the last attack's report, how many times the attack
    /// ran, and the two p99 latencies in seconds.
    func attackWhileTimingAWellBehavedClient(_ script: String, _ arguments: [String], holdingLatency: Bool = true)
        throws -> (outcome: [String: Any], runs: Int, p99Without: Double, p99Beside: Double) {
        var outcome: [String: Any] = [:]
        var runs = 0
        let (without, beside) = try timingAWellBehavedClient(describing: "\(script) \(arguments)", holdingLatency: holdingLatency) { timing in
            repeat {
                outcome = try attack(script, arguments)
                runs += 1
            } while timing()
        }
        return (outcome, runs, without, beside)
    }

    /// Times `count` requests of a well-behaved client, `perSecond` a second, without an attack
    /// and then while `attack` runs (it is told whether the timed requests are still going);
    /// every one must succeed and, with `holdingLatency`, the p99 beside the attack must be at
    /// most 3× the p99 without. Returns the two p99 latencies in seconds.
    func timingAWellBehavedClient(describing what: String, count: Int = 60, perSecond: Int = 40, holdingLatency: Bool = true,
                                  during attack: (_ timing: () -> Bool) throws -> Void) throws -> (p99Without: Double, p99Beside: Double) {
        let before = latencies(try startTimedRequests(count: count, perSecond: perSecond, name: "timed-before"))
        let timed = try startTimedRequests(count: count, perSecond: perSecond, name: "timed-during")
        try attack { !timed.client.hasExited }
        let during = latencies(timed)
        #expect(before.count == count && before.allSatisfy { $0 != nil }, "without the attack: \(before)")
        #expect(during.count == count && during.allSatisfy { $0 != nil }, "beside the attack, some requests failed: \(during)")
        let p99 = { (values: [Double?]) -> Double in
            let sorted = values.compactMap { $0 }.sorted()
            return sorted.isEmpty ? .infinity : sorted[min(sorted.count - 1, Int(0.99 * Double(sorted.count)))]
        }
        print("well-behaved client: p99 \(p99(before) * 1000) ms without, \(p99(during) * 1000) ms beside \(what)")
        if holdingLatency {
            #expect(p99(during) <= 3 * p99(before), "p99 \(p99(during)) s beside the attack, \(p99(before)) s without")
        }
        return (p99(before), p99(during))
    }

    /// Runs `script` with `arguments` after the proxy's address; returns its JSON report.
    func attack(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        let result = try run(
            Self.python!, [Self.scripts.appendingPathComponent(script).path, "127.0.0.1", String(proxy.port)] + arguments,
            folder: folder.url, name: "attack", limit: .seconds(120))
        #expect(result.status == 0, "\(script) \(arguments): \(result.error)")
        return (try? JSONSerialization.jsonObject(with: Data(result.output)) as? [String: Any]) ?? [:]
    }

    /// Starts a plain h2c request on a connection of its own: started before the attack, its
    /// response comes while the attack runs.
    func startWellBehavedClient() throws -> ChildProcess {
        try ChildProcess(Peers.curl!, ["-s", "--http2-prior-knowledge", "--max-time", "20",
                                       "http://127.0.0.1:\(proxy.port)\(Self.politePath)"],
                         name: "curl", folder: folder.url)
    }

    /// The well-behaved client got the whole response.
    func expectWholeResponse(_ client: ChildProcess) {
        #expect(client.waitForExit(limit: .seconds(30)) == 0, "curl: \(client.standardError)")
        let expected = MessagesStream(deltas: 2).events.reduce([], +)
        #expect(client.standardOutput == expected, "the well-behaved client got \(client.standardOutput.count) bytes")
    }

    /// Where the proxy stood before an attack: its CPU time and the moment.
    struct CostMark {
        let cpuSeconds: Double
        let at: ContinuousClock.Instant
    }

    func costMark() -> CostMark { CostMark(cpuSeconds: proxyCPUSeconds, at: .now) }

    /// The proxy's cost since `mark`, printed, and held to its bounds: under 10 s of CPU for any
    /// build; for the optimised binary (a debug or sanitized build is slower and bigger), CPU at
    /// most half the wall time that passed, which a proxy that spins on an attack (a whole core)
    /// exceeds, and a peak RSS under 128 MiB. Returns the CPU and wall seconds and the peak RSS
    /// in bytes.
    @discardableResult
    func expectBoundedCost(since mark: CostMark, _ what: String) -> (cpu: Double, wall: Double, peakRSS: Int) {
        let cpu = proxyCPUSeconds - mark.cpuSeconds
        let elapsed = mark.at.duration(to: .now)
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let peak = proxy.process.memory("VmHWM") ?? .max
        print("\(what): the proxy spent \(cpu) s of CPU over \(wall) s; peak RSS \(peak)")
        #expect(cpu < 10, "\(what): the proxy spent \(cpu) s of CPU")
        if Peers.usagetapIsOptimised {
            #expect(cpu <= wall / 2, "\(what): the proxy spent \(cpu) s of CPU over \(wall) s")
            #expect(peak < 128 << 20, "\(what): peak RSS \(peak)")
        }
        return (cpu, wall, peak)
    }

    /// The proxy's user and system CPU time so far, in seconds.
    var proxyCPUSeconds: Double {
        guard let stat = readWholeFile("/proc/\(proxy.process.pid)/stat") else { return 0 }
        let fields = String(decoding: stat, as: UTF8.self).split(separator: ")").last?.split(separator: " ") ?? []
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
