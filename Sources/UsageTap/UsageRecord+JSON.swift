extension UsageRecord {
    /// The record as one line of JSON (no trailing newline), keys in the documented order
    /// (``RecordField``).
    public var jsonLine: String {
        var json = JSONObjectWriter()
        addFields(to: &json)
        return json.finish()
    }

    /// Adds the documented keys, in their order, to a larger object (a proxy's log line).
    public func addFields(to json: inout JSONObjectWriter) {
        RecordField.forEach { field in
            switch self[field] {
            case .text(let text): json.add(field.key, string: text)
            case .integer(let integer): json.add(field.key, integer: integer)
            case .flag(let flag): json.add(field.key, bool: flag)
            }
        }
    }
}
