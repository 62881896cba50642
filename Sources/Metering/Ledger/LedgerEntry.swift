import Pricing
import UsageTap

/// One response as the ledger records it: who made it, what it used, what it cost, and the
/// tenant's balance around its debit.
public struct LedgerEntry: Sendable, Equatable {
    /// When the response ended, in microseconds since the Unix epoch (UTC).
    public var atMicros: Int64
    public var requestID: String
    public var tenantID: Int64
    public var keyID: Int64
    /// The upstream's host name (`api.openai.com`, `127.0.0.1`).
    public var provider: String
    public var status: Int?
    public var outcome: String
    public var usage: UsageRecord
    /// What the ledger keeps of the cost: its price entry and its parts in whole nano-units
    /// (``Cost/inNanos``); what went unpriced is the entry's own ``unpriced``. Nil when the model
    /// has no price: nothing is debited, and the row says so.
    public var cost: Cost?
    /// What went unpriced: `model` with a nil cost, `web_search` when searches had no price.
    public var unpriced: [UnpricedPart]
    /// Filled in by the ledger when the row is written.
    public var balanceBefore: Int64 = 0
    public var balanceAfter: Int64 = 0

    public init(atMicros: Int64, requestID: String, tenantID: Int64, keyID: Int64, provider: String,
                status: Int?, outcome: String, usage: UsageRecord, cost: Cost?, unpriced: [UnpricedPart] = []) {
        self.atMicros = atMicros
        self.requestID = requestID
        self.tenantID = tenantID
        self.keyID = keyID
        self.provider = provider
        self.status = status
        self.outcome = outcome
        self.usage = usage
        self.cost = cost.map { Self.kept($0) }
        self.unpriced = unpriced
    }

    /// The part of `cost` a ledger row holds.
    public static func kept(_ cost: Cost) -> Cost {
        var kept = cost.inNanos
        kept.unpriced = []
        kept.partsExceedInput = false
        return kept
    }

    /// What the balance goes down by: the cost, or nothing when it is unknown.
    public var debit: Int64 { cost.map { Int64(clamping: $0.total.nanos) } ?? 0 }
}

/// A tenant: a customer with a prepaid balance and any number of keys.
public struct Tenant: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var currency: String
    /// Nano-units of the currency.
    public var balance: Int64

    public init(id: Int64, name: String, currency: String, balance: Int64) {
        self.id = id
        self.name = name
        self.currency = currency
        self.balance = balance
    }
}

/// Who a customer key belongs to.
public struct KeyOwner: Sendable, Equatable {
    public var keyID: Int64
    public var tenant: Tenant

    public init(keyID: Int64, tenant: Tenant) {
        self.keyID = keyID
        self.tenant = tenant
    }
}

/// Usage summed over a window of time.
public struct UsageTotals: Sendable, Equatable {
    public var costNanos: Int64 = 0
    public var promptTokens: Int64 = 0
    public var completionTokens: Int64 = 0
    public var totalTokens: Int64 = 0
    public var requestCount: Int64 = 0
    public var successCount: Int64 = 0

    public init() {}
}
