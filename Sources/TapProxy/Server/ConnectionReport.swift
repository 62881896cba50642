#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// The proxy's line on standard error about one client connection it closed for abuse: one
/// line per connection, never one per frame, so that an attack cannot flood the log too.
enum ConnectionReport {
    static func refused(peer: SocketAddress?, reason: String) {
        let line = "usagetap: connection from \(peer.map { "\($0)" } ?? "an unknown address") closed: \(reason)\n"
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
}
