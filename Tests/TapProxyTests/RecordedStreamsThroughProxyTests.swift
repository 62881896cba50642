import Foundation
import Testing
import TestSupport

/// Every recorded provider stream, served by nghttpd and fetched through `usagetap proxy` by
/// curl and nghttp over HTTP/1.1, h2c and h2 over TLS: the client gets the file's exact bytes,
/// and the usage log gets the file's expected record.
@Suite(.serialized) struct RecordedStreamsThroughProxyTests {
    enum Client: String, CaseIterable {
        case curlHTTP1 = "curl HTTP/1.1"
        case curlH2C = "curl h2c"
        case curlH2TLS = "curl h2 over TLS"
        case curlHTTP1TLS = "curl HTTP/1.1 over TLS"
        case nghttpH2C = "nghttp h2c"
        case nghttpH2TLS = "nghttp h2 over TLS"
    }

    @Test(.enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason),
          .enabled(if: Peers.missing.isEmpty, "nghttp2-client, nghttp2-server, curl, openssl or gzip missing: run ./test"))
    func everyRecordedStreamReachesEveryClientByteForByteAndIsLoggedWithItsUsage() throws {
        let folder = try ScratchFolder("recorded")
        let pki = try TestPKI(in: folder)
        let site = try FixtureSite(in: folder)
        #expect(site.pages.count == RecordedFixtures.all().count)
        let request = folder.path("request.json")
        try #"{"model":"test","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            .write(toFile: request, atomically: true, encoding: .utf8)

        let h2cUpstream = try Nghttpd(root: site.root, folder: folder, name: "nghttpd-h2c")
        let tlsUpstream = try Nghttpd(root: site.root, pki: pki, folder: folder, name: "nghttpd-tls")
        let plainProxy = try ProxyUnderTest(
            upstream: "http://127.0.0.1:\(h2cUpstream.port)", arguments: ["--upstream-http2"],
            folder: folder, name: "plain-proxy")
        let tlsProxy = try ProxyUnderTest(
            upstream: "https://localhost:\(tlsUpstream.port)",
            arguments: ["--upstream-ca", pki.caCertificate, "--tls-cert", pki.certificate, "--tls-key", pki.privateKey],
            folder: folder, name: "tls-proxy")

        for page in site.pages {
            for client in Client.allCases {
                let proxy = [.curlH2TLS, .curlHTTP1TLS, .nghttpH2TLS].contains(client) ? tlsProxy : plainProxy
                let linesBefore = proxy.logLines().count
                let body = try fetch(page.path, with: client, port: proxy.port, pki: pki, request: request, folder: folder)
                #expect(body == page.fixture.stream, "\(page.fixture.name) via \(client.rawValue): \(body.count) bytes, expected \(page.fixture.stream.count)")

                let line = waitForLine(after: linesBefore, in: proxy)
                #expect(line?["path"] as? String == page.path, "\(page.fixture.name) via \(client.rawValue)")
                #expect(line?["outcome"] as? String == "completed")
                #expect(line?["status"] as? Int == 200)
                #expect(line?["response_bytes"] as? Int == page.fixture.stream.count)
                let differences = line.map { mismatches($0, page.fixture.expected) } ?? ["no log line"]
                #expect(differences.isEmpty, "\(page.fixture.name) via \(client.rawValue): \(differences)")
            }
        }
        #expect(plainProxy.process.stop() == 0)
        #expect(tlsProxy.process.stop() == 0)
    }

    private func fetch(_ path: String, with client: Client, port: Int, pki: TestPKI, request: String, folder: ScratchFolder) throws -> [UInt8] {
        let plain = "http://127.0.0.1:\(port)\(path)"
        let secure = "https://localhost:\(port)\(path)"
        let curl = ["-sS", "--fail-with-body", "-H", "content-type: application/json", "--data-binary", "@\(request)"]
        let result: (status: Int32, output: [UInt8], error: String)
        switch client {
        case .curlHTTP1: result = try run(Peers.curl!, curl + ["--http1.1", plain], folder: folder.url)
        case .curlH2C: result = try run(Peers.curl!, curl + ["--http2-prior-knowledge", plain], folder: folder.url)
        case .curlH2TLS: result = try run(Peers.curl!, curl + ["--http2", "--cacert", pki.caCertificate, secure], folder: folder.url)
        case .curlHTTP1TLS: result = try run(Peers.curl!, curl + ["--http1.1", "--cacert", pki.caCertificate, secure], folder: folder.url)
        case .nghttpH2C: result = try run(Peers.nghttp!, ["-d", request, plain], folder: folder.url)
        case .nghttpH2TLS: result = try run(Peers.nghttp!, ["-y", "-d", request, secure], folder: folder.url)
        }
        #expect(result.status == 0, "\(client.rawValue) \(path): \(result.error)")
        return result.output
    }

    private func waitForLine(after count: Int, in proxy: ProxyUnderTest) -> [String: Any]? {
        let lines = proxy.logLines(count: count + 1)
        return lines.count > count ? lines[count] : nil
    }
}
