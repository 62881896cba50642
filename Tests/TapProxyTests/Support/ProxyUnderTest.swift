import Foundation
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// `usagetap proxy` started as its own process on a free loopback port, with its usage log in
/// the test's scratch folder.
final class ProxyUnderTest: @unchecked Sendable {
    let port: Int
    let process: ChildProcess
    let logPath: String

    init(upstream: String, arguments: [String] = [], folder: ScratchFolder, name: String = "proxy",
         environment: [String: String] = [:]) throws {
        port = Loopback.freePort()
        logPath = folder.path("\(name).jsonl")
        process = try ChildProcess(
            Peers.usagetap,
            ["proxy", "--listen", "127.0.0.1:\(port)", "--upstream", upstream, "--usage-log", logPath, "--threads", "1"] + arguments,
            name: name, folder: folder.url, environment: environment)
        guard Loopback.waitUntilListening(port: port) else {
            throw ChildProcess.CannotStart(description: "usagetap proxy did not start listening: \(process.standardError)")
        }
    }

    /// The usage log's lines, parsed.
    func logLines() -> [[String: Any]] {
        guard let bytes = readWholeFile(logPath) else { return [] }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
        }
    }

    /// The usage log's lines once there are at least `count` of them (or what there is after
    /// `limit`): a line is written at the end of the proxy's loop turn, which a client may see
    /// end a moment before.
    func logLines(count: Int, limit: Duration = .seconds(10)) -> [[String: Any]] {
        let deadline = ContinuousClock.now + limit
        var lines = logLines()
        while lines.count < count, ContinuousClock.now < deadline {
            usleep(5_000)
            lines = logLines()
        }
        return lines
    }

    /// The log line for the request with `path`, waiting briefly for it to be written (a line
    /// is written when the response ends, which a client may see a moment before).
    func logLine(path: String, limit: Duration = .seconds(10)) -> [String: Any]? {
        let deadline = ContinuousClock.now + limit
        repeat {
            if let line = logLines().last(where: { $0["path"] as? String == path }) { return line }
            usleep(10_000)
        } while ContinuousClock.now < deadline
        return nil
    }
}

/// nghttpd serving a folder over h2c, or h2 over TLS with the test certificate.
final class Nghttpd: @unchecked Sendable {
    let port: Int
    let process: ChildProcess

    init(root: String, pki: TestPKI? = nil, folder: ScratchFolder, name: String = "nghttpd") throws {
        port = Loopback.freePort()
        var arguments = ["-d", root, "-n", "1"]
        if let pki {
            arguments += [String(port), pki.privateKey, pki.certificate]
        } else {
            arguments += ["--no-tls", String(port)]
        }
        process = try ChildProcess(Peers.nghttpd!, arguments, name: name, folder: folder.url)
        guard Loopback.waitUntilListening(port: port) else {
            throw ChildProcess.CannotStart(description: "nghttpd did not start: \(process.standardError)")
        }
    }
}
