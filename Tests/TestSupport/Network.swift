import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports and sockets for the tests' own servers and clients.
public enum Loopback {
    /// A port that was free a moment ago: bound to port 0, read back, released.
    public static func freePort() -> Int {
        let (fd, port) = socketOnFreePort()
        close(fd)
        return port
    }

    /// A socket that listens and never accepts: connections to its port complete (the kernel
    /// queues them), but nothing is ever said on them, as with a server that hangs.
    public static func silentListener() -> (fd: Int32, port: Int) {
        let (fd, port) = socketOnFreePort()
        listen(fd, 16)
        return (fd, port)
    }

    private static func socketOnFreePort() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                _ = getsockname(fd, pointer, &length)
            }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A connected TCP socket to 127.0.0.1:`port`, or nil when nothing accepts there.
    public static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            close(fd)
            return nil
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    /// Waits until something accepts connections on `port`.
    public static func waitUntilListening(port: Int, limit: Duration = .seconds(20)) -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let fd = connect(port: port) {
                close(fd)
                return true
            }
            usleep(20_000)
        }
        return false
    }

    /// Writes all of `bytes`, or returns false when the peer is gone.
    @discardableResult
    public static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let wrote = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if wrote < 0, errno == EINTR { continue }
                if wrote <= 0 { return false }
                offset += wrote
            }
            return true
        }
    }

    /// Closes a server's side of a connection the way a server must when it may not have read
    /// all that the peer sent (a request body it ignored): its writes end with a FIN, then what
    /// still arrives is read and dropped until the peer closes too or `limit` passes. Closing
    /// with unread bytes would send a reset, and a reset makes the peer's kernel drop response
    /// bytes it had received but not yet read.
    public static func lingeringClose(_ fd: Int32, limit: Duration = .seconds(2)) {
        shutdown(fd, Int32(SHUT_WR))
        let deadline = ContinuousClock.now + limit
        var sink = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollfd, 1, 50)
            if ready < 0, errno == EINTR { continue }
            if ready < 0 { break }
            if ready == 0 { continue }
            let got = Glibc.read(fd, &sink, sink.count)
            if got < 0, errno == EINTR { continue }
            if got <= 0 { break }
        }
        close(fd)
    }

    /// Reads until the bytes hold `marker` (an HTTP head's blank line); returns what was read.
    public static func read(_ fd: Int32, through marker: [UInt8], limit: Int = 1 << 20) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let got = Glibc.read(fd, &chunk, chunk.count)
            if got < 0, errno == EINTR { continue }
            if got <= 0 { return nil }
            bytes += chunk[0..<got]
            if bytes.count >= marker.count, bytes.indices.dropLast(marker.count - 1).contains(where: { bytes[$0..<$0 + marker.count].elementsEqual(marker) }) {
                return bytes
            }
        }
        return nil
    }
}

/// Monotonic nanoseconds, comparable between threads and processes on this machine.
public func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
