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
    /// Nil when the model has no price: nothing is debited, and the row says so.
    public var cost: CostNanos?
    /// What went unpriced: `model` with a nil cost, `web_search` when searches had no price.
    public var unpriced: [UnpricedPart]
    /// Filled in by the ledger when the row is written.
    public var balanceBefore: Int64 = 0
    public var balanceAfter: Int64 = 0

    public init(atMicros: Int64, requestID: String, tenantID: Int64, keyID: Int64, provider: String,
                status: Int?, outcome: String, usage: UsageRecord, cost: CostNanos?, unpriced: [UnpricedPart] = []) {
        self.atMicros = atMicros
        self.requestID = requestID
        self.tenantID = tenantID
        self.keyID = keyID
        self.provider = provider
        self.status = status
        self.outcome = outcome
        self.usage = usage
        self.cost = cost
        self.unpriced = unpriced
    }

    /// What the balance goes down by: the cost, or nothing when it is unknown.
    public var debit: Int64 { cost?.total ?? 0 }
}

/// A cost in integer nano-units of the currency, with its breakdown and the price entry used.
public struct CostNanos: Sendable, Equatable {
    public var priceEntry: String
    public var input: Int64
    public var cachedInput: Int64
    public var cacheWrite: Int64
    public var output: Int64
    public var request: Int64
    public var webSearch: Int64

    public var total: Int64 { input + cachedInput + cacheWrite + output + request + webSearch }

    public init(priceEntry: String, input: Int64, cachedInput: Int64, cacheWrite: Int64,
                output: Int64, request: Int64, webSearch: Int64) {
        self.priceEntry = priceEntry
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.output = output
        self.request = request
        self.webSearch = webSearch
    }

    /// The ledger's form of a computed cost. A part beyond 2^63 nano-units (9.2 billion
    /// dollars) cannot come from one response; it is clamped rather than trapping.
    public init(_ cost: Cost) {
        let parts = cost.nanos
        self.init(priceEntry: cost.priceEntry, input: Int64(clamping: parts.input),
                  cachedInput: Int64(clamping: parts.cachedInput), cacheWrite: Int64(clamping: parts.cacheWrite),
                  output: Int64(clamping: parts.output), request: Int64(clamping: parts.request),
                  webSearch: Int64(clamping: parts.webSearch))
    }
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
