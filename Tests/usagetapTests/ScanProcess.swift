import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `usagetap` binary with a pipe on stdin, and reports what it printed, how it
/// exited, and its peak resident memory as the kernel measured it (VmHWM).
struct ScanProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var peakResidentBytes: Int
        var records: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// The binary beside the test bundle: `swift test` builds it as a dependency of this target.
    static let binary = BuiltProduct.path(of: "usagetap")

    /// Runs `usagetap ARGUMENTS`, writing what `input` produces to its stdin until it returns
    /// nil. A run that has not ended after `limitSeconds` is killed and reported as status -9.
    static func run(_ arguments: [String], limitSeconds: Int = 300, input: () -> [UInt8]? = { nil }) -> Result {
        var stdinPipe: [Int32] = [0, 0], stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        // Close-on-exec from the start, so that a child another test spawns meanwhile does not
        // inherit these ends: one holding the stdin pipe's write end kept this child from ever
        // seeing the end of its input (the scan tests' CI failure, killed by the watchdog).
        // Socket pairs, because Glibc's module has no pipe2; dup2 onto 0-2 clears the flag.
        for index in 0..<3 {
            var ends: [Int32] = [0, 0]
            precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &ends) == 0)
            switch index {
            case 0: stdinPipe = ends
            case 1: stdoutPipe = ends
            default: stderrPipe = ends
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        for descriptor in stdinPipe + stdoutPipe + stderrPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        argv.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
        precondition(spawned == 0, "cannot start \(binary): \(spawned)")
        close(stdinPipe[0]); close(stdoutPipe[1]); close(stderrPipe[1])

        // A watchdog, so that a hang fails the test instead of stalling the suite.
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(limitSeconds), execute: watchdog)

        // Drain stdout and stderr on their own threads while stdin is written.
        let stdout = Drain(stdoutPipe[0]), stderr = Drain(stderrPipe[0])
        signal(SIGPIPE, SIG_IGN)
        while let chunk = input() {
            let written = chunk.withUnsafeBytes { bytes -> Bool in
                var offset = 0
                while offset < bytes.count {
                    let wrote = write(stdinPipe[1], bytes.baseAddress! + offset, bytes.count - offset)
                    if wrote < 0 { if errno == EINTR { continue }; return false }
                    offset += wrote
                }
                return true
            }
            if !written { break }
        }
        // The child's own high-water mark: VmHWM starts afresh at exec (wait4's ru_maxrss does
        // not, as posix_spawn's vfork hands the child this process's mark). All input but what
        // the pipe still holds has been read by now, so this is the peak of the whole run.
        let peak = Self.peakResidentBytes(of: pid)
        close(stdinPipe[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        watchdog.cancel()
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -(status & 0x7F)
        return Result(status: exit, stdout: stdout.finish(), stderr: stderr.finish(), peakResidentBytes: peak)
    }

    /// VmHWM of a running process, in bytes, from /proc; -1 when it cannot be read.
    static func peakResidentBytes(of pid: pid_t) -> Int {
        ProcessMemory.field("VmHWM", of: pid) ?? -1
    }

    /// Reads a descriptor to its end on a background thread.
    final class Drain: @unchecked Sendable {
        private var bytes: [UInt8] = []
        private let done = DispatchSemaphore(value: 0)

        init(_ descriptor: Int32) {
            Thread.detachNewThread { [self] in
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let got = read(descriptor, &buffer, buffer.count)
                    if got < 0 && errno == EINTR { continue }
                    if got <= 0 { break }
                    bytes += buffer[0..<got]
                }
                close(descriptor)
                done.signal()
            }
        }

        func finish() -> String {
            done.wait()
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Input for `ScanProcess.run`: a head, `count` repetitions of `body`, then a tail, handed out
/// about a megabyte at a time so that the input is never held whole.
func repeated(_ body: [UInt8], count: Int, head: [UInt8] = [], tail: [UInt8] = []) -> () -> [UInt8]? {
    let batch = max(1, (1 << 20) / max(body.count, 1))
    let block = Array([[UInt8]](repeating: body, count: batch).joined())
    var bodiesLeft = count
    var headSent = false, tailSent = false
    return {
        if !headSent {
            headSent = true
            return head
        }
        if bodiesLeft > 0 {
            let now = min(batch, bodiesLeft)
            bodiesLeft -= now
            return now == batch ? block : Array([[UInt8]](repeating: body, count: now).joined())
        }
        if !tailSent {
            tailSent = true
            return tail
        }
        return nil
    }
}
