import UsageTap

/// Reading LiteLLM's `model_prices_and_context_window.json`, the price file many gateways
/// already keep up to date.
///
/// Each entry with both `input_cost_per_token` and `output_cost_per_token` becomes a model:
/// `cache_read_input_token_cost` is cached input, `cache_creation_input_token_cost` (and
/// `…_above_1hr`) cache write, `output_cost_per_reasoning_token` reasoning,
/// `input_cost_per_request` the request price, the `search_context_size_medium` price of
/// `search_context_cost_per_query` the web search price, and the `…_above_Nk_tokens` prices a
/// tier above N thousand input tokens. Prices are read from the numbers' text, exactly.
extension PriceTable {
    /// What a LiteLLM file gave: the table, and the entries left out with the reason.
    public struct LiteLLMImport: Sendable {
        public var table: PriceTable
        /// Entry name → why it was left out (a price not exact to 10⁻⁹ per million tokens, say).
        /// Entries without token prices (embeddings, images, `sample_spec`) are not listed.
        public var skipped: [String: String]
    }

    public struct LiteLLMError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func liteLLM(_ bytes: [UInt8]) throws(LiteLLMError) -> LiteLLMImport {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            throw LiteLLMError(description: error.description)
        }
        guard case .object(let entries) = document else {
            throw LiteLLMError(description: "a LiteLLM price file is one JSON object of models")
        }
        var result = LiteLLMImport(table: PriceTable(), skipped: [:])
        // `sample_spec` documents the format; it is not a model.
        for (name, entry) in entries where name != "sample_spec" {
            guard entry["input_cost_per_token"] != nil, entry["output_cost_per_token"] != nil else { continue }
            do {
                result.table.set(try modelPrice(liteLLMEntry: entry), for: name)
            } catch {
                result.skipped[name] = error.description
            }
        }
        return result
    }

    private static func modelPrice(liteLLMEntry entry: JSONValue) throws(LiteLLMError) -> ModelPrice {
        func text(_ key: String) throws(LiteLLMError) -> String? {
            switch entry[key] {
            case nil, .null?: return nil
            case .number(let text)?: return text
            case .string(let text)?: return text  // a few entries quote their numbers
            default: throw LiteLLMError(description: "`\(key)` is not a number")
            }
        }
        func price(_ key: String) throws(LiteLLMError) -> TokenPrice? {
            guard let value = try text(key) else { return nil }
            guard let price = TokenPrice(perToken: value) else {
                throw LiteLLMError(description: "`\(key)`: \(value) is not exact to 10⁻⁹ per million tokens")
            }
            return price
        }
        func prices(suffix: String, base: ModelPrice.TokenPrices?) throws(LiteLLMError) -> ModelPrice.TokenPrices? {
            try ModelPrice.TokenPrices.reading(over: base) { kind throws(LiteLLMError) in
                try price(Self.liteLLMKey(for: kind) + suffix)
            }
        }

        guard let base = try prices(suffix: "", base: nil) else {
            throw LiteLLMError(description: "no input or output price")
        }
        var tier: ModelPrice.Tier?
        if let thousands = Self.tierThreshold(in: entry) {
            let suffix = "_above_\(thousands)k_tokens"
            if let tiered = try prices(suffix: suffix, base: base) {
                tier = ModelPrice.Tier(inputTokensAbove: Int64(thousands) * 1000, prices: tiered)
            }
        }
        var perRequest: CallPrice?
        if let value = try text("input_cost_per_request") {
            guard let price = CallPrice(value) else { throw LiteLLMError(description: "`input_cost_per_request`: \(value) is not exact") }
            perRequest = price
        }
        var perSearch: CallPrice?
        if case .number(let value)? = entry["search_context_cost_per_query"]?["search_context_size_medium"] {
            guard let price = CallPrice(value) else { throw LiteLLMError(description: "`search_context_cost_per_query`: \(value) is not exact") }
            perSearch = price
        }
        return ModelPrice(prices: base, tier: tier, perRequest: perRequest, perWebSearch: perSearch)
    }

    /// LiteLLM's name for each kind of token price.
    private static func liteLLMKey(for kind: ModelPrice.TokenPrices.Kind) -> String {
        switch kind {
        case .input: "input_cost_per_token"
        case .cachedInput: "cache_read_input_token_cost"
        case .cacheWrite: "cache_creation_input_token_cost"
        case .cacheWriteOneHour: "cache_creation_input_token_cost_above_1hr"
        case .output: "output_cost_per_token"
        case .reasoningOutput: "output_cost_per_reasoning_token"
        }
    }

    /// The N of the entry's `input_cost_per_token_above_Nk_tokens`, the lowest if several.
    private static func tierThreshold(in entry: JSONValue) -> Int? {
        guard case .object(let members) = entry else { return nil }
        let prefix = "input_cost_per_token_above_", suffix = "k_tokens"
        return members.compactMap { member -> Int? in
            guard member.key.hasPrefix(prefix), member.key.hasSuffix(suffix) else { return nil }
            return Int(member.key.dropFirst(prefix.count).dropLast(suffix.count))
        }.min()
    }
}
