import UsageTap

/// UsageTap's own price format: plain text, one model per line, USD per million tokens.
///
/// ```
/// # comment
/// gpt-4o  input=2.50 cached_input=1.25 output=10
/// claude-sonnet-4-5  input=3 cached_input=0.30 cache_write=3.75 cache_write_1h=6 output=15
/// gemini-2.5-pro  input=1.25 cached_input=0.125 output=10 above=200000 above.input=2.50 above.cached_input=0.25 above.output=15 web_search=0.035
/// alias chatgpt-4o-latest gpt-4o
/// ```
///
/// Keys: `input` and `output` (required), `cached_input`, `cache_write`, `cache_write_1h`,
/// `reasoning_output` (USD per million tokens); `per_request` and `web_search` (USD per call);
/// `above=N` with
/// `above.KEY` prices for requests whose input is above N tokens (unset `above.` keys repeat the
/// base price). Every number is an exact decimal; nothing is rounded. Cache reads and writes
/// without a price of their own cost the input price. (`cached_at_input_price=yes|no`, which
/// once chose that for cache reads, is still read and has no effect.)
extension PriceTable {
    public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String

        public var description: String { "line \(line): \(reason)" }
    }

    /// A table read from text in UsageTap's format.
    public init(parsing text: String) throws(FormatError) {
        self.init()
        var aliasLines: [String: Int] = [:]
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = words.first else { continue }
            if first == "alias" {
                guard words.count == 3 else { throw FormatError(line: offset + 1, reason: "expected `alias NAME MODEL`") }
                addAlias(String(words[1]), for: String(words[2]))
                aliasLines[String(words[1])] = offset + 1
                continue
            }
            do {
                set(try Self.modelPrice(from: words.dropFirst()), for: String(first))
            } catch {
                throw FormatError(line: offset + 1, reason: error.reason)
            }
        }
        for (alias, target) in aliases.sorted(by: { $0.key < $1.key }) where entries[target] == nil {
            throw FormatError(line: aliasLines[alias] ?? 0, reason: "alias \(alias) names \(target), which has no entry")
        }
    }

    private static func modelPrice(from words: ArraySlice<Substring>) throws(FormatError) -> ModelPrice {
        var values: [Substring: Substring] = [:]
        for word in words {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                throw FormatError(line: 0, reason: "expected KEY=VALUE, found `\(word)`")
            }
            let key = word[..<equals]
            guard values.updateValue(word[word.index(after: equals)...], forKey: key) == nil else {
                throw FormatError(line: 0, reason: "`\(key)` is given twice")
            }
        }
        var used: Set<Substring> = []
        func text(_ key: Substring) -> Substring? {
            used.insert(key)
            return values[key]
        }
        func price(_ key: Substring) throws(FormatError) -> TokenPrice? {
            guard let value = text(key) else { return nil }
            guard let price = TokenPrice(perMillionTokens: value) else {
                throw FormatError(line: 0, reason: "`\(key)=\(value)` is not a non-negative decimal exact to 10⁻⁹")
            }
            return price
        }
        func callPrice(_ key: Substring) throws(FormatError) -> CallPrice? {
            guard let value = text(key) else { return nil }
            guard let price = CallPrice(value) else {
                throw FormatError(line: 0, reason: "`\(key)=\(value)` is not a non-negative decimal exact to 10⁻⁹")
            }
            return price
        }
        func prices(_ prefix: Substring, base: ModelPrice.TokenPrices?) throws(FormatError) -> ModelPrice.TokenPrices {
            let read = try ModelPrice.TokenPrices.reading(over: base) { kind throws(FormatError) in
                try price(prefix + Self.key(for: kind))
            }
            guard let read else { throw FormatError(line: 0, reason: "`input` and `output` are required") }
            return read
        }

        let base = try prices("", base: nil)
        var tier: ModelPrice.Tier?
        if let above = text("above") {
            guard let threshold = Int64(above), threshold >= 0 else {
                throw FormatError(line: 0, reason: "`above=\(above)` is not a token count")
            }
            tier = ModelPrice.Tier(inputTokensAbove: threshold, prices: try prices("above.", base: base))
        }
        switch text("cached_at_input_price") {
        case nil, "no", "yes": break
        case let other?: throw FormatError(line: 0, reason: "`cached_at_input_price=\(other)`: say yes or no")
        }
        let model = ModelPrice(prices: base, tier: tier, perRequest: try callPrice("per_request"), perWebSearch: try callPrice("web_search"))
        if let unknown = values.keys.filter({ !used.contains($0) }).sorted().first {
            throw FormatError(line: 0, reason: "unknown key `\(unknown)`")
        }
        return model
    }

    /// The key of each kind of token price in this format.
    private static func key(for kind: ModelPrice.TokenPrices.Kind) -> String {
        switch kind {
        case .input: "input"
        case .cachedInput: "cached_input"
        case .cacheWrite: "cache_write"
        case .cacheWriteOneHour: "cache_write_1h"
        case .output: "output"
        case .reasoningOutput: "reasoning_output"
        }
    }
}
