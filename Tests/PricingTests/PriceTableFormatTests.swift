@testable import Pricing
import Testing
import UsageTap

@Suite("UsageTap's price format")
struct PriceTableFormatTests {
    @Test func aLineGivesEveryPriceItNames() throws {
        let table = try PriceTable(parsing: """
            # a comment
            m  input=3 cached_input=0.30 cache_write=3.75 cache_write_1h=6 output=15 reasoning_output=20 per_request=0.001 web_search=0.01   # trailing comment
            alias m-latest m
            """)
        let price = try #require(table.entries["m"])
        #expect(price.prices.input.nanosPerMillionTokens == 3_000_000_000)
        #expect(price.prices.cachedInput?.nanosPerMillionTokens == 300_000_000)
        #expect(price.prices.cacheWrite?.nanosPerMillionTokens == 3_750_000_000)
        #expect(price.prices.cacheWriteOneHour?.nanosPerMillionTokens == 6_000_000_000)
        #expect(price.prices.output.nanosPerMillionTokens == 15_000_000_000)
        #expect(price.prices.reasoningOutput?.nanosPerMillionTokens == 20_000_000_000)
        #expect(price.perRequest?.nanos == 1_000_000)
        #expect(price.perWebSearch?.nanos == 10_000_000)
        #expect(table.match("m-latest")?.entry == "m")
    }

    @Test func aTierRepeatsTheBasePricesItDoesNotName() throws {
        let table = try PriceTable(parsing: "m input=1 cached_input=0.1 output=2 above=1000 above.input=4")
        let tier = try #require(table.entries["m"]?.tier)
        #expect(tier.inputTokensAbove == 1000)
        #expect(tier.prices.input.nanosPerMillionTokens == 4_000_000_000)
        #expect(tier.prices.output.nanosPerMillionTokens == 2_000_000_000)
        #expect(tier.prices.cachedInput?.nanosPerMillionTokens == 100_000_000)
    }

    @Test(arguments: [
        ("m input=1", "line 1: `input` and `output` are required"),
        ("\nm input=1 output=x", "line 2: `output=x` is not a non-negative decimal exact to 10⁻⁹"),
        ("m input=1 output=2 colour=red", "line 1: unknown key `colour`"),
        ("m input=1 output=2 input=3", "line 1: `input` is given twice"),
        ("m input=1 output=2 above.input=3", "line 1: unknown key `above.input`"),
        ("m input=1 output=2 cached_at_input_price=maybe", "line 1: `cached_at_input_price=maybe`: say yes or no"),
        ("m input=1 output 2", "line 1: expected KEY=VALUE, found `output`"),
        ("alias a", "line 1: expected `alias NAME MODEL`"),
        ("m input=1 output=2\nalias a b", "line 2: alias a names b, which has no entry"),
    ])
    func malformedLinesAreRefusedWithTheirLineNumber(text: String, message: String) {
        #expect(throws: PriceTable.FormatError.self) { try PriceTable(parsing: text) }
        do {
            _ = try PriceTable(parsing: text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func theEmbeddedTableParsesAndIsDated() {
        let text = String(decoding: PackageResources.default_prices_txt, as: UTF8.self)
        #expect(text.contains("Dated 2026-11-23"))
        #expect(PriceTable.defaultPrices.entries.count >= 16)
        #expect(PriceTable.defaultPrices.match("claude-sonnet-4-5-20250929")?.entry == "claude-sonnet-4-5")
    }
}
