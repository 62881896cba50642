import Testing
@_spi(Reference) @testable import UsageTap

/// The names the usage paths compare against are written as packed words (`Names`); these
/// tests hold each against its text, and a key read in place against the same key packed.
@Suite struct MemberNameTests {
    /// Every name in `Names`, with the text its words must spell.
    static let names: [(ShortName, StaticString)] = [
        (Names.model, "model"), (Names.object, "object"), (Names.type, "type"), (Names.code, "code"),
        (Names.modelVersion, "modelVersion"), (Names.choices, "choices"), (Names.candidates, "candidates"),
        (Names.x_groq, "x_groq"), (Names.response, "response"), (Names.message, "message"),
        (Names.usage, "usage"), (Names.usageMetadata, "usageMetadata"), (Names.error, "error"),
        (Names.output, "output"), (Names.finishReason, "finishReason"),
        (Names.prompt_tokens, "prompt_tokens"), (Names.completion_tokens, "completion_tokens"),
        (Names.total_tokens, "total_tokens"), (Names.input_tokens, "input_tokens"),
        (Names.output_tokens, "output_tokens"), (Names.cache_creation_input_tokens, "cache_creation_input_tokens"),
        (Names.cache_read_input_tokens, "cache_read_input_tokens"),
        (Names.prompt_tokens_details, "prompt_tokens_details"),
        (Names.completion_tokens_details, "completion_tokens_details"),
        (Names.input_tokens_details, "input_tokens_details"), (Names.output_tokens_details, "output_tokens_details"),
        (Names.server_tool_use, "server_tool_use"), (Names.cached_tokens, "cached_tokens"),
        (Names.cache_write_tokens, "cache_write_tokens"), (Names.reasoning_tokens, "reasoning_tokens"),
        (Names.thinking_tokens, "thinking_tokens"), (Names.web_search_requests, "web_search_requests"),
        (Names.cache_creation, "cache_creation"), (Names.ephemeral_1h_input_tokens, "ephemeral_1h_input_tokens"),
        (Names.promptTokenCount, "promptTokenCount"), (Names.toolUsePromptTokenCount, "toolUsePromptTokenCount"),
        (Names.candidatesTokenCount, "candidatesTokenCount"), (Names.thoughtsTokenCount, "thoughtsTokenCount"),
        (Names.cachedContentTokenCount, "cachedContentTokenCount"), (Names.totalTokenCount, "totalTokenCount"),
        (Names.responsePrefix, "response."), (Names.responseCompleted, "response.completed"),
        (Names.responseIncomplete, "response.incomplete"), (Names.responseFailed, "response.failed"),
        (Names.messageStart, "message_start"), (Names.messageDelta, "message_delta"),
        (Names.messageStop, "message_stop"), (Names.contentBlockStart, "content_block_start"),
        (Names.contentBlockDelta, "content_block_delta"), (Names.ping, "ping"),
        (Names.chatCompletionChunk, "chat.completion.chunk"), (Names.chatCompletion, "chat.completion"),
        (Names.webSearchCall, "web_search_call"), (Names.done, "[DONE]"),
    ]

    /// Keys around the names: each one's neighbours by a byte, a length, a case.
    static var keys: [[UInt8]] {
        var keys: [[UInt8]] = [[], Array("id".utf8), Array("created".utf8), Array("system_fingerprint".utf8),
                               Array(repeating: UInt8(ascii: "a"), count: 40)]
        for (_, text) in names {
            let bytes = Array(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
            keys.append(bytes)
            keys.append(Array(bytes.dropLast()))
            keys.append(bytes + [UInt8(ascii: "s")])
            keys.append(bytes.map { $0 ^ 0x20 })
            var lastChanged = bytes
            lastChanged[lastChanged.count - 1] ^= 1
            keys.append(lastChanged)
        }
        return keys
    }

    /// The paths whose members are named: each object the tap descends into.
    static let objects: [UsagePath] = [
        .root, .xGroq, .response, .message, .usage(.usage), .usage(.usageMetadata),
        .usageDetails(.usage, .promptTokens), .usageDetails(.usage, .completionTokens),
        .usageDetails(.usage, .inputTokens), .usageDetails(.usage, .outputTokens),
        .usageDetails(.usage, .serverToolUse), .error(.root), .outputItem(.response), .candidate,
        .usageCacheCreation, .messageUsageCacheCreation,
    ]

    @Test func eachNameSpellsItsText() {
        for (name, text) in Self.names {
            #expect(name == ShortName(text), "\(text)")
        }
    }

    @Test func aKeyReadInPlaceNamesTheSamePathAsTheSameKeyPacked() {
        for key in Self.keys {
            // Padding after the key, as in a slice, so that whole words can be loaded past it.
            for padding in [0, 3, 40] {
                let bytes = key + Array(repeating: UInt8(ascii: "\""), count: padding)
                bytes.withUnsafeBytes { buffer in
                    let start = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                    let raw = RawKey(start, count: key.count, readable: buffer.count)
                    var packed = ShortName()
                    packed.append(UnsafeRawBufferPointer(start: start, count: key.count))
                    for object in Self.objects {
                        #expect(object.member(raw) == object.member(packed),
                                "\(String(decoding: key, as: UTF8.self)) in \(object), \(padding) bytes after")
                    }
                }
            }
        }
    }
}
