/// A database connection as the ledger uses it, the same for SQLite and PostgreSQL: statements
/// are written with `?` placeholders, bound by position and stepped row by row.
///
/// A connection is used from one thread at a time.
protocol SQLDatabase: AnyObject {
    /// The type a column holding an auto-assigned 64-bit row id is declared with.
    var identityColumnType: String { get }

    /// Runs statements whose rows nobody reads (DDL, transaction control); several may be
    /// given at once, separated by semicolons.
    func execute(_ sql: String) throws

    func prepare(_ sql: String) throws -> any SQLStatement

    /// The statement that opens a transaction in which writers take their turns: two never both
    /// read a balance and then both update it.
    var beginTransaction: String { get }

    /// A statement that, run first in a transaction, keeps other processes from changing the
    /// schema until it ends; nil when `beginTransaction` does that already.
    var lockSchema: String? { get }

    /// A query whose rows are the names of `table`'s columns.
    func columnNamesQuery(of table: String) -> String
}

extension SQLDatabase {
    /// Runs `body` in one transaction; rolls back when `body` throws.
    func transaction<R>(_ body: () throws -> R) throws -> R {
        try execute(beginTransaction)
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The names of `table`'s columns.
    func columnNames(of table: String) throws -> Set<String> {
        let statement = try prepare(columnNamesQuery(of: table))
        var names = Set<String>()
        while try statement.step() {
            if let name = statement.text(0) { names.insert(name) }
        }
        return names
    }

    /// Runs `body` in a transaction that holds the schema lock, so that two processes starting
    /// at once do not both create the same table.
    func schemaTransaction(_ body: () throws -> Void) throws {
        try transaction {
            if let lockSchema { try execute(lockSchema) }
            try body()
        }
    }
}

/// A statement ready to run: bind parameters, then step through its rows.
protocol SQLStatement: AnyObject {
    /// Ends the last run, so that the statement can be bound and run again. Every placeholder
    /// must then be bound before the next run: what the last run bound is not cleared (a debug
    /// build checks this on the next `step`).
    func reset()

    /// Binds `value` to the placeholder at `position`, counted from 1. Rows are bound value by
    /// value rather than as an array: a batch of hundreds of rows would otherwise build an
    /// array of values per row.
    func bind(_ value: SQLValue, at position: Int32) throws

    /// Moves to the next row (running the statement first, when it has not run since it was
    /// bound); false when there are no more.
    func step() throws -> Bool

    /// The current row's column, counted from 0; nil for NULL.
    func integer(_ column: Int32) -> Int64?
    func text(_ column: Int32) -> String?
}

extension SQLStatement {
    /// Binds `values` to the placeholders in order, replacing what an earlier run bound.
    @discardableResult
    func bind(_ values: [SQLValue]) throws -> Self {
        reset()
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
        return self
    }

    /// Runs a statement whose rows, if any, are not needed.
    func run() throws {
        while try step() {}
    }
}
