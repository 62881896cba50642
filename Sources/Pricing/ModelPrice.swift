import UsageTap

/// What one model costs: token prices by kind, fixed prices per request and per web search, and
/// optionally higher token prices for prompts above a size.
public struct ModelPrice: Sendable, Hashable {
    /// Token prices; a tier above a prompt size replaces all of them.
    public struct TokenPrices: Sendable, Hashable {
        /// Fresh (uncached) input.
        public var input: TokenPrice
        /// Input read from a cache; nil when the provider does not price it apart (it is then
        /// priced as input).
        public var cachedInput: TokenPrice?
        /// Input written to a cache (Anthropic's 5-minute cache, the default); nil prices it as
        /// input.
        public var cacheWrite: TokenPrice?
        /// Input written to Anthropic's 1-hour cache (the record's `cache_write_1h_tokens`); nil
        /// prices it as other cache writes.
        public var cacheWriteOneHour: TokenPrice?
        public var output: TokenPrice
        /// Reasoning tokens, where priced apart from other output; nil prices them as output.
        public var reasoningOutput: TokenPrice?

        public init(
            input: TokenPrice, cachedInput: TokenPrice? = nil, cacheWrite: TokenPrice? = nil,
            cacheWriteOneHour: TokenPrice? = nil, output: TokenPrice, reasoningOutput: TokenPrice? = nil
        ) {
            self.input = input
            self.cachedInput = cachedInput
            self.cacheWrite = cacheWrite
            self.cacheWriteOneHour = cacheWriteOneHour
            self.output = output
            self.reasoningOutput = reasoningOutput
        }
    }

    /// Higher prices for a request whose input is above `inputTokensAbove` tokens, for the whole
    /// request, as Google and Anthropic price long prompts.
    public struct Tier: Sendable, Hashable {
        public var inputTokensAbove: Int64
        public var prices: TokenPrices

        public init(inputTokensAbove: Int64, prices: TokenPrices) {
            self.inputTokensAbove = inputTokensAbove
            self.prices = prices
        }
    }

    public var prices: TokenPrices
    public var tier: Tier?
    /// A fixed price per request, charged whatever the tokens.
    public var perRequest: CallPrice?
    /// The price of one server-side web search call.
    public var perWebSearch: CallPrice?
    public init(prices: TokenPrices, tier: Tier? = nil, perRequest: CallPrice? = nil, perWebSearch: CallPrice? = nil) {
        self.prices = prices
        self.tier = tier
        self.perRequest = perRequest
        self.perWebSearch = perWebSearch
    }

    /// The token prices that apply to a request with `inputTokens` of input in all.
    public func prices(forInputTokens inputTokens: Int64) -> TokenPrices {
        if let tier, inputTokens > tier.inputTokensAbove { return tier.prices }
        return prices
    }
}

extension ModelPrice.TokenPrices {
    /// The kinds of token price a price file names.
    enum Kind { case input, cachedInput, cacheWrite, cacheWriteOneHour, output, reasoningOutput }

    /// Prices as a file gives them, `price` reading each kind (input and output first). A kind
    /// the file leaves out takes `base`'s, as a tier repeats the prices it does not change. Nil
    /// without an input and an output price.
    static func reading<Failure: Error>(
        over base: Self?, _ price: (Kind) throws(Failure) -> TokenPrice?
    ) throws(Failure) -> Self? {
        guard let input = try price(.input) ?? base?.input, let output = try price(.output) ?? base?.output else {
            return nil
        }
        return Self(
            input: input,
            cachedInput: try price(.cachedInput) ?? base?.cachedInput,
            cacheWrite: try price(.cacheWrite) ?? base?.cacheWrite,
            cacheWriteOneHour: try price(.cacheWriteOneHour) ?? base?.cacheWriteOneHour,
            output: output,
            reasoningOutput: try price(.reasoningOutput) ?? base?.reasoningOutput)
    }
}
