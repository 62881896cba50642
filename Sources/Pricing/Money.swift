import UsageTap

/// An exact amount of money, in 10⁻¹⁵ of the currency unit.
///
/// Prices are exact decimals and token counts are integers, so every cost is an exact integer
/// at this scale: a price of up to nine decimal places of a currency unit per million tokens,
/// times a token count, divided by a million. 128 bits hold any sum of costs a ledger will
/// see (above 10²³ units of currency). Nothing on the way from tokens to cost is floating point;
/// ``nanos`` rounds once, half-up, when an amount is shown.
public struct Money: Sendable, Hashable, Comparable, AdditiveArithmetic {
    /// The amount in 10⁻¹⁵ of the currency unit.
    public var femtos: Int128

    public init(femtos: Int128) {
        self.femtos = femtos
    }

    public init(nanos: Int64) {
        femtos = Int128(nanos) * 1_000_000
    }

    public static let zero = Money(femtos: 0)

    public static func + (lhs: Money, rhs: Money) -> Money { Money(femtos: lhs.femtos + rhs.femtos) }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(femtos: lhs.femtos - rhs.femtos) }
    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.femtos < rhs.femtos }

    /// The amount in 10⁻⁹ of the currency unit, rounded half-up (away from zero at a half).
    public var nanos: Int128 {
        // Amounts within 64 bits (up to 9,223 units of currency: every single response) are
        // divided as such, which the compiler turns into a multiplication; a 128-bit division
        // is a call to the runtime's `__divti3`, ten times the cost.
        if let small = Int64(exactly: femtos) {
            let (quotient, remainder) = small.quotientAndRemainder(dividingBy: 1_000_000)
            return Int128(quotient + (remainder >= 500_000 ? 1 : remainder <= -500_000 ? -1 : 0))
        }
        let (quotient, remainder) = femtos.quotientAndRemainder(dividingBy: 1_000_000)
        if remainder >= 500_000 { return quotient + 1 }
        if remainder <= -500_000 { return quotient - 1 }
        return quotient
    }

    /// The amount rounded to nano-units, as an exact decimal: `"0.012345678"`.
    public var decimalText: String {
        var bytes = StagedBytes()
        DecimalDigits.appendFixedPoint(nanos, decimals: 9, to: &bytes)
        return String(decoding: bytes.finish(), as: UTF8.self)
    }
}

extension Money {
    /// An amount written as a non-negative decimal exact to nano-units (`"25"`, `"0.000001"`),
    /// or nil for anything else.
    public init?(decimal text: some StringProtocol) {
        guard let nanos = TokenPrice.scaledDecimal(text, tenToThe: 9) else { return nil }
        self.init(nanos: nanos)
    }
}
