/// A place in an event's JSON that the tap reads, and what lives there.
///
/// The tap follows only the paths named in DESIGN.md; every other value is `ignored` and its
/// contents are skipped without being looked at. A `"usage"` inside a string, inside `choices`,
/// or at any depth other than the named ones therefore never counts.
enum UsagePath: Sendable, Equatable {
    case ignored
    case root
    // Top-level members.
    case model, object, type, code, modelVersion, choices, candidates, xGroq, response, message
    // Nested strings.
    case responseModel, messageModel
    // Usage objects, their nested detail objects, and their integer fields.
    case usage(CountGroup)
    case usageDetails(CountGroup, UsageDetails)
    case count(CountGroup, CountField)
    // Error objects and their members.
    case error(ErrorOwner), errorCode(ErrorOwner), errorType(ErrorOwner)
    // Responses `output` arrays (of the `response` in an event, or of a whole body).
    case output(OutputOwner), outputItem(OutputOwner), outputItemType(OutputOwner)
    // Gemini candidates.
    case candidate, finishReason

    enum UsageDetails: Sendable, Equatable {
        case promptTokens, completionTokens, inputTokens, outputTokens, serverToolUse
    }

    /// Whose error object: the event's top-level `error`, or `response.error`.
    enum ErrorOwner: Int, Sendable, Equatable { case root, response }

    /// Whose `output` array: the top-level one of a Responses body, or an event's `response.output`.
    enum OutputOwner: Int, Sendable, Equatable { case root, response }

    /// Objects the tap descends into.
    var isObject: Bool {
        switch self {
        case .root, .xGroq, .response, .message, .usage, .usageDetails, .error, .outputItem, .candidate: true
        default: false
        }
    }

    /// Arrays the tap descends into.
    var isArray: Bool {
        switch self {
        case .output, .candidates: true
        default: false
        }
    }

    /// The path of each element of this array.
    var element: UsagePath {
        switch self {
        case .output(let owner): .outputItem(owner)
        case .candidates: .candidate
        default: .ignored
        }
    }

    /// The path of the member named `key` of this object.
    func member(_ key: ShortName) -> UsagePath {
        switch self {
        case .root: Self.rootMember(key)
        case .xGroq: key == Names.usage ? .usage(.groqUsage) : .ignored
        case .response:
            key == Names.model ? .responseModel
                : key == Names.usage ? .usage(.responseUsage)
                : key == Names.output ? .output(.response)
                : key == Names.error ? .error(.response) : .ignored
        case .message:
            key == Names.model ? .messageModel : key == Names.usage ? .usage(.messageUsage) : .ignored
        case .usage(let group): Self.usageMember(key, of: group)
        case .usageDetails(let group, let details): Self.detailsMember(key, of: details, in: group)
        case .error(let owner):
            key == Names.code ? .errorCode(owner) : key == Names.type ? .errorType(owner) : .ignored
        case .outputItem(let owner): key == Names.type ? .outputItemType(owner) : .ignored
        case .candidate: key == Names.finishReason ? .finishReason : .ignored
        default: .ignored
        }
    }

    private static func rootMember(_ key: ShortName) -> UsagePath {
        switch key.count {
        case 4: key == Names.type ? .type : key == Names.code ? .code : .ignored
        case 5:
            key == Names.model ? .model : key == Names.usage ? .usage(.usage)
                : key == Names.error ? .error(.root) : .ignored
        case 6: key == Names.object ? .object : key == Names.x_groq ? .xGroq : key == Names.output ? .output(.root) : .ignored
        case 7: key == Names.choices ? .choices : key == Names.message ? .message : .ignored
        case 8: key == Names.response ? .response : .ignored
        case 10: key == Names.candidates ? .candidates : .ignored
        case 12: key == Names.modelVersion ? .modelVersion : .ignored
        case 13: key == Names.usageMetadata ? .usage(.usageMetadata) : .ignored
        default: .ignored
        }
    }

