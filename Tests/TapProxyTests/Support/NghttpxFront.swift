import Foundation
import TestSupport

/// Debian's nghttpx taking h2c on a port of its own and passing each request to an HTTP/1.1
/// backend: an HTTP/2 upstream for the proxy, made of an HTTP/1.1 one a test scripts.
struct NghttpxFront {
    let process: ChildProcess
    let port: Int

    static let program = Peers.find("nghttpx")

    init(backendPort: Int, folder: ScratchFolder) throws {
        port = Loopback.freePort()
        process = try ChildProcess(Self.program!, [
            "--conf=/dev/null", "--frontend=127.0.0.1,\(port);no-tls", "--backend=127.0.0.1,\(backendPort);;proto=http/1.1",
            "--workers=1", "--no-ocsp", "--accesslog-file=/dev/null", "--errorlog-file=\(folder.path("nghttpx.log"))",
        ], name: "nghttpx", folder: folder.url)
        guard Loopback.waitUntilListening(port: port) else {
            throw ChildProcess.CannotStart(description: "nghttpx did not start listening: \(process.standardError)")
        }
    }

    var url: String { "http://127.0.0.1:\(port)" }
}
