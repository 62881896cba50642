import ArgumentParser
import Metering
import Pricing
import UsageTap

/// `--ledger`, shared by every command that reads or writes the ledger.
struct LedgerOptions: ParsableArguments {
    @Option(help: "The ledger: a SQLite file path, or a postgres:// URL for a ledger that several proxies share.")
    var ledger = "usagetap.db"

    func open() throws -> any LedgerStore {
        try SQLLedger.open(ledger)
    }

    /// The usage journal's directory when `--journal` is not given: beside a SQLite ledger;
    /// for a PostgreSQL one, which has no file, in the working directory.
    var defaultJournalDirectory: String {
        SQLLedger.isPostgresURL(ledger) ? "usagetap.journal" : ledger + ".journal"
    }
}

/// Nano-units of an amount of dollars given on the command line.
func nanos(ofUSD text: String, option: String) throws -> Int64 {
    guard let money = Money(decimal: text), let nanos = Int64(exactly: money.nanos) else {
        throw ValidationError("\(option) takes a non-negative amount of dollars exact to 10⁻⁹, not \(text)")
    }
    return nanos
}
