/// A JSON scalar outside quotes (number, `true`, `null`, or junk), read a byte at a time.
///
/// Only what a token count or an integer error code needs is kept: the magnitude of a run of
/// digits, an optional leading minus, and whether anything else appeared. Numbers are parsed as
/// digits only, never through floating point.
struct ScalarToken: Sendable {
    private var magnitude: UInt64 = 0
    private var digits = 0
    private var isNegative = false
    private var isPlainInteger = true
    private var hasLeadingZero = false

    mutating func reset() {
        self = ScalarToken()
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        let digit = byte &- UInt8(ascii: "0")
        if digit < 10 {
            if digits == 1 && magnitude == 0 { hasLeadingZero = true }
            let (shifted, overflowA) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(UInt64(digit))
            if overflowA || overflowB { isPlainInteger = false }
            magnitude = sum
            digits &+= 1
        } else if byte == UInt8(ascii: "-") && digits == 0 && !isNegative {
            isNegative = true
        } else {
            isPlainInteger = false
        }
    }

    /// The JSON integer this token spells, if it is one that fits in 64 bits.
    var integer: Int64? {
        guard isPlainInteger, digits > 0, !hasLeadingZero else { return nil }
        if isNegative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// The token as a usage count: a non-negative integer below 2^63, and 0 for anything else.
    var count: Int64 {
        guard let integer, integer >= 0, !isNegative else { return 0 }
        return integer
    }
}
