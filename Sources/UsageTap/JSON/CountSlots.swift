/// The integer fields a usage object can carry, across the four protocols. Nested ones are
/// named by their parent (`promptCachedTokens` is `prompt_tokens_details.cached_tokens`).
@_spi(Reference) public enum CountField: Int, Sendable, CaseIterable {
    // Chat Completions `usage`
    case promptTokens, completionTokens, totalTokens
    case promptCachedTokens, promptCacheWriteTokens, completionReasoningTokens
    // Responses and Messages `usage`
    case inputTokens, outputTokens
    case inputCachedTokens, inputCacheWriteTokens, outputReasoningTokens
    case cacheCreationInputTokens, cacheReadInputTokens, outputThinkingTokens, webSearchRequests
    // Gemini `usageMetadata`
    case promptTokenCount, toolUsePromptTokenCount, candidatesTokenCount
    case thoughtsTokenCount, cachedContentTokenCount, totalTokenCount
    // Messages `usage.cache_creation.ephemeral_1h_input_tokens`
    case ephemeral1hInputTokens
}

/// The usage objects an event can carry, each read into its own ``CountSlots``.
@_spi(Reference) public enum CountGroup: Int, Sendable, CaseIterable {
    case usage          // top-level `usage`
    case groqUsage      // `x_groq.usage`
    case responseUsage  // `response.usage`
    case messageUsage   // `message.usage`
    case usageMetadata  // Gemini's top-level `usageMetadata`
}

/// What one usage object said: which fields it carried, and their values. (Whether the member
/// was an object at all, not `"usage": null`, is kept by ``EventFacts``.)
struct CountSlots: Sendable {
    /// The number of ``CountField``s, each a slot.
    static let fieldCount = 22
    private var values: InlineArray<22, Int64> = .init(repeating: 0)
    private var carried: UInt32 = 0

    @inline(__always)
    mutating func reset() {
        carried = 0
    }

    @inline(__always)
    subscript(field: CountField) -> Int64? {
        carried & (1 << UInt32(field.rawValue)) == 0 ? nil : values[field.rawValue]
    }

    /// Sets the slot of the field whose raw value is `field`.
    @inline(__always)
    mutating func set(_ field: Int, to value: Int64) {
        values[field] = value
        carried |= 1 &<< UInt32(field)
    }
}
