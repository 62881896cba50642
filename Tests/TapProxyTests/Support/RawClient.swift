import Foundation
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// An HTTP/1.1 client on a bare socket, so that a test decides when it reads (or stops
/// reading), and sees each byte the moment the kernel hands it over.
final class RawClient {
    let fd: Int32
    private(set) var received: [UInt8] = []

    init?(port: Int, request: String) {
        guard let fd = Loopback.connect(port: port) else { return nil }
        self.fd = fd
        var small: Int32 = 64 << 10
        // A small receive buffer, so that a client that stops reading stops the bytes soon.
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        Loopback.send(fd, Array(request.utf8))
    }

    deinit {
        close(fd)
    }

    /// Reads once (blocking up to `timeoutMilliseconds`); returns the bytes read, empty at the
    /// end of the stream or on timeout.
    @discardableResult
    func readOnce(timeoutMilliseconds: Int32 = 5000, keep: Bool = true) -> ArraySlice<UInt8> {
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollfd, 1, timeoutMilliseconds) > 0 else { return [] }
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        let got = read(fd, &chunk, chunk.count)
        guard got > 0 else { return [] }
        if keep { received += chunk[0..<got] }
        return chunk[0..<got]
    }

    /// Reads and throws away until `count` bytes have arrived in all or the stream ends;
    /// returns how many arrived.
    func discard(upTo count: Int) -> Int {
        var total = 0
        while total < count {
            let got = readOnce(keep: false).count
            if got == 0 { break }
            total += got
        }
        return total
    }

    /// Closes the connection now, as a client that gives up does.
    func hangUp() {
        shutdown(fd, Int32(SHUT_RDWR))
    }
}

/// Occurrences of `needle` in `haystack`.
func count(_ needle: [UInt8], in haystack: [UInt8]) -> Int {
    guard haystack.count >= needle.count else { return 0 }
    var found = 0
    var index = 0
    while index <= haystack.count - needle.count {
        if haystack[index] == needle[0], haystack[index..<index + needle.count].elementsEqual(needle) {
            found += 1
            index += needle.count
        } else {
            index += 1
        }
    }
    return found
}
