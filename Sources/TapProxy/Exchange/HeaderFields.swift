import NIOCore
import NIOHTTP1

/// A head's fields as bytes: names and values stay in one buffer (the bytes an HTTP/1.1 head
/// arrived in, or an arena an HTTP/2 header block is copied into) and are found by offset. A
/// response head goes from one side to the other this way with no `String` per field.
struct HeaderFields {
    /// Where one field's name and value are, from the start of the storage's readable bytes.
    private struct Span {
        var name: Int32
        var nameCount: Int32
        var value: Int32
        var valueCount: Int32

        func name(in all: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer { HeaderFields.bytes(all, name, nameCount) }
        func value(in all: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer { HeaderFields.bytes(all, value, valueCount) }

        /// Whether the field's name is `lowercase`, but for case; its length is looked at first.
        func isNamed(_ lowercase: StaticString, in all: UnsafeRawBufferPointer) -> Bool {
            Int(nameCount) == lowercase.utf8CodeUnitCount && ASCIICase.equal(name(in: all), lowercase: lowercase)
        }
    }

    /// Names and values (and, in a head read from HTTP/1.1 bytes, the rest of the head).
    private var storage: ByteBuffer
    private var spans: [Span] = []

    /// An empty arena for fields copied in with ``append(name:value:)``.
    init(capacity: Int = 512, fields: Int = 16) {
        storage = ByteBufferAllocator().buffer(capacity: capacity)
        spans.reserveCapacity(fields)
    }

    /// Fields that lie in `bytes`, added with ``appendSpan(name:value:)``.
    init(in bytes: ByteBuffer, fields: Int = 16) {
        storage = bytes
        spans.reserveCapacity(fields)
    }

    /// Copies a field into the storage.
    mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let nameStart = storage.readableBytes
        // One write for both: each `ByteBuffer` write checks capacity and exclusivity.
        storage.writeWithUnsafeMutableBytes(minimumWritableBytes: name.count + value.count) { room in
            room.copyMemory(from: name)
            UnsafeMutableRawBufferPointer(rebasing: room[name.count...]).copyMemory(from: value)
            return name.count + value.count
        }
        spans.append(Span(name: Int32(nameStart), nameCount: Int32(name.count),
                          value: Int32(nameStart + name.count), valueCount: Int32(value.count)))
    }

    mutating func append(name: String, value: String) {
        ASCIICase.withUTF8(name) { name in
            ASCIICase.withUTF8(value) { value in append(name: UnsafeRawBufferPointer(name), value: UnsafeRawBufferPointer(value)) }
        }
    }

    /// Takes out every field named `name` (lowercase); their bytes stay, unreferenced.
    mutating func remove(_ name: StaticString) {
        storage.withUnsafeReadableBytes { all in spans.removeAll { $0.isNamed(name, in: all) } }
    }

    /// Adds a field whose bytes already lie in the storage (offsets from its readable start).
    mutating func appendSpan(name: Range<Int>, value: Range<Int>) {
        assert(value.upperBound <= storage.readableBytes, "HeaderFields: a field outside its storage")
        spans.append(Span(name: Int32(name.lowerBound), nameCount: Int32(name.count),
                          value: Int32(value.lowerBound), valueCount: Int32(value.count)))
    }

    /// Calls `body` with each field's name and value, in order.
    func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        storage.withUnsafeReadableBytes { all in
            for span in spans { body(span.name(in: all), span.value(in: all)) }
        }
    }

    /// One field's name and value, valid inside ``withList(_:)``.
    typealias Field = (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    /// `body` with the fields as a list (on the stack when short), valid for the call.
    func withList<R>(_ body: (UnsafeBufferPointer<Field>) -> R) -> R {
        storage.withUnsafeReadableBytes { all in
            withUnsafeTemporaryAllocation(of: Field.self, capacity: max(spans.count, 1)) { list in
                for (index, span) in spans.enumerated() {
                    list.initializeElement(at: index, to: (span.name(in: all), span.value(in: all)))
                }
                // Plain pairs of pointers: nothing to deinitialize.
                return body(UnsafeBufferPointer(rebasing: list[..<spans.count]))
            }
        }
    }

    /// `body` with the value of the first field named `name` (lowercase), or nil.
    func withValue<R>(of name: StaticString, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        storage.withUnsafeReadableBytes { all in
            body(spans.first { $0.isNamed(name, in: all) }?.value(in: all))
        }
    }

    /// Calls `body` with the value of every field named `name` (lowercase), in order.
    func forEachValue(of name: StaticString, _ body: (UnsafeRawBufferPointer) -> Void) {
        storage.withUnsafeReadableBytes { all in
            for span in spans where span.isNamed(name, in: all) { body(span.value(in: all)) }
        }
    }

    func contains(_ name: StaticString) -> Bool {
        withValue(of: name) { $0 != nil }
    }

    /// The fields as `HTTPHeaders`, for the one part of the proxy that still works with those:
    /// trailers.
    var httpHeaders: HTTPHeaders {
        var fields: [(String, String)] = []
        fields.reserveCapacity(spans.count)
        forEach { name, value in fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))) }
        return HTTPHeaders(fields)
    }

    private static func bytes(_ all: UnsafeRawBufferPointer, _ start: Int32, _ count: Int32) -> UnsafeRawBufferPointer {
        // Spans are made inside the storage (checked when added), which is never shortened.
        assert(Int(start) + Int(count) <= all.count, "HeaderFields: a field outside its storage")
        return UnsafeRawBufferPointer(rebasing: all[Int(start)..<(Int(start) + Int(count))])
    }
}

/// A request's head as the exchange holds it: the method and target as text (two short
/// strings, read for every request), the fields as bytes.
struct RequestHead {
    var method: HTTPMethod
    var target: String
    var fields: HeaderFields
}

/// A response's head as the exchange passes it from the upstream's side to the client's: the
/// status, and the fields as bytes.
struct ResponseHead {
    var status: Int
    /// The upstream's reason phrase over HTTP/1.1; nil gives the status's usual one.
    var reason: String?
    var fields: HeaderFields

    init(status: Int, reason: String? = nil, fields: HeaderFields) {
        self.status = status
        self.reason = reason
        self.fields = fields
    }

    /// 1xx but 101: an interim head, which the final one follows.
    var isInterim: Bool { status < 200 && status != 101 }

    /// The reason phrase to write in an HTTP/1.1 status line.
    var reasonPhrase: String { reason ?? HTTPResponseStatus(statusCode: status).reasonPhrase }
}
