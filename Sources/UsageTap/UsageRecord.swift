/// The token usage one response reported, in the same shape whatever the protocol.
///
/// The seven token counts are nil until the response reports usage ("unknown is not zero");
/// once it does, a sub-count the provider left out is 0. `inputTokens` includes cached and
/// cache-write tokens, and `outputTokens` includes reasoning tokens.
public struct UsageRecord: Sendable, Hashable {
    /// The protocol the response was read as, or nil when it was never recognised.
    public var apiProtocol: APIProtocol?
    /// The model name the response reports.
    public var model: String?
    /// The protocol's terminal event was seen (a complete JSON body counts as finished).
    public var finished: Bool
    /// The error code or type the response reported.
    public var error: String?
    /// All input tokens, cached and cache-write included.
    public var inputTokens: Int?
    /// All generated tokens, reasoning included.
    public var outputTokens: Int?
    /// The total as reported, else input + output.
    public var totalTokens: Int?
    /// Input tokens read from a cache (part of `inputTokens`).
    public var cachedInputTokens: Int?
    /// Input tokens written to a cache (part of `inputTokens`).
    public var cacheWriteTokens: Int?
    /// The part of `cacheWriteTokens` written to a one-hour cache (Anthropic's extended cache),
    /// priced apart; 0 where the provider does not say.
    public var cacheWrite1hTokens: Int?
    /// Reasoning or thinking tokens (part of `outputTokens`).
    public var reasoningTokens: Int?
    /// Server-side web searches billed per call.
    public var webSearchRequests: Int

    /// A record. `cacheWrite1hTokens` left out (or nil) is 0 once the record has input or output
    /// tokens, as the contract says of a count the provider does not give: one-hour cache writes
    /// are Anthropic's alone, and the field came after the others.
    public init(
        apiProtocol: APIProtocol? = nil, model: String? = nil, finished: Bool = false,
        error: String? = nil, inputTokens: Int? = nil, outputTokens: Int? = nil,
        totalTokens: Int? = nil, cachedInputTokens: Int? = nil, cacheWriteTokens: Int? = nil,
        cacheWrite1hTokens: Int? = nil, reasoningTokens: Int? = nil, webSearchRequests: Int = 0
    ) {
        self.apiProtocol = apiProtocol
        self.model = model
        self.finished = finished
        self.error = error
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.totalTokens = totalTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.cacheWrite1hTokens = cacheWrite1hTokens ?? (inputTokens == nil && outputTokens == nil ? nil : 0)
        self.reasoningTokens = reasoningTokens
        self.webSearchRequests = webSearchRequests
    }
}
