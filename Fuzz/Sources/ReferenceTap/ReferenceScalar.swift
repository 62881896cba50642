/// A JSON scalar outside quotes, as the reference reads it: its bytes are kept (the reference
/// may allocate), and read by JSON's grammar as text, independently of the tap's `NumberToken`.
struct ReferenceScalarToken: Sendable {
    private var bytes: [UInt8] = []

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// The parts of a JSON number, if the bytes are one.
    private var parts: (negative: Bool, integer: [UInt8], fraction: [UInt8], exponent: [UInt8], exponentNegative: Bool)? {
        var rest = bytes[...]
        let negative = rest.first == UInt8(ascii: "-")
        if negative { rest = rest.dropFirst() }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let integer = Array(rest.prefix(while: isDigit))
        rest = rest.dropFirst(integer.count)
        guard !integer.isEmpty, integer == [UInt8(ascii: "0")] || integer.first != UInt8(ascii: "0") else { return nil }
        var fraction: [UInt8] = []
        if rest.first == UInt8(ascii: ".") {
            fraction = Array(rest.dropFirst().prefix(while: isDigit))
            guard !fraction.isEmpty else { return nil }
            rest = rest.dropFirst(1 + fraction.count)
        }
        var exponent: [UInt8] = []
        var exponentNegative = false
        if rest.first == UInt8(ascii: "e") || rest.first == UInt8(ascii: "E") {
            rest = rest.dropFirst()
            if rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: "-") {
                exponentNegative = rest.first == UInt8(ascii: "-")
                rest = rest.dropFirst()
            }
            exponent = Array(rest.prefix(while: isDigit))
            guard !exponent.isEmpty else { return nil }
            rest = rest.dropFirst(exponent.count)
        }
        guard rest.isEmpty else { return nil }
        return (negative, integer, fraction, exponent, exponentNegative)
    }

    /// The token as a usage count (contract: a non-negative whole number below 2^63, written in
    /// any JSON form; 0 for anything else), worked out by moving the decimal point in the text.
    var count: Int64 {
        guard let parts, !parts.negative else { return 0 }
        let digits = parts.integer + parts.fraction
        guard digits.contains(where: { $0 != UInt8(ascii: "0") }) else { return 0 }
        // The exponent's value; one past a million digits away is too far for any count.
        let exponentDigits = parts.exponent.drop(while: { $0 == UInt8(ascii: "0") })
        guard exponentDigits.count <= 7 else { return 0 }
        let exponent = (Int(String(decoding: exponentDigits, as: UTF8.self)) ?? 0) * (parts.exponentNegative ? -1 : 1)
        let point = parts.integer.count + exponent
        guard point > 0 else { return 0 }
        // Whole: every digit after the point is 0.
        if point < digits.count, digits[point...].contains(where: { $0 != UInt8(ascii: "0") }) { return 0 }
        guard point <= digits.count + 19 else { return 0 }
        let whole = (point <= digits.count ? Array(digits[..<point]) : digits + [UInt8](repeating: UInt8(ascii: "0"), count: point - digits.count))
            .drop(while: { $0 == UInt8(ascii: "0") })
        guard whole.count <= 19 else { return 0 }
        return Int64(String(decoding: whole, as: UTF8.self)) ?? 0
    }

    /// The JSON integer this token spells (no fraction, no exponent), if it fits in 64 bits.
    var integer: Int64? {
        guard let parts, parts.fraction.isEmpty, parts.exponent.isEmpty else { return nil }
        return Int64((parts.negative ? "-" : "") + String(decoding: parts.integer, as: UTF8.self))
    }
}
