import UsageTap

/// The columns of a ledger row, in one order for every backend, and the conversion of an
/// entry to and from them.
enum LedgerColumns {
    /// Static text, so that the journal writes them as JSON keys with no `String`.
    static let names: [StaticString] = [
        "at_micros", "request_id", "tenant_id", "key_id", "provider", "protocol", "model", "status", "outcome",
        "finished", "error", "input_tokens", "output_tokens", "total_tokens", "cached_input_tokens",
        "cache_write_tokens", "reasoning_tokens", "web_search_requests", "price_entry", "cost_input_nanos",
        "cost_cached_input_nanos", "cost_cache_write_nanos", "cost_output_nanos", "cost_request_nanos",
        "cost_web_search_nanos", "cost_nanos", "balance_before_nanos", "balance_after_nanos",
    ]

    static var list: String { names.map { "\($0)" }.joined(separator: ", ") }

    /// Calls `body` with each column's name and the entry's value for it, in `names` order: the
    /// one place that says which value goes in which column, for the SQL row and the journal.
    /// Borrowed, and read field by field: a copy of the entry would retain every string in it.
    static func forEachValue(of entry: borrowing LedgerEntry, _ body: (StaticString, SQLValue) throws -> Void) rethrows {
        var column = 0
        func next(_ value: SQLValue) throws {
            try body(names[column], value)
            column += 1
        }
        try next(.integer(entry.atMicros))
        try next(.text(entry.requestID))
        try next(.integer(entry.tenantID))
        try next(.integer(entry.keyID))
        try next(.text(entry.provider))
        try next(SQLValue(entry.usage.apiProtocol?.rawValue))
        try next(SQLValue(entry.usage.model))
        try next(SQLValue(entry.status))
        try next(.text(entry.outcome))
        try next(.integer(entry.usage.finished ? 1 : 0))
        try next(SQLValue(entry.usage.error))
        try next(SQLValue(entry.usage.inputTokens))
        try next(SQLValue(entry.usage.outputTokens))
        try next(SQLValue(entry.usage.totalTokens))
        try next(SQLValue(entry.usage.cachedInputTokens))
        try next(SQLValue(entry.usage.cacheWriteTokens))
        try next(SQLValue(entry.usage.reasoningTokens))
        try next(.integer(Int64(entry.usage.webSearchRequests)))
        try next(SQLValue(entry.cost?.priceEntry))
        try next(SQLValue(entry.cost?.input))
        try next(SQLValue(entry.cost?.cachedInput))
        try next(SQLValue(entry.cost?.cacheWrite))
        try next(SQLValue(entry.cost?.output))
        try next(SQLValue(entry.cost?.request))
        try next(SQLValue(entry.cost?.webSearch))
        try next(SQLValue(entry.cost?.total))
        try next(.integer(entry.balanceBefore))
        try next(.integer(entry.balanceAfter))
        assert(column == names.count, "LedgerColumns: a value without a column, or a column without a value")
    }

    /// Binds the entry's values, in `names` order, to the placeholders from `first` on.
    static func bind(_ entry: borrowing LedgerEntry, to statement: any SQLStatement, from first: Int32) throws {
        var position = first
        try forEachValue(of: entry) { _, value in
            try statement.bind(value, at: position)
            position += 1
        }
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
