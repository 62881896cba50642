/// The record's token counts, declared once, in the documented order: ``RecordField`` lists
/// them among the record's fields, which the record's JSON line, the ledger's columns and the
/// export's CSV follow. A new count is a case here, its property on ``UsageRecord``, and the
/// reader that fills it.
public enum TokenCount: Int, Sendable, CaseIterable {
    case input, output, total, cachedInput, cacheWrite, cacheWriteOneHour, reasoning

    /// Its key in the record's JSON, which is also its ledger column and CSV header.
    public var key: StaticString {
        switch self {
        case .input: "input_tokens"
        case .output: "output_tokens"
        case .total: "total_tokens"
        case .cachedInput: "cached_input_tokens"
        case .cacheWrite: "cache_write_tokens"
        case .cacheWriteOneHour: "cache_write_1h_tokens"
        case .reasoning: "reasoning_tokens"
        }
    }
}

extension UsageRecord {
    /// The count of `count`.
    public subscript(count: TokenCount) -> Int? {
        get {
            switch count {
            case .input: inputTokens
            case .output: outputTokens
            case .total: totalTokens
            case .cachedInput: cachedInputTokens
            case .cacheWrite: cacheWriteTokens
            case .cacheWriteOneHour: cacheWrite1hTokens
            case .reasoning: reasoningTokens
            }
        }
        set {
            switch count {
            case .input: inputTokens = newValue
            case .output: outputTokens = newValue
            case .total: totalTokens = newValue
            case .cachedInput: cachedInputTokens = newValue
            case .cacheWrite: cacheWriteTokens = newValue
            case .cacheWriteOneHour: cacheWrite1hTokens = newValue
            case .reasoning: reasoningTokens = newValue
            }
        }
    }
}
