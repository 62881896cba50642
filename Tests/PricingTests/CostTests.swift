@testable import Pricing
import Testing
import UsageTap

/// Costs worked out by hand, in nano-dollars, from the default table's prices (USD per million
/// tokens: 2.50 is 2,500 nano-dollars a token).
@Suite("Cost of a record")
struct CostTests {
    let table = PriceTable.defaultPrices

    func record(
        _ model: String, input: Int, output: Int, cached: Int = 0, cacheWrite: Int = 0,
        reasoning: Int = 0, searches: Int = 0
    ) -> UsageRecord {
        UsageRecord(
            model: model, finished: true, inputTokens: input, outputTokens: output, totalTokens: input + output,
            cachedInputTokens: cached, cacheWriteTokens: cacheWrite, reasoningTokens: reasoning,
            webSearchRequests: searches)
    }

    @Test func openAICachedInputIsPricedApartFromFreshInput() throws {
        // gpt-4o: 307 fresh × 2,500 + 1,536 cached × 1,250 + 500 out × 10,000.
        let cost = try #require(table.cost(of: record("gpt-4o-2024-08-06", input: 1_843, output: 500, cached: 1_536)))
        #expect(cost.priceEntry == "gpt-4o")
        #expect(cost.input == Money(nanos: 767_500))
        #expect(cost.cachedInput == Money(nanos: 1_920_000))
        #expect(cost.output == Money(nanos: 5_000_000))
        #expect(cost.total == Money(nanos: 7_687_500))
        #expect(!cost.partsExceedInput)
    }

    @Test func anthropicCacheReadsAndWritesHaveTheirOwnPrices() throws {
        // claude-sonnet-4-5: 12 fresh × 3,000 + 1,500 written × 3,750 + 20,000 read × 300 + 85 out × 15,000.
        let cost = try #require(table.cost(of: record("claude-sonnet-4-5-20250929", input: 21_512, output: 85, cached: 20_000, cacheWrite: 1_500)))
        #expect(cost.input == Money(nanos: 36_000))
        #expect(cost.cacheWrite == Money(nanos: 5_625_000))
        #expect(cost.cachedInput == Money(nanos: 6_000_000))
        #expect(cost.output == Money(nanos: 1_275_000))
        #expect(cost.total == Money(nanos: 12_936_000))
    }

    @Test func geminiThoughtsArePricedAsOutput() throws {
        // gemini-2.5-flash: 913 in × 300 + (12 + 211 thoughts) out × 2,500.
        let cost = try #require(table.cost(of: record("gemini-2.5-flash", input: 913, output: 223, reasoning: 211)))
        #expect(cost.input == Money(nanos: 273_900))
        #expect(cost.output == Money(nanos: 557_500))
        #expect(cost.total == Money(nanos: 831_400))
    }

    @Test func aPromptAbove200kTokensIsPricedWholeAtTheHigherTier() throws {
        // gemini-2.5-pro above 200k: 250,000 × 2,500 + 1,000 × 15,000; at 200,000 exactly, the base prices.
        let above = try #require(table.cost(of: record("gemini-2.5-pro", input: 250_000, output: 1_000)))
        #expect(above.total == Money(nanos: 640_000_000))
        let at = try #require(table.cost(of: record("gemini-2.5-pro", input: 200_000, output: 1_000)))
        #expect(at.total == Money(nanos: 260_000_000))
    }

    @Test func webSearchCallsAreChargedPerCall() throws {
        // gpt-5: 1,000 in × 1,250 + 100 out × 10,000 + 2 searches × 10,000,000.
        let cost = try #require(table.cost(of: record("gpt-5", input: 1_000, output: 100, reasoning: 60, searches: 2)))
        #expect(cost.webSearch == Money(nanos: 20_000_000))
        #expect(cost.total == Money(nanos: 22_250_000))
    }

    @Test func reasoningHasItsOwnPriceOnlyWhereTheTableGivesOne() throws {
        let table = try PriceTable(parsing: "r input=1 output=2 reasoning_output=5 per_request=0.5")
        let cost = try #require(table.cost(of: record("r", input: 10, output: 100, reasoning: 40)))
        // 60 ordinary output × 2,000 + 40 reasoning × 5,000; half a dollar per request.
        #expect(cost.output == Money(nanos: 320_000))
        #expect(cost.request == Money(nanos: 500_000_000))
        #expect(cost.total == Money(nanos: 500_330_000))
    }

    @Test func cachedAndWrittenTokensAboveTheInputArePricedAsReportedAndFlagged() throws {
        let cost = try #require(table.cost(of: record("claude-sonnet-4-5", input: 100, output: 0, cached: 80, cacheWrite: 50)))
        #expect(cost.partsExceedInput)
        #expect(cost.input == .zero)
        #expect(cost.cachedInput == Money(nanos: 24_000))
        #expect(cost.cacheWrite == Money(nanos: 187_500))
    }

