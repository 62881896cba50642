import UsageTap

/// A ledger entry as one line of the usage journal: a JSON object whose keys are the ledger's
/// columns (``LedgerColumns``), so the journal and the table never disagree on a field, and an
/// operator can read either with the same names.
public enum JournalLine {
    /// Appends the entry's line, newline included, to `bytes`.
    public static func append(_ entry: borrowing LedgerEntry, to bytes: inout [UInt8]) {
        var taken: [UInt8] = []
        // Moved, not shared, so that the writer appends in place.
        swap(&taken, &bytes)
        var json = JSONObjectWriter(appendingTo: consume taken)
        LedgerColumns.forEachValue(of: entry) { name, value in
            switch value {
            case .null: json.add(name, string: nil)
            case .integer(let number): json.add(name, integer: Int(number))
            case .text(let text): json.add(name, string: text)
            }
        }
        bytes = json.finishBytes(terminator: UInt8(ascii: "\n"))
    }

    /// Why a line could not be read back.
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    /// The entry a line holds (without its newline). Balances are not read: the ledger works
    /// them out again when it writes the row.
    public static func entry(from line: ArraySlice<UInt8>) throws(Unreadable) -> LedgerEntry {
        let value: JSONValue
        do {
            value = try JSONValue.parse(Array(line))
        } catch {
            throw Unreadable(description: error.description)
        }
        guard case .object = value else { throw Unreadable(description: "not a JSON object") }
        var problem: String?
        func member(_ column: Int32) -> JSONValue? {
            value["\(LedgerColumns.names[Int(column)])"]
        }
        func integer(_ column: Int32) -> Int64? {
            switch member(column) {
            case .number(let text):
                guard let number = Int64(text) else {
                    problem = "\(LedgerColumns.names[Int(column)]) is not a 64-bit integer: \(text)"
                    return nil
                }
                return number
            case .null, nil: return nil
            default:
                problem = "\(LedgerColumns.names[Int(column)]) is not a number"
                return nil
            }
        }
        func text(_ column: Int32) -> String? {
            switch member(column) {
            case .string(let text): return text
            case .null, nil: return nil
            default:
                problem = "\(LedgerColumns.names[Int(column)]) is not a string"
                return nil
            }
        }
        var entry = LedgerColumns.entry(integer: integer, text: text)
        if let problem { throw Unreadable(description: problem) }
        // The columns a row cannot be without.
        for column in ["request_id", "at_micros", "tenant_id", "key_id"] where value[column] == nil {
            throw Unreadable(description: "no \(column)")
        }
        entry.balanceBefore = 0
        entry.balanceAfter = 0
        return entry
    }
}
