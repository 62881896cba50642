import ArgumentParser
import Pricing
import UsageTap

/// Where `--prices` takes its prices: the built-in table, or a file in LiteLLM's JSON format
/// (it starts with `{`) or UsageTap's own text format.
enum PriceSource {
    static func load(_ argument: String) throws -> PriceTable {
        if argument == "default" { return PriceTable.defaultPrices }
        do {
            let (table, skipped) = try PriceTable.load(file: argument)
            if let (name, reason) = skipped.min(by: { $0.key < $1.key }) {
                Standard.error("usagetap: \(argument): \(skipped.count) entries left out, such as \(name): \(reason)")
            }
            return table
        } catch {
            throw ValidationError(error.description)
        }
    }
}
