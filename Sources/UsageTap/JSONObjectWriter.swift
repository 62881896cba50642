/// Writes one flat JSON object as UTF-8 bytes. Strings are escaped per RFC 8259; numbers are
/// written digit by digit, so a whole object costs one growing array and no `String` per field.
///
/// Keys are static text: every key this library writes is known at compile time, and a
/// `StaticString` is written without a copy through `String`. The pieces are gathered in a
/// fixed buffer before they reach the array (``StagedBytes``): a usage line is some seventy of
/// them.
public struct JSONObjectWriter {
    private var output: StagedBytes
    private var isFirst = true

    /// A new object.
    public init() {
        var array: [UInt8] = []
        array.reserveCapacity(256)
        self.init(appendingTo: array)
    }

    /// A new object written after the bytes already in `buffer` (lines of a batch).
    public init(appendingTo buffer: [UInt8]) {
        output = StagedBytes(appendingTo: buffer)
        output.append(UInt8(ascii: "{"))
    }

    public mutating func add(_ key: StaticString, string value: String?) {
        addKey(key)
        guard var value else { return appendNull() }
        output.append(UInt8(ascii: "\""))
        value.withUTF8 { appendEscaped($0) }
        output.append(UInt8(ascii: "\""))
    }

    /// A string made of `prefix` and `number` in decimal (an id such as `9f3a-0-17`), written
    /// with no `String` made of the whole.
    public mutating func add(_ key: StaticString, string prefix: String, number: UInt64) {
        addKey(key)
        output.append(UInt8(ascii: "\""))
        var prefix = prefix
        prefix.withUTF8 { appendEscaped($0) }
        DecimalDigits.append(number, to: &output)
        output.append(UInt8(ascii: "\""))
    }

    /// A string given as its UTF-8 bytes, which must be valid UTF-8.
    public mutating func add(_ key: StaticString, utf8 value: UnsafeRawBufferPointer) {
        addKey(key)
        output.append(UInt8(ascii: "\""))
        appendEscaped(value.assumingMemoryBound(to: UInt8.self))
        output.append(UInt8(ascii: "\""))
    }

    public mutating func add(_ key: StaticString, integer value: Int?) {
        addKey(key)
        guard let value else { return appendNull() }
        DecimalDigits.append(Int128(value), to: &output)
    }

    public mutating func add(_ key: StaticString, integer value: Int128) {
        addKey(key)
        DecimalDigits.append(value, to: &output)
    }

    /// A fixed-point number: `value` thousandths, written with three decimals (`12.045`).
    public mutating func add(_ key: StaticString, thousandths value: Int?) {
        addKey(key)
        guard let value else { return appendNull() }
        DecimalDigits.appendFixedPoint(Int128(value), decimals: 3, to: &output)
    }

    /// An amount of nano-units as an exact decimal string of whole units with nine decimals
    /// (`"0.000018975"`), written without an intermediate `String`; with `quoted` false, as a
    /// JSON number of those digits (`0.000018975`).
    public mutating func add(_ key: StaticString, decimalNanos value: Int128, quoted: Bool = true) {
        addKey(key)
        if quoted { output.append(UInt8(ascii: "\"")) }
        DecimalDigits.appendFixedPoint(value, decimals: 9, to: &output)
        if quoted { output.append(UInt8(ascii: "\"")) }
    }

    /// A nested object, whose members `body` adds, written into the same bytes.
    public mutating func addObject(_ key: StaticString, _ body: (inout JSONObjectWriter) -> Void) {
        addKey(key)
        output.append(UInt8(ascii: "{"))
        // The nested object writes to this one's output, and starts its own members' commas.
        let wasFirst = isFirst
        isFirst = true
        body(&self)
        isFirst = wasFirst
        output.append(UInt8(ascii: "}"))
    }

    /// A value that is already JSON text.
    public mutating func add(_ key: StaticString, rawJSON value: String) {
        addKey(key)
        var value = value
        value.withUTF8 { output.append(UnsafeRawBufferPointer($0)) }
    }

    public mutating func add(_ key: StaticString, bool value: Bool) {
        addKey(key)
        append(value ? "true" : "false")
    }

    /// The object, closed, as text.
    public mutating func finish() -> String {
        output.append(UInt8(ascii: "}"))
        return String(decoding: output.finish(), as: UTF8.self)
    }

    /// Everything written, the object closed and followed by `terminator` (a newline for a line
    /// of a batch).
    public mutating func finishBytes(terminator: UInt8? = nil) -> [UInt8] {
        output.append(UInt8(ascii: "}"))
        if let terminator { output.append(terminator) }
        return output.finish()
    }

    /// `,"key":`, the comma only after the first member, written as one piece.
    private mutating func addKey(_ key: StaticString) {
        let separator = !isFirst
        isFirst = false
        let name = Self.bytes(of: key)
        guard name.count <= 120 else {
            // No key this library writes is that long; written in pieces all the same.
            if separator { output.append(UInt8(ascii: ",")) }
            output.append(UInt8(ascii: "\""))
            output.append(UnsafeRawBufferPointer(name))
            output.append(UInt8(ascii: "\""))
            output.append(UInt8(ascii: ":"))
            return
        }
        output.write(upTo: name.count &+ 4) { room in
            var count = 0
            if separator {
                room[0] = UInt8(ascii: ",")
                count = 1
            }
            room[count] = UInt8(ascii: "\"")
            // Safe: `room` has room for the name and four more bytes.
            (room + count + 1).initialize(from: name.baseAddress.unsafelyUnwrapped, count: name.count)
            count &+= 1 &+ name.count
            room[count] = UInt8(ascii: "\"")
            room[count &+ 1] = UInt8(ascii: ":")
            return count &+ 2
        }
    }

    private mutating func append(_ text: StaticString) {
        output.append(UnsafeRawBufferPointer(Self.bytes(of: text)))
    }

    /// The text's UTF-8 bytes, where the literal lies. Keys and the words written here are
    /// string literals, which have a pointer representation (only a one-scalar literal of type
    /// `StaticString` would not): read in place, with no closure (`withUTF8Buffer`'s cost a
    /// run-time exclusivity check on every key, about 400 instructions a usage line, callgrind).
    @inline(__always)
    private static func bytes(of text: StaticString) -> UnsafeBufferPointer<UInt8> {
        precondition(text.hasPointerRepresentation, "JSONObjectWriter: a key must be a string literal")
        // Safe: a literal's bytes live as long as the program.
        return UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    private mutating func appendNull() {
        append("null")
    }

    private mutating func appendEscaped(_ text: UnsafeBufferPointer<UInt8>) {
        // Most values (model names, ids, paths) need no escaping: one piece.
        if !text.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(UnsafeRawBufferPointer(text))
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
                output.append(Self.hexDigit(byte >> 4))
                output.append(Self.hexDigit(byte & 0xF))
            default:
                output.append(byte)
            }
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ nibble &- 10
    }
}
