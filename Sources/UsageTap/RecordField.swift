/// The record's fields, declared once, in the documented order: `protocol`, `model`,
/// `finished`, `error`, the token counts (``TokenCount``), `web_search_requests`. The record's
/// JSON, the ledger's columns (their names and SQL types, the binding and the reading of a row)
/// and the export's CSV follow this list. A new field is a case here, its property on
/// ``UsageRecord``, its two lines in the subscript below, and the reader that fills it.
public enum RecordField: Sendable, Hashable {
    case apiProtocol, model, finished, error
    case count(TokenCount)
    case webSearchRequests

    /// Calls `body` with every field, in the documented order: the one place that order is
    /// written. Inlined, each call's `field` is a constant, so a switch on it in `body` (the
    /// record's subscript) folds away: a usage line and a ledger row read their fields as if
    /// written out one by one.
    @inlinable @inline(__always)
    public static func forEach(_ body: (RecordField) throws -> Void) rethrows {
        try body(.apiProtocol)
        try body(.model)
        try body(.finished)
        try body(.error)
        for count in TokenCount.allCases { try body(.count(count)) }
        try body(.webSearchRequests)
    }

    /// Every field, in the documented order (``forEach(_:)``'s).
    public static let all: [RecordField] = {
        var fields: [RecordField] = []
        forEach { fields.append($0) }
        return fields
    }()

    /// Its key in the record's JSON, which is also its ledger column and CSV header.
    public var key: StaticString {
        switch self {
        case .apiProtocol: "protocol"
        case .model: "model"
        case .finished: "finished"
        case .error: "error"
        case .count(let count): count.key
        case .webSearchRequests: "web_search_requests"
        }
    }

    /// What kind of value it holds, which says how it is written: a JSON string, integer or
    /// Boolean; a TEXT or BIGINT column (a Boolean as 0 or 1), NULL allowed where it may be
    /// unknown.
    public enum Kind: Sendable {
        /// A string, or nil (null).
        case text
        /// A count, or nil until usage is reported.
        case count
        /// A number that is always there.
        case number
        /// True or false.
        case flag
    }

    public var kind: Kind {
        switch self {
        case .apiProtocol, .model, .error: .text
        case .count: .count
        case .webSearchRequests: .number
        case .finished: .flag
        }
    }

    /// A field's value, of its ``kind``.
    public enum Value: Sendable, Equatable {
        case text(String?)
        case integer(Int?)
        case flag(Bool)
    }
}

extension UsageRecord {
    /// The value of `field`. Set with a value of another kind, or a protocol name that is none,
    /// the field takes what the value can say (nil, 0 or false).
    public subscript(field: RecordField) -> RecordField.Value {
        // Inlinable: read for every field of every usage line and ledger row.
        @inlinable get {
            switch field {
            case .apiProtocol: .text(apiProtocol?.rawValue)
            case .model: .text(model)
            case .finished: .flag(finished)
            case .error: .text(error)
            case .count(let count): .integer(self[count])
            case .webSearchRequests: .integer(webSearchRequests)
            }
        }
        set {
            switch field {
            case .apiProtocol: apiProtocol = newValue.text.flatMap(APIProtocol.init(rawValue:))
            case .model: model = newValue.text
            case .finished: finished = newValue.flag
            case .error: error = newValue.text
            case .count(let count): self[count] = newValue.integer
            case .webSearchRequests: webSearchRequests = newValue.integer ?? 0
            }
        }
    }
}

extension RecordField.Value {
    var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    var integer: Int? {
        switch self {
        case .integer(let integer): integer
        case .flag(let flag): flag ? 1 : 0
        case .text: nil
        }
    }

    var flag: Bool {
        switch self {
        case .flag(let flag): flag
        case .integer(let integer): integer.map { $0 != 0 } ?? false
        case .text: false
        }
    }
}
