/// What one response cost, part by part, from its ``UsageRecord`` and a ``ModelPrice``.
///
/// The parts never overlap: `input` is fresh input only, with cache reads and cache writes
/// priced apart; `output` includes reasoning. `total` is their sum.
public struct Cost: Sendable, Hashable {
    /// The price table entry the model matched.
    public var priceEntry: String
    /// Uncached input: input − cached − cache write.
    public var input: Money
    public var cachedInput: Money
    public var cacheWrite: Money
    /// All output, reasoning included (at its own price where the model has one).
    public var output: Money
    public var request: Money
    public var webSearch: Money
    /// The record's cached and cache-write tokens add up to more than its input: they are
    /// priced as reported and uncached input is taken as 0. A provider bug worth a look.
    public var partsExceedInput: Bool

    public var total: Money { input + cachedInput + cacheWrite + output + request + webSearch }
}

extension ModelPrice {
    /// The cost of `record` at these prices, or nil when it cannot be known exactly: the record
    /// has no usage, or it has tokens of a kind this model has no price for.
    public func cost(of record: UsageRecord, priceEntry: String) -> Cost? {
        guard let inputTokens = record.inputTokens, let outputTokens = record.outputTokens else { return nil }
        let input = Int64(inputTokens)
        let cached = Int64(record.cachedInputTokens ?? 0)
        let cacheWrite = Int64(record.cacheWriteTokens ?? 0)
        let output = Int64(outputTokens)
        let reasoning = min(Int64(record.reasoningTokens ?? 0), output)
        let prices = prices(forInputTokens: input)

        let (uncached, overflow) = input.subtractingReportingOverflow(cached.saturatingAdd(cacheWrite))
        let partsExceedInput = overflow || uncached < 0
        let cachedPrice = prices.cachedInput ?? (cachedInputAtInputPrice ? prices.input : nil)
        let searches = Int64(record.webSearchRequests)
        // Tokens (or calls) of a kind the table has no price for make the cost unknown.
        guard cached == 0 || cachedPrice != nil, cacheWrite == 0 || prices.cacheWrite != nil,
              searches == 0 || perWebSearch != nil
        else { return nil }
        let reasoningPrice = prices.reasoningOutput ?? prices.output

        return Cost(
            priceEntry: priceEntry,
            input: prices.input.cost(of: partsExceedInput ? 0 : uncached),
            cachedInput: cachedPrice?.cost(of: cached) ?? .zero,
            cacheWrite: prices.cacheWrite?.cost(of: cacheWrite) ?? .zero,
            output: prices.output.cost(of: output - reasoning) + reasoningPrice.cost(of: reasoning),
            request: perRequest?.cost(of: 1) ?? .zero,
            webSearch: perWebSearch?.cost(of: searches) ?? .zero,
            partsExceedInput: partsExceedInput)
    }
}
