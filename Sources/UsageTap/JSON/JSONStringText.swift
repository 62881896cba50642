/// The value of a JSON string from its raw text (what lies between the quotes): escapes decoded,
/// and invalid UTF-8 or a lone surrogate escape replaced by U+FFFD, so that any input gives a
/// valid string. Used for the tap's captured strings and for price files alike.
package enum JSONStringText {
    package static func decode(_ raw: UnsafeRawBufferPointer) -> String {
        // Most strings (model names, error codes) have no escape: their bytes are the value, and
        // `String(decoding:)` repairs invalid UTF-8 the same way. (Byte by byte through an array,
        // a model name cost about 1,400 instructions per response in the proxy.)
        if !raw.contains(UInt8(ascii: "\\")) { return String(decoding: raw, as: UTF8.self) }
        let count = raw.count
        var utf8: [UInt8] = []
        utf8.reserveCapacity(count)
        var index = 0
        while index < count {
            let byte = raw[index]
            index += 1
            guard byte == UInt8(ascii: "\\"), index < count else {
                if byte != UInt8(ascii: "\\") { utf8.append(byte) }
                continue
            }
            let escape = raw[index]
            index += 1
            switch escape {
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hexQuad(raw, at: index)
                guard let unit = scalar else { break }
                index += 4
                if (0xD800..<0xDC00).contains(unit), index + 6 <= count,
                   raw[index] == UInt8(ascii: "\\"), raw[index + 1] == UInt8(ascii: "u"),
                   let low = hexQuad(raw, at: index + 2), (0xDC00..<0xE000).contains(low) {
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

    private static func hexQuad(_ raw: UnsafeRawBufferPointer, at start: Int) -> UInt32? {
        guard start + 4 <= raw.count else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = hexValue(raw[start + offset]) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
