/// Chat Completions: usage from the last event that carries a `usage` object (else its
/// `x_groq.usage`), whatever its `choices` hold; finished at `data: [DONE]`.
extension StreamTally {
    mutating func readChatEvent(dataIsDone: Bool) {
        if dataIsDone {
            finished = true
            return
        }
        adoptModel(facts.model)
        if facts[.usage].isObject {
            tokens = TokenCounts(facts[.usage], fields: .chat)
        } else if facts[.groqUsage].isObject {
            tokens = TokenCounts(facts[.groqUsage], fields: .chat)
        }
        let error = facts[UsagePath.ErrorOwner.root]
        if error.isObject { setError(error.value) }
    }
}

extension UsageFields {
    static let chat = UsageFields(
        input: .promptTokens, output: .completionTokens, total: .totalTokens,
        cachedInput: .promptCachedTokens, cacheWrite: .promptCacheWriteTokens,
        reasoning: .completionReasoningTokens)
}
