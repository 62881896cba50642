/// Writes one flat JSON object as UTF-8 bytes. Strings are escaped per RFC 8259; numbers are
/// written digit by digit, so a whole object costs one growing array and no `String` per field.
///
/// Keys are static text: every key this library writes is known at compile time, and a
/// `StaticString` is appended without a copy through `String`.
public struct JSONObjectWriter {
    public private(set) var bytes: [UInt8]
    private var isFirst = true

    /// A new object.
    public init() {
        bytes = [UInt8(ascii: "{")]
        bytes.reserveCapacity(256)
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A new object written after the bytes already in `buffer` (lines of a batch).
    public init(appendingTo buffer: [UInt8]) {
        bytes = buffer
        bytes.append(UInt8(ascii: "{"))
    }

    public mutating func add(_ key: StaticString, string value: String?) {
        addKey(key)
        guard var value else { return appendNull() }
        bytes.append(UInt8(ascii: "\""))
        value.withUTF8 { appendEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A string made of `prefix` and `number` in decimal (an id such as `9f3a-0-17`), written
    /// with no `String` made of the whole.
    public mutating func add(_ key: StaticString, string prefix: String, number: UInt64) {
        addKey(key)
        bytes.append(UInt8(ascii: "\""))
        var prefix = prefix
        prefix.withUTF8 { appendEscaped($0) }
        DecimalDigits.append(number, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A string given as its UTF-8 bytes, which must be valid UTF-8.
    public mutating func add(_ key: StaticString, utf8 value: UnsafeRawBufferPointer) {
        addKey(key)
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(value.assumingMemoryBound(to: UInt8.self))
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func add(_ key: StaticString, integer value: Int?) {
        addKey(key)
        guard let value else { return appendNull() }
        appendDecimal(Int128(value))
    }

    public mutating func add(_ key: StaticString, integer value: Int128) {
        addKey(key)
        appendDecimal(value)
    }

    /// A fixed-point number: `value` thousandths, written with three decimals (`12.045`).
    public mutating func add(_ key: StaticString, thousandths value: Int?) {
        addKey(key)
        guard let value else { return appendNull() }
        DecimalDigits.appendFixedPoint(Int128(value), decimals: 3, to: &bytes)
    }

    /// An amount of nano-units as an exact decimal string of whole units with nine decimals
    /// (`"0.000018975"`), written without an intermediate `String`.
    public mutating func add(_ key: StaticString, decimalNanos value: Int128) {
        addKey(key)
        bytes.append(UInt8(ascii: "\""))
        DecimalDigits.appendFixedPoint(value, decimals: 9, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A nested object, whose members `body` adds, written into the same bytes.
    public mutating func addObject(_ key: StaticString, _ body: (inout JSONObjectWriter) -> Void) {
        addKey(key)
        var nested = JSONObjectWriter(bytes: [])
        // Swapped rather than copied, so the nested object appends to this one's buffer.
        swap(&bytes, &nested.bytes)
        nested.bytes.append(UInt8(ascii: "{"))
        body(&nested)
        nested.bytes.append(UInt8(ascii: "}"))
        swap(&bytes, &nested.bytes)
    }

    /// A value that is already JSON text.
    public mutating func add(_ key: StaticString, rawJSON value: String) {
        addKey(key)
        bytes.append(contentsOf: value.utf8)
    }

    public mutating func add(_ key: StaticString, bool value: Bool) {
        addKey(key)
        append(value ? "true" : "false")
    }

    /// The object, closed, as text.
    public mutating func finish() -> String {
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Everything written, the object closed and followed by `terminator` (a newline for a line
    /// of a batch).
    public mutating func finishBytes(terminator: UInt8? = nil) -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        if let terminator { bytes.append(terminator) }
        return bytes
    }

    private mutating func addKey(_ key: StaticString) {
        let separator = !isFirst
        isFirst = false
        // `,"key":` put together on the stack and appended once: five appends were five
        // uniqueness and capacity checks per key.
        key.withUTF8Buffer { name in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: name.count + 4) { room in
                var count = 0
                if separator {
                    room[0] = UInt8(ascii: ",")
                    count = 1
                }
                room[count] = UInt8(ascii: "\"")
                // Safe: `room` has room for the name and four more bytes.
                _ = UnsafeMutableBufferPointer(rebasing: room[(count + 1)...]).initialize(fromContentsOf: name)
                count += 1 + name.count
                room[count] = UInt8(ascii: "\"")
                room[count + 1] = UInt8(ascii: ":")
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: room[..<(count + 2)]))
            }
        }
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func appendNull() {
        append("null")
    }

    private mutating func appendDecimal(_ value: Int128) {
        DecimalDigits.append(value, to: &bytes)
    }

    private mutating func appendEscaped(_ text: UnsafeBufferPointer<UInt8>) {
        // Most values (model names, ids, paths) need no escaping: one append.
        if !text.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: text)
            return
        }
        for byte in text {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\r"): append("\\r")
            case UInt8(ascii: "\t"): append("\\t")
            case 0..<0x20:
                append("\\u00")
                bytes.append(Self.hexDigit(byte >> 4))
                bytes.append(Self.hexDigit(byte & 0xF))
            default:
                bytes.append(byte)
            }
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ nibble &- 10
    }
}
