/// Chat Completions: usage from the last event that carries a `usage` object (else its
/// `x_groq.usage`), whatever its `choices` hold; finished at `data: [DONE]`.
extension StreamTally {
    mutating func readChatEvent(_ facts: EventFacts, dataIsDone: Bool) {
        if dataIsDone {
            finished = true
            return
        }
        adoptModel(facts.model)
        if facts[.usage].isObject {
            tokens = TokenCounts(chatUsage: facts[.usage])
        } else if facts[.groqUsage].isObject {
            tokens = TokenCounts(chatUsage: facts[.groqUsage])
        }
        let error = facts[UsagePath.ErrorOwner.root]
        if error.isObject { setError(error.value) }
    }
}

extension TokenCounts {
    init(chatUsage usage: CountSlots) {
        input = usage[.promptTokens] ?? 0
        output = usage[.completionTokens] ?? 0
        total = Self.total(reported: usage[.totalTokens], input: input, output: output)
        cachedInput = usage[.promptCachedTokens] ?? 0
        cacheWrite = usage[.promptCacheWriteTokens] ?? 0
        reasoning = usage[.completionReasoningTokens] ?? 0
    }
}
