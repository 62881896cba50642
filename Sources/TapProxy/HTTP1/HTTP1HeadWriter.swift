import NIOCore
import NIOHTTP1

/// Writes HTTP/1.1 heads and chunk framing as bytes: each head is measured, then written into
/// one buffer of that size, with no `ByteBuffer` write per piece.
enum HTTP1HeadWriter {
    /// A request head for the upstream: `target` as the request line's, `host` first, then the
    /// client's forwardable fields, then the field line `framing` (empty for none).
    static func request(method: HTTPMethod, target: (prefix: String, path: String), host: String,
                        fields: HeaderFields, framing: StaticString, allocator: ByteBufferAllocator) -> ByteBuffer {
        HopByHopHeaders.withForwardable(fields, keepHost: false) { fields, fieldBytes in
            var size = method.rawValue.utf8.count + target.prefix.utf8.count + target.path.utf8.count + 12
            size += 8 + host.utf8.count + fieldBytes + framing.utf8CodeUnitCount + 2
            return write(size: size, allocator: allocator) { out in
                out.append(method.rawValue)
                out.append(" ")
                out.append(target.prefix)
                out.append(target.path)
                out.append(" HTTP/1.1\r\nhost: ")
                out.append(host)
                out.append("\r\n")
                for field in fields { out.appendField(field.name, field.value) }
                out.append(framing)
                out.append("\r\n")
            }
        }
    }

    /// A response head for the client, in the client's `version`, with its forwardable fields
    /// (`Host` kept) copied from the bytes they came in, then the fields `framing` and
    /// `connection` (each a whole field line, or empty).
    static func response(_ head: ResponseHead, version: HTTPVersion, framing: StaticString, connection: StaticString,
                         allocator: ByteBufferAllocator) -> ByteBuffer {
        let reason = head.reasonPhrase
        return HopByHopHeaders.withForwardable(head.fields, keepHost: true) { fields, fieldBytes in
            let size = 15 + reason.utf8.count + fieldBytes + framing.utf8CodeUnitCount + connection.utf8CodeUnitCount + 2
            // Room for the first chunk's line, which goes out with the head.
            return write(size: size, spare: 24, allocator: allocator) { out in
                out.append(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
                out.appendStatusCode(head.status)
                out.append(" ")
                out.append(reason)
                out.append("\r\n")
                for field in fields { out.appendField(field.name, field.value) }
                out.append(framing)
                out.append(connection)
                out.append("\r\n")
            }
        }
    }

    /// Appends the line before a chunk of `count` bytes (`count` > 0), after the CRLF that ends
    /// the chunk before it, if there was one.
    static func chunkStart(count: Int, afterChunk: Bool, to buffer: inout ByteBuffer) {
        assert(count > 0, "a chunk of no bytes would end the body")
        let digits = (Int.bitWidth - count.leadingZeroBitCount + 3) / 4
        append(size: (afterChunk ? 2 : 0) + digits + 2, to: &buffer) { out in
            if afterChunk { out.append("\r\n") }
            out.appendHex(count, digits: digits)
            out.append("\r\n")
        }
    }

    /// Appends the end of a chunked body: the last chunk's CRLF, the zero-size chunk, the
    /// trailers.
    static func chunkedEnd(afterChunk: Bool, trailers: HTTPHeaders?, to buffer: inout ByteBuffer) {
        var size = (afterChunk ? 2 : 0) + 5
        trailers?.forEach { name, value in size += name.utf8.count + value.utf8.count + 4 }
        append(size: size, to: &buffer) { out in
            if afterChunk { out.append("\r\n") }
            out.append("0\r\n")
            trailers?.forEach { name, value in out.appendField(name, value) }
            out.append("\r\n")
        }
    }

    /// A buffer of `size` bytes filled by `body`, with room for `spare` more.
    private static func write(size: Int, spare: Int = 0, allocator: ByteBufferAllocator, _ body: (inout HeadBytes) -> Void) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: size + spare)
        append(size: size, to: &buffer, body)
        return buffer
    }

    /// Appends `size` bytes filled by `body` to `buffer`.
    private static func append(size: Int, to buffer: inout ByteBuffer, _ body: (inout HeadBytes) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { room in
            var out = HeadBytes(room: room)
            body(&out)
            assert(out.count == size, "HTTP1HeadWriter: the head was measured wrong")
            return out.count
        }
    }
}

/// A cursor writing into a buffer measured beforehand.
private struct HeadBytes {
    private let room: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(room: UnsafeMutableRawBufferPointer) {
        self.room = room
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        // The head was measured first: every write fits.
        precondition(count + bytes.count <= room.count, "HeadBytes: the head was measured wrong")
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        (room.baseAddress! + count).copyMemory(from: base, byteCount: bytes.count)
        count += bytes.count
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func append(_ text: String) {
        ASCIICase.withUTF8(text) { append(UnsafeRawBufferPointer($0)) }
    }

    mutating func appendField(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        append(name)
        append(": ")
        append(value)
        append("\r\n")
    }

    mutating func appendField(_ name: String, _ value: String) {
        append(name)
        append(": ")
        append(value)
        append("\r\n")
    }

    mutating func appendByte(_ byte: UInt8) {
        precondition(count < room.count, "HeadBytes: the head was measured wrong")
        room[count] = byte
        count += 1
    }

    /// Three digits: a status code is 100–999.
    mutating func appendStatusCode(_ code: Int) {
        let code = min(max(code, 0), 999)
        appendByte(UInt8(ascii: "0") + UInt8(code / 100))
        appendByte(UInt8(ascii: "0") + UInt8(code / 10 % 10))
        appendByte(UInt8(ascii: "0") + UInt8(code % 10))
    }

    mutating func appendHex(_ number: Int, digits: Int) {
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            let digit = UInt8((number >> shift) & 0xF)
            appendByte(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
        }
    }
}
