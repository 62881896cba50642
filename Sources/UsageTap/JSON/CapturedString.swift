/// The raw bytes of a JSON string value (escapes and all), kept in fixed storage.
///
/// Model names and error codes are short, so the first `capacity` bytes are kept and the rest
/// is dropped; the string is unescaped and made a `String` only when a record is read.
struct CapturedString: Sendable {
    static let capacity = 256

    private var bytes: InlineArray<256, UInt8> = .init(repeating: 0)
    private(set) var count = 0

    init() {}

    var isEmpty: Bool { count == 0 }

    mutating func reset() {
        count = 0
    }

    mutating func append(_ run: UnsafeRawBufferPointer) {
        let kept = min(run.count, Self.capacity &- count)
        guard kept > 0, let source = run.baseAddress else { return }
        let start = count
        withUnsafeMutableBytes(of: &bytes) { storage in
            // Safe: start + kept <= capacity, the size of `storage`; `run` holds `kept` bytes.
            storage.baseAddress.unsafelyUnwrapped.advanced(by: start).copyMemory(from: source, byteCount: kept)
        }
        count &+= kept
    }

    /// Replaces the contents with the decimal digits of `value`.
    mutating func setDecimal(_ value: Int64) {
        count = 0
        var digits = String(value).utf8.makeIterator()
        while let digit = digits.next(), count < Self.capacity {
            bytes[count] = digit
            count += 1
        }
    }

    /// The JSON string's value: escapes decoded, and invalid UTF-8 (or a lone surrogate escape)
    /// replaced by U+FFFD, so that any input gives a valid string.
    func decoded() -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(count)
        var index = 0
        while index < count {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "\\"), index < count else {
                if byte != UInt8(ascii: "\\") { utf8.append(byte) }
                continue
            }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hexQuad(at: index)
                guard let unit = scalar else { break }
                index += 4
                if (0xD800..<0xDC00).contains(unit), index + 6 <= count,
                   bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                   let low = hexQuad(at: index + 2), (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                let value = Unicode.Scalar(scalar ?? 0xFFFD) ?? "\u{FFFD}"
                utf8.append(contentsOf: String(Character(value)).utf8)
            default: utf8.append(escape)  // \" \\ \/ and anything unknown stand for themselves
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    private func hexQuad(at start: Int) -> UInt32? {
        guard start + 4 <= count else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = hexValue(bytes[start + offset]) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
