#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// The proxy's lines on standard error about client connections it closed for abuse or refused:
/// one line per connection (or, for refused connections, per second), never one per frame, so
/// that an attack cannot flood the log too.
enum ConnectionReport {
    static func refused(peer: SocketAddress?, reason: String) {
        line("connection from \(peer.map { "\($0)" } ?? "an unknown address") closed: \(reason)")
    }

    /// `usagetap: ` and `text`, as one line on standard error.
    static func line(_ text: String) {
        let line = "usagetap: \(text)\n"
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
}
