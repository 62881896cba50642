/// Chat Completions: usage from the last event that carries a `usage` object (else its
/// `x_groq.usage`), whatever its `choices` hold; finished at `data: [DONE]`.
extension StreamTally {
    mutating func readChatEvent(dataIsDone: Bool) {
        if dataIsDone {
            finished = true
            return
        }
        adoptModel(at: .model)
        if facts.hasUsageObject(.usage) {
            tokens = TokenCounts(facts[.usage], fields: .chat)
        } else if facts.hasUsageObject(.groqUsage) {
            tokens = TokenCounts(facts[.groqUsage], fields: .chat)
        }
        if facts.hasErrorObject(.root) { setError(facts[UsagePath.ErrorOwner.root].value) }
    }
}

extension UsageFields {
    static let chat = UsageFields(
        input: .promptTokens, output: .completionTokens, total: .totalTokens,
        cachedInput: .promptCachedTokens, cacheWrite: .promptCacheWriteTokens,
        reasoning: .completionReasoningTokens)
}
