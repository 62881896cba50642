import Pricing
import UsageTap

/// The columns of a ledger row, in one order for every backend, and the conversion of an
/// entry to and from them.
enum LedgerColumns {
    /// A column: its name and its SQL type, the same in SQLite and PostgreSQL.
    struct Column {
        let name: StaticString
        let type: StaticString
        init(_ name: StaticString, _ type: StaticString) {
            self.name = name
            self.type = type
        }
    }

    /// Every column of a ledger row after its `id`, in order: the one list that the table, its
    /// statements, the journal's records and the row's reading follow (see ``forEachValue``).
    /// A column added here is added to existing ledgers when a process next opens them, so it
    /// must allow NULL (old rows have none).
    static let all: [Column] = [
        Column("at_micros", "BIGINT NOT NULL"), Column("request_id", "TEXT NOT NULL"),
        Column("tenant_id", "BIGINT NOT NULL REFERENCES tenants(id)"), Column("key_id", "BIGINT NOT NULL"),
        Column("provider", "TEXT NOT NULL"), Column("protocol", "TEXT"), Column("model", "TEXT"), Column("status", "BIGINT"),
        Column("outcome", "TEXT NOT NULL"), Column("finished", "BIGINT NOT NULL"), Column("error", "TEXT"),
        Column("input_tokens", "BIGINT"), Column("output_tokens", "BIGINT"), Column("total_tokens", "BIGINT"),
        Column("cached_input_tokens", "BIGINT"), Column("cache_write_tokens", "BIGINT"), Column("reasoning_tokens", "BIGINT"),
        Column("web_search_requests", "BIGINT NOT NULL"), Column("price_entry", "TEXT"), Column("cost_input_nanos", "BIGINT"),
        Column("cost_cached_input_nanos", "BIGINT"), Column("cost_cache_write_nanos", "BIGINT"), Column("cost_output_nanos", "BIGINT"),
        Column("cost_request_nanos", "BIGINT"), Column("cost_web_search_nanos", "BIGINT"), Column("cost_nanos", "BIGINT"),
        Column("balance_before_nanos", "BIGINT NOT NULL"), Column("balance_after_nanos", "BIGINT NOT NULL"),
        // Added with issue 18: what went unpriced, comma-separated (`web_search`, `model`), and
        // the one-hour part of the cache writes.
        Column("unpriced", "TEXT"), Column("cache_write_1h_tokens", "BIGINT"),
    ]

    /// The columns' names, in order.
    static let names: [StaticString] = all.map(\.name)

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
        try next(entry.unpriced.isEmpty ? .null : .text(entry.unpriced.map(\.rawValue).joined(separator: ",")))
        try next(SQLValue(entry.usage.cacheWrite1hTokens))
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
            cacheWriteTokens: integer(15).map(Int.init),
            // Null in a row from before this column: the record then makes it 0 if it has usage.
            cacheWrite1hTokens: integer(29).map(Int.init), reasoningTokens: integer(16).map(Int.init),
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
        entry.unpriced = text(28).map { $0.split(separator: ",").compactMap { UnpricedPart(rawValue: String($0)) } } ?? []
        return entry
    }
}
