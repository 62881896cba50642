import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Slowloris and a connection flood (issue 20) on real sockets against the real proxy, each with
/// a well-behaved client beside it: a request head that dribbles in gets 408 once the header
/// timeout passes; connections past the per-address limit are closed as they are accepted, with
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

    /// What has arrived on `fd` so far, and whether the proxy has closed it.
    private func drain(_ fd: Int32) -> (bytes: String, closed: Bool) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if got == 0 { return (String(decoding: received, as: UTF8.self), true) }
            if got < 0 { return (String(decoding: received, as: UTF8.self), errno == ECONNRESET) }
            received += chunk[0..<got]
        }
    }

    private func wellBehavedRequest(_ proxy: ProxyUnderTest, folder: ScratchFolder) throws -> (status: Int32, body: [UInt8]) {
        let result = try run(Peers.curl!, ["-s", "--max-time", "10", "http://127.0.0.1:\(proxy.port)/v1/complete"],
                             folder: folder.url, name: "curl")
        return (result.status, result.output)
    }

    @Test func aThousandConnectionsSendingAHeaderByteASecondGet408AtTheHeaderTimeout() throws {
        let folder = try ScratchFolder("slowloris")
        let upstream = try ScriptedUpstream.answeringOK()
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                                       arguments: ["--header-timeout-seconds", "2"], folder: folder)
        let head = Array("GET /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
        // Connected without binding a source port first: a bound port is taken from the range that
        // other tests' servers pick free ports from, and would collide with one of them.
        let connections = (0..<1000).compactMap { _ in Loopback.connect(port: proxy.port) }
        defer { connections.forEach { close($0) } }
        #expect(connections.count == 1000)
        let started = ContinuousClock.now
        // A byte a second from each, for five seconds: the timeout is two.
        for second in 0..<5 {
            for fd in connections { _ = send(fd, [head[second]], 1, Int32(MSG_NOSIGNAL)) }
            if second == 1 {
                let polite = try wellBehavedRequest(proxy, folder: folder)
                #expect(polite.status == 0 && polite.body == Array("ok".utf8), "the well-behaved client: \(polite)")
            }
            sleep(1)
        }
        let outcomes = connections.map { drain($0) }
        let timedOut = outcomes.filter { $0.bytes.hasPrefix("HTTP/1.1 408 ") && $0.closed }.count
        print("slowloris: \(timedOut) of \(connections.count) got 408 and were closed within \(ContinuousClock.now - started); peak RSS \(proxy.process.memory("VmHWM") ?? -1)")
        #expect(timedOut == connections.count)
        #expect(upstream.accepted.count == 1, "only the well-behaved request reaches the upstream")
        // The memory bound is the optimised binary's (AddressSanitizer's shadow memory and
        // quarantine add their own, some 100 MB).
        if Peers.usagetapIsOptimised { #expect(proxy.process.memory("VmHWM").map { $0 < 128 << 20 } ?? false) }
    }

    @Test func connectionsPastThePerAddressLimitAreClosedWhileAnotherAddressIsServed() throws {
        let folder = try ScratchFolder("connection-flood")
        let upstream = try ScriptedUpstream.answeringOK()
        let limit = 100
        let proxy = try ProxyUnderTest(upstream: "http://127.0.0.1:\(upstream.port)",
                                       arguments: ["--max-connections", "200", "--max-connections-per-address", String(limit)],
                                       folder: folder)
        // Twice the limit from one address, all kept open.
        let flood = (0..<(2 * limit)).compactMap { _ in connect(to: proxy.port, from: "127.0.0.2") }
        defer { flood.forEach { close($0) } }
        #expect(flood.count == 2 * limit)
        usleep(500_000)
        let closed = flood.filter { drain($0).closed }.count
        let polite = try wellBehavedRequest(proxy, folder: folder)
        print("connection flood: \(closed) of \(flood.count) closed at once; \(proxy.process.standardError.split(separator: "\n").filter { $0.contains("connections refused") }.count) report lines")
        #expect(closed == limit, "\(closed) of \(flood.count) were closed")
        #expect(polite.status == 0 && polite.body == Array("ok".utf8), "the well-behaved client: \(polite)")
        let reports = proxy.process.standardError.split(separator: "\n").filter { $0.contains("connections refused") }
        #expect((1...2).contains(reports.count), "one line a second at most: \(reports)")
    }
}
