import ArgumentParser
import Pricing
import UsageTap

/// Where `scan --prices` takes its prices: the built-in table, or a file in LiteLLM's JSON
/// format (it starts with `{`) or UsageTap's own text format.
enum PriceSource {
    static func load(_ argument: String) throws -> PriceTable {
        if argument == "default" { return PriceTable.defaultPrices }
        let bytes = try InputFile(path: argument).readAll()
        if bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") {
            do {
                let imported = try PriceTable.liteLLM(bytes)
                if let (name, reason) = imported.skipped.min(by: { $0.key < $1.key }) {
                    Standard.error("usagetap: \(argument): \(imported.skipped.count) entries left out, such as \(name): \(reason)")
                }
                return imported.table
            } catch {
                throw ValidationError("\(argument): \(error)")
            }
        }
        do {
            return try PriceTable(parsing: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw ValidationError("\(argument): \(error)")
        }
    }
}
