import UsageTap

/// The columns of a ledger row, in one order for every backend, and the conversion of an
/// entry to and from them.
enum LedgerColumns {
    static let names = [
        "at_micros", "request_id", "tenant_id", "key_id", "provider", "protocol", "model", "status", "outcome",
        "finished", "error", "input_tokens", "output_tokens", "total_tokens", "cached_input_tokens",
        "cache_write_tokens", "reasoning_tokens", "web_search_requests", "price_entry", "cost_input_nanos",
        "cost_cached_input_nanos", "cost_cache_write_nanos", "cost_output_nanos", "cost_request_nanos",
        "cost_web_search_nanos", "cost_nanos", "balance_before_nanos", "balance_after_nanos",
    ]

    static var list: String { names.joined(separator: ", ") }

    /// Appends the entry's values, in `names` order.
    static func append(_ entry: LedgerEntry, to values: inout [SQLValue]) {
        let usage = entry.usage
        let cost = entry.cost
        values += [
            .integer(entry.atMicros), .text(entry.requestID), .integer(entry.tenantID), .integer(entry.keyID),
            .text(entry.provider), SQLValue(usage.apiProtocol?.rawValue), SQLValue(usage.model), SQLValue(entry.status),
            .text(entry.outcome), .integer(usage.finished ? 1 : 0), SQLValue(usage.error),
            SQLValue(usage.inputTokens), SQLValue(usage.outputTokens), SQLValue(usage.totalTokens),
            SQLValue(usage.cachedInputTokens), SQLValue(usage.cacheWriteTokens), SQLValue(usage.reasoningTokens),
            .integer(Int64(usage.webSearchRequests)), SQLValue(cost?.priceEntry), SQLValue(cost?.input),
            SQLValue(cost?.cachedInput), SQLValue(cost?.cacheWrite), SQLValue(cost?.output), SQLValue(cost?.request),
            SQLValue(cost?.webSearch), SQLValue(cost?.total), .integer(entry.balanceBefore), .integer(entry.balanceAfter),
        ]
    }

    /// An entry from a row read with the columns in `names` order; `integer` and `text` read
    /// one column by index.
    static func entry(integer: (Int32) -> Int64?, text: (Int32) -> String?) -> LedgerEntry {
        let usage = UsageRecord(
            apiProtocol: text(5).flatMap(APIProtocol.init(rawValue:)), model: text(6), finished: integer(9) == 1,
            error: text(10), inputTokens: integer(11).map(Int.init), outputTokens: integer(12).map(Int.init),
            totalTokens: integer(13).map(Int.init), cachedInputTokens: integer(14).map(Int.init),
            cacheWriteTokens: integer(15).map(Int.init), reasoningTokens: integer(16).map(Int.init),
            webSearchRequests: Int(integer(17) ?? 0))
        let cost = text(18).map { entry in
            CostNanos(priceEntry: entry, input: integer(19) ?? 0, cachedInput: integer(20) ?? 0,
                      cacheWrite: integer(21) ?? 0, output: integer(22) ?? 0, request: integer(23) ?? 0,
                      webSearch: integer(24) ?? 0)
        }
        var entry = LedgerEntry(
            atMicros: integer(0) ?? 0, requestID: text(1) ?? "", tenantID: integer(2) ?? 0, keyID: integer(3) ?? 0,
            provider: text(4) ?? "", status: integer(7).map(Int.init), outcome: text(8) ?? "", usage: usage, cost: cost)
        entry.balanceBefore = integer(26) ?? 0
        entry.balanceAfter = integer(27) ?? 0
        return entry
    }
}
