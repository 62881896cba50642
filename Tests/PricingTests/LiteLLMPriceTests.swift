@testable import Pricing
import Foundation
import Testing
import UsageTap

@Suite("LiteLLM price files")
struct LiteLLMPriceTests {
    static func excerpt() throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "litellm-excerpt", withExtension: "json"))
        return [UInt8](try Data(contentsOf: url))
    }

    @Test func aRealLiteLLMFileGivesTheSamePricesAsTheDefaultTable() throws {
        let imported = try PriceTable.liteLLM(Self.excerpt())
        #expect(imported.skipped.isEmpty)
        #expect(imported.table.entries["sample_spec"] == nil)
        // The default table was read from LiteLLM's file: the same model, the same prices.
        for (name, defaultName) in [("gpt-4o", "gpt-4o"), ("gpt-5", "gpt-5"), ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
                                    ("gemini-2.5-flash", "gemini-2.5-flash"), ("gpt-4.1", "gpt-4.1")] {
            let fromFile = try #require(imported.table.entries[name])
            let fromDefault = try #require(PriceTable.defaultPrices.entries[defaultName])
            #expect(fromFile.prices.input == fromDefault.prices.input, "\(name)")
            #expect(fromFile.prices.cachedInput == fromDefault.prices.cachedInput, "\(name)")
            #expect(fromFile.prices.cacheWrite == fromDefault.prices.cacheWrite, "\(name)")
            #expect(fromFile.prices.output == fromDefault.prices.output, "\(name)")
            #expect(fromFile.perWebSearch == fromDefault.perWebSearch, "\(name)")
        }
    }

    @Test func tiersOneHourCacheReasoningAndRequestPricesAreRead() throws {
        let table = try PriceTable.liteLLM(Self.excerpt()).table
        let sonnet4 = try #require(table.entries["anthropic.claude-sonnet-4-20250514-v1:0"])
        #expect(sonnet4.tier?.inputTokensAbove == 200_000)
        #expect(sonnet4.tier?.prices.input.nanosPerMillionTokens == 6_000_000_000)
        #expect(sonnet4.tier?.prices.output.nanosPerMillionTokens == 22_500_000_000)
        #expect(sonnet4.tier?.prices.cacheWrite?.nanosPerMillionTokens == 7_500_000_000)
        #expect(table.entries["claude-haiku-4-5-20251001"]?.prices.cacheWriteOneHour?.nanosPerMillionTokens == 2_000_000_000)
        #expect(table.entries["gemini-2.5-flash"]?.prices.reasoningOutput?.nanosPerMillionTokens == 2_500_000_000)
        #expect(table.entries["perplexity/pplx-7b-online"]?.perRequest?.nanos == 5_000_000)
        // Priority, batch and flex prices are other services, not list prices: left alone.
        #expect(table.entries["gpt-4o"]?.prices.input.nanosPerMillionTokens == 2_500_000_000)
    }

    @Test func aRecordIsPricedFromTheFileWithTheSameMatchingRules() throws {
        let table = try PriceTable.liteLLM(Self.excerpt()).table
        let record = UsageRecord(
            model: "claude-sonnet-4-5-20250929", finished: true, inputTokens: 21_512, outputTokens: 85, totalTokens: 21_597,
            cachedInputTokens: 20_000, cacheWriteTokens: 1_500, reasoningTokens: 0)
        #expect(table.cost(of: record)?.total == Money(nanos: 12_936_000))
        #expect(table.cost(of: record)?.priceEntry == "claude-sonnet-4-5-20250929")
    }

    @Test func anEntryWithAPriceFinerThanTheScaleIsSkippedAndNamed() throws {
        let json = #"{"fine": {"input_cost_per_token": 1e-17, "output_cost_per_token": 1e-06}, "ok": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}}"#
        let imported = try PriceTable.liteLLM(Array(json.utf8))
        #expect(imported.table.entries.keys.sorted() == ["ok"])
        #expect(imported.skipped["fine"] == "`input_cost_per_token`: 1e-17 is not exact to 10⁻⁹ per million tokens")
    }

    @Test(arguments: [
        ("[1, 2]", "a LiteLLM price file is one JSON object of models"),
        (#"{"a": {"input_cost_per_token": 1"#, "JSON syntax error at byte 32: unexpected end"),
        (#"{"a": tru}"#, "JSON syntax error at byte 9: expected true"),
        (#"{"a": 1} x"#, "JSON syntax error at byte 9: text after the document"),
        (String(repeating: "[", count: 100), "JSON syntax error at byte 64: nested deeper than 64"),
    ])
    func aMalformedFileIsRefusedWithWhereAndWhy(text: String, message: String) {
        do {
            _ = try PriceTable.liteLLM(Array(text.utf8))
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func jsonStringsDecodeTheirEscapes() throws {
        let value = try JSONValue.parse(Array(#"{"k\u00e9y\n": ["a\"b", 1.5e-3, true, null]}"#.utf8))
        #expect(value == .object([(key: "kéy\n", value: .array([.string("a\"b"), .number("1.5e-3"), .bool(true), .null]))]))
    }
}
