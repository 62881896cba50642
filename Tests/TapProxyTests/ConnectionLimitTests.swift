import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Slowloris and a connection flood (issue 20) on real sockets against the real proxy, each with
/// a well-behaved client timed beside it (``AttackHarness``): a request head that dribbles in gets 408 once the header
/// timeout passes (GOAWAY over HTTP/2); connections past the per-address limit are closed as they are accepted, with
/// one line a second on standard error, while another address is still served.
@Suite(.serialized, .enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
struct ConnectionLimitTests {
    /// A TCP connection to the proxy from `source` (any 127.0.0.0/8 address is this host).
    private func connect(to port: Int, from source: String) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        func address(_ host: String, _ port: Int) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr(host)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            return address
        }
        var local = address(source, 0)
        var remote = address("127.0.0.1", port)
        let ok = withUnsafePointer(to: &local) { localPointer in
            withUnsafePointer(to: &remote) { remotePointer in
                localPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bindTo in
                    remotePointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connectTo in
                        bind(fd, bindTo, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                            && Glibc.connect(fd, connectTo, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                    }
                }
            }
        }
        guard ok else {
            close(fd)
            return nil
        }
        return fd
    }

    /// What has arrived on `fd` so far, as text, and whether the proxy has closed it.
    private func drain(_ fd: Int32) -> (bytes: String, closed: Bool) {
        let (bytes, closed) = drainBytes(fd)
        return (String(decoding: bytes, as: UTF8.self), closed)
    }

    /// What has arrived on `fd` so far, and whether the proxy has closed it.
    private func drainBytes(_ fd: Int32) -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if got == 0 { return (received, true) }
            if got < 0 { return (received, errno == ECONNRESET) }
            received += chunk[0..<got]
        }
    }

    /// What ``dribble(_:_:opening:bytes:)`` leaves: the connections (still open), when their
    /// dribbling began, and the well-behaved client's p99 without and beside it.
    private struct Dribbled {
        let connections: [Int32]
        let started: ContinuousClock.Instant
        let p99Without: Double
        let p99Beside: Double
    }

    /// Opens 1,000 connections to the harness's proxy, sends each its `opening` bytes at once,
    /// then the first five of its `bytes` one a second (the tests' header timeout is two), while
    /// a well-behaved client is timed through the whole of it: 160 requests, 40 a second.
    private func dribble(_ harness: AttackHarness, _ what: String, opening: (Int) -> [UInt8] = { _ in [] },
                         bytes: (Int) -> [UInt8]) throws -> Dribbled {
        var connections: [Int32] = []
        var started = ContinuousClock.now
        let (without, beside) = try harness.timingAWellBehavedClient(
            describing: what, count: 160, holdingLatency: Peers.usagetapIsOptimised) { _ in
            // Connected without binding a source port first: a bound port is taken from the range
            // that other tests' servers pick free ports from, and would collide with one of them.
            connections = (0..<1000).compactMap { _ in Loopback.connect(port: harness.proxy.port) }
            for (index, fd) in connections.enumerated() {
                let first = opening(index)
                if !first.isEmpty { _ = Loopback.send(fd, first) }
            }
            started = ContinuousClock.now
            for second in 0..<5 {
                for (index, fd) in connections.enumerated() {
                    var byte = bytes(index)[second]
                    _ = send(fd, &byte, 1, Int32(MSG_NOSIGNAL))
                }
                sleep(1)
            }
        }
        return Dribbled(connections: connections, started: started, p99Without: without, p99Beside: beside)
    }

    @Test func aThousandConnectionsSendingAHeaderByteASecondGet408AtTheHeaderTimeout() throws {
        let harness = try AttackHarness("slowloris", streamLimit: 128, arguments: ["--header-timeout-seconds", "2"])
        let head = Array("GET /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
        let mark = harness.costMark()
        let dribbled = try dribble(harness, "1,000 slowloris connections", bytes: { _ in head })
        let connections = dribbled.connections
        defer { connections.forEach { close($0) } }
        #expect(connections.count == 1000)
        let outcomes = connections.map { drain($0) }
        let timedOut = outcomes.filter { $0.bytes.hasPrefix("HTTP/1.1 408 ") && $0.closed }.count
        harness.expectBoundedCost(since: mark, "slowloris")
        print("slowloris: \(timedOut) of \(connections.count) got 408 and were closed within \(ContinuousClock.now - dribbled.started); p99 \(dribbled.p99Without * 1000) ms without, \(dribbled.p99Beside * 1000) ms beside")
        #expect(timedOut == connections.count)
        #expect(harness.attackRequests == 0, "no slowloris request reaches the upstream")
    }

    /// The same over h2c: half the connections dribble the connection preface, and are closed
    /// once the header timeout passes (they are not HTTP/2 until it is whole: no GOAWAY); half
    /// a HEADERS frame's header block after a whole preface, and get GOAWAY with
    /// ENHANCE_YOUR_CALM and are closed. An HTTP/2 client beside them is served.
    @Test func aThousandHTTP2ConnectionsDribblingAPrefaceOrAHeaderBlockGetGOAWAYAtTheHeaderTimeout() throws {
        let harness = try AttackHarness("slowloris-h2", streamLimit: 128, arguments: ["--header-timeout-seconds", "2"])
        let proxy = harness.proxy
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0]
        // GET http://x/ in HPACK (static-table indices and one literal), on stream 1, with
        // END_STREAM but no END_HEADERS: its six bytes are dribbled after the frame's header.
        let block: [UInt8] = [0x82, 0x86, 0x84, 0x41, 0x01, 0x78]
        let headersFrame: [UInt8] = [0, 0, UInt8(block.count), 1, 0x01, 0, 0, 0, 1]
        let mark = harness.costMark()
        // Even connections dribble the preface; odd ones send it whole with a HEADERS frame's
        // header, and dribble its block.
        let dribbled = try dribble(harness, "1,000 HTTP/2 slowloris connections",
                                   opening: { $0 % 2 == 1 ? preface + headersFrame : [] },
                                   bytes: { $0 % 2 == 0 ? preface : block })
        let connections = dribbled.connections
        defer { connections.forEach { close($0) } }
        #expect(connections.count == 1000)
        let outcomes = connections.map { drainBytes($0) }
        let prefaces = outcomes.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let blocks = outcomes.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let closedPrefaces = prefaces.filter { $0.closed && $0.bytes.isEmpty }.count
        let refusedBlocks = blocks.filter { $0.closed && Self.goAwayCode(in: $0.bytes) == 0xB }.count
        harness.expectBoundedCost(since: mark, "slowloris over h2c")
        print("slowloris over h2c: \(closedPrefaces) of \(prefaces.count) dribbled prefaces closed, \(refusedBlocks) of \(blocks.count) dribbled header blocks got GOAWAY (ENHANCE_YOUR_CALM) and were closed, within \(ContinuousClock.now - dribbled.started); p99 \(dribbled.p99Without * 1000) ms without, \(dribbled.p99Beside * 1000) ms beside")
        #expect(closedPrefaces == prefaces.count)
        #expect(refusedBlocks == blocks.count)
        #expect(harness.attackRequests == 0, "no slowloris request reaches the upstream")
        let reports = proxy.process.standardError.split(separator: "\n").filter { $0.contains("not whole in 2 s") }
        #expect(reports.count == connections.count, "one line per refused connection: \(reports.count)")
    }

    /// Over TLS, the handshake is the head: connections that dribble a ClientHello, or send
    /// nothing, are closed once the header timeout passes, while a TLS client beside them is
    /// served.
    @Test func tlsConnectionsThatDoNotFinishTheirHandshakeAreClosedAtTheHeaderTimeout() throws {
        let folder = try ScratchFolder("slowloris-tls")
        let pki = try TestPKI(in: folder)
        let upstream = try ScriptedUpstream.answeringOK()
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                                       arguments: ["--header-timeout-seconds", "2", "--tls-cert", pki.certificate,
                                                   "--tls-key", pki.privateKey], folder: folder)
        // The first bytes of a TLS 1.2 ClientHello record: a handshake that has begun.
        let hello: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0xC8, 0x01]
        let connections = (0..<200).compactMap { _ in Loopback.connect(port: proxy.port) }
        defer { connections.forEach { close($0) } }
        #expect(connections.count == 200)
        let started = ContinuousClock.now
        for second in 0..<5 {
            for (index, fd) in connections.enumerated() where index % 2 == 0 {
                var byte = hello[second]
                _ = send(fd, &byte, 1, Int32(MSG_NOSIGNAL))
            }
            if second == 1 {
                let polite = try run(Peers.curl!, ["-s", "--cacert", pki.caCertificate, "--max-time", "10",
                                                   "https://localhost:\(proxy.port)/v1/complete"], folder: folder.url, name: "curl")
                #expect(polite.status == 0 && polite.output == Array("ok".utf8), "the well-behaved client: \(polite.status)")
            }
            sleep(1)
        }
        let closed = connections.filter { drainBytes($0).closed }.count
        print("slowloris over TLS: \(closed) of \(connections.count) closed within \(ContinuousClock.now - started)")
        #expect(closed == connections.count)
        let reports = proxy.process.standardError.split(separator: "\n").filter { $0.contains("TLS handshake not done in 2 s") }
        #expect(reports.count == connections.count, "one line per closed connection: \(reports.count)")
    }

    /// The error code of the first GOAWAY among the HTTP/2 frames in `bytes`, if there is one.
    private static func goAwayCode(in bytes: [UInt8]) -> UInt32? {
        var at = 0
        while at + 9 <= bytes.count {
            let length = Int(bytes[at]) << 16 | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2])
            if bytes[at + 3] == 7, at + 9 + 8 <= bytes.count {
                return bytes[(at + 13)..<(at + 17)].reduce(0) { $0 << 8 | UInt32($1) }
            }
            at += 9 + length
        }
        return nil
    }

    @Test func connectionsPastThePerAddressLimitAreClosedWhileAnotherAddressIsServed() throws {
        let limit = 100
        let harness = try AttackHarness("connection-flood", streamLimit: 128, arguments: [
            "--max-connections", String(2 * limit), "--max-connections-per-address", String(limit)])
        let proxy = harness.proxy
        var flood: [Int32] = []
        defer { flood.forEach { close($0) } }
        var closed = 0
        let mark = harness.costMark()
        // Twice the limit from one address, all kept open, while a client from 127.0.0.1 is timed.
        let (without, beside) = try harness.timingAWellBehavedClient(describing: "a connection flood") { timing in
            flood = (0..<(2 * limit)).compactMap { _ in connect(to: proxy.port, from: "127.0.0.2") }
            usleep(500_000)
            closed = flood.filter { drain($0).closed }.count
            while timing() { usleep(50_000) }
        }
        harness.expectBoundedCost(since: mark, "connection flood")
        let reports = proxy.process.standardError.split(separator: "\n").filter { $0.contains("connections refused") }
        print("connection flood: \(closed) of \(flood.count) closed at once; \(reports.count) report lines; p99 \(without * 1000) ms without, \(beside * 1000) ms beside")
        #expect(flood.count == 2 * limit)
        #expect(closed == limit, "\(closed) of \(flood.count) were closed")
        #expect((1...2).contains(reports.count), "one line a second at most: \(reports)")
        #expect(harness.attackRequests == 0)
    }
}
