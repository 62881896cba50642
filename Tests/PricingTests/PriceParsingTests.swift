import Pricing
import Testing
import UsageTap

@Suite("Prices are read exactly")
struct PriceParsingTests {
    @Test func pricesPerMillionTokensAreReadFromTheirDecimalDigits() {
        #expect(TokenPrice(perMillionTokens: "3")?.nanosPerMillionTokens == 3_000_000_000)
        #expect(TokenPrice(perMillionTokens: "0.0375")?.nanosPerMillionTokens == 37_500_000)
        #expect(TokenPrice(perMillionTokens: "2.50")?.nanosPerMillionTokens == 2_500_000_000)
        #expect(TokenPrice(perMillionTokens: "1.25e0")?.nanosPerMillionTokens == 1_250_000_000)
        #expect(TokenPrice(perMillionTokens: "0.000000001")?.nanosPerMillionTokens == 1)
    }

    @Test func litellmPerTokenPricesInScientificNotationAreExact() {
        // 3.75e-08 USD per token is 0.0375 USD per million: a Double would give 0.037499999…
        #expect(TokenPrice(perToken: "3.75e-08")?.nanosPerMillionTokens == 37_500_000)
        #expect(TokenPrice(perToken: "1e-05")?.nanosPerMillionTokens == 10_000_000_000)
        #expect(TokenPrice(perToken: "3e-06")?.nanosPerMillionTokens == 3_000_000_000)
        #expect(TokenPrice(perToken: "0.0000025")?.nanosPerMillionTokens == 2_500_000_000)
        #expect(TokenPrice(perToken: "5E-9")?.nanosPerMillionTokens == 5_000_000)
    }

    @Test(arguments: ["", "-1", "abc", "1.2.3", "1e", "1e-20", "0.0000000001", "1e400", "3 ", "+2", "99999999999999999999"])
    func textThatIsNotAnExactNonNegativeDecimalIsRefused(text: String) {
        #expect(TokenPrice(perMillionTokens: text) == nil)
    }

    @Test func moneyRoundsToNanoUnitsHalfUpOnlyWhenShown() {
        #expect(Money(femtos: 1_500_000).nanos == 2)
        #expect(Money(femtos: 1_499_999).nanos == 1)
        #expect(Money(femtos: -1_500_000).nanos == -2)
        #expect(Money(nanos: 7_687_500).decimalText == "0.007687500")
        #expect(Money(nanos: 12_345_678_901).decimalText == "12.345678901")
        #expect(Money(femtos: -1_000_000).decimalText == "-0.000000001")
    }

    @Test func amountsOnEitherSideOf64BitsRoundAlike() {
        // 64-bit amounts take a faster division than wider ones; the results must meet.
        #expect(Money(femtos: Int128(Int64.max)).nanos == 9_223_372_036_855)
        #expect(Money(femtos: Int128(Int64.max) + 1).nanos == 9_223_372_036_855)
        #expect(Money(femtos: Int128(Int64.min)).nanos == -9_223_372_036_855)
        #expect(Money(femtos: Int128(Int64.min) - 1).nanos == -9_223_372_036_855)
        #expect(Money(femtos: Int128(Int64.max) * 1_000_000 + 500_000).nanos == Int128(Int64.max) + 1)
    }

    @Test func aSubNanoPriceKeepsItsFractionUntilTheTotalIsShown() {
        // 37.5 nano-dollars per token: three tokens cost 112.5 nanos, shown as 113.
        let price = TokenPrice(perMillionTokens: "0.0375")!
        #expect(price.cost(of: 3) == Money(femtos: 112_500_000))
        #expect(price.cost(of: 3).nanos == 113)
        #expect((price.cost(of: 1) + price.cost(of: 1)).nanos == 75)
    }
}
