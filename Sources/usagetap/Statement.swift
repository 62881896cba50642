import Metering
import Pricing
import UsageTap

/// A tenant's ledger rows as printed by `usagetap ledger export`, with their total.
struct Statement {
    var entries: [LedgerEntry]

    /// The sum of the rows' costs, in nano-units; rows without a price add nothing.
    var totalNanos: Int128 { entries.reduce(0) { $0 + ($1.cost?.nanos.total ?? 0) } }

    func jsonLines() -> [String] {
        entries.map { entry in
            var json = JSONObjectWriter()
            json.add("at", string: UTCCalendar.timestamp(micros: entry.atMicros))
            json.add("request_id", string: entry.requestID)
            json.add("key_id", integer: Int(entry.keyID))
            json.add("provider", string: entry.provider)
            json.add("status", integer: entry.status)
            json.add("outcome", string: entry.outcome)
            entry.usage.addFields(to: &json)
            json.add("price_entry", string: entry.cost?.priceEntry)
            json.add("cost_nanos", integer: entry.cost.map { Int($0.nanos.total) })
            json.add("cost_usd", string: entry.cost?.total.decimalText)
            json.add("unpriced", rawJSON: UnpricedPart.jsonArray(entry.unpriced))
            json.add("balance_before_nanos", integer: Int(entry.balanceBefore))
            json.add("balance_after_nanos", integer: Int(entry.balanceAfter))
            return json.finish()
        } + [totalJSON()]
    }

    func csvLines() -> [String] {
        let recordHeaders = RecordField.all.map { "\($0.key)" }.joined(separator: ",")
        let header = "at,request_id,key_id,provider,status,outcome,\(recordHeaders),price_entry,cost_nanos,cost_usd,unpriced,balance_before_nanos,balance_after_nanos"
        let rows = entries.map { entry -> String in
            let fields: [String?] = [
                UTCCalendar.timestamp(micros: entry.atMicros), entry.requestID, String(entry.keyID), entry.provider,
                entry.status.map(String.init), entry.outcome,
            ] + RecordField.all.map { field -> String? in
                switch entry.usage[field] {
                case .text(let text): text
                case .integer(let integer): integer.map(String.init)
                case .flag(let flag): String(flag)
                }
            } + [
                entry.cost?.priceEntry,
                entry.cost.map { String($0.nanos.total) }, entry.cost?.total.decimalText,
                entry.unpriced.map(\.rawValue).joined(separator: " "), String(entry.balanceBefore), String(entry.balanceAfter),
            ]
            return fields.map { Self.csvField($0 ?? "") }.joined(separator: ",")
        }
        let total = Money(femtos: totalNanos * 1_000_000)
        // The total's cost under the rows' cost: after 6 leading columns, the record's, and the
        // price entry.
        let before = String(repeating: ",", count: 6 + RecordField.all.count + 1)
        return [header] + rows + ["total\(before)\(totalNanos),\(total.decimalText),,,"]
    }

    private func totalJSON() -> String {
        var json = JSONObjectWriter()
        json.add("total", bool: true)
        json.add("request_count", integer: entries.count)
        json.add("cost_nanos", integer: totalNanos)
        json.add("cost_usd", string: Money(femtos: totalNanos * 1_000_000).decimalText)
        return json.finish()
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break, quotes doubled.
    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
