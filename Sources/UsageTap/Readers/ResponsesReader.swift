/// OpenAI Responses: usage, web searches and the end come with `response.completed`,
/// `response.incomplete` or `response.failed`; errors with `response.failed` or an `error` event.
extension StreamTally {
    mutating func readResponsesEvent() {
        adoptModel(at: .responseModel)
        guard let type = facts.typeName else { return }
        if type == Names.responseCompleted || type == Names.responseIncomplete || type == Names.responseFailed {
            finished = true
            if facts.hasUsageObject(.responseUsage) { tokens = TokenCounts(facts[.responseUsage], fields: .responses) }
            webSearchRequests = Int64(facts[UsagePath.OutputOwner.response])
            if type == Names.responseFailed && facts.hasErrorObject(.response) {
                setError(facts[UsagePath.ErrorOwner.response].value)
            }
        } else if type == Names.error {
            // The event is the error itself when it nests none; its `type` is "error".
            setError(facts.hasErrorObject(.root) ? facts[UsagePath.ErrorOwner.root].value
                : facts.codeValue ?? CodeCapture.genericError)
        }
    }

    /// A body is the `response` object itself.
    mutating func readResponsesBody() {
        adoptModel(at: .model)
        if facts.hasUsageObject(.usage) { tokens = TokenCounts(facts[.usage], fields: .responses) }
        webSearchRequests = Int64(facts[UsagePath.OutputOwner.root])
        if facts.hasErrorObject(.root) { setError(facts[UsagePath.ErrorOwner.root].value) }
    }
}

extension UsageFields {
    static let responses = UsageFields(
        input: .inputTokens, output: .outputTokens, total: .totalTokens,
        cachedInput: .inputCachedTokens, cacheWrite: .inputCacheWriteTokens,
        reasoning: .outputReasoningTokens)
}
