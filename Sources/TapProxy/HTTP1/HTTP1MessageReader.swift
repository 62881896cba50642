#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1

/// How a message's body is delimited (RFC 9112 §6.3), as its reader decides from the head.
enum HTTP1BodyLength: Equatable {
    case none
    case length(Int)
    case chunked
    /// A response with neither length nor chunks: it ends when the connection does.
    case untilClose
}

/// Splits the bytes of an HTTP/1.1 connection into messages: a head's bytes, then its body as
/// slices of the buffers that arrived (never copied), then its end. Its owner parses the head
/// (``HTTP1Head``) and says how the body is delimited before reading on.
///
/// Bytes that do not yet make a whole head, chunk-size line or trailer section stay in the
/// buffer the owner keeps; the reader remembers how far it has looked, so a head that arrives a
/// byte at a time is searched once, not once per byte.
struct HTTP1MessageReader {
    enum Part {
        /// A head's bytes up to and including its empty line.
        case head(ByteBuffer)
        case body(ByteBuffer)
        /// The message is over; a chunked body's trailers, if it had any.
        case end(HTTPHeaders?)
    }

    private enum State {
        /// Waiting for a head; `searched` bytes of the buffer hold no end of one.
        case head(searched: Int)
        /// A head was handed out; its owner has not said yet how its body is delimited.
        case awaitingLength
        case length(remaining: Int)
        case chunkSize(searched: Int)
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        case trailers(searched: Int)
        case untilClose
        /// The message ended and its end is still to be handed out.
        case ending(HTTPHeaders?)
    }

    /// The longest head (or trailer section) accepted, in bytes.
    let maxHeadBytes: Int
    private var state = State.head(searched: 0)

    init(maxHeadBytes: Int) {
        self.maxHeadBytes = maxHeadBytes
    }

    /// True between messages, before any byte of the next head is read.
    var isBetweenMessages: Bool {
        if case .head(searched: 0) = state { return true }
        return false
    }

    /// Says how the body of the head just read is delimited.
    mutating func expectBody(_ length: HTTP1BodyLength) {
        guard case .awaitingLength = state else { preconditionFailure("HTTP1MessageReader: a body length with no head") }
        switch length {
        case .none, .length(0): state = .ending(nil)
        case .length(let count): state = .length(remaining: count)
        case .chunked: state = .chunkSize(searched: 0)
        case .untilClose: state = .untilClose
        }
    }

