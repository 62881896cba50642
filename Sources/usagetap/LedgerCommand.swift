import ArgumentParser
import Metering
import Pricing
import UsageTap

/// `usagetap ledger export`: a tenant's statement; `usagetap ledger reprice`: rows whose model
/// had no price, priced later.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Read the usage ledger, or price what it could not.",
        subcommands: [Export.self, Reprice.self]
    )

    struct Reprice: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Price the rows whose model had no price (a null cost, `unpriced` model), and debit their tenants.",
            discussion: "Rows of every tenant between two dates (UTC, both days included). Each row is priced and debited once: a row priced by an earlier run is left alone, so running it twice moves no balance twice. Rows whose model the table does not price either stay as they are. The row's balance before and after stay those of when it was written; the tenant's balance changes now, in the same transaction."
        )

        @OptionGroup var days: DayRange

        @Option(help: "The price table: `default`, a LiteLLM JSON file, or a UsageTap price file.")
        var prices: String

        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let window = try days.micros()
            let table = try PriceSource.load(prices)
            let store = try ledger.open()
            let unpriced = try store.entriesWithUnpricedModel(fromMicros: window.from, toMicros: window.to)
            let priced = unpriced.compactMap { row -> (id: Int64, cost: Cost, unpriced: [UnpricedPart])? in
                guard let cost = table.cost(of: row.entry.usage) else { return nil }
                return (row.id, LedgerEntry.kept(cost), cost.unpriced)
            }
            let written = Set(try store.price(priced))
            let total = priced.filter { written.contains($0.id) }.reduce(Int128(0)) { $0 + $1.cost.nanos.total }
            var json = JSONObjectWriter()
            json.add("rows_without_a_model_price", integer: unpriced.count)
            json.add("priced", integer: written.count)
            json.add("still_unpriced", integer: unpriced.count - priced.count)
            json.add("debited_nanos", integer: total)
            json.add("debited_usd", string: Money(femtos: total * 1_000_000).decimalText)
            print(json.finish())
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a tenant's ledger rows between two dates (UTC, both days included) and their total.",
            discussion: "One JSON object per row, then one with the total (CSV rows and a `total` row with --csv). The total is the exact sum of the rows' costs in nano-units."
        )

        @Option(help: "The tenant.")
        var tenant: String

        @OptionGroup var days: DayRange

        @Flag(help: "CSV with a header row instead of JSON lines.")
        var csv = false

        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let window = try days.micros()
            let store = try ledger.open()
            guard let owner = try store.tenant(named: tenant) else { throw ValidationError("no tenant named \(tenant)") }
            let entries = try store.entries(tenantID: owner.id, fromMicros: window.from, toMicros: window.to)
            let statement = Statement(entries: entries)
            if csv {
                statement.csvLines().forEach { print($0) }
            } else {
                statement.jsonLines().forEach { print($0) }
            }
        }
    }
}

/// `--from` and `--to`: UTC days, both included.
struct DayRange: ParsableArguments {
    @Option(help: "First day, YYYY-MM-DD (UTC).")
    var from: String

    @Option(help: "Last day, YYYY-MM-DD (UTC), included.")
    var to: String

    /// The microseconds from the start of the first day to the end of the last.
    func micros() throws -> (from: Int64, to: Int64) {
        guard let first = UTCCalendar.days(parsing: from) else { throw ValidationError("--from takes YYYY-MM-DD, not \(from)") }
        guard let last = UTCCalendar.days(parsing: to) else { throw ValidationError("--to takes YYYY-MM-DD, not \(to)") }
        guard first <= last else { throw ValidationError("--from is after --to") }
        return (first * UTCCalendar.microsPerDay, (last + 1) * UTCCalendar.microsPerDay)
    }
}
