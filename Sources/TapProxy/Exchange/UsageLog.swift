#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Metering

/// Where the usage lines go: one JSON object per response, each ending with a newline.
///
/// The lines of one event loop turn are handed to the kernel in one `write(2)` at the end of
/// that turn, on a descriptor opened with `O_APPEND`, so lines from several threads never
/// interleave and nothing waits on a timer in a user-space buffer.
public final class UsageLog: Sendable {
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    public struct CannotOpen: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot open usage log \(path): \(reason)" }
    }

    /// Appends to the file at `path`, creating it if needed; `-` means standard output.
    public init(path: String) throws {
        if path == "-" {
            descriptor = STDOUT_FILENO
            ownsDescriptor = false
            return
        }
        let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw CannotOpen(path: path, reason: String(cString: strerror(errno))) }
        descriptor = opened
        ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Writes whole lines given as UTF-8 bytes, each ending with a newline, in one `write(2)`.
    /// Lines that cannot be written are reported on stderr; the responses they describe have
    /// already been delivered, so there is nothing else to undo.
    public func append(lines bytes: UnsafeRawBufferPointer) {
        if let failure = writeAll(descriptor, bytes) { reportFailure(failure) }
    }

    /// Forces the lines written so far to stable storage.
    public func sync() {
        if ownsDescriptor { _ = fsync(descriptor) }
    }

    private func reportFailure(_ code: Int32) {
        let message = "usagetap: usage log write failed: \(String(cString: strerror(code)))\n"
        _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
}
