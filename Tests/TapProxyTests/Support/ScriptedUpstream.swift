import Foundation
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// An HTTP/1.1 upstream of the tests' own, on a loopback port: for each request it runs a
/// script that writes the response at its own pace, so that tests control exactly when each
/// byte leaves it (and can see when the proxy stops taking them).
final class ScriptedUpstream: @unchecked Sendable {
    /// One accepted request's connection, as the script sees it.
    final class Exchange: @unchecked Sendable {
        let fd: Int32
        let requestHead: String
        private(set) var sentBytes = 0
        private var wholeRequest: [UInt8]?
        private let lock = NSLock()

        init(fd: Int32, requestHead: String) {
            self.fd = fd
            self.requestHead = requestHead
        }

        /// Writes `bytes`; false once the proxy has closed the connection.
        @discardableResult
        func send(_ bytes: [UInt8]) -> Bool {
            let ok = Loopback.send(fd, bytes)
            if ok {
                lock.lock()
                sentBytes += bytes.count
                lock.unlock()
            }
            return ok
        }

        @discardableResult
        func send(_ text: String) -> Bool { send(Array(text.utf8)) }

        /// One chunk of a chunked body.
        @discardableResult
        func sendChunk(_ bytes: [UInt8]) -> Bool {
            send(Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10])
        }

        var bytesSent: Int {
            lock.lock()
            defer { lock.unlock() }
            return sentBytes
        }

        /// Reads the rest of the request (its body, by content-length or chunked) before the
        /// script answers, as a real upstream does; false if the connection ends first.
        ///
        /// A script that answers at once races the client's body: an HTTP/2 client may get the
        /// whole response before it has sent its DATA frame, and curl 7.88 then never ends.
        @discardableResult
        func readRequest() -> Bool {
            let blankLine = Array("\r\n\r\n".utf8)
            var bytes = Array(requestHead.utf8)
            guard let headEnd = Self.firstIndex(of: blankLine, in: bytes) else { return false }
            let fields = String(decoding: bytes[..<headEnd], as: UTF8.self).lowercased().split(separator: "\r\n")
            let bodyStart = headEnd + blankLine.count
            let isWhole: ([UInt8]) -> Bool
            if fields.contains(where: { $0.hasPrefix("transfer-encoding:") && $0.contains("chunked") }) {
                // The test bodies are small text: the last chunk, then trailers if any, then an
                // empty line end the request.
                let lastChunk = Array("\r\n0\r\n".utf8)
                isWhole = { bytes in
                    let body = Array(bytes[bodyStart...])
                    let last = body.starts(with: "0\r\n".utf8) ? 0 : Self.firstIndex(of: lastChunk, in: body)
                    return last != nil && body.count >= last! + 5 && body.suffix(4).elementsEqual(blankLine)
                }
            } else {
                let length = fields.lazy.compactMap { field -> Int? in
                    guard field.hasPrefix("content-length:") else { return nil }
                    return Int(field.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
                }.first ?? 0
                isWhole = { $0.count - bodyStart >= length }
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            while !isWhole(bytes) {
                let got = Glibc.read(fd, &chunk, chunk.count)
                if got < 0, errno == EINTR { continue }
                if got <= 0 { return false }
                bytes += chunk[0..<got]
            }
            lock.lock()
            wholeRequest = bytes
            lock.unlock()
            return true
        }

        /// The request, head and body, once ``readRequest()`` has read it.
        var request: [UInt8]? {
            lock.lock()
            defer { lock.unlock() }
            return wholeRequest
        }

        private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
            guard haystack.count >= needle.count else { return nil }
            return (0...(haystack.count - needle.count)).first { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
        }

        /// True when the proxy has closed its side (a read sees the end of the stream).
        var peerClosed: Bool {
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollfd, 1, 0) > 0 else { return false }
            var byte: UInt8 = 0
            return recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) == 0
        }
    }

    let port: Int
    private let listener: Int32
    private let script: @Sendable (Exchange) -> Void
    private let lock = NSLock()
    private var exchanges: [Exchange] = []

    init(script: @escaping @Sendable (Exchange) -> Void) throws {
        self.script = script
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(listener, pointer, length) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        // The system's largest backlog, as a real server's: the proxy may open a connection for
        // each of 128 streams at once, and with a backlog of 64 a connect beside that burst was
        // dropped and retried after 1 s (a timed request of 1.03 s in one CI run).
        guard bound, listen(listener, SOMAXCONN) == 0 else { throw ChildProcess.CannotStart(description: "cannot listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// An upstream that reads each whole request, as a real one does, and answers `ok`.
    static func answeringOK() throws -> ScriptedUpstream {
        try ScriptedUpstream { exchange in
            _ = exchange.readRequest()
            _ = exchange.send("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// The requests accepted so far.
    var accepted: [Exchange] {
        lock.lock()
        defer { lock.unlock() }
        return exchanges
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            // Close-on-exec: a connection inherited by a client the test starts later would stay
            // open after the script closes it. (Glibc's module lacks accept4.)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            Thread.detachNewThread { [self] in serve(fd) }
        }
    }

    private func serve(_ fd: Int32) {
        // The script may leave the request body unread: a plain close would reset the
        // connection and could cost the proxy the end of the response.
        defer { Loopback.lingeringClose(fd) }
        guard let head = Loopback.read(fd, through: Array("\r\n\r\n".utf8)) else { return }
        let exchange = Exchange(fd: fd, requestHead: String(decoding: head, as: UTF8.self))
        lock.lock()
        exchanges.append(exchange)
        lock.unlock()
        script(exchange)
    }
}
