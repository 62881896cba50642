/// A place in an event's JSON that the tap reads, and what lives there.
///
/// The tap follows only the paths named in DESIGN.md; every other value is `ignored` and its
/// contents are skipped without being looked at. A `"usage"` inside a string, inside `choices`,
/// or at any depth other than the named ones therefore never counts.
@_spi(Reference) public enum UsagePath: Sendable, Equatable {
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

    @_spi(Reference) public enum UsageDetails: Sendable, Equatable {
        case promptTokens, completionTokens, inputTokens, outputTokens, serverToolUse
    }

    /// Whose error object: the event's top-level `error`, or `response.error`.
    @_spi(Reference) public enum ErrorOwner: Int, Sendable, Equatable { case root, response }

    /// Whose `output` array: the top-level one of a Responses body, or an event's `response.output`.
    @_spi(Reference) public enum OutputOwner: Int, Sendable, Equatable { case root, response }

    /// Objects the tap descends into.
    @_spi(Reference) public var isObject: Bool {
        switch self {
        case .root, .xGroq, .response, .message, .usage, .usageDetails, .error, .outputItem, .candidate: true
        default: false
        }
    }

    /// Arrays the tap descends into.
    @_spi(Reference) public var isArray: Bool {
        switch self {
        case .output, .candidates: true
        default: false
        }
    }

    /// The path of each element of this array.
    @_spi(Reference) public var element: UsagePath {
        switch self {
        case .output(let owner): .outputItem(owner)
        case .candidates: .candidate
        default: .ignored
        }
    }

    /// The path of the member named `key` of this object.
    @_spi(Reference) public func member(_ key: ShortName) -> UsagePath {
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
///
/// Computed rather than stored: each folds to four constant words, where a stored static would
/// be a lazily initialised global, checked on every one of the many lookups per event.
enum Names {
    static var model: ShortName { ShortName("model") }
    static var object: ShortName { ShortName("object") }
    static var type: ShortName { ShortName("type") }
    static var code: ShortName { ShortName("code") }
    static var modelVersion: ShortName { ShortName("modelVersion") }
    static var choices: ShortName { ShortName("choices") }
    static var candidates: ShortName { ShortName("candidates") }
    static var x_groq: ShortName { ShortName("x_groq") }
    static var response: ShortName { ShortName("response") }
    static var message: ShortName { ShortName("message") }
    static var usage: ShortName { ShortName("usage") }
    static var usageMetadata: ShortName { ShortName("usageMetadata") }
    static var error: ShortName { ShortName("error") }
    static var output: ShortName { ShortName("output") }
    static var finishReason: ShortName { ShortName("finishReason") }

    static var prompt_tokens: ShortName { ShortName("prompt_tokens") }
    static var completion_tokens: ShortName { ShortName("completion_tokens") }
    static var total_tokens: ShortName { ShortName("total_tokens") }
    static var input_tokens: ShortName { ShortName("input_tokens") }
    static var output_tokens: ShortName { ShortName("output_tokens") }
    static var cache_creation_input_tokens: ShortName { ShortName("cache_creation_input_tokens") }
    static var cache_read_input_tokens: ShortName { ShortName("cache_read_input_tokens") }
    static var prompt_tokens_details: ShortName { ShortName("prompt_tokens_details") }
    static var completion_tokens_details: ShortName { ShortName("completion_tokens_details") }
    static var input_tokens_details: ShortName { ShortName("input_tokens_details") }
    static var output_tokens_details: ShortName { ShortName("output_tokens_details") }
    static var server_tool_use: ShortName { ShortName("server_tool_use") }
    static var cached_tokens: ShortName { ShortName("cached_tokens") }
    static var cache_write_tokens: ShortName { ShortName("cache_write_tokens") }
    static var reasoning_tokens: ShortName { ShortName("reasoning_tokens") }
    static var thinking_tokens: ShortName { ShortName("thinking_tokens") }
    static var web_search_requests: ShortName { ShortName("web_search_requests") }
    static var promptTokenCount: ShortName { ShortName("promptTokenCount") }
    static var toolUsePromptTokenCount: ShortName { ShortName("toolUsePromptTokenCount") }
    static var candidatesTokenCount: ShortName { ShortName("candidatesTokenCount") }
    static var thoughtsTokenCount: ShortName { ShortName("thoughtsTokenCount") }
    static var cachedContentTokenCount: ShortName { ShortName("cachedContentTokenCount") }
    static var totalTokenCount: ShortName { ShortName("totalTokenCount") }

    // Values of `type` and `object`.
    static var responsePrefix: ShortName { ShortName("response.") }
    static var responseCompleted: ShortName { ShortName("response.completed") }
    static var responseIncomplete: ShortName { ShortName("response.incomplete") }
    static var responseFailed: ShortName { ShortName("response.failed") }
    static var messageStart: ShortName { ShortName("message_start") }
    static var messageDelta: ShortName { ShortName("message_delta") }
    static var messageStop: ShortName { ShortName("message_stop") }
    static var contentBlockStart: ShortName { ShortName("content_block_start") }
    static var contentBlockDelta: ShortName { ShortName("content_block_delta") }
    static var ping: ShortName { ShortName("ping") }
    static var chatCompletionChunk: ShortName { ShortName("chat.completion.chunk") }
    static var chatCompletion: ShortName { ShortName("chat.completion") }
    static var webSearchCall: ShortName { ShortName("web_search_call") }
    static var done: ShortName { ShortName("[DONE]") }
}
