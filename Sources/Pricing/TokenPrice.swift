import UsageTap

/// A price per token, held exactly: nano-units of the currency per million tokens.
///
/// List prices are quoted per million tokens with a few decimals (`0.0375`), and LiteLLM's files
/// per token in scientific notation (`3.75e-08`); both are read from their decimal text, digit
/// by digit, never through a `Double`, and kept if they are exact at 10⁻⁹ per million tokens.
public struct TokenPrice: Sendable, Hashable {
    /// Nano-units of the currency per million tokens: 3 USD per million is 3,000,000,000.
    public var nanosPerMillionTokens: Int64

    public init(nanosPerMillionTokens: Int64) {
        self.nanosPerMillionTokens = nanosPerMillionTokens
    }

    /// A price quoted per million tokens: `"3"`, `"0.0375"`, `"1.25e0"`.
    public init?(perMillionTokens text: some StringProtocol) {
        guard let nanos = Self.scaledDecimal(text, tenToThe: 9) else { return nil }
        nanosPerMillionTokens = nanos
    }

    /// A price quoted per token, as LiteLLM writes them: `"3e-06"`, `"3.75e-08"`.
    public init?(perToken text: some StringProtocol) {
        guard let nanos = Self.scaledDecimal(text, tenToThe: 15) else { return nil }
        nanosPerMillionTokens = nanos
    }

    /// The exact cost of `tokens` tokens.
    public func cost(of tokens: Int64) -> Money {
        // nanos per million × tokens is in 10⁻⁹ × 10⁻⁶ units: femtos, exactly.
        Money(femtos: Int128(nanosPerMillionTokens) * Int128(tokens))
    }

    /// The decimal `text` times 10^`scale`, if that is a non-negative integer below 2^63: the
    /// digits are read as an integer and the decimal point and exponent only move the scale.
    static func scaledDecimal(_ text: some StringProtocol, tenToThe scale: Int) -> Int64? {
        var digits: Int128 = 0
        var exponent = scale
        var sawDigit = false
        var sawPoint = false
        var utf8 = Substring(text).utf8[...]
        while let byte = utf8.first, byte != UInt8(ascii: "e"), byte != UInt8(ascii: "E") {
            utf8 = utf8.dropFirst()
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                sawDigit = true
                guard digits < Int128(1) << 100 else { return nil }
                digits = digits * 10 + Int128(byte - UInt8(ascii: "0"))
                if sawPoint { exponent -= 1 }
            case UInt8(ascii: ".") where !sawPoint:
                sawPoint = true
            default:
                return nil
            }
        }
        guard sawDigit else { return nil }
        if utf8.first != nil {
            utf8 = utf8.dropFirst()
            guard let written = Int(Substring(utf8)), abs(written) < 1000 else { return nil }
            exponent += written
        }
        while exponent > 0 {
            guard digits < Int128(1) << 100 else { return nil }
            digits *= 10
            exponent -= 1
        }
        while exponent < 0 {
            // Only trailing zeros may be dropped: anything else is finer than the scale.
            guard digits % 10 == 0 else { return nil }
            digits /= 10
            exponent += 1
        }
        return digits <= Int128(Int64.max) ? Int64(digits) : nil
    }
}
