import Testing
import TestSupport
import Pricing
import UsageTap

@Suite("Cost properties")
struct CostPropertyTests {
    static let table = try! PriceTable(parsing: """
        flat input=0.0375 cached_input=0.01875 cache_write=0.046875 output=0.15 reasoning_output=0.3 per_request=0.000001 web_search=0.035
        """)

    static func randomRecord(using random: inout SeededRandom) -> UsageRecord {
        let input = Int.random(in: 0...2_000_000, using: &random)
        let cached = Int.random(in: 0...input, using: &random)
        let cacheWrite = Int.random(in: 0...(input - cached), using: &random)
        let output = Int.random(in: 0...100_000, using: &random)
        return UsageRecord(
            model: "flat", finished: true, inputTokens: input, outputTokens: output, totalTokens: input + output,
            cachedInputTokens: cached, cacheWriteTokens: cacheWrite,
            reasoningTokens: Int.random(in: 0...output, using: &random),
            webSearchRequests: Int.random(in: 0...3, using: &random))
    }

    @Test(arguments: 0..<4)
    func costIsNeverNegativeAndItsTotalIsTheSumOfItsParts(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        for _ in 0..<10_000 {
            let cost = try #require(Self.table.cost(of: Self.randomRecord(using: &random)))
            let parts = [cost.input, cost.cachedInput, cost.cacheWrite, cost.output, cost.request, cost.webSearch]
            #expect(parts.allSatisfy { $0 >= .zero })
            #expect(cost.total == parts.reduce(.zero, +))
        }
    }

    /// A million requests at prices finer than a nano-dollar a token (0.0375 USD per million is
    /// 37.5 nanos): the sum of their costs equals the cost of their summed tokens, to the
    /// 10⁻¹⁵, which a floating-point sum would not.
    @Test func aMillionRequestsSumWithoutDrift() throws {
        var random = SeededRandom(seed: 42)
        var summed = Money.zero
        var tokens = (fresh: Int64(0), cached: Int64(0), written: Int64(0), output: Int64(0), reasoning: Int64(0), searches: Int64(0))
        for _ in 0..<1_000_000 {
            let record = Self.randomRecord(using: &random)
            summed = summed + (try #require(Self.table.cost(of: record))).total
            let cached = Int64(record.cachedInputTokens!), written = Int64(record.cacheWriteTokens!)
            tokens.fresh += Int64(record.inputTokens!) - cached - written
            tokens.cached += cached
            tokens.written += written
            tokens.output += Int64(record.outputTokens! - record.reasoningTokens!)
            tokens.reasoning += Int64(record.reasoningTokens!)
            tokens.searches += Int64(record.webSearchRequests)
        }
        let prices = Self.table.entries["flat"]!
        let fromTotals = prices.prices.input.cost(of: tokens.fresh) + prices.prices.cachedInput!.cost(of: tokens.cached)
            + prices.prices.cacheWrite!.cost(of: tokens.written) + prices.prices.output.cost(of: tokens.output)
            + prices.prices.reasoningOutput!.cost(of: tokens.reasoning) + prices.perWebSearch!.cost(of: tokens.searches)
            + prices.perRequest!.cost(of: 1_000_000)
        #expect(summed == fromTotals)
    }
}
