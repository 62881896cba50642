import UsageTap

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
    /// Calls the entry has no price for: they cost nothing here, and are named so that nobody
    /// mistakes that for free.
    public var unpriced: [UnpricedPart] = []

    public var total: Money { input + cachedInput + cacheWrite + output + request + webSearch }

    public init(priceEntry: String, input: Money, cachedInput: Money, cacheWrite: Money, output: Money, request: Money,
                webSearch: Money, partsExceedInput: Bool = false, unpriced: [UnpricedPart] = []) {
        self.priceEntry = priceEntry
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.output = output
        self.request = request
        self.webSearch = webSearch
        self.partsExceedInput = partsExceedInput
        self.unpriced = unpriced
    }

    /// The cost with each part rounded to whole nano-units, as a ledger keeps it: its
    /// ``nanos`` are unchanged, and its ``total`` is their sum exactly.
    public var inNanos: Cost {
        let parts = nanos
        var rounded = self
        rounded.input = Money(femtos: parts.input * 1_000_000)
        rounded.cachedInput = Money(femtos: parts.cachedInput * 1_000_000)
        rounded.cacheWrite = Money(femtos: parts.cacheWrite * 1_000_000)
        rounded.output = Money(femtos: parts.output * 1_000_000)
        rounded.request = Money(femtos: parts.request * 1_000_000)
        rounded.webSearch = Money(femtos: parts.webSearch * 1_000_000)
        return rounded
    }
}

/// A part of a response's usage that could not be priced, named in the cost, the usage log, the
/// ledger and the export.
public enum UnpricedPart: String, Sendable, Hashable, CaseIterable {
    /// The model has no price entry: the whole response has a null cost and debits nothing
    /// (`usagetap ledger reprice` can price it later).
    case model
    /// Server-side web searches, where the entry has no price per search.
    case webSearch = "web_search"

    /// What of `record` went unpriced: its cost's unpriced calls, or, with no cost although the
    /// record reports usage, the model. A record without usage has nothing to price.
    public static func of(_ record: UsageRecord, cost: Cost?) -> [UnpricedPart] {
        if let cost { return cost.unpriced }
        return record.inputTokens != nil || record.outputTokens != nil ? [.model] : []
    }

    /// The list as a JSON array: `["web_search"]`, `[]` (the usual answer, made with no join).
    public static func jsonArray(_ parts: [UnpricedPart]) -> String {
        if parts.isEmpty { return "[]" }
        return "[" + parts.map { "\"" + $0.rawValue + "\"" }.joined(separator: ",") + "]"
    }
}

extension ModelPrice {
    /// The cost of `record` at these prices, or nil when the record has no usage. Everything the
    /// entry can price is priced, as LiteLLM does: cache reads and cache writes without a price
    /// of their own at the input price, one-hour cache writes without one as other cache writes. Web searches without a price cost nothing and are named
    /// in ``Cost/unpriced``.
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
        let cachedPrice = prices.cachedInput ?? prices.input
        let cacheWritePrice = prices.cacheWrite ?? prices.input
        // The one-hour part of the cache writes, at its own price (else as other cache writes);
        // never more than the writes it is part of.
        let cacheWriteOneHour = min(Int64(record.cacheWrite1hTokens ?? 0), cacheWrite)
        let cacheWriteOneHourPrice = prices.cacheWriteOneHour ?? cacheWritePrice
        let searches = Int64(record.webSearchRequests)
        let reasoningPrice = prices.reasoningOutput ?? prices.output

        return Cost(
            priceEntry: priceEntry,
            input: prices.input.cost(of: partsExceedInput ? 0 : uncached),
            cachedInput: cachedPrice.cost(of: cached),
            cacheWrite: cacheWritePrice.cost(of: cacheWrite - cacheWriteOneHour) + cacheWriteOneHourPrice.cost(of: cacheWriteOneHour),
            output: prices.output.cost(of: output - reasoning) + reasoningPrice.cost(of: reasoning),
            request: perRequest?.cost(of: 1) ?? .zero,
            webSearch: perWebSearch?.cost(of: searches) ?? .zero,
            partsExceedInput: partsExceedInput,
            unpriced: searches > 0 && perWebSearch == nil ? [.webSearch] : [])
    }
}
