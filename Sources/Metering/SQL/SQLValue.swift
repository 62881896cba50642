import UsageTap

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

    /// A record field's value: a Boolean as 1 or 0.
    init(_ value: RecordField.Value) {
        switch value {
        case .text(let text): self.init(text)
        case .integer(let integer): self.init(integer)
        case .flag(let flag): self = .integer(flag ? 1 : 0)
        }
    }
}
