/// A value bound to a statement parameter, the same for SQLite and PostgreSQL.
enum SQLValue {
    case null
    case integer(Int64)
    case text(String)

    init(_ number: Int64?) {
        self = number.map { .integer($0) } ?? .null
    }

    init(_ number: Int?) {
        self = number.map { .integer(Int64($0)) } ?? .null
    }

    init(_ text: String?) {
        self = text.map { .text($0) } ?? .null
    }
}
