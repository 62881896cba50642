import Pricing
import UsageTap

/// Where tenants, keys, balances and ledger rows live: SQLite for one proxy, PostgreSQL when
/// several proxies share one ledger.
///
/// Calls are synchronous and come from one thread at a time (the proxy's ledger thread, or a
/// command); the store is the only thing that touches its connection.
public protocol LedgerStore: AnyObject {
    /// Creates the tables when they are missing.
    func prepareSchema() throws

    func tenant(named name: String) throws -> Tenant?
    /// Creates the tenant, or returns the existing one of that name.
    func addTenant(named name: String, atMicros: Int64) throws -> Tenant
    /// Stores a key by its digest; returns the key's id.
    func addKey(digest: String, label: String, tenantID: Int64, atMicros: Int64) throws -> Int64
    /// The owner of the key with this digest, with the tenant's balance as of now.
    func keyOwner(digest: String) throws -> KeyOwner?
    /// Adds `nanos` to the tenant's balance and records the top-up; returns the new balance.
    func topUp(tenantID: Int64, nanos: Int64, atMicros: Int64) throws -> Int64
    func balance(tenantID: Int64) throws -> Int64?

    /// Writes the entries in one transaction, debiting each from its tenant's balance, and fills
    /// in each one's balance before and after its debit. In place, because a proxy's batch holds
    /// hundreds of rows that a copy would retain and release field by field.
    /// A second row with the `request_id` of one already written is refused (the whole call
    /// fails), so that no response is billed twice: see ``knownRequestIDs(among:)``.
    func append(_ entries: inout [LedgerEntry]) throws
    /// Those of `ids` that already have a row.
    func knownRequestIDs(among ids: [String]) throws -> Set<String>
    /// The tenant's usage from `fromMicros` (inclusive) to `toMicros` (exclusive).
    func totals(tenantID: Int64, fromMicros: Int64, toMicros: Int64) throws -> UsageTotals
    /// Rows of every tenant from `fromMicros` (inclusive) to `toMicros` (exclusive) with no cost
    /// because their model had no price (`unpriced` is `model`, or, in rows written before that
    /// column, a null cost with usage), by row id, oldest first.
    func entriesWithUnpricedModel(fromMicros: Int64, toMicros: Int64) throws -> [(id: Int64, entry: LedgerEntry)]
    /// Sets the cost of each of those rows that still has none, and debits its tenant by it, in
    /// one transaction. A row priced already (by an earlier run) is left as it is, so a second
    /// run debits nothing. Returns the rows priced.
    func price(_ rows: [(id: Int64, cost: Cost, unpriced: [UnpricedPart])]) throws -> [Int64]
    /// The tenant's entries in that range, oldest first.
    func entries(tenantID: Int64, fromMicros: Int64, toMicros: Int64) throws -> [LedgerEntry]
}
