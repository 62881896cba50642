import Foundation

/// Executables that `swift build` or `swift test` made, found from the running test bundle.
public enum BuiltProduct {
    /// The executable `name` in the folder of the running test bundle or one above it (where
    /// `swift test` puts the products the tests depend on); `name` alone when there is none.
    public static func path(of name: String) -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return name
    }
}

/// A running process's own memory figures, from /proc.
public enum ProcessMemory {
    /// A `Vm…` line of /proc/PID/status (`VmRSS`, `VmHWM`) in bytes, or nil once the process is
    /// gone. Read with plain POSIX calls: Foundation's file reading leaks a buffer on empty
    /// files, which LeakSanitizer would report against the tests.
    public static func field(_ name: String, of pid: pid_t) -> Int? {
        let fd = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        let count = read(fd, &bytes, bytes.count)
        guard count > 0 else { return nil }
        let status = String(decoding: bytes[0..<count], as: UTF8.self)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }
}
