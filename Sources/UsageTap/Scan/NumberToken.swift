/// A JSON scalar outside quotes (a number, `true`, `null`, or junk), read a byte at a time so
/// that a slice may cut it anywhere.
///
/// It follows JSON's number grammar and keeps the value as a significand without its trailing
/// zeros and a power of ten, never through floating point. That is enough for the two readings
/// the tap needs: a usage count (a whole number below 2^63, however it is written: `78`, `78.0`,
/// `7.8e1`, `780e-1`) and an error code (a plain JSON integer such as `400` or `-1`).
struct NumberToken: Sendable {
    private enum Part: UInt8, Sendable {
        case start, minus, zero, integer, point, fraction, exponentMark, exponentSign, exponent, invalid
    }

    private var part = Part.start
    private var isNegative = false
    /// The digits read so far, up to the last nonzero one.
    private var significand: UInt64 = 0
    /// Zeros read since the last nonzero digit, not yet multiplied into `significand`.
    private var pendingZeros = 0
    /// The significand no longer fits 64 bits: no count can be that large (see `count`).
    private var overflowed = false
    private var fractionDigits = 0
    private var exponent = 0
    private var exponentIsNegative = false

    /// Above this an exponent means "too large" or "too small" whatever the digits; it keeps
    /// the arithmetic far from overflow.
    private static let exponentCap = 1 << 40

    init() {}

    mutating func reset() {
        self = NumberToken()
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        let digit = byte &- UInt8(ascii: "0")
        switch part {
        case .start:
            part = digit == 0 ? .zero : digit < 10 ? .integer : byte == UInt8(ascii: "-") ? .minus : .invalid
            if part == .minus { isNegative = true }
            if part == .integer { significand = UInt64(digit) }
        case .minus:
            part = digit == 0 ? .zero : digit < 10 ? .integer : .invalid
            if part == .integer { significand = UInt64(digit) }
        case .zero:
            part = byte == UInt8(ascii: ".") ? .point : byte | 0x20 == UInt8(ascii: "e") ? .exponentMark : .invalid
        case .integer, .fraction:
            if digit < 10 {
                appendSignificant(digit)
                if part == .fraction { fractionDigits &+= 1 }
            } else if byte == UInt8(ascii: "."), part == .integer {
                part = .point
            } else {
                part = byte | 0x20 == UInt8(ascii: "e") ? .exponentMark : .invalid
            }
        case .point:
            if digit < 10 {
                appendSignificant(digit)
                fractionDigits &+= 1
                part = .fraction
            } else {
                part = .invalid
            }
        case .exponentMark:
            if digit < 10 {
                exponent = Int(digit)
                part = .exponent
            } else if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                exponentIsNegative = byte == UInt8(ascii: "-")
                part = .exponentSign
            } else {
                part = .invalid
            }
        case .exponentSign, .exponent:
            if digit < 10 {
                exponent = min(exponent &* 10 &+ Int(digit), Self.exponentCap)
                part = .exponent
            } else {
                part = .invalid
            }
        case .invalid:
            break
        }
    }

    @inline(__always)
    private mutating func appendSignificant(_ digit: UInt8) {
        guard digit != 0 else {
            pendingZeros &+= 1
            return
        }
        guard !overflowed, pendingZeros < 19,
              case let (scaled, overflowA) = significand.multipliedReportingOverflow(by: Self.powersOfTen[pendingZeros &+ 1]),
              !overflowA,
              case let (sum, overflowB) = scaled.addingReportingOverflow(UInt64(digit)), !overflowB
        else {
            overflowed = true
            pendingZeros = 0
            return
        }
        significand = sum
        pendingZeros = 0
    }

    private var isComplete: Bool {
        switch part {
        case .zero, .integer, .fraction, .exponent: true
        default: false
        }
    }

    /// significand × 10^power, if that is below 2^63 and `power` is not negative.
    private static func whole(_ significand: UInt64, power: Int) -> Int64? {
        guard power >= 0, let value = magnitude(significand, power: power), value <= UInt64(Int64.max) else { return nil }
        return Int64(value)
    }

    /// The token as a usage count: its value if it is a non-negative whole number below 2^63
    /// (a zero fraction or an exponent may make it so), and 0 for anything else.
    var count: Int64 {
        guard isComplete, !isNegative, significand != 0 else { return 0 }
        // A significand past 64 bits ends in a nonzero digit, so it is whole only times a
        // non-negative power of ten, and then far above 2^63.
        guard !overflowed else { return 0 }
        let power = (exponentIsNegative ? -exponent : exponent) &- fractionDigits &+ pendingZeros
        return Self.whole(significand, power: power) ?? 0
    }

    /// The token as a plain JSON integer (no fraction, no exponent) that fits 64 bits: what an
    /// integer error code must be.
    var integer: Int64? {
        guard part == .zero || part == .integer, !overflowed,
              let magnitude = significand == 0 ? 0 : Self.magnitude(significand, power: pendingZeros)
        else { return nil }
        if isNegative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// significand × 10^power as 64 bits, if it fits (for -2^63, one above Int64.max).
    private static func magnitude(_ significand: UInt64, power: Int) -> UInt64? {
        guard power < powersOfTen.count else { return nil }
        let (value, overflow) = significand.multipliedReportingOverflow(by: powersOfTen[power])
        return overflow ? nil : value
    }

    private static let powersOfTen: [UInt64] = (0...19).map { (0..<$0).reduce(1) { value, _ in value * 10 } }
}