    /// The next part in `buffer`, consuming its bytes; nil when more bytes are needed (or the
    /// owner must say how a body is delimited first).
    mutating func next(_ buffer: inout ByteBuffer) throws(HTTP1Error) -> Part? {
        switch state {
        case .head(let searched):
            // A server ignores empty lines before a request line (RFC 9112 §2.2).
            if searched == 0 {
                skipEmptyLines(&buffer)
                // A lone CR may begin one more empty line: it is looked at again with what follows.
                if buffer.readableBytes < 2 { return nil }
            }
            guard let end = try sectionEnd(in: buffer, searched: searched) else {
                state = .head(searched: buffer.readableBytes)
                return nil
            }
            state = .awaitingLength
            return .head(buffer.readSlice(length: end)!)
        case .awaitingLength:
            return nil
        case .length(let remaining):
            guard buffer.readableBytes > 0 else { return nil }
            let count = min(remaining, buffer.readableBytes)
            state = count == remaining ? .ending(nil) : .length(remaining: remaining - count)
            return .body(buffer.readSlice(length: count)!)
        case .chunkSize(let searched):
            guard let size = try chunkSize(&buffer, searched: searched) else { return nil }
            state = size == 0 ? .trailers(searched: 0) : .chunkData(remaining: size)
            return try next(&buffer)
        case .chunkData(let remaining):
            guard buffer.readableBytes > 0 else { return nil }
            let count = min(remaining, buffer.readableBytes)
            state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
            return .body(buffer.readSlice(length: count)!)
        case .chunkDataEnd:
            guard buffer.readableBytes >= 2 else { return nil }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw .malformed("chunk data end") }
            state = .chunkSize(searched: 0)
            return try next(&buffer)
        case .trailers(let searched):
            if searched == 0, buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
                buffer.moveReaderIndex(forwardBy: 2)
                state = .ending(nil)
                return try next(&buffer)
            }
            guard let end = try sectionEnd(in: buffer, searched: searched) else {
                state = .trailers(searched: buffer.readableBytes)
                return nil
            }
            let trailers = try buffer.readSlice(length: end)!.withUnsafeReadableBytes { (bytes) throws(HTTP1Error) -> HTTPHeaders? in
                // The empty line alone (its CR and LF in two reads): no trailers.
                if bytes.count == 2 { return nil }
                return try HTTP1Head.trailers(bytes)
            }
            state = .ending(trailers)
            return try next(&buffer)
        case .untilClose:
            guard buffer.readableBytes > 0 else { return nil }
            return .body(buffer.readSlice(length: buffer.readableBytes)!)
        case .ending(let trailers):
            state = .head(searched: 0)
            return .end(trailers)
        }
    }

    /// The connection closed: the end of a body delimited by it; an error in the middle of
    /// anything else; nil between messages.
    mutating func connectionClosed() throws(HTTP1Error) -> Part? {
        switch state {
        case .head(searched: 0):
            return nil
        case .untilClose:
            state = .head(searched: 0)
            return .end(nil)
        case .ending(let trailers):
            state = .head(searched: 0)
            return .end(trailers)
        default:
            throw .malformed("connection closed in the middle of a message")
        }
    }

    private func skipEmptyLines(_ buffer: inout ByteBuffer) {
        while buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
            buffer.moveReaderIndex(forwardBy: 2)
        }
    }

    /// The length of the head or trailer section at the start of `buffer`, through the empty
    /// line that ends it; nil if it has not all arrived. Every line end before `searched` has
    /// been looked at: whether it ends the section depends only on the bytes before it.
    private func sectionEnd(in buffer: ByteBuffer, searched: Int) throws(HTTP1Error) -> Int? {
        let found: Int? = buffer.withUnsafeReadableBytes { bytes in
            var index = searched
            while let lf = Self.lineFeed(in: bytes, from: index) {
                // An empty line: at the section's start (an empty trailer section, whose CR may
                // have ended the read before), or LF right after the last line's LF (the CR
                // before it, if any, is checked when the lines are read).
                if lf == 0 || (lf == 1 && bytes[0] == 0x0D) { return lf + 1 }
                if lf >= 1, bytes[lf - 1] == 0x0A { return lf + 1 }
                if lf >= 2, bytes[lf - 1] == 0x0D, bytes[lf - 2] == 0x0A { return lf + 1 }
                index = lf + 1
            }
            return nil
        }
        if let found {
            guard found <= maxHeadBytes else { throw HTTP1Error(status: .headTooLarge, reason: "head too large") }
            return found
        }
        guard buffer.readableBytes <= maxHeadBytes else { throw HTTP1Error(status: .headTooLarge, reason: "head too large") }
        return nil
    }

    /// Reads a chunk-size line (hex digits, then extensions, which are ignored); nil if it has
    /// not all arrived.
    private mutating func chunkSize(_ buffer: inout ByteBuffer, searched: Int) throws(HTTP1Error) -> Int? {
        let line: (size: Int, length: Int)? = try buffer.withUnsafeReadableBytes { (bytes) throws(HTTP1Error) in
            guard let lf = Self.lineFeed(in: bytes, from: searched) else {
                return nil
            }
            guard lf >= 2, bytes[lf - 1] == 0x0D else { throw .malformed("chunk-size line end") }
            var size = 0
            var index = 0
            while index < lf - 1, let digit = Self.hexValue(bytes[index]) {
                // 15 hex digits and no more: a size that could overflow is refused, not wrapped.
                guard index < 15 else { throw .malformed("chunk size too large") }
                size = size << 4 | digit
                index += 1
            }
            guard index > 0 else { throw .malformed("chunk size") }
            let extensions = bytes[index..<(lf - 1)]
            if let first = extensions.first {
                guard first == UInt8(ascii: ";") || first == 0x20 || first == 0x09,
                      extensions.allSatisfy(HTTP1Head.isFieldValueByte)
                else { throw .malformed("chunk extension") }
            }
            return (size, lf + 1)
        }
        guard let line else {
            guard buffer.readableBytes <= 4096 else { throw .malformed("chunk-size line too long") }
            state = .chunkSize(searched: buffer.readableBytes)
            return nil
        }
        buffer.moveReaderIndex(forwardBy: line.length)
        return line.size
    }

    /// The index of the first LF in `bytes` from `start` on.
    private static func lineFeed(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
