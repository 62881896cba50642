import Foundation
import Testing
import TestSupport
import UsageTap

/// Property: for generated streams of every protocol, the record equals what the generator put
/// in, under every way of slicing the bytes tried (whole, byte by byte, every two-way split of
/// the smaller streams, and random multi-way cuts).
@Suite("Generated streams")
struct GeneratedStreamTests {
    @Test(arguments: 0..<40)
    func everySlicingOfAGeneratedStreamGivesTheGeneratorsRecord(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &* 0x9E37_79B9)
        let generated = GeneratedStream.make(using: &random)
        let bytes = Array(generated.text.utf8)
        let (record, disagreements) = usageUnderEverySlicing(of: bytes)
        #expect(disagreements.isEmpty, "seed \(seed)")
        #expect(record == generated.expected, "seed \(seed): \(generated.text)")
        for _ in 0..<20 {
            let cuts = (0..<Int.random(in: 1...12, using: &random)).map { _ in Int.random(in: 1..<max(bytes.count, 2), using: &random) }.sorted()
            #expect(usage(of: bytes, slicing: .at(cuts)) == record, "seed \(seed), cuts \(cuts)")
        }
    }
}

/// A random stream of one protocol and the record it must give.
struct GeneratedStream {
    var text: String
    var expected: UsageRecord

    static func make(using random: inout SeededRandom) -> GeneratedStream {
        let lineEnd = ["\n", "\r\n", "\r"].randomElement(using: &random)!
        var events: [String] = []
        func content() -> String {
            let pieces = [#"\"usage\": {\"prompt_tokens\": 7}"#, #"\\"#, "é日🎉", "data: [DONE]", #"{\"type\":\"message_stop\"}"#, "plain", "\\n\\r"]
            return (0..<Int.random(in: 0...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
        func count() -> Int { Int.random(in: 0...100_000, using: &random) }
        let input = count(), output = count(), cached = min(count(), input), reasoning = min(count(), output)
        let model = ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro", "m/o\\\"del"].randomElement(using: &random)!
        let decodedModel = model.replacingOccurrences(of: "\\\"", with: "\"")
        let chunks = Int.random(in: 0...6, using: &random)
        let finished = Bool.random(using: &random)
        var expected: UsageRecord
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            for _ in 0..<chunks { events.append(#"{"object":"chat.completion.chunk","model":"\#(model)","choices":[{"delta":{"content":"\#(content())"}}],"usage":null}"#) }
            events.append(#"{"model":"\#(model)","choices":[{"delta":{}}],"usage":{"prompt_tokens":\#(input),"completion_tokens":\#(output),"prompt_tokens_details":{"cached_tokens":\#(cached)},"completion_tokens_details":{"reasoning_tokens":\#(reasoning)}}}"#)
            if finished { events.append("[DONE]") }
            expected = UsageRecord(apiProtocol: .chat, model: decodedModel, finished: finished, inputTokens: input, outputTokens: output, totalTokens: input + output, cachedInputTokens: cached, cacheWriteTokens: 0, reasoningTokens: reasoning)
        case 1:
            events.append(#"{"type":"response.created","response":{"model":"\#(model)","usage":null}}"#)
            for _ in 0..<chunks { events.append(#"{"type":"response.output_text.delta","delta":"\#(content())"}"#) }
            if finished { events.append(#"{"type":"response.completed","response":{"output":[{"type":"web_search_call"}],"usage":{"input_tokens":\#(input),"input_tokens_details":{"cached_tokens":\#(cached)},"output_tokens":\#(output),"output_tokens_details":{"reasoning_tokens":\#(reasoning)},"total_tokens":\#(input + output)}}}"#) }
            expected = finished
                ? UsageRecord(apiProtocol: .responses, model: decodedModel, finished: true, inputTokens: input, outputTokens: output, totalTokens: input + output, cachedInputTokens: cached, cacheWriteTokens: 0, reasoningTokens: reasoning, webSearchRequests: 1)
                : UsageRecord(apiProtocol: .responses, model: decodedModel)
        case 2:
            events.append(#"{"type":"message_start","message":{"model":"\#(model)","usage":{"input_tokens":\#(input),"cache_read_input_tokens":\#(cached),"output_tokens":1}}}"#)
            for index in 0..<chunks {
                events.append(#"{"type":"content_block_delta","delta":{"text":"\#(content())"}}"#)
                events.append(#"{"type":"message_delta","usage":{"output_tokens":\#(index + 1)}}"#)
            }
            events.append(#"{"type": "ping"}"#)
            events.append(#"{"type":"message_delta","usage":{"output_tokens":\#(output)}}"#)
            if finished { events.append(#"{"type":"message_stop"}"#) }
            expected = UsageRecord(apiProtocol: .messages, model: decodedModel, finished: finished, inputTokens: input + cached, outputTokens: output, totalTokens: input + cached + output, cachedInputTokens: cached, cacheWriteTokens: 0, reasoningTokens: 0)
        default:
            for _ in 0..<chunks { events.append(#"{"candidates":[{"content":{"parts":[{"text":"\#(content())"}]}}],"usageMetadata":{"promptTokenCount":1},"modelVersion":"\#(model)"}"#) }
            events.append(#"{"candidates":[{\#(finished ? #""finishReason":"STOP","# : "")"index":0}],"usageMetadata":{"promptTokenCount":\#(input),"candidatesTokenCount":\#(output),"thoughtsTokenCount":\#(reasoning),"cachedContentTokenCount":\#(cached)},"modelVersion":"\#(model)"}"#)
            expected = UsageRecord(apiProtocol: .gemini, model: decodedModel, finished: finished, inputTokens: input, outputTokens: output + reasoning, totalTokens: input + output + reasoning, cachedInputTokens: cached, cacheWriteTokens: 0, reasoningTokens: reasoning)
        }
        var text = ""
        for event in events {
            if Bool.random(using: &random) { text += ": keep-alive" + lineEnd }
            text += "data: " + event + lineEnd + lineEnd
        }
        return GeneratedStream(text: text, expected: expected)
    }
}