    @Test func cacheReadsAndWritesWithoutTheirOwnPriceCostTheInputPrice() throws {
        // Each file form of an entry without cache prices, the obsolete key included.
        for text in ["m input=1 output=2", "m input=1 output=2 cached_at_input_price=no", "m input=1 output=2 cached_at_input_price=yes"] {
            let silent = try PriceTable(parsing: text)
            // 10 input tokens at 1,000 nano-dollars however they split, 1 output at 2,000.
            let cost = try #require(silent.cost(of: record("m", input: 10, output: 1, cached: 4, cacheWrite: 3)), "\(text)")
            #expect(cost.cachedInput == Money(nanos: 4_000) && cost.cacheWrite == Money(nanos: 3_000) && cost.input == Money(nanos: 3_000))
            #expect(cost.total == Money(nanos: 12_000))
            #expect(cost.unpriced == [])
        }
    }

    @Test func searchesWithoutAPriceCostNothingAndAreNamedUnpriced() throws {
        // claude-haiku-4-5's entry here has no web-search price: its tokens are priced all the same.
        let searched = record("claude-haiku-4-5", input: 1, output: 1, searches: 3)
        let cost = try #require(table.cost(of: searched))
        #expect(cost.webSearch == .zero)
        #expect(cost.total == Money(nanos: 6_000))
        #expect(cost.unpriced == [.webSearch])
        #expect(UnpricedPart.of(searched, cost: cost) == [.webSearch])
        #expect(UnpricedPart.jsonArray(cost.unpriced) == #"["web_search"]"#)
    }

    /// The record of `MessagesTests.oneHourCacheWritesAreReadAtEverySlicing`.
    @Test func oneHourCacheWritesArePricedAtTheOneHourRate() throws {
        // LiteLLM's keys: $3 input, $3.75 5-minute writes, $6 1-hour writes, $0.30 reads, $15 output.
        let table = try PriceTable.liteLLM(Array(#"""
            {"claude-sonnet-4-5": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
             "cache_creation_input_token_cost": 3.75e-06, "cache_creation_input_token_cost_above_1hr": 6e-06,
             "cache_read_input_token_cost": 3e-07}}
            """#.utf8)).table
        let record = UsageRecord(apiProtocol: .messages, model: "claude-sonnet-4-5", finished: true, inputTokens: 5110, outputTokens: 45,
                                 totalTokens: 5155, cachedInputTokens: 100, cacheWriteTokens: 5000, cacheWrite1hTokens: 3500, reasoningTokens: 0)
        let cost = try #require(table.cost(of: record))
        // 1,500 five-minute writes × 3,750 + 3,500 one-hour writes × 6,000 nano-dollars.
        #expect(cost.cacheWrite == Money(nanos: 1_500 * 3_750 + 3_500 * 6_000))
        // 10 fresh × 3,000 + 100 read × 300 + the writes + 45 × 15,000.
        #expect(cost.total == Money(nanos: 10 * 3_000 + 100 * 300 + 26_625_000 + 45 * 15_000))
        // Billed as 5-minute writes, as before, they were 37.5 % under the one-hour price.
        var asFiveMinute = record
        asFiveMinute.cacheWrite1hTokens = 0
        #expect(try #require(table.cost(of: asFiveMinute)).cacheWrite == Money(nanos: 5_000 * 3_750))
    }

    @Test func anUnknownModelOrAStreamWithoutUsageHasNoCostRatherThanZero() {
        let unknown = record("no-such-model", input: 10, output: 10)
        #expect(table.cost(of: unknown) == nil)
        #expect(UnpricedPart.of(unknown, cost: nil) == [.model])
        #expect(table.cost(of: UsageRecord(model: "gpt-4o")) == nil)
        #expect(UnpricedPart.of(UsageRecord(model: "gpt-4o"), cost: nil) == [])
        #expect(table.cost(of: UsageRecord(inputTokens: 1, outputTokens: 1)) == nil)
    }

    @Test(arguments: [
        ("gpt-4o", "gpt-4o"),
        ("chatgpt-4o-latest", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        ("openai/gpt-4.1-mini", "gpt-4.1-mini"),
        ("openrouter/anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
    ])
    func modelsMatchByNameAliasDateSuffixAndProviderPrefix(model: String, entry: String) {
        #expect(table.match(model)?.entry == entry)
    }

    @Test func datesAreOnlyDroppedWhenTheyAreWholeDates() {
        #expect(PriceTable.droppingDateSuffix("gpt-4o-2024-08-06") == "gpt-4o")
        #expect(PriceTable.droppingDateSuffix("claude-3-5-haiku-20241022") == "claude-3-5-haiku")
        #expect(PriceTable.droppingDateSuffix("gpt-4-0613") == "gpt-4-0613")
        #expect(PriceTable.droppingDateSuffix("model-2024-8-06") == "model-2024-8-06")
        #expect(PriceTable.droppingDateSuffix("12345678") == "12345678")
    }
}
