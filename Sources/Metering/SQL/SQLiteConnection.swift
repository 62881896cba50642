internal import CSQLite

/// One SQLite database connection, used from one thread at a time.
///
/// A thin layer over the C API: statements are prepared, bound by position, stepped, and
/// finalized when their ``SQLiteStatement`` goes away. Errors carry SQLite's own message.
final class SQLiteConnection: SQLDatabase {
    struct Failure: Error, CustomStringConvertible {
        var code: Int32
        var message: String
        var description: String { "SQLite error \(code): \(message)" }
    }

    private var handle: OpaquePointer?

    /// Opens (creating if needed) the database at `path`, in WAL mode so that the proxy's
    /// writer and a `usagetap topup` in another process can work at once; a locked database is
    /// waited on for up to `busyTimeoutMilliseconds`.
    init(path: String, busyTimeoutMilliseconds: Int32 = 5_000) throws {
        _ = Self.configureOnce
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw Failure(code: status, message: "\(path): \(message)")
        }
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=NORMAL")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Process-wide settings, made before the first connection initializes SQLite (afterwards
    /// SQLite refuses them, harmlessly).
    private static let configureOnce: Void = {
        _ = usagetap_sqlite3_disable_memory_statistics()
    }()

    // An INTEGER PRIMARY KEY is the 64-bit rowid itself.
    var identityColumnType: String { "INTEGER PRIMARY KEY" }

    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(message)
            throw Failure(code: status, message: text)
        }
    }

    func prepare(_ sql: String) throws -> any SQLStatement {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw Failure(code: status, message: lastMessage) }
        return SQLiteStatement(statement, connection: self)
    }

    // BEGIN IMMEDIATE takes the database's one write lock at once, which covers the schema too.
    var beginTransaction: String { "BEGIN IMMEDIATE" }

    var lockSchema: String? { nil }

    func columnNamesQuery(of table: String) -> String { "SELECT name FROM pragma_table_info('\(table)')" }

    fileprivate var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A prepared statement: bind parameters (1-based), then step through its rows.
final class SQLiteStatement: SQLStatement {
    private let statement: OpaquePointer
    private let connection: SQLiteConnection
    private let boundText = SQLiteTextArena()
    #if DEBUG
    /// The placeholders bound since the last reset: every one must be, since reset keeps the
    /// old values (see ``SQLStatement/reset()``).
    private var boundSinceReset = Set<Int32>()
    #endif

    fileprivate init(_ statement: OpaquePointer, connection: SQLiteConnection) {
        self.statement = statement
        self.connection = connection
    }

    deinit {
        // Before the arena goes (it is released after this body): SQLite reads the bound text
        // in place until the statement is finalized.
        sqlite3_finalize(statement)
    }

    func reset() {
        sqlite3_reset(statement)
        // No sqlite3_clear_bindings: every placeholder is bound again before the next run, and
        // clearing them first was 2 % of a ledger row's cost. Text bound from the arena may
        // point at reused bytes until then, never at freed memory: the arena keeps its blocks.
        boundText.rewind()
        #if DEBUG
        boundSinceReset.removeAll(keepingCapacity: true)
        #endif
    }

    func bind(_ value: SQLValue, at position: Int32) throws {
        let status: Int32
        switch value {
        case .null: status = sqlite3_bind_null(statement, position)
        case .integer(let number): status = sqlite3_bind_int64(statement, position, number)
        case .text(var text):
            status = text.withUTF8 { bytes in
                let length = Int32(bytes.count)
                if let copy = boundText.copy(bytes) {
                    return usagetap_sqlite3_bind_text_in_place(statement, position, copy, length)
                }
                return bytes.withMemoryRebound(to: CChar.self) {
                    usagetap_sqlite3_bind_text_copy(statement, position, $0.baseAddress, length)
                }
            }
        }
        guard status == SQLITE_OK else { throw SQLiteConnection.Failure(code: status, message: connection.lastMessage) }
        #if DEBUG
        boundSinceReset.insert(position)
        #endif
    }

    func step() throws -> Bool {
        #if DEBUG
        assert(boundSinceReset.count == sqlite3_bind_parameter_count(statement), "a placeholder was left unbound")
        #endif
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let status: throw SQLiteConnection.Failure(code: status, message: connection.lastMessage)
        }
    }

    func integer(_ column: Int32) -> Int64? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, column)
    }

    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(statement, column) else { return nil }
        return String(cString: bytes)
    }
}
