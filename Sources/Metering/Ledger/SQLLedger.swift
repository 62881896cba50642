import Pricing
import UsageTap

/// The ledger in SQL: one SQLite file by default, for a single proxy, or a PostgreSQL database
/// that several proxies share.
///
/// Balances live in the `tenants` row and are changed only inside a transaction together with
/// the rows that explain the change, so a balance always equals its top-ups minus its debits,
/// whoever else writes at the same time (a `usagetap topup`, another proxy).
public final class SQLLedger: LedgerStore {
    /// A failure of the ledger's own, beside the database's.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let connection: any SQLDatabase

    /// A ledger at `location`: a `postgres://` or `postgresql://` URL, else a SQLite file path.
    public static func open(_ location: String) throws -> SQLLedger {
        isPostgresURL(location) ? try SQLLedger(postgresURL: location) : try SQLLedger(sqlitePath: location)
    }

    public static func isPostgresURL(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    public convenience init(sqlitePath path: String) throws {
        try self.init(try SQLiteConnection(path: path))
    }

    public convenience init(postgresURL url: String) throws {
        try self.init(try PostgresConnection(url: url))
    }

    private init(_ connection: any SQLDatabase) throws {
        self.connection = connection
        try prepareSchema()
    }

    public func prepareSchema() throws {
        // BIGINT is a 64-bit integer in both dialects (SQLite stores it as INTEGER).
        let id = connection.identityColumnType
        try connection.schemaTransaction {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS tenants (
                    id \(id), name TEXT NOT NULL UNIQUE, currency TEXT NOT NULL DEFAULT 'USD',
                    balance_nanos BIGINT NOT NULL DEFAULT 0, created_micros BIGINT NOT NULL);
                CREATE TABLE IF NOT EXISTS customer_keys (
                    id \(id), tenant_id BIGINT NOT NULL REFERENCES tenants(id),
                    digest TEXT NOT NULL UNIQUE, label TEXT NOT NULL, created_micros BIGINT NOT NULL);
                CREATE TABLE IF NOT EXISTS topups (
                    id \(id), tenant_id BIGINT NOT NULL REFERENCES tenants(id),
                    at_micros BIGINT NOT NULL, amount_nanos BIGINT NOT NULL, balance_after_nanos BIGINT NOT NULL);
                CREATE TABLE IF NOT EXISTS ledger (id \(id), \(LedgerColumns.all.map { "\($0.name) \($0.type)" }.joined(separator: ", ")));
                CREATE INDEX IF NOT EXISTS ledger_by_tenant_time ON ledger (tenant_id, at_micros);
                CREATE UNIQUE INDEX IF NOT EXISTS ledger_by_request_id ON ledger (request_id);
                """)
            // A ledger made by an earlier version gets the columns added since.
            let existing = try connection.columnNames(of: "ledger")
            for column in LedgerColumns.all where !existing.contains("\(column.name)") {
                try connection.execute("ALTER TABLE ledger ADD COLUMN \(column.name) \(column.type)")
            }
        }
    }

    public func tenant(named name: String) throws -> Tenant? {
        let statement = try connection.prepare("SELECT id, name, currency, balance_nanos FROM tenants WHERE name = ?")
        try statement.bind([.text(name)])
        return try statement.step() ? Self.tenant(statement, from: 0) : nil
    }

    public func addTenant(named name: String, atMicros: Int64) throws -> Tenant {
        try connection.transaction {
            try connection.prepare("INSERT INTO tenants (name, created_micros) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
                .bind([.text(name), .integer(atMicros)]).run()
        }
        guard let tenant = try tenant(named: name) else {
            throw Failure(description: "tenant \(name) vanished after it was added")
        }
        return tenant
    }

    public func addKey(digest: String, label: String, tenantID: Int64, atMicros: Int64) throws -> Int64 {
        try connection.transaction {
            let insert = try connection.prepare(
                "INSERT INTO customer_keys (tenant_id, digest, label, created_micros) VALUES (?, ?, ?, ?) RETURNING id")
            try insert.bind([.integer(tenantID), .text(digest), .text(label), .integer(atMicros)])
            guard try insert.step(), let id = insert.integer(0) else { throw Failure(description: "the key's row has no id") }
            try insert.run()
            return id
        }
    }

    public func keyOwner(digest: String) throws -> KeyOwner? {
        let statement = try connection.prepare("""
            SELECT k.id, t.id, t.name, t.currency, t.balance_nanos
            FROM customer_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.digest = ?
            """)
        try statement.bind([.text(digest)])
        guard try statement.step(), let keyID = statement.integer(0) else { return nil }
        return KeyOwner(keyID: keyID, tenant: Self.tenant(statement, from: 1))
    }

    public func topUp(tenantID: Int64, nanos: Int64, atMicros: Int64) throws -> Int64 {
        try connection.transaction {
            let balance = try updateBalance(tenantID: tenantID, by: nanos)
            try connection.prepare("INSERT INTO topups (tenant_id, at_micros, amount_nanos, balance_after_nanos) VALUES (?, ?, ?, ?)")
                .bind([.integer(tenantID), .integer(atMicros), .integer(nanos), .integer(balance)]).run()
            return balance
        }
    }

    public func balance(tenantID: Int64) throws -> Int64? {
        let statement = try connection.prepare("SELECT balance_nanos FROM tenants WHERE id = ?")
        try statement.bind([.integer(tenantID)])
        return try statement.step() ? statement.integer(0) : nil
    }

    public func append(_ entries: inout [LedgerEntry]) throws {
        try connection.transaction {
            // One balance update per tenant per batch; the transaction's lock on the balance
            // means nothing else moves it until commit, so each row's before and after follow.
            // Tenants are updated in id order so that two writers never wait on each other's
            // locks in a cycle.
            var debits: [Int64: Int64] = [:]
            // By index, here and below: a loop over the entries would copy each one, retaining
            // every string it holds.
            for index in entries.indices { debits[entries[index].tenantID, default: 0] += entries[index].debit }
            var running: [Int64: Int64] = [:]
            for (tenantID, debit) in debits.sorted(by: { $0.key < $1.key }) {
                running[tenantID] = try updateBalance(tenantID: tenantID, by: -debit) + debit
            }
            for index in entries.indices {
                let before = running[entries[index].tenantID]!
                let after = before - entries[index].debit
                entries[index].balanceBefore = before
                entries[index].balanceAfter = after
                running[entries[index].tenantID] = after
            }
            try insert(entries)
        }
    }

    /// The most rows one INSERT statement takes: one statement per row costs SQLite a
    /// statement's setup and a PostgreSQL server a round trip per row; 32 rows bind 896
    /// parameters, far below both databases' limits.
    static let rowsPerInsert = 32

    /// Prepared INSERT statements by their number of rows, each a power of two up to
    /// ``rowsPerInsert``: a batch is written as a sum of them, so six statements serve every
    /// batch size. (One statement per size met was prepared anew for most small batches, at
    /// 2,300 instructions a row under callgrind.)
    private var preparedInserts: [Int: any SQLStatement] = [:]

    private func insert(_ entries: [LedgerEntry]) throws {
        let columns = Int32(LedgerColumns.names.count)
        var start = entries.startIndex
        while start < entries.endIndex {
            let count = Self.statementRows(forRemaining: entries.endIndex - start)
            let statement = try insertStatement(rows: count)
            statement.reset()
            for index in start..<start + count {
                try LedgerColumns.bind(entries[index], to: statement, from: 1 + Int32(index - start) * columns)
            }
            try statement.run()
            start += count
        }
    }

    /// The largest power of two that is at most `remaining` and ``rowsPerInsert``.
    static func statementRows(forRemaining remaining: Int) -> Int {
        precondition(remaining > 0, "no rows left to insert")
        let limit = min(remaining, rowsPerInsert)
        return 1 << (Int.bitWidth - 1 - limit.leadingZeroBitCount)
    }

    private func insertStatement(rows: Int) throws -> any SQLStatement {
        if let prepared = preparedInserts[rows] { return prepared }
        let row = "(" + Array(repeating: "?", count: LedgerColumns.names.count).joined(separator: ", ") + ")"
        let statement = try connection.prepare(
            "INSERT INTO ledger (\(LedgerColumns.list)) VALUES " + Array(repeating: row, count: rows).joined(separator: ", "))
        preparedInserts[rows] = statement
        return statement
    }

    public func knownRequestIDs(among ids: [String]) throws -> Set<String> {
        var known = Set<String>()
        for start in stride(from: ids.startIndex, to: ids.endIndex, by: Self.rowsPerInsert) {
            let chunk = ids[start..<min(start + Self.rowsPerInsert, ids.endIndex)]
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let statement = try connection.prepare("SELECT request_id FROM ledger WHERE request_id IN (\(placeholders))")
            try statement.bind(chunk.map { .text($0) })
            while try statement.step() {
                if let id = statement.text(0) { known.insert(id) }
            }
        }
        return known
    }

    public func entriesWithUnpricedModel(fromMicros: Int64, toMicros: Int64) throws -> [(id: Int64, entry: LedgerEntry)] {
        let statement = try connection.prepare("""
            SELECT id, \(LedgerColumns.list) FROM ledger WHERE at_micros >= ? AND at_micros < ? AND cost_nanos IS NULL
            AND (unpriced = 'model' OR (unpriced IS NULL AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL))) ORDER BY id
            """)
        try statement.bind([.integer(fromMicros), .integer(toMicros)])
        var rows: [(id: Int64, entry: LedgerEntry)] = []
        while try statement.step() {
            guard let id = statement.integer(0) else { continue }
            rows.append((id, LedgerColumns.entry(integer: { statement.integer($0 + 1) }, text: { statement.text($0 + 1) })))
        }
        return rows
    }

    public func price(_ rows: [(id: Int64, cost: Cost, unpriced: [UnpricedPart])]) throws -> [Int64] {
        try connection.transaction {
            let assignments = LedgerColumns.CostColumn.allCases.map { "\($0.name) = ?" }
            let update = try connection.prepare("""
                UPDATE ledger SET \(assignments.joined(separator: ", ")) WHERE id = ? AND cost_nanos IS NULL RETURNING tenant_id
                """)
            var priced: [Int64] = []
            var debits: [Int64: Int64] = [:]
            for row in rows {
                let cost = (priceEntry: row.cost.priceEntry, nanos: row.cost.nanos)
                try update.bind(LedgerColumns.CostColumn.allCases.map { $0.value(cost, unpriced: row.unpriced) } + [.integer(row.id)])
                // No row back: priced already, by an earlier run.
                guard try update.step(), let tenantID = update.integer(0) else { continue }
                try update.run()
                priced.append(row.id)
                debits[tenantID, default: 0] += Int64(clamping: row.cost.nanos.total)
            }
            // In tenant-id order, as `append` does, so that two writers never wait in a cycle.
            for (tenantID, debit) in debits.sorted(by: { $0.key < $1.key }) {
                _ = try updateBalance(tenantID: tenantID, by: -debit)
            }
            return priced
        }
    }

    public func totals(tenantID: Int64, fromMicros: Int64, toMicros: Int64) throws -> UsageTotals {
        let statement = try connection.prepare("""
            SELECT COALESCE(SUM(cost_nanos), 0), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),
                   COALESCE(SUM(total_tokens), 0), COUNT(*), COALESCE(SUM(CASE WHEN status BETWEEN 200 AND 299 AND outcome = 'completed' THEN 1 ELSE 0 END), 0)
            FROM ledger WHERE tenant_id = ? AND at_micros >= ? AND at_micros < ?
            """)
        try statement.bind([.integer(tenantID), .integer(fromMicros), .integer(toMicros)])
        var totals = UsageTotals()
        if try statement.step() {
            totals.costNanos = statement.integer(0) ?? 0
            totals.promptTokens = statement.integer(1) ?? 0
            totals.completionTokens = statement.integer(2) ?? 0
            totals.totalTokens = statement.integer(3) ?? 0
            totals.requestCount = statement.integer(4) ?? 0
            totals.successCount = statement.integer(5) ?? 0
        }
        return totals
    }

    public func entries(tenantID: Int64, fromMicros: Int64, toMicros: Int64) throws -> [LedgerEntry] {
        let statement = try connection.prepare("""
            SELECT \(LedgerColumns.list) FROM ledger WHERE tenant_id = ? AND at_micros >= ? AND at_micros < ? ORDER BY at_micros, id
            """)
        try statement.bind([.integer(tenantID), .integer(fromMicros), .integer(toMicros)])
        var entries: [LedgerEntry] = []
        while try statement.step() {
            entries.append(LedgerColumns.entry(integer: statement.integer, text: statement.text))
        }
        return entries
    }

    /// Prepared once: preparing it again for every batch was a tenth of the ledger thread's work.
    private var balanceUpdate: (any SQLStatement)?

    /// Changes a balance inside the caller's transaction and returns the new one.
    private func updateBalance(tenantID: Int64, by nanos: Int64) throws -> Int64 {
        let statement = try balanceUpdate ?? connection.prepare(
            "UPDATE tenants SET balance_nanos = balance_nanos + ? WHERE id = ? RETURNING balance_nanos")
        balanceUpdate = statement
        try statement.bind([.integer(nanos), .integer(tenantID)])
        guard try statement.step(), let balance = statement.integer(0) else {
            throw Failure(description: "no tenant with id \(tenantID)")
        }
        try statement.run()
        return balance
    }

    private static func tenant(_ statement: any SQLStatement, from column: Int32) -> Tenant {
        Tenant(id: statement.integer(column) ?? 0, name: statement.text(column + 1) ?? "",
               currency: statement.text(column + 2) ?? "USD", balance: statement.integer(column + 3) ?? 0)
    }
}
