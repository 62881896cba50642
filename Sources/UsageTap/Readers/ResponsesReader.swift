/// OpenAI Responses: usage, web searches and the end come with `response.completed`,
/// `response.incomplete` or `response.failed`; errors with `response.failed` or an `error` event.
extension StreamTally {
    mutating func readResponsesEvent() {
        adoptModel(facts.responseModel)
        guard let type = facts.typeName else { return }
        if type == Names.responseCompleted || type == Names.responseIncomplete || type == Names.responseFailed {
            finished = true
            if facts[.responseUsage].isObject { tokens = TokenCounts(facts[.responseUsage], fields: .responses) }
            webSearchRequests = Int64(facts[UsagePath.OutputOwner.response])
            let error = facts[UsagePath.ErrorOwner.response]
            if type == Names.responseFailed && error.isObject { setError(error.value) }
        } else if type == Names.error {
            let nested = facts[UsagePath.ErrorOwner.root]
            // The event is the error itself when it nests none; its `type` is "error".
            setError(nested.isObject ? nested.value : facts.code.value ?? CodeCapture.genericError)
        }
    }

    /// A body is the `response` object itself.
    mutating func readResponsesBody() {
        adoptModel(facts.model)
        if facts[.usage].isObject { tokens = TokenCounts(facts[.usage], fields: .responses) }
        webSearchRequests = Int64(facts[UsagePath.OutputOwner.root])
        let error = facts[UsagePath.ErrorOwner.root]
        if error.isObject { setError(error.value) }
    }
}

extension UsageFields {
    static let responses = UsageFields(
        input: .inputTokens, output: .outputTokens, total: .totalTokens,
        cachedInput: .inputCachedTokens, cacheWrite: .inputCacheWriteTokens,
        reasoning: .outputReasoningTokens)
}
