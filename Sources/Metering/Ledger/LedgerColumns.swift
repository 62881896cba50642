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
    /// The record's fields are ``RecordField``'s, in its order. (Statements and the journal name
    /// their columns, and rows are read by name: the order of a ledger made before is its own.)
    static let all: [Column] = [
        Column("at_micros", "BIGINT NOT NULL"), Column("request_id", "TEXT NOT NULL"),
        Column("tenant_id", "BIGINT NOT NULL REFERENCES tenants(id)"), Column("key_id", "BIGINT NOT NULL"),
        Column("provider", "TEXT NOT NULL"), Column("status", "BIGINT"), Column("outcome", "TEXT NOT NULL"),
    ] + RecordField.all.map(column) + [
        Column("price_entry", "TEXT"), Column("cost_input_nanos", "BIGINT"),
        Column("cost_cached_input_nanos", "BIGINT"), Column("cost_cache_write_nanos", "BIGINT"), Column("cost_output_nanos", "BIGINT"),
        Column("cost_request_nanos", "BIGINT"), Column("cost_web_search_nanos", "BIGINT"), Column("cost_nanos", "BIGINT"),
        // Added with issue 18: what went unpriced, comma-separated (`web_search`, `model`).
        Column("unpriced", "TEXT"),
        Column("balance_before_nanos", "BIGINT NOT NULL"), Column("balance_after_nanos", "BIGINT NOT NULL"),
    ]

    /// A record field's column: TEXT or BIGINT (a Boolean as 0 or 1), NOT NULL where the field
    /// is always there.
    private static func column(_ field: RecordField) -> Column {
        switch field.kind {
        case .text: Column(field.key, "TEXT")
        case .count: Column(field.key, "BIGINT")
        case .number, .flag: Column(field.key, "BIGINT NOT NULL")
        }
    }

    /// Where each column is in ``all``, by name: rows are read by it.
    private static let positions: [String: Int32] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ("\($1.name)", Int32($0)) })

    /// The position of the column `name` in ``all``, if there is one of that name.
    static func position(ofColumn name: String) -> Int32? {
        positions[name]
    }

    /// The position of the column `name`, which must be one of ``all``.
    private static func position(_ name: StaticString) -> Int32 {
        guard let position = positions["\(name)"] else { preconditionFailure("LedgerColumns: no column \(name)") }
        return position
    }

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
        try next(SQLValue(entry.status))
        try next(.text(entry.outcome))
        try RecordField.forEach { try next(SQLValue(entry.usage[$0])) }
        // The parts in nano-units, worked out once for the row's nine cost columns.
        let cost = entry.cost.map { (priceEntry: $0.priceEntry, nanos: $0.nanos) }
        for costColumn in CostColumn.allCases {
            assert("\(costColumn.name)" == "\(names[column])", "LedgerColumns: the cost columns are out of their order in `all`")
            try next(costColumn.value(cost, unpriced: entry.unpriced))
        }
        try next(.integer(entry.balanceBefore))
        try next(.integer(entry.balanceAfter))
        assert(column == names.count, "LedgerColumns: a value without a column, or a column without a value")
    }

    /// The cost columns, in `all`'s order: the price entry, the parts and total in nano-units,
    /// and what went unpriced. A row's write and a later reprice (``SQLLedger/price(_:)``) both
    /// set them from here.
    enum CostColumn: CaseIterable {
        case priceEntry, input, cachedInput, cacheWrite, output, request, webSearch, total, unpriced

        var name: StaticString {
            switch self {
            case .priceEntry: "price_entry"
            case .input: "cost_input_nanos"
            case .cachedInput: "cost_cached_input_nanos"
            case .cacheWrite: "cost_cache_write_nanos"
            case .output: "cost_output_nanos"
            case .request: "cost_request_nanos"
            case .webSearch: "cost_web_search_nanos"
            case .total: "cost_nanos"
            case .unpriced: "unpriced"
            }
        }

        /// The column's value for a cost given as its price entry and its ``Cost/nanos`` parts.
        func value(_ cost: (priceEntry: String, nanos: Cost.Nanos)?, unpriced: [UnpricedPart]) -> SQLValue {
            guard let cost else { return self == .unpriced ? Self.unpricedValue(unpriced) : .null }
            // A part beyond 2^63 nano-units (9.2 billion dollars) cannot come from one response;
            // it is clamped rather than trapping.
            let part: Int128
            switch self {
            case .priceEntry: return .text(cost.priceEntry)
            case .input: part = cost.nanos.input
            case .cachedInput: part = cost.nanos.cachedInput
            case .cacheWrite: part = cost.nanos.cacheWrite
            case .output: part = cost.nanos.output
            case .request: part = cost.nanos.request
            case .webSearch: part = cost.nanos.webSearch
            case .total: part = cost.nanos.total
            case .unpriced: return Self.unpricedValue(unpriced)
            }
            return .integer(Int64(clamping: part))
        }

        private static func unpricedValue(_ unpriced: [UnpricedPart]) -> SQLValue {
            unpriced.isEmpty ? .null : .text(unpriced.map(\.rawValue).joined(separator: ","))
        }
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
    /// one column by its position.
    static func entry(integer readInteger: (Int32) -> Int64?, text readText: (Int32) -> String?) -> LedgerEntry {
        func integer(_ name: StaticString) -> Int64? { readInteger(position(name)) }
        func text(_ name: StaticString) -> String? { readText(position(name)) }
        var usage = UsageRecord()
        for field in RecordField.all {
            switch field.kind {
            case .text: usage[field] = .text(text(field.key))
            case .count, .number: usage[field] = .integer(integer(field.key).map(Int.init))
            case .flag: usage[field] = .flag(integer(field.key) == 1)
            }
        }
        // Null in a row from before the one-hour column: 0 once the row has usage, as the
        // record's contract says.
        if usage.cacheWrite1hTokens == nil, usage.inputTokens != nil || usage.outputTokens != nil { usage.cacheWrite1hTokens = 0 }
        let unpriced = text("unpriced").map { $0.split(separator: ",").compactMap { UnpricedPart(rawValue: String($0)) } } ?? []
        let cost = text("price_entry").map { entry in
            func nanos(_ name: StaticString) -> Money { Money(nanos: integer(name) ?? 0) }
            return Cost(priceEntry: entry, input: nanos("cost_input_nanos"), cachedInput: nanos("cost_cached_input_nanos"),
                        cacheWrite: nanos("cost_cache_write_nanos"), output: nanos("cost_output_nanos"),
                        request: nanos("cost_request_nanos"), webSearch: nanos("cost_web_search_nanos"))
        }
        var entry = LedgerEntry(
            atMicros: integer("at_micros") ?? 0, requestID: text("request_id") ?? "", tenantID: integer("tenant_id") ?? 0,
            keyID: integer("key_id") ?? 0, provider: text("provider") ?? "", status: integer("status").map(Int.init),
            outcome: text("outcome") ?? "", usage: usage, cost: cost)
        entry.balanceBefore = integer("balance_before_nanos") ?? 0
        entry.balanceAfter = integer("balance_after_nanos") ?? 0
        entry.unpriced = unpriced
        return entry
    }
}
