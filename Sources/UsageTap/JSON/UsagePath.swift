/// A place in an event's JSON that the tap reads, and what lives there: one byte.
///
/// The tap follows only the paths named in DESIGN.md; every other value is `ignored` and its
/// contents are skipped without being looked at. A `"usage"` inside a string, inside `choices`,
/// or at any depth other than the named ones therefore never counts.
///
/// A path is a single byte rather than an enum with payloads, so that the walker keeps it in a
/// register and asks what a path holds (an object to enter, a string to keep, a count to read)
/// with one bit test against a constant, instead of taking a multi-payload enum apart for each
/// token. The byte's ranges are laid out for that:
///
/// | raw | path |
/// |---|---|
/// | 0, 1 | ignored, root |
/// | 2-15 | top-level members and the nested strings (one each) |
/// | 16-27 | error, error code, error type, output, output item, output item type (two owners each) |
/// | 28, 29 | `cacheCreation(group)`: Anthropic's `cache_creation` in `usage` and `message.usage` |
/// | 32-36 | `usage(group)` |
/// | 37-61 | `usageDetails(group, details)` |
/// | 128-237 | `count(group, field)` |
@_spi(Reference) public struct UsagePath: Sendable, Equatable, CustomStringConvertible {
    @_spi(Reference) public let raw: UInt8

    @inline(__always)
    private init(_ raw: UInt8) { self.raw = raw }

    @_spi(Reference) public static let ignored = UsagePath(0)
    @_spi(Reference) public static let root = UsagePath(1)
    // Top-level members.
    static let model = UsagePath(2)
    static let object = UsagePath(3)
    static let type = UsagePath(4)
    static let code = UsagePath(5)
    static let modelVersion = UsagePath(6)
    static let choices = UsagePath(7)
    static let candidates = UsagePath(8)
    static let xGroq = UsagePath(9)
    static let response = UsagePath(10)
    static let message = UsagePath(11)
    // Nested strings and Gemini's candidates.
    static let responseModel = UsagePath(12)
    static let messageModel = UsagePath(13)
    static let candidate = UsagePath(14)
    static let finishReason = UsagePath(15)

    /// Whose error object: the event's top-level `error`, or `response.error`.
    @_spi(Reference) public enum ErrorOwner: Int, Sendable, Equatable { case root, response }

    /// Whose `output` array: the top-level one of a Responses body, or an event's `response.output`.
    @_spi(Reference) public enum OutputOwner: Int, Sendable, Equatable { case root, response }

    @_spi(Reference) public enum UsageDetails: Int, Sendable, Equatable {
        case promptTokens, completionTokens, inputTokens, outputTokens, serverToolUse
    }

    // Error objects and their members, Responses `output` arrays and their items.
    static func error(_ owner: ErrorOwner) -> UsagePath { UsagePath(16 &+ UInt8(owner.rawValue)) }
    static func errorCode(_ owner: ErrorOwner) -> UsagePath { UsagePath(18 &+ UInt8(owner.rawValue)) }
    static func errorType(_ owner: ErrorOwner) -> UsagePath { UsagePath(20 &+ UInt8(owner.rawValue)) }
    static func output(_ owner: OutputOwner) -> UsagePath { UsagePath(22 &+ UInt8(owner.rawValue)) }
    static func outputItem(_ owner: OutputOwner) -> UsagePath { UsagePath(24 &+ UInt8(owner.rawValue)) }
    static func outputItemType(_ owner: OutputOwner) -> UsagePath { UsagePath(26 &+ UInt8(owner.rawValue)) }
    /// Anthropic's `cache_creation` object, in a message delta's `usage` and `message_start`'s
    /// `message.usage` (and a body's `usage`): the only two usage objects that carry it.
    static let usageCacheCreation = UsagePath(28)
    static let messageUsageCacheCreation = UsagePath(29)
    static func cacheCreation(_ group: CountGroup) -> UsagePath? {
        switch group {
        case .usage: usageCacheCreation
        case .messageUsage: messageUsageCacheCreation
        case .groqUsage, .responseUsage, .usageMetadata: nil
        }
    }

