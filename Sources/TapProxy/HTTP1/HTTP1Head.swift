import NIOCore
import NIOHTTP1

/// Why an HTTP/1.1 message could not be read. A client's request gets the status; an
/// upstream's response becomes a 502 (or a broken response) with the reason.
struct HTTP1Error: Error, CustomStringConvertible {
    enum Status { case badRequest, headTooLarge, headTimedOut }
    let status: Status
    let reason: StaticString

    static func malformed(_ reason: StaticString) -> HTTP1Error { HTTP1Error(status: .badRequest, reason: reason) }

    var description: String { "malformed HTTP/1.1 message: \(reason)" }
}

/// What a message head says about how its body is framed and whether its connection stays
/// open, noted as the fields are read so that no field is looked up again.
struct HTTP1Framing {
    enum TransferCoding { case none, chunked, other }
    var contentLength: Int?
    var transferCoding = TransferCoding.none
    /// `Connection: close`.
    var close = false
    /// `Connection: keep-alive` (what keeps an HTTP/1.0 connection open).
    var keepAlive = false
}

/// An HTTP/1.1 message head, read from its bytes (RFC 9112 §2–5), strictly: anything a
/// different parser could read otherwise (a bare CR or LF, a folded line, a space before the
/// colon, a control byte, a version this is not) is refused, so that no request can mean one
/// thing here and another upstream.
enum HTTP1Head {
    /// A request head (`head` ends with its empty line): its request line, and its fields as
    /// spans of a copy of `head` (the exchange keeps it to its end, and a slice would keep the
    /// whole buffer the head arrived in).
    static func request(_ head: ByteBuffer) throws(HTTP1Error) -> (RequestHead, HTTPVersion, HTTP1Framing) {
        // Room past the head for the upstream's credential, which metering puts in.
        var copy = ByteBufferAllocator().buffer(capacity: head.readableBytes + 64)
        copy.writeImmutableBuffer(head)
        var fields = HeaderFields(in: copy)
        let (method, target, version, framing) = try copy.withUnsafeReadableBytes { (bytes) throws(HTTP1Error) in
            try request(bytes) { fields.appendSpan(name: $0, value: $1) }
        }
        return (RequestHead(method: method, target: target, fields: fields), version, framing)
    }

    private static func request(_ bytes: UnsafeRawBufferPointer, field: (Range<Int>, Range<Int>) -> Void)
        throws(HTTP1Error) -> (HTTPMethod, String, HTTPVersion, HTTP1Framing) {
        let (lineSlice, rest) = try startLine(bytes)
        let line = UnsafeRawBufferPointer(rebasing: lineSlice)
        // method SP request-target SP version: a token, then visible ASCII.
        var index = 0
        while index < line.endIndex, isTokenByte(line[index]) { index += 1 }
        let method = line[..<index]
        guard !method.isEmpty, index < line.endIndex, line[index] == 0x20 else { throw .malformed("request line") }
        index += 1
        let targetStart = index
        while index < line.endIndex, line[index] &- 0x21 < 0x5E { index += 1 }
        let target = line[targetStart..<index]
        guard !target.isEmpty, index < line.endIndex, line[index] == 0x20 else { throw .malformed("request line") }
        let version = try Self.version(line[(index + 1)...])
        var framing = try fields(bytes, from: rest.startIndex, field)
        if version.minor == 0, framing.transferCoding != .none { throw .malformed("transfer-encoding in HTTP/1.0") }
        if framing.transferCoding != .none, framing.contentLength != nil { throw .malformed("content-length with transfer-encoding") }
        if framing.transferCoding == .other { throw .malformed("transfer-coding other than chunked") }
        if version.minor == 0 { framing.close = framing.close || !framing.keepAlive }
        return (HTTPMethod(rawValue: string(method)), string(target), version, framing)
    }

    /// A response head (`head` ends with its empty line): its status line, and its fields as
    /// spans of `head` itself, with no `String` made for them.
    static func response(_ head: ByteBuffer) throws(HTTP1Error) -> (ResponseHead, HTTP1Framing) {
        var fields = HeaderFields(in: head)
        let (status, reason, framing) = try head.withUnsafeReadableBytes { (bytes) throws(HTTP1Error) in
            try response(bytes) { fields.appendSpan(name: $0, value: $1) }
        }
        return (ResponseHead(status: status, reason: reason, fields: fields), framing)
    }

