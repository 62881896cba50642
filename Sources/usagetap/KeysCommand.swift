import ArgumentParser
import Metering

/// `usagetap keys add`: a new customer key for a tenant.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage customer keys.",
        subcommands: [Add.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key for a tenant (created if new) and print it once; only its SHA-256 is stored."
        )

        @Option(help: "The tenant the key belongs to.")
        var tenant: String

        @Option(help: "Top the tenant's balance up by this many dollars.")
        var balance: String?

        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let store = try ledger.open()
            let owner = try store.addTenant(named: tenant, atMicros: UTCCalendar.nowMicros())
            let key = CustomerKey.generate()
            _ = try store.addKey(digest: CustomerKey.digest(of: key), label: CustomerKey.label(of: key),
                                 tenantID: owner.id, atMicros: UTCCalendar.nowMicros())
            if let balance {
                _ = try store.topUp(tenantID: owner.id, nanos: try nanos(ofUSD: balance, option: "--balance"), atMicros: UTCCalendar.nowMicros())
            }
            print(key)
        }
    }
}
