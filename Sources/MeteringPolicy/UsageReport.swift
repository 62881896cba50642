import Metering
import UsageTap

/// What `GET /v1/usage` answers: a tenant's usage since the start of the UTC day, ISO week and
/// month that hold `nowMicros`.
public struct UsageReport: Sendable, Equatable {
    public var currency: String
    public var daily: UsageTotals
    public var weekly: UsageTotals
    public var monthly: UsageTotals

    /// Reads the three windows from the ledger.
    public init(store: any LedgerStore, tenant: Tenant, nowMicros: Int64) throws {
        currency = tenant.currency
        let end = nowMicros + 1
        daily = try store.totals(tenantID: tenant.id, fromMicros: UTCCalendar.dayStart(containing: nowMicros), toMicros: end)
        weekly = try store.totals(tenantID: tenant.id, fromMicros: UTCCalendar.weekStart(containing: nowMicros), toMicros: end)
        monthly = try store.totals(tenantID: tenant.id, fromMicros: UTCCalendar.monthStart(containing: nowMicros), toMicros: end)
    }

    public var json: String {
        var json = JSONObjectWriter()
        json.add("currency", string: currency)
        json.add("daily", rawJSON: Self.json(daily))
        json.add("weekly", rawJSON: Self.json(weekly))
        json.add("monthly", rawJSON: Self.json(monthly))
        return json.finish()
    }

    /// Micro-units of the currency, rounded half-up from the ledger's nano-units.
    public static func micros(ofNanos nanos: Int64) -> Int64 {
        let (quotient, remainder) = nanos.quotientAndRemainder(dividingBy: 1_000)
        return remainder >= 500 ? quotient + 1 : remainder <= -500 ? quotient - 1 : quotient
    }

    private static func json(_ totals: UsageTotals) -> String {
        var json = JSONObjectWriter()
        json.add("cost_micro", integer: Int(micros(ofNanos: totals.costNanos)))
        json.add("prompt_tokens", integer: Int(totals.promptTokens))
        json.add("completion_tokens", integer: Int(totals.completionTokens))
        json.add("total_tokens", integer: Int(totals.totalTokens))
        json.add("request_count", integer: Int(totals.requestCount))
        json.add("success_count", integer: Int(totals.successCount))
        return json.finish()
    }
}