    private static func response(_ bytes: UnsafeRawBufferPointer, field: (Range<Int>, Range<Int>) -> Void)
        throws(HTTP1Error) -> (Int, String, HTTP1Framing) {
        let (line, rest) = try startLine(bytes)
        // "HTTP/1.1 200 OK": the reason may be empty, and its space too.
        guard line.count >= 12, line[line.startIndex + 8] == UInt8(ascii: " ") else { throw .malformed("status line") }
        let version = try Self.version(line.prefix(8))
        let digits = line[(line.startIndex + 9)..<(line.startIndex + 12)]
        guard digits.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else { throw .malformed("status code") }
        let code = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        let reasonWithSpace = line[(line.startIndex + 12)...]
        guard reasonWithSpace.isEmpty || reasonWithSpace.first == UInt8(ascii: " "), reasonWithSpace.allSatisfy(isFieldValueByte) else {
            throw .malformed("status line")
        }
        var framing = try fields(bytes, from: rest.startIndex, field)
        // Both: the coding wins, and the connection is not reused (RFC 9112 §6.3).
        if framing.transferCoding != .none, framing.contentLength != nil {
            framing.contentLength = nil
            framing.close = true
        }
        if version.minor == 0 { framing.close = framing.close || !framing.keepAlive }
        return (code, reasonWithSpace.isEmpty ? "" : string(reasonWithSpace.dropFirst()), framing)
    }

    /// Trailer fields after a chunked body's last chunk (`bytes` ends with the empty line).
    static func trailers(_ bytes: UnsafeRawBufferPointer) throws(HTTP1Error) -> HTTPHeaders {
        var list: [(String, String)] = []
        _ = try fields(bytes, from: 0) { name, value in list.append((string(bytes[name]), string(bytes[value]))) }
        return HTTPHeaders(list)
    }

    private static func version(_ text: Slice<UnsafeRawBufferPointer>) throws(HTTP1Error) -> HTTPVersion {
        // "HTTP/1." in the low seven bytes, read as little-endian.
        guard text.count == 8, UInt64(littleEndian: UnsafeRawBufferPointer(rebasing: text).loadUnaligned(as: UInt64.self))
            & 0x00FF_FFFF_FFFF_FFFF == 0x002E_312F_5054_5448 else { throw .malformed("version") }
        switch text.last {
        case UInt8(ascii: "1"): return .http1_1
        case UInt8(ascii: "0"): return .http1_0
        default: throw .malformed("version")
        }
    }

    /// Field lines from `start` up to the empty line that ends them, each byte looked at once:
    /// a name of token bytes, a colon, a value of field-value bytes, CRLF. A bare CR or LF, or
    /// a line that starts with white space (obs-fold), fails the byte class it falls in. Each
    /// field goes to `field` as the ranges of its name and value in `bytes`.
    private static func fields(_ bytes: UnsafeRawBufferPointer, from start: Int,
                               _ field: (Range<Int>, Range<Int>) -> Void) throws(HTTP1Error) -> HTTP1Framing {
        var framing = HTTP1Framing()
        // Every index is checked against `end` first: the loops below use the buffer's own
        // subscript, which checks bounds in debug builds only.
        var index = start
        let end = bytes.count
        while true {
            guard index + 1 < end else { throw .malformed("header section end") }
            if bytes[index] == 0x0D {
                guard bytes[index + 1] == 0x0A else { throw .malformed("bare CR") }
                break
            }
            let nameStart = index
            while index < end, isTokenByte(bytes[index]) { index += 1 }
            guard index > nameStart, index < end, bytes[index] == UInt8(ascii: ":") else { throw .malformed("header field") }
            let name = nameStart..<index
            index += 1
            while index < end, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
            let valueStart = index
            while index < end {
                index = firstControlOrDelete(in: bytes, from: index)
                guard index < end, bytes[index] == 0x09 else { break }
                index += 1
            }
            guard index + 1 < end, bytes[index] == 0x0D else { throw .malformed("header field value") }
            guard bytes[index + 1] == 0x0A else { throw .malformed("bare CR") }
            var valueEnd = index
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            index += 2
            let value = valueStart..<valueEnd
            try note(name: UnsafeRawBufferPointer(rebasing: bytes[name]), value: UnsafeRawBufferPointer(rebasing: bytes[value]), in: &framing)
            field(name, value)
        }
        return framing
    }

