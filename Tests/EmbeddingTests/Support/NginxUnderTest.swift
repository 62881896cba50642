import Foundation
import TestSupport

/// Debian's nginx, one worker in the foreground, with a configuration written for the test:
/// `modules` are loaded, `http` is the body of its `http` block, where `PORT` is its port.
final class NginxUnderTest {
    let port: Int
    let folder: ScratchFolder
    private let process: ChildProcess

    init(folder: ScratchFolder, modules: [String], http: String, environment: [String: String] = [:]) throws {
        self.folder = folder
        port = Loopback.freePort()
        let root = folder.url.path
        for sub in ["logs", "body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
        let configuration = """
            \(modules.map { "load_module \($0);" }.joined(separator: "\n"))
            daemon off;
            master_process off;
            worker_processes 1;
            error_log \(root)/logs/error.log info;
            pid \(root)/nginx.pid;
            \(environment.keys.sorted().map { "env \($0);" }.joined(separator: "\n"))
            events { worker_connections 1024; }
            http {
                client_body_temp_path \(root)/body;
                proxy_temp_path \(root)/proxy;
                fastcgi_temp_path \(root)/fastcgi;
                uwsgi_temp_path \(root)/uwsgi;
                scgi_temp_path \(root)/scgi;
                \(http.replacingOccurrences(of: "PORT", with: String(port)))
            }
            """
        let file = folder.path("nginx.conf")
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        process = try ChildProcess(try Embedding.program("nginx"), ["-c", file, "-p", root], name: "nginx",
                                   folder: folder.url, environment: environment)
        guard Loopback.waitUntilListening(port: port) else {
            process.stop()
            throw Embedding.MissingProgram(description: "nginx did not start: \(process.standardError) \(errorLog)")
        }
    }

    // A fast stop (SIGTERM): a graceful one would wait for the upstream that never ends.
    deinit { process.stop() }

    var errorLog: String { String(decoding: readWholeFile(folder.path("logs/error.log")) ?? [], as: UTF8.self) }

    /// The lines of a log file in the logs folder, once it has at least `count` (nginx writes
    /// an access log line after the response has gone).
    func lines(of log: String, atLeast count: Int) -> [Substring] {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let text = String(decoding: readWholeFile(folder.path("logs/\(log)")) ?? [], as: UTF8.self)
            let lines = text.split(separator: "\n")
            if lines.count >= count || ContinuousClock.now > deadline { return lines }
            usleep(20_000)
        }
    }

    /// GETs `path` with curl and returns the body (decoded, with `compressed`).
    func get(_ path: String, compressed: Bool = false, maxTime: Int? = nil) throws -> [UInt8] {
        var arguments = ["-s", "--http1.1", "-o", "-"]
        if compressed { arguments.append("--compressed") }
        if let maxTime { arguments += ["--max-time", String(maxTime)] }
        arguments.append("http://127.0.0.1:\(port)\(path)")
        return try run(try Embedding.program("curl"), arguments, folder: folder.url, name: "curl").output
    }
}
