import ArgumentParser
import Metering
import Pricing
import UsageTap

/// `usagetap topup`: adds to a tenant's prepaid balance.
struct TopupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topup",
        abstract: "Add dollars to a tenant's prepaid balance and print the new balance."
    )

    @Option(help: "The tenant to credit.")
    var tenant: String

    @Option(help: "Dollars to add, an exact decimal (e.g. 25 or 0.5).")
    var usd: String

    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let amount = try nanos(ofUSD: usd, option: "--usd")
        let store = try ledger.open()
        guard let owner = try store.tenant(named: tenant) else {
            throw ValidationError("no tenant named \(tenant); create one with `usagetap keys add --tenant \(tenant)`")
        }
        let balance = try store.topUp(tenantID: owner.id, nanos: amount, atMicros: UTCCalendar.nowMicros())
        print("\(tenant) balance: \(Money(nanos: balance).decimalText) USD")
    }
}
