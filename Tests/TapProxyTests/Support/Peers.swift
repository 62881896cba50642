import Foundation
import TestSupport

/// The real programs the proxy is tested against, from Debian's packages (`./test` installs
/// them), and the proxy itself.
enum Peers {
    static func find(_ name: String) -> String? { installedProgram(name) }

    static let nghttpd = find("nghttpd")
    static let nghttp = find("nghttp")
    static let curl = find("curl")
    static let openssl = find("openssl")
    static let gzip = find("gzip")
    static let h2load = find("h2load")

    static var missing: [String] {
        [("nghttpd", nghttpd), ("nghttp", nghttp), ("curl", curl), ("openssl", openssl), ("gzip", gzip)]
            .filter { $0.1 == nil }.map(\.0)
    }

    /// The `usagetap` binary: `USAGETAP_TEST_BINARY` when set (`./test` points it at a release
    /// build), else the one `swift test` built beside this test bundle.
    static let usagetap: String = {
        if let path = ProcessInfo.processInfo.environment["USAGETAP_TEST_BINARY"], !path.isEmpty { return path }
        return BuiltProduct.path(of: "usagetap")
    }()

    /// True when the proxy under test is an optimised build, fast enough for gigabyte streams.
    static var usagetapIsOptimised: Bool {
        ProcessInfo.processInfo.environment["USAGETAP_TEST_BINARY"].map { !$0.isEmpty } ?? false
    }
}

/// A throwaway CA and a server certificate for `localhost` and 127.0.0.1, made with the
/// openssl command for each test run.
struct TestPKI {
    let caCertificate: String
    let certificate: String
    let privateKey: String

    init(in folder: ScratchFolder) throws {
        let openssl = Peers.openssl!
        caCertificate = folder.path("ca.pem")
        certificate = folder.path("server.pem")
        privateKey = folder.path("server.key")
        let extensions = folder.path("server.ext")
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", folder.path("ca.key"), "-out", caCertificate, "-days", "2", "-subj", "/CN=UsageTap test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", privateKey, "-out", folder.path("server.csr"), "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", folder.path("server.csr"), "-CA", caCertificate, "-CAkey", folder.path("ca.key"),
             "-CAcreateserial", "-out", certificate, "-days", "2", "-extfile", extensions],
        ]
        for step in steps {
            let result = try run(openssl, step, folder: folder.url, name: "openssl")
            guard result.status == 0 else { throw ChildProcess.CannotStart(description: "openssl \(step[0]): \(result.error)") }
        }
    }
}