    // Usage objects, their nested detail objects, and their integer fields.
    @_spi(Reference) public static func usage(_ group: CountGroup) -> UsagePath { UsagePath(32 &+ UInt8(group.rawValue)) }
    @_spi(Reference) public static func usageDetails(_ group: CountGroup, _ details: UsageDetails) -> UsagePath {
        UsagePath(37 &+ UInt8(group.rawValue &* 5 &+ details.rawValue))
    }
    static func count(_ group: CountGroup, _ field: CountField) -> UsagePath {
        UsagePath(128 &+ UInt8(group.rawValue &* CountSlots.fieldCount &+ field.rawValue))
    }

    // MARK: What a path holds

    /// `1 << raw` for paths below 64, 0 above: the argument of the bit tests below, and of the
    /// sets of paths the tally gives the walker (``EventFacts/unwanted``, ``EventFacts/stopsAt``).
    @inline(__always)
    var bit: UInt64 { raw < 64 ? 1 &<< UInt64(raw) : 0 }

    /// The set of `paths` (each below 64), one bit per path.
    static func set(_ paths: UsagePath...) -> UInt64 {
        paths.reduce(0) { set, path in
            assert(path.raw < 64, "UsagePath: \(path) has no bit")
            return set | path.bit
        }
    }

    /// Whether this path is in `set`; a path from 64 on never is.
    @inline(__always)
    func isIn(_ set: UInt64) -> Bool { set & bit != 0 }

    /// root, x_groq, response, message, candidate, the two errors and output items, usage and
    /// usage details.
    private static let objects: UInt64 = 0x3FFF_FFFF_0000_0000 | 1 << 1 | 1 << 9 | 1 << 10 | 1 << 11 | 1 << 14
        | 1 << 16 | 1 << 17 | 1 << 24 | 1 << 25 | 1 << 28 | 1 << 29
    /// candidates and the two output arrays.
    private static let arrays: UInt64 = 1 << 8 | 1 << 22 | 1 << 23
    /// model, object, type, code, modelVersion, the nested models, finishReason, error codes and
    /// types, output item types.
    private static let strings: UInt64 = 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 12 | 1 << 13 | 1 << 15
        | 1 << 18 | 1 << 19 | 1 << 20 | 1 << 21 | 1 << 26 | 1 << 27
    /// code and the error codes (counts, from 128, are tested apart).
    private static let scalars: UInt64 = 1 << 5 | 1 << 18 | 1 << 19

    /// Objects the tap descends into.
    @_spi(Reference) public var isObject: Bool { Self.objects & bit != 0 }
    /// Arrays the tap descends into.
    @_spi(Reference) public var isArray: Bool { Self.arrays & bit != 0 }
    /// Whether a string value here is kept; the others are skipped unread.
    var capturesString: Bool { Self.strings & bit != 0 }
    /// Whether a number or literal here is read; the others are skipped unread.
    var readsScalar: Bool { raw >= 128 || Self.scalars & bit != 0 }

    /// The usage object's group, for `usage(group)`.
    @inline(__always)
    var usageGroup: CountGroup? {
        // A switch the compiler makes a table of: `CountGroup(rawValue:)` is a call.
        switch raw {
        case 32: .usage
        case 33: .groqUsage
        case 34: .responseUsage
        case 35: .messageUsage
        case 36: .usageMetadata
        default: nil
        }
    }
    /// The group's and the field's raw values, for `count(group, field)`: plain arithmetic on the
    /// byte, since every such byte names a valid pair.
    @inline(__always)
    var countSlot: (group: Int, field: Int)? {
        guard raw >= 128 else { return nil }
        let index = Int(raw &- 128)
        return (index / CountSlots.fieldCount, index % CountSlots.fieldCount)
    }
    /// The owner, for the paths of the two error objects (16-21) and the two outputs (22-27).
    private var owner: Int { Int(raw & 1) }
    var errorOwner: ErrorOwner { ErrorOwner(rawValue: owner)! }
    var outputOwner: OutputOwner { OutputOwner(rawValue: owner)! }
    var isError: Bool { raw == 16 || raw == 17 }
    var isErrorCode: Bool { raw == 18 || raw == 19 }
    var isErrorType: Bool { raw == 20 || raw == 21 }
    var isOutput: Bool { raw == 22 || raw == 23 }
    var isOutputItem: Bool { raw == 24 || raw == 25 }
    var isOutputItemType: Bool { raw == 26 || raw == 27 }

    /// The path of each element of this array.
    @_spi(Reference) public var element: UsagePath {
        switch raw {
        case 22, 23: UsagePath(raw &+ 2)  // output(owner) → outputItem(owner)
        case 8: .candidate
        default: .ignored
        }
    }

