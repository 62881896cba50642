import UsageTap

/// Prices by model name, with aliases, and the matching rules that find a model's entry.
public struct PriceTable: Sendable {
    public private(set) var entries: [String: ModelPrice] = [:]
    /// Other names for an entry: `chatgpt-4o-latest` → `gpt-4o`.
    public private(set) var aliases: [String: String] = [:]

    public init() {}

    public mutating func set(_ price: ModelPrice, for model: String) {
        entries[model] = price
    }

    public mutating func addAlias(_ alias: String, for model: String) {
        aliases[alias] = model
    }

    /// The entry for `model`: its exact name, then an alias, then the name without a date
    /// suffix (`-2024-08-06`, `-20250929`), then without a provider prefix (`openai/`), then
    /// without both. Nil when none matches: an unknown model has no cost, not a cost of 0.
    public func match(_ model: String) -> (entry: String, price: ModelPrice)? {
        // Each candidate is made only when the ones before it missed: a proxy prices every
        // response, and most models match at the first or second.
        if let found = lookUp(model) { return found }
        let undated = Self.droppingDateSuffix(model)
        if undated != model, let found = lookUp(undated) { return found }
        let unprefixed = Self.droppingProviderPrefix(model)
        guard unprefixed != model else { return nil }
        if let found = lookUp(unprefixed) { return found }
        return lookUp(Self.droppingDateSuffix(unprefixed))
    }

    private func lookUp(_ candidate: String) -> (entry: String, price: ModelPrice)? {
        if let price = entries[candidate] { return (candidate, price) }
        if let target = aliases[candidate], let price = entries[target] { return (target, price) }
        return nil
    }

    /// The cost of `record` by this table, or nil when its model matches no entry or the entry
    /// cannot price it (see ``ModelPrice/cost(of:priceEntry:)``).
    public func cost(of record: UsageRecord) -> Cost? {
        guard let model = record.model, let (entry, price) = match(model) else { return nil }
        return price.cost(of: record, priceEntry: entry)
    }

    /// `gpt-4o-2024-08-06` → `gpt-4o`, `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`.
    static func droppingDateSuffix(_ model: String) -> String {
        var bytes = model
        return bytes.withUTF8 { utf8 in
            func isDigits(_ range: Range<Int>) -> Bool {
                range.lowerBound >= 0 && utf8[range].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            }
            let count = utf8.count
            // -YYYYMMDD
            if count > 9, utf8[count - 9] == UInt8(ascii: "-"), isDigits(count - 8..<count) {
                return String(decoding: utf8[..<(count - 9)], as: UTF8.self)
            }
            // -YYYY-MM-DD
            if count > 11, utf8[count - 11] == UInt8(ascii: "-"), utf8[count - 6] == UInt8(ascii: "-"),
               utf8[count - 3] == UInt8(ascii: "-"), isDigits(count - 10..<count - 6), isDigits(count - 5..<count - 3),
               isDigits(count - 2..<count) {
                return String(decoding: utf8[..<(count - 11)], as: UTF8.self)
            }
            return model
        }
    }

    /// `openai/gpt-4o` → `gpt-4o`: everything up to the last `/`.
    static func droppingProviderPrefix(_ model: String) -> String {
        guard let slash = model.utf8.lastIndex(of: UInt8(ascii: "/")) else { return model }
        return String(model[model.utf8.index(after: slash)...])
    }
}

extension PriceTable {
    /// List prices for common OpenAI, Anthropic and Google models, built into the library. The
    /// file (`Resources/default-prices.txt`) names its date and source.
    public static let defaultPrices: PriceTable = {
        do {
            return try PriceTable(parsing: String(decoding: PackageResources.default_prices_txt, as: UTF8.self))
        } catch {
            fatalError("the embedded price table is malformed: \(error)")
        }
    }()
}
