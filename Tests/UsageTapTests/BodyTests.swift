import Testing
import TestSupport
import UsageTap

/// Non-streaming JSON bodies: same fields, finished once the body is complete.
@Suite("JSON bodies")
struct BodyTests {
    @Test func aChatCompletionBody() {
        let body = "\u{FEFF} \n" + #"{"id":"c","object":"chat.completion","model":"gpt-4o","choices":[{"message":{"content":"usage"}}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#
        let (record, disagreements) = usageUnderEverySlicing(of: body)
        #expect(disagreements.isEmpty)
        #expect(record == UsageRecord(apiProtocol: .chat, model: "gpt-4o", finished: true, inputTokens: 9, outputTokens: 3, totalTokens: 12, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0))
    }

    @Test func aResponsesBody() {
        let record = usage(of: #"{"object":"response","model":"gpt-5","output":[{"type":"web_search_call"}],"usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}"#)
        #expect(record.apiProtocol == .responses && record.webSearchRequests == 1 && record.totalTokens == 7 && record.finished)
    }

    @Test func aMessagesBody() {
        let record = usage(of: #"{"type":"message","model":"claude","usage":{"input_tokens":3,"cache_read_input_tokens":5,"output_tokens":4}}"#)
        #expect(record.apiProtocol == .messages && record.inputTokens == 8 && record.cachedInputTokens == 5 && record.totalTokens == 12)
    }

    @Test func aGeminiBody() {
        let record = usage(of: #"{"candidates":[{"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":3},"modelVersion":"gemini-2.5-flash"}"#)
        #expect(record.apiProtocol == .gemini && record.totalTokens == 5 && record.finished && record.model == "gemini-2.5-flash")
    }

    /// A stream's tap stops capturing the members its protocol's events never use; a body's
    /// reader uses others (`usage` and `output` at the top of a Responses body), and must still
    /// find them when the protocol was named rather than detected.
    @Test(arguments: [
        (ProtocolSelection.chat, #"{"object":"chat.completion","model":"m","usage":{"prompt_tokens":9,"completion_tokens":3}}"#),
        (.responses, #"{"object":"response","model":"m","output":[{"type":"web_search_call"}],"usage":{"input_tokens":9,"output_tokens":3}}"#),
        (.messages, #"{"type":"message","model":"m","usage":{"input_tokens":9,"output_tokens":3}}"#),
        (.gemini, #"{"candidates":[{"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":3},"modelVersion":"m"}"#),
    ])
    func aBodyReadByANamedProtocolGivesWhatDetectionGives(selection: ProtocolSelection, body: String) {
        let named = usage(of: body, protocol: selection), detected = usage(of: body)
        #expect(named == detected)
        #expect(named.inputTokens == 9 && named.outputTokens == 3 && named.model == "m" && named.finished)
    }

    @Test func anUnrecognisedBodyHasNoProtocolButKeepsItsError() {
        let record = usage(of: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
        #expect(record.apiProtocol == nil && record.error == "overloaded_error" && record.inputTokens == nil)
    }

    @Test func aTruncatedBodyCountsNothingAndIsNotFinished() {
        let record = usage(of: #"{"object":"chat.completion","model":"m","usage":{"prompt_tokens":9,"completion_tokens":3"#)
        #expect(record == UsageRecord())
    }

    @Test(arguments: ["{}", "[DONE]", "x", "\"", "0"])
    func aBodyWithAnythingButWhitespaceAfterItsValueCountsNothing(after: String) {
        let body = #"{"object":"chat.completion","model":"m","usage":{"prompt_tokens":9,"completion_tokens":3}}"# + "\n" + after
        let (record, disagreements) = usageUnderEverySlicing(of: body)
        #expect(disagreements.isEmpty)
        #expect(record == UsageRecord())
        #expect(usage(of: body, protocol: .chat) == UsageRecord(apiProtocol: .chat))
    }

    @Test func aBodyFollowedByWhitespaceCounts() {
        let (record, disagreements) = usageUnderEverySlicing(of: #"{"object":"chat.completion","usage":{"prompt_tokens":9}}"# + " \r\n\t\n")
        #expect(disagreements.isEmpty)
        #expect(record.inputTokens == 9 && record.finished)
    }

    @Test func aBodysUsageIsThereOnceItsValueEndsAndGoneIfJunkFollows() {
        var tap = UsageTap()
        tap.feed(Array(#"{"object":"chat.completion","usage":{"prompt_tokens":9}}"#.utf8))
        #expect(tap.record.inputTokens == 9)
        tap.feed(Array(" ,".utf8))
        #expect(tap.record == UsageRecord())
        #expect(tap.finish() == UsageRecord())
    }

    @Test func aNamedProtocolReadsABodyByItsRules() {
        let record = usage(of: #"{"model":"x","usage":{"prompt_tokens":1}}"#, protocol: .chat)
        #expect(record.apiProtocol == .chat && record.inputTokens == 1)
    }
}