    private static func usageMember(_ key: ShortName, of group: CountGroup) -> UsagePath {
        let field: CountField? =
            switch key {
            case Names.prompt_tokens: .promptTokens
            case Names.completion_tokens: .completionTokens
            case Names.total_tokens: .totalTokens
            case Names.input_tokens: .inputTokens
            case Names.output_tokens: .outputTokens
            case Names.cache_creation_input_tokens: .cacheCreationInputTokens
            case Names.cache_read_input_tokens: .cacheReadInputTokens
            case Names.promptTokenCount: .promptTokenCount
            case Names.toolUsePromptTokenCount: .toolUsePromptTokenCount
            case Names.candidatesTokenCount: .candidatesTokenCount
            case Names.thoughtsTokenCount: .thoughtsTokenCount
            case Names.cachedContentTokenCount: .cachedContentTokenCount
            case Names.totalTokenCount: .totalTokenCount
            default: nil
            }
        if let field { return .count(group, field) }
        let details: UsageDetails? =
            switch key {
            case Names.prompt_tokens_details: .promptTokens
            case Names.completion_tokens_details: .completionTokens
            case Names.input_tokens_details: .inputTokens
            case Names.output_tokens_details: .outputTokens
            case Names.server_tool_use: .serverToolUse
            default: nil
            }
        return details.map { .usageDetails(group, $0) } ?? .ignored
    }

    private static func detailsMember(_ key: ShortName, of details: UsageDetails, in group: CountGroup) -> UsagePath {
        let field: CountField? =
            switch (details, key) {
            case (.promptTokens, Names.cached_tokens): .promptCachedTokens
            case (.promptTokens, Names.cache_write_tokens): .promptCacheWriteTokens
            case (.completionTokens, Names.reasoning_tokens): .completionReasoningTokens
            case (.inputTokens, Names.cached_tokens): .inputCachedTokens
            case (.inputTokens, Names.cache_write_tokens): .inputCacheWriteTokens
            case (.outputTokens, Names.reasoning_tokens): .outputReasoningTokens
            case (.outputTokens, Names.thinking_tokens): .outputThinkingTokens
            case (.serverToolUse, Names.web_search_requests): .webSearchRequests
            default: nil
            }
        return field.map { .count(group, $0) } ?? .ignored
    }
}

/// The keys and values the tap compares against, as raw bytes.
enum Names {
    static let model = ShortName("model")
    static let object = ShortName("object")
    static let type = ShortName("type")
    static let code = ShortName("code")
    static let modelVersion = ShortName("modelVersion")
    static let choices = ShortName("choices")
    static let candidates = ShortName("candidates")
    static let x_groq = ShortName("x_groq")
    static let response = ShortName("response")
    static let message = ShortName("message")
    static let usage = ShortName("usage")
    static let usageMetadata = ShortName("usageMetadata")
    static let error = ShortName("error")
    static let output = ShortName("output")
    static let finishReason = ShortName("finishReason")

    static let prompt_tokens = ShortName("prompt_tokens")
    static let completion_tokens = ShortName("completion_tokens")
    static let total_tokens = ShortName("total_tokens")
    static let input_tokens = ShortName("input_tokens")
    static let output_tokens = ShortName("output_tokens")
    static let cache_creation_input_tokens = ShortName("cache_creation_input_tokens")
    static let cache_read_input_tokens = ShortName("cache_read_input_tokens")
    static let prompt_tokens_details = ShortName("prompt_tokens_details")
    static let completion_tokens_details = ShortName("completion_tokens_details")
    static let input_tokens_details = ShortName("input_tokens_details")
    static let output_tokens_details = ShortName("output_tokens_details")
    static let server_tool_use = ShortName("server_tool_use")
    static let cached_tokens = ShortName("cached_tokens")
    static let cache_write_tokens = ShortName("cache_write_tokens")
    static let reasoning_tokens = ShortName("reasoning_tokens")
    static let thinking_tokens = ShortName("thinking_tokens")
    static let web_search_requests = ShortName("web_search_requests")
    static let promptTokenCount = ShortName("promptTokenCount")
    static let toolUsePromptTokenCount = ShortName("toolUsePromptTokenCount")
    static let candidatesTokenCount = ShortName("candidatesTokenCount")
    static let thoughtsTokenCount = ShortName("thoughtsTokenCount")
    static let cachedContentTokenCount = ShortName("cachedContentTokenCount")
    static let totalTokenCount = ShortName("totalTokenCount")

    // Values of `type` and `object`.
    static let responsePrefix = ShortName("response.")
    static let responseCompleted = ShortName("response.completed")
    static let responseIncomplete = ShortName("response.incomplete")
    static let responseFailed = ShortName("response.failed")
    static let messageStart = ShortName("message_start")
    static let messageDelta = ShortName("message_delta")
    static let messageStop = ShortName("message_stop")
    static let contentBlockStart = ShortName("content_block_start")
    static let contentBlockDelta = ShortName("content_block_delta")
    static let ping = ShortName("ping")
    static let chatCompletionChunk = ShortName("chat.completion.chunk")
    static let chatCompletion = ShortName("chat.completion")
    static let webSearchCall = ShortName("web_search_call")
    static let done = ShortName("[DONE]")
}