    /// Notes the fields that frame the body or keep the connection, told apart by length first.
    private static func note(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                             in framing: inout HTTP1Framing) throws(HTTP1Error) {
        switch name.count {
        case 10 where ASCIICase.equal(name, lowercase: "connection"):
            FieldValue.forEachElement(of: value) { element in
                if ASCIICase.equal(element, lowercase: "close") { framing.close = true }
                if ASCIICase.equal(element, lowercase: "keep-alive") { framing.keepAlive = true }
            }
        case 14 where ASCIICase.equal(name, lowercase: "content-length"):
            // Repeated, or a list of the same number, is one length (RFC 9110 §8.6); two are refused.
            var length: Int?
            var valid = true
            FieldValue.forEachElement(of: value) { element in
                guard let number = decimal(element), length == nil || length == number else { valid = false; return }
                length = number
            }
            guard valid, let length, framing.contentLength == nil || framing.contentLength == length else {
                throw .malformed("content-length")
            }
            framing.contentLength = length
        case 17 where ASCIICase.equal(name, lowercase: "transfer-encoding"):
            FieldValue.forEachElement(of: value) { element in
                let chunked = ASCIICase.equal(element, lowercase: "chunked") && framing.transferCoding == .none
                framing.transferCoding = chunked ? .chunked : .other
            }
        default:
            break
        }
    }

    /// Up to 18 decimal digits (no sign, no space); nil for anything else.
    private static func decimal(_ digits: UnsafeRawBufferPointer) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var number = 0
        for digit in digits {
            guard digit &- UInt8(ascii: "0") < 10 else { return nil }
            number = number * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return number
    }

    static func string(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes), as: UTF8.self)
    }

    /// The index of the first byte from `start` on that is a control byte (tab, CR and LF
    /// included) or DEL, or `bytes.count`: eight bytes at a time while eight remain.
    @inline(__always)
    static func firstControlOrDelete(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= bytes.count {
            // Little-endian, so that the first byte is the lowest and borrows run towards later ones.
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            // High bit set in each byte below 0x20 (or from 0x80 up, which `~word` clears), and in
            // each byte equal to 0x7F (the zero-byte test on word ^ 0x7F…).
            let below = (word &- ones &* 0x20) & ~word & highs
            let deletes = ((word ^ (ones &* 0x7F)) &- ones) & ~(word ^ (ones &* 0x7F)) & highs
            let found = below | deletes
            // The lowest flagged byte is exact; flags above it may be borrows, and are not used.
            if found != 0 { return index + found.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < bytes.count, isFieldValueByte(bytes[index]), bytes[index] != 0x09 { index += 1 }
        return index
    }

    /// tchar (RFC 9110 §5.6.2): the bytes of a method or a field name.
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        // Bit n of the pair is set for byte n: ! # $ % & ' * + - . ^ _ ` | ~, digits, letters.
        let low: UInt64 = 0x03FF_6CFA_0000_0000
        let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        return byte < 64 ? (low >> byte) & 1 == 1 : byte < 128 && (high >> (byte - 64)) & 1 == 1
    }

    /// A field value's bytes (RFC 9110 §5.5): visible ASCII, obs-text, space and tab; no control.
    @inline(__always)
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte >= 0x20 ? byte != 0x7F : byte == 0x09
    }

    /// The start line without its CRLF, and the bytes after it. Its own grammar checks its
    /// bytes; here only that it ends in CRLF and holds no CR or LF.
    private static func startLine(_ bytes: UnsafeRawBufferPointer) throws(HTTP1Error)
        -> (Slice<UnsafeRawBufferPointer>, Slice<UnsafeRawBufferPointer>) {
        var index = 0
        while index < bytes.count, bytes[index] != 0x0D, bytes[index] != 0x0A { index += 1 }
        guard index + 1 < bytes.count, bytes[index] == 0x0D, bytes[index + 1] == 0x0A else {
            throw .malformed("start line end")
        }
        return (bytes[..<index], bytes[(index + 2)...])
    }
}
