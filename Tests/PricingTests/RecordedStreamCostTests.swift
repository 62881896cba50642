import Testing
import TestSupport
import Pricing
import UsageTap

/// The cost of every recorded stream whose model the default table prices, worked out by hand
/// in nano-dollars; the others have no cost.
@Suite("Cost of the recorded provider streams", .enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason))
struct RecordedStreamCostTests {
    static let handComputed: [String: Int64] = [
        // gpt-4o-mini, 150 in / 600 out: 53 × 150 + 15 × 600.
        "chat_openai_gpt4o_mini.0": 16_950,
        // 78 × 150 + 9 × 600.
        "chat_openai_gpt4o_mini.1": 17_100,
        // openai/o3 through OpenRouter, 2,000 / 8,000: 9 × 2,000 + 104 × 8,000.
        "chat_openrouter_stream_with_reasoning.0": 850_000,
        // gemini-2.5-pro below 200k, 1,250 / 10,000: 119 × 1,250 + 653 × 10,000 (412 of them thoughts).
        "gemini_model_web_search_tool_stream.0": 6_678_750,
        // gemini-2.5-flash, 300 / 2,500: 18 × 300 + 115 × 2,500.
        "gemini_stream_usage_is_live_mid_stream.0": 292_900,
        // claude-sonnet-4-6, 3,000 / 15,000: 181 × 3,000 + 8 × 15,000.
        "messages_anthropic_compaction_usage_with_cache_streaming.0": 663_000,
        // claude-sonnet-4, 3,000 / 15,000: 43 × 3,000 + 282 × 15,000.
        "messages_anthropic_model_thinking_part_stream.0": 4_359_000,
        // 31,772 × 3,000 + 644 × 15,000 + 2 web searches × 10,000,000.
        "messages_anthropic_web_search_tool_stream.0": 124_976_000,
        // gpt-4.1, 2,000 / 8,000: 21 × 2,000 + 3 × 8,000.
        "responses_openai_gpt41.1": 66_000,
        // gpt-5, 1,250 / 10,000: 53 × 1,250 + 469 × 10,000 (448 of them reasoning).
        "responses_openai_gpt5_reasoning.0": 4_756_250,
    ]

    @Test(arguments: RecordedFixtures.all())
    func aRecordedStreamCostsWhatWasWorkedOutByHand(fixture: RecordedFixtures.Fixture) {
        let cost = PriceTable.defaultPrices.cost(of: usage(of: fixture.stream))
        if let expected = Self.handComputed[fixture.name] {
            #expect(cost?.total == Money(nanos: expected), "\(fixture.name)")
        } else {
            #expect(cost == nil, "\(fixture.name): its model is not in the default table")
        }
    }

    @Test func theWebSearchStreamPricedWithoutASearchPriceHasItsTokensPricedAndTheSearchesNamed() throws {
        let fixture = try #require(RecordedFixtures.all().first { $0.name == "messages_anthropic_web_search_tool_stream.0" })
        let table = try PriceTable(parsing: "claude-sonnet-4 input=3 output=15")
        let cost = try #require(table.cost(of: usage(of: fixture.stream)))
        // 31,772 × 3,000 + 644 × 15,000; the 2 searches cost nothing and are named.
        #expect(cost.total == Money(nanos: 104_976_000))
        #expect(cost.unpriced == [.webSearch])
    }

    @Test func everyHandComputedStreamIsRecorded() {
        let names = Set(RecordedFixtures.all().map(\.name))
        #expect(Self.handComputed.keys.allSatisfy(names.contains))
    }
}
