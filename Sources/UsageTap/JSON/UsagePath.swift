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
    @_spi(Reference) public func member<Key: KeyText>(_ key: Key) -> UsagePath {
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

    private static func rootMember<Key: KeyText>(_ key: Key) -> UsagePath {
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

    private static func usageMember<Key: KeyText>(_ key: Key, of group: CountGroup) -> UsagePath {
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

    private static func detailsMember<Key: KeyText>(_ key: Key, of details: UsageDetails, in group: CountGroup) -> UsagePath {
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
/// Computed rather than stored, and written as the words themselves (each name's bytes, first
/// byte lowest, as `ShortName` packs them): each is then four constants folded into the
/// comparison, where a stored static would be a lazily initialised global checked on every
/// lookup, and a name built from its text would be loaded byte by byte at run time.
/// `MemberNameTests` checks each against its text.
enum Names {
    static var model: ShortName { ShortName(count: 5, w0: 0x6C_6564_6F6D) }  // "model"
    static var object: ShortName { ShortName(count: 6, w0: 0x7463_656A_626F) }  // "object"
    static var type: ShortName { ShortName(count: 4, w0: 0x6570_7974) }  // "type"
    static var code: ShortName { ShortName(count: 4, w0: 0x6564_6F63) }  // "code"
    static var modelVersion: ShortName { ShortName(count: 12, w0: 0x7265_566C_6564_6F6D, w1: 0x6E6F_6973) }  // "modelVersion"
    static var choices: ShortName { ShortName(count: 7, w0: 0x73_6563_696F_6863) }  // "choices"
    static var candidates: ShortName { ShortName(count: 10, w0: 0x7461_6469_646E_6163, w1: 0x7365) }  // "candidates"
    static var x_groq: ShortName { ShortName(count: 6, w0: 0x716F_7267_5F78) }  // "x_groq"
    static var response: ShortName { ShortName(count: 8, w0: 0x6573_6E6F_7073_6572) }  // "response"
    static var message: ShortName { ShortName(count: 7, w0: 0x65_6761_7373_656D) }  // "message"
    static var usage: ShortName { ShortName(count: 5, w0: 0x65_6761_7375) }  // "usage"
    static var usageMetadata: ShortName { ShortName(count: 13, w0: 0x7465_4D65_6761_7375, w1: 0x61_7461_6461) }  // "usageMetadata"
    static var error: ShortName { ShortName(count: 5, w0: 0x72_6F72_7265) }  // "error"
    static var output: ShortName { ShortName(count: 6, w0: 0x7475_7074_756F) }  // "output"
    static var finishReason: ShortName { ShortName(count: 12, w0: 0x6552_6873_696E_6966, w1: 0x6E6F_7361) }  // "finishReason"

    static var prompt_tokens: ShortName { ShortName(count: 13, w0: 0x745F_7470_6D6F_7270, w1: 0x73_6E65_6B6F) }  // "prompt_tokens"
    static var completion_tokens: ShortName { ShortName(count: 17, w0: 0x6974_656C_706D_6F63, w1: 0x6E65_6B6F_745F_6E6F, w2: 0x73) }  // "completion_tokens"
    static var total_tokens: ShortName { ShortName(count: 12, w0: 0x6F74_5F6C_6174_6F74, w1: 0x736E_656B) }  // "total_tokens"
    static var input_tokens: ShortName { ShortName(count: 12, w0: 0x6F74_5F74_7570_6E69, w1: 0x736E_656B) }  // "input_tokens"
    static var output_tokens: ShortName { ShortName(count: 13, w0: 0x745F_7475_7074_756F, w1: 0x73_6E65_6B6F) }  // "output_tokens"
    static var cache_creation_input_tokens: ShortName { ShortName(count: 27, w0: 0x7263_5F65_6863_6163, w1: 0x695F_6E6F_6974_6165, w2: 0x6B6F_745F_7475_706E, w3: 0x73_6E65) }  // "cache_creation_input_tokens"
    static var cache_read_input_tokens: ShortName { ShortName(count: 23, w0: 0x6572_5F65_6863_6163, w1: 0x7475_706E_695F_6461, w2: 0x73_6E65_6B6F_745F) }  // "cache_read_input_tokens"
    static var prompt_tokens_details: ShortName { ShortName(count: 21, w0: 0x745F_7470_6D6F_7270, w1: 0x6564_5F73_6E65_6B6F, w2: 0x73_6C69_6174) }  // "prompt_tokens_details"
    static var completion_tokens_details: ShortName { ShortName(count: 25, w0: 0x6974_656C_706D_6F63, w1: 0x6E65_6B6F_745F_6E6F, w2: 0x6C69_6174_6564_5F73, w3: 0x73) }  // "completion_tokens_details"
    static var input_tokens_details: ShortName { ShortName(count: 20, w0: 0x6F74_5F74_7570_6E69, w1: 0x7465_645F_736E_656B, w2: 0x736C_6961) }  // "input_tokens_details"
    static var output_tokens_details: ShortName { ShortName(count: 21, w0: 0x745F_7475_7074_756F, w1: 0x6564_5F73_6E65_6B6F, w2: 0x73_6C69_6174) }  // "output_tokens_details"
    static var server_tool_use: ShortName { ShortName(count: 15, w0: 0x745F_7265_7672_6573, w1: 0x65_7375_5F6C_6F6F) }  // "server_tool_use"
    static var cached_tokens: ShortName { ShortName(count: 13, w0: 0x745F_6465_6863_6163, w1: 0x73_6E65_6B6F) }  // "cached_tokens"
    static var cache_write_tokens: ShortName { ShortName(count: 18, w0: 0x7277_5F65_6863_6163, w1: 0x656B_6F74_5F65_7469, w2: 0x736E) }  // "cache_write_tokens"
    static var reasoning_tokens: ShortName { ShortName(count: 16, w0: 0x6E69_6E6F_7361_6572, w1: 0x736E_656B_6F74_5F67) }  // "reasoning_tokens"
    static var thinking_tokens: ShortName { ShortName(count: 15, w0: 0x676E_696B_6E69_6874, w1: 0x73_6E65_6B6F_745F) }  // "thinking_tokens"
    static var web_search_requests: ShortName { ShortName(count: 19, w0: 0x7261_6573_5F62_6577, w1: 0x6575_7165_725F_6863, w2: 0x73_7473) }  // "web_search_requests"
    static var promptTokenCount: ShortName { ShortName(count: 16, w0: 0x6F54_7470_6D6F_7270, w1: 0x746E_756F_436E_656B) }  // "promptTokenCount"
    static var toolUsePromptTokenCount: ShortName { ShortName(count: 23, w0: 0x5065_7355_6C6F_6F74, w1: 0x6B6F_5474_706D_6F72, w2: 0x74_6E75_6F43_6E65) }  // "toolUsePromptTokenCount"
    static var candidatesTokenCount: ShortName { ShortName(count: 20, w0: 0x7461_6469_646E_6163, w1: 0x436E_656B_6F54_7365, w2: 0x746E_756F) }  // "candidatesTokenCount"
    static var thoughtsTokenCount: ShortName { ShortName(count: 18, w0: 0x7374_6867_756F_6874, w1: 0x756F_436E_656B_6F54, w2: 0x746E) }  // "thoughtsTokenCount"
    static var cachedContentTokenCount: ShortName { ShortName(count: 23, w0: 0x6F43_6465_6863_6163, w1: 0x6B6F_5474_6E65_746E, w2: 0x74_6E75_6F43_6E65) }  // "cachedContentTokenCount"
    static var totalTokenCount: ShortName { ShortName(count: 15, w0: 0x6B6F_546C_6174_6F74, w1: 0x74_6E75_6F43_6E65) }  // "totalTokenCount"

    // Values of `type` and `object`.
    static var responsePrefix: ShortName { ShortName(count: 9, w0: 0x6573_6E6F_7073_6572, w1: 0x2E) }  // "response."
    static var responseCompleted: ShortName { ShortName(count: 18, w0: 0x6573_6E6F_7073_6572, w1: 0x7465_6C70_6D6F_632E, w2: 0x6465) }  // "response.completed"
    static var responseIncomplete: ShortName { ShortName(count: 19, w0: 0x6573_6E6F_7073_6572, w1: 0x6C70_6D6F_636E_692E, w2: 0x65_7465) }  // "response.incomplete"
    static var responseFailed: ShortName { ShortName(count: 15, w0: 0x6573_6E6F_7073_6572, w1: 0x64_656C_6961_662E) }  // "response.failed"
    static var messageStart: ShortName { ShortName(count: 13, w0: 0x5F65_6761_7373_656D, w1: 0x74_7261_7473) }  // "message_start"
    static var messageDelta: ShortName { ShortName(count: 13, w0: 0x5F65_6761_7373_656D, w1: 0x61_746C_6564) }  // "message_delta"
    static var messageStop: ShortName { ShortName(count: 12, w0: 0x5F65_6761_7373_656D, w1: 0x706F_7473) }  // "message_stop"
    static var contentBlockStart: ShortName { ShortName(count: 19, w0: 0x5F74_6E65_746E_6F63, w1: 0x7473_5F6B_636F_6C62, w2: 0x74_7261) }  // "content_block_start"
    static var contentBlockDelta: ShortName { ShortName(count: 19, w0: 0x5F74_6E65_746E_6F63, w1: 0x6564_5F6B_636F_6C62, w2: 0x61_746C) }  // "content_block_delta"
    static var ping: ShortName { ShortName(count: 4, w0: 0x676E_6970) }  // "ping"
    static var chatCompletionChunk: ShortName { ShortName(count: 21, w0: 0x6D6F_632E_7461_6863, w1: 0x2E6E_6F69_7465_6C70, w2: 0x6B_6E75_6863) }  // "chat.completion.chunk"
    static var chatCompletion: ShortName { ShortName(count: 15, w0: 0x6D6F_632E_7461_6863, w1: 0x6E_6F69_7465_6C70) }  // "chat.completion"
    static var webSearchCall: ShortName { ShortName(count: 15, w0: 0x7261_6573_5F62_6577, w1: 0x6C_6C61_635F_6863) }  // "web_search_call"
    static var done: ShortName { ShortName(count: 6, w0: 0x5D45_4E4F_445B) }  // "[DONE]"
}
