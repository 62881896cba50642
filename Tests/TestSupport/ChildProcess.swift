import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program started for a test (a server, a client, the proxy), its output going to files in
/// a scratch folder, stopped by PID.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let name: String
    public let stdoutPath: String
    public let stderrPath: String
    private var exitStatus: Int32?

    public struct CannotStart: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// Starts `executable` with `arguments` and this process's environment plus `environment`;
    /// output goes to `NAME.out` / `NAME.err` in `folder`.
    public init(_ executable: String, _ arguments: [String], name: String, folder: URL, environment: [String: String] = [:]) throws {
        self.name = name
        stdoutPath = folder.appendingPathComponent("\(name).out").path
        stderrPath = folder.appendingPathComponent("\(name).err").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var inherited = ProcessInfo.processInfo.environment
        inherited.merge(environment) { $1 }
        let envp = inherited.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        // The child starts with no signal blocked and the usual actions: a test runner may block
        // or ignore some (SIGTERM, SIGPIPE), and a child would inherit that and outlive `stop`.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw CannotStart(description: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        self.pid = pid
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// Sends `signal` and waits for the exit, killing the process if it outlives `limit`.
    /// Returns the exit code, or the negated signal number that ended it.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, limit: Duration = .seconds(20)) -> Int32 {
        if let exitStatus { return exitStatus }
        kill(pid, signal)
        return waitForExit(limit: limit)
    }

    /// Whether the process has ended (its exit is then collected), without waiting.
    public var hasExited: Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return false }
        exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -(status & 0x7F)
        return true
    }

    /// Waits for the process to end by itself, killing it after `limit`.
    public func waitForExit(limit: Duration = .seconds(60)) -> Int32 {
        if let exitStatus { return exitStatus }
        let deadline = ContinuousClock.now + limit
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(10_000)
        }
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -(status & 0x7F)
        exitStatus = code
        return code
    }

    public var standardOutput: [UInt8] { readWholeFile(stdoutPath) ?? [] }
    public var standardError: String { String(decoding: readWholeFile(stderrPath) ?? [], as: UTF8.self) }

    /// A `Vm…` line of /proc/PID/status in bytes (VmRSS, VmHWM), or nil once the process is gone.
    public func memory(_ field: String) -> Int? {
        ProcessMemory.field(field, of: pid)
    }
}

/// Runs a program to its end and returns its exit code and standard output.
public func run(_ executable: String, _ arguments: [String], folder: URL, name: String = "run", limit: Duration = .seconds(60)) throws -> (status: Int32, output: [UInt8], error: String) {
    let process = try ChildProcess(executable, arguments, name: name, folder: folder)
    let status = process.waitForExit(limit: limit)
    return (status, process.standardOutput, process.standardError)
}

/// A file's bytes, or nil when it cannot be opened. Plain POSIX reads: Foundation's file
/// reading leaks a buffer on empty files, which LeakSanitizer would report against the tests.
public func readWholeFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while true {
        let got = read(fd, &chunk, chunk.count)
        if got < 0, errno == EINTR { continue }
        if got <= 0 { return bytes }
        bytes += chunk[0..<got]
    }
}

/// Where an installed program lives (Debian's packages put them in these folders), or nil.
public func installedProgram(_ name: String) -> String? {
    for folder in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin"] {
        let path = "\(folder)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