    @_spi(Reference) public var description: String { "UsagePath(\(raw))" }

    // MARK: Members

    /// The path of the member named `key` of this object.
    @inline(__always)
    @_spi(Reference) public func member<Key: KeyText>(_ key: Key) -> UsagePath {
        switch raw {
        case 1: Self.rootMember(key)
        case 32...36: Self.usageMember(key, of: usageGroup.unsafelyUnwrapped)
        default: nestedMember(key)
        }
    }

    private func nestedMember<Key: KeyText>(_ key: Key) -> UsagePath {
        switch raw {
        case 9: return key == Names.usage ? .usage(.groqUsage) : .ignored
        case 10:
            guard key.count == 5 || key.count == 6 else { return .ignored }
            return key == Names.model ? .responseModel
                : key == Names.usage ? .usage(.responseUsage)
                : key == Names.output ? .output(.response)
                : key == Names.error ? .error(.response) : .ignored
        case 11: return key == Names.model ? .messageModel : key == Names.usage ? .usage(.messageUsage) : .ignored
        case 14: return key == Names.finishReason ? .finishReason : .ignored
        case 16, 17: return key == Names.code ? .errorCode(errorOwner) : key == Names.type ? .errorType(errorOwner) : .ignored
        case 24, 25: return key == Names.type ? .outputItemType(outputOwner) : .ignored
        case 28, 29:
            return key == Names.ephemeral_1h_input_tokens ? .count(raw == 28 ? .usage : .messageUsage, .ephemeral1hInputTokens) : .ignored
        case 37...61:
            let index = Int(raw &- 37)
            // Safe: 37...61 are the five groups' five details.
            return Self.detailsMember(key, of: UsageDetails(rawValue: index % 5).unsafelyUnwrapped,
                                      in: CountGroup(rawValue: index / 5).unsafelyUnwrapped)
        default: return .ignored
        }
    }

    @inline(__always)
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

    /// A usage object's member: told apart by length first, so that a key is compared with
    /// the one to three names of its length, not with all eighteen.
    private static func usageMember<Key: KeyText>(_ key: Key, of group: CountGroup) -> UsagePath {
        let field: CountField?
        switch key.count {
        case 12:
            field = key == Names.total_tokens ? .totalTokens : key == Names.input_tokens ? .inputTokens : nil
        case 13:
            field = key == Names.prompt_tokens ? .promptTokens : key == Names.output_tokens ? .outputTokens : nil
        case 14: return key == Names.cache_creation ? .cacheCreation(group) ?? .ignored : .ignored
        case 15:
            if key == Names.server_tool_use { return .usageDetails(group, .serverToolUse) }
            field = key == Names.totalTokenCount ? .totalTokenCount : nil
        case 16: field = key == Names.promptTokenCount ? .promptTokenCount : nil
        case 17: field = key == Names.completion_tokens ? .completionTokens : nil
        case 18: field = key == Names.thoughtsTokenCount ? .thoughtsTokenCount : nil
        case 20:
            if key == Names.input_tokens_details { return .usageDetails(group, .inputTokens) }
            field = key == Names.candidatesTokenCount ? .candidatesTokenCount : nil
        case 21:
            return key == Names.prompt_tokens_details ? .usageDetails(group, .promptTokens)
                : key == Names.output_tokens_details ? .usageDetails(group, .outputTokens) : .ignored
        case 23:
            field = key == Names.cache_read_input_tokens ? .cacheReadInputTokens
                : key == Names.toolUsePromptTokenCount ? .toolUsePromptTokenCount
                : key == Names.cachedContentTokenCount ? .cachedContentTokenCount : nil
        case 25: return key == Names.completion_tokens_details ? .usageDetails(group, .completionTokens) : .ignored
        case 27: field = key == Names.cache_creation_input_tokens ? .cacheCreationInputTokens : nil
        default: field = nil
        }
        return field.map { .count(group, $0) } ?? .ignored
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
    static var cache_creation: ShortName { ShortName(count: 14, w0: 0x7263_5F65_6863_6163, w1: 0x6E6F_6974_6165) }  // "cache_creation"
    static var ephemeral_1h_input_tokens: ShortName { ShortName(count: 25, w0: 0x6172_656D_6568_7065, w1: 0x706E_695F_6831_5F6C, w2: 0x6E65_6B6F_745F_7475, w3: 0x73) }  // "ephemeral_1h_input_tokens"
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
