import UsageTap

/// A price per call (per request, per web search), held exactly in nano-units of the currency.
public struct CallPrice: Sendable, Hashable {
    public var nanos: Int64

    public init(nanos: Int64) {
        self.nanos = nanos
    }

    /// A price per call as a decimal: `"0.01"`.
    public init?(_ text: some StringProtocol) {
        guard let nanos = TokenPrice.scaledDecimal(text, tenToThe: 9) else { return nil }
        self.nanos = nanos
    }

    public func cost(of calls: Int64) -> Money {
        Money(femtos: Int128(nanos) * Int128(calls) * 1_000_000)
    }
}
