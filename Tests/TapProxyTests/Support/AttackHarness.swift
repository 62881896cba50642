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

    let folder: ScratchFolder
    let upstream: ScriptedUpstream
    let proxy: ProxyUnderTest

    /// A proxy with `streamLimit` HTTP/2 streams per connection, in front of an upstream that,
    /// for the attack's requests, sends a response head and the start of a stream and then holds
    /// it open until the proxy lets go (every request that reaches it stays in flight), sends an
    /// endless stream as fast as it is taken for ``bigPath``, and answers the well-behaved client
    /// with a whole short stream after half a second.
    init(_ name: String, streamLimit: Int) throws {
        folder = try ScratchFolder(name)
        upstream = try ScriptedUpstream { exchange in
            _ = exchange.readRequest()
            if exchange.requestHead.contains(AttackHarness.bigPath) {
                // As much as the proxy takes: 64 KiB events until it stops reading or lets go.
                _ = exchange.send(MessagesStream.chunkedHead)
                let event = MessagesStream(deltas: 1, deltaText: { _ in String(repeating: "x", count: 64 << 10) }).events[1]
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline, exchange.sendChunk(event) {}
                return
            }
            if exchange.requestHead.contains(AttackHarness.politePath) {
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
        proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                                   arguments: ["--max-streams", String(streamLimit)], folder: folder)
    }

    /// The requests of the attack that reached the upstream.
    var attackRequests: Int {
        upstream.accepted.filter { !$0.requestHead.contains(Self.politePath) }.count
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

    /// The proxy's user and system CPU time so far, in seconds.
    var proxyCPUSeconds: Double {
        guard let stat = readWholeFile("/proc/\(proxy.process.pid)/stat") else { return 0 }
        let fields = String(decoding: stat, as: UTF8.self).split(separator: ")").last?.split(separator: " ") ?? []
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
