import ArgumentParser
import Metering
import UsageTap

/// `usagetap ledger export`: a tenant's statement.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Read the usage ledger.",
        subcommands: [Export.self]
    )

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a tenant's ledger rows between two dates (UTC, both days included) and their total.",
            discussion: "One JSON object per row, then one with the total (CSV rows and a `total` row with --csv). The total is the exact sum of the rows' costs in nano-units."
        )

        @Option(help: "The tenant.")
        var tenant: String

        @Option(help: "First day, YYYY-MM-DD (UTC).")
        var from: String

        @Option(help: "Last day, YYYY-MM-DD (UTC), included.")
        var to: String

        @Flag(help: "CSV with a header row instead of JSON lines.")
        var csv = false

        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            guard let first = UTCCalendar.days(parsing: from) else { throw ValidationError("--from takes YYYY-MM-DD, not \(from)") }
            guard let last = UTCCalendar.days(parsing: to) else { throw ValidationError("--to takes YYYY-MM-DD, not \(to)") }
            guard first <= last else { throw ValidationError("--from is after --to") }
            let store = try ledger.open()
            guard let owner = try store.tenant(named: tenant) else { throw ValidationError("no tenant named \(tenant)") }
            let entries = try store.entries(tenantID: owner.id, fromMicros: first * UTCCalendar.microsPerDay,
                                            toMicros: (last + 1) * UTCCalendar.microsPerDay)
            let statement = Statement(entries: entries)
            if csv {
                statement.csvLines().forEach { print($0) }
            } else {
                statement.jsonLines().forEach { print($0) }
            }
        }
    }
}
