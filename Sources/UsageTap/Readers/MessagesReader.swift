/// Anthropic Messages: `message_start` sets the counts, each `message_delta` with `usage`
/// overwrites those it carries (they are cumulative, never added), `message_stop` ends.
extension StreamTally {
    mutating func readMessagesEvent() {
        guard let type = facts.typeName else { return }
        if type == Names.messageStart {
            adoptModel(at: .messageModel)
            if facts.hasUsageObject(.messageUsage) { applyMessagesUsage(facts[.messageUsage], absentIsZero: true) }
        } else if type == Names.messageDelta {
            if facts.hasUsageObject(.usage) { applyMessagesUsage(facts[.usage], absentIsZero: false) }
        } else if type == Names.messageStop {
            finished = true
        } else if type == Names.error {
            if facts.hasErrorObject(.root) { setError(facts[UsagePath.ErrorOwner.root].value) }
        }
    }

    /// A body is the `message` object itself.
    mutating func readMessagesBody() {
        adoptModel(at: .model)
        if facts.hasUsageObject(.usage) { applyMessagesUsage(facts[.usage], absentIsZero: true) }
        if facts.hasErrorObject(.root) { setError(facts[UsagePath.ErrorOwner.root].value) }
    }

    private mutating func applyMessagesUsage(_ usage: CountSlots, absentIsZero: Bool) {
        var reported = messagesUsage ?? MessagesUsage()
        reported.apply(usage, absentIsZero: absentIsZero)
        messagesUsage = reported
        tokens = reported.tokens
        webSearchRequests = reported.webSearchRequests
    }
}

/// Anthropic's usage as reported: input excludes cache reads and writes, unlike the record's.
struct MessagesUsage: Sendable {
    var input: Int64 = 0
    var output: Int64 = 0
    var cacheCreation: Int64 = 0
    var cacheRead: Int64 = 0
    var thinking: Int64 = 0
    var webSearchRequests: Int64 = 0
    /// `cache_creation.ephemeral_1h_input_tokens`: the part of `cacheCreation` written to the
    /// one-hour cache.
    var cacheCreationOneHour: Int64 = 0

    /// Overwrites the counts `usage` carries; with `absentIsZero`, the four base counts and the
    /// one-hour cache writes it leaves out become 0. Thinking tokens and web searches change only
    /// when carried.
    mutating func apply(_ usage: CountSlots, absentIsZero: Bool) {
        func update(_ value: inout Int64, _ field: CountField, orZero: Bool) {
            if let carried = usage[field] { value = carried } else if orZero { value = 0 }
        }
        update(&input, .inputTokens, orZero: absentIsZero)
        update(&output, .outputTokens, orZero: absentIsZero)
        update(&cacheCreation, .cacheCreationInputTokens, orZero: absentIsZero)
        update(&cacheRead, .cacheReadInputTokens, orZero: absentIsZero)
        update(&thinking, .outputThinkingTokens, orZero: false)
        update(&webSearchRequests, .webSearchRequests, orZero: false)
        update(&cacheCreationOneHour, .ephemeral1hInputTokens, orZero: absentIsZero)
    }

    var tokens: TokenCounts {
        let allInput = input.saturatingAdd(cacheCreation).saturatingAdd(cacheRead)
        return TokenCounts(
            input: allInput, output: output, total: allInput.saturatingAdd(output),
            cachedInput: cacheRead, cacheWrite: cacheCreation, reasoning: thinking, cacheWriteOneHour: cacheCreationOneHour)
    }
}
