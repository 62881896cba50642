/// Gemini: usage from the last event with a `usageMetadata` object; finished once a candidate
/// has a `finishReason`. Tool-use prompt tokens are input; thoughts are output.
extension StreamTally {
    mutating func readGeminiEvent() {
        adoptModel(at: .modelVersion)
        if facts.hasUsageObject(.usageMetadata) {
            tokens = TokenCounts(geminiUsage: facts[.usageMetadata])
            geminiUsageCopy.clear()
        }
        if facts.hasFinishReason { finished = true }
    }

    /// A chunk passed by its structure (``GeminiChunk``): its usage, if it has one, is the only
    /// thing in it that can change the record, and it is kept as bytes until a record is read.
    mutating func readGeminiChunk(usage: UnsafeRawBufferPointer?) {
        if let usage { geminiUsageCopy.keep(usage) }
    }
}

extension TokenCounts {
    init(geminiUsage usage: CountSlots) {
        input = (usage[.promptTokenCount] ?? 0).saturatingAdd(usage[.toolUsePromptTokenCount] ?? 0)
        reasoning = usage[.thoughtsTokenCount] ?? 0
        output = (usage[.candidatesTokenCount] ?? 0).saturatingAdd(reasoning)
        total = Self.total(reported: usage[.totalTokenCount], input: input, output: output)
        cachedInput = usage[.cachedContentTokenCount] ?? 0
        cacheWrite = 0
    }
}
