import Testing
import TestSupport
import UsageTap

@Suite("Messages")
struct MessagesTests {
    let start = #"{"type":"message_start","message":{"id":"m1","model":"claude-sonnet-4-5","usage":{"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":3000,"output_tokens":1}}}"#
    let ping = #"{"type": "ping"}"#
    let text = #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\"usage\": {\"output_tokens\": 999}"}}"#
    let stop = #"{"type":"message_stop"}"#

    @Test func cumulativeDeltasOverwriteAndAreNeverAdded() {
        let stream = sse(start, ping, text,
                         #"{"type":"message_delta","delta":{"stop_reason":null},"usage":{"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":3000,"output_tokens":20}}"#,
                         #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":3000,"output_tokens":45}}"#,
                         stop)
        let (record, disagreements) = usageUnderEverySlicing(of: "event: message_start\n" + stream)
        #expect(disagreements.isEmpty)
        #expect(record == UsageRecord(apiProtocol: .messages, model: "claude-sonnet-4-5", finished: true, inputTokens: 3210, outputTokens: 45, totalTokens: 3255, cachedInputTokens: 3000, cacheWriteTokens: 200, reasoningTokens: 0))
    }

    @Test func aDeltaOverwritesOnlyTheCountsItCarries() {
        let record = usage(of: sse(start, #"{"type":"message_delta","usage":{"output_tokens":7}}"#, stop))
        #expect(record.inputTokens == 3210 && record.outputTokens == 7)
    }

    @Test func aLaterDeltaWithoutUsageChangesNothing() {
        let record = usage(of: sse(start, #"{"type":"message_delta","usage":{"output_tokens":7}}"#, #"{"type":"message_delta","delta":{"stop_reason":"end_turn"}}"#, stop))
        #expect(record.outputTokens == 7 && record.inputTokens == 3210)
    }

    @Test func usageOnlyOnMessageDeltaStartsFromZeros() {
        let record = usage(of: sse(#"{"type":"message_delta","usage":{"output_tokens":9,"input_tokens":4}}"#, stop))
        #expect(record == UsageRecord(apiProtocol: .messages, finished: true, inputTokens: 4, outputTokens: 9, totalTokens: 13, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0))
    }

    @Test func thinkingTokensAndWebSearchesOverwriteWhenPresent() {
        let record = usage(of: sse(start, #"{"type":"message_delta","usage":{"output_tokens":50,"output_tokens_details":{"thinking_tokens":30},"server_tool_use":{"web_search_requests":3}}}"#, stop))
        #expect(record.reasoningTokens == 30 && record.webSearchRequests == 3 && record.outputTokens == 50)
    }

    /// Anthropic's extended cache: `cache_creation` splits the writes into 5-minute and 1-hour
    /// parts. The 1-hour part is `cache_write_1h_tokens`, set by `message_start` (absent → 0)
    /// and overwritten by a delta that carries it; a `cache_creation` in text, or in a chat
    /// usage object, is not read.
    @Test func oneHourCacheWritesAreReadAtEverySlicing() {
        let startWithCache = #"{"type":"message_start","message":{"id":"m1","model":"claude-sonnet-4-5","usage":{"input_tokens":10,"cache_creation_input_tokens":5000,"cache_read_input_tokens":100,"cache_creation":{"ephemeral_5m_input_tokens":2000,"ephemeral_1h_input_tokens":3000},"output_tokens":1}}}"#
        let decoy = #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\"cache_creation\":{\"ephemeral_1h_input_tokens\":9}"}}"#
        let stream = sse(startWithCache, decoy,
                         #"{"type":"message_delta","usage":{"output_tokens":20}}"#,
                         #"{"type":"message_delta","usage":{"cache_creation":{"ephemeral_5m_input_tokens":1500,"ephemeral_1h_input_tokens":3500},"output_tokens":45}}"#,
                         stop)
        let (record, disagreements) = usageUnderEverySlicing(of: stream)
        #expect(disagreements.isEmpty, "\(disagreements.prefix(3))")
        #expect(record == UsageRecord(apiProtocol: .messages, model: "claude-sonnet-4-5", finished: true, inputTokens: 5110, outputTokens: 45,
                                      totalTokens: 5155, cachedInputTokens: 100, cacheWriteTokens: 5000, cacheWrite1hTokens: 3500, reasoningTokens: 0))
        #expect(record.jsonLine.contains(#""cache_write_tokens":5000,"cache_write_1h_tokens":3500,"#))

        // Without `cache_creation` in `message_start`, the 1-hour writes are 0, whatever a
        // delta's text holds.
        #expect(usage(of: sse(start, decoy, stop)).cacheWrite1hTokens == 0)
        // A chat usage object's `cache_creation` is not Anthropic's.
        let chat = usage(of: "data: " + #"{"object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"cache_creation":{"ephemeral_1h_input_tokens":4}}}"# + "\n\ndata: [DONE]\n\n")
        #expect(chat.cacheWrite1hTokens == 0 && chat.inputTokens == 5)
    }

    @Test func anErrorEventSetsTheErrorFromItsErrorObject() {
        let record = usage(of: "event: error\n" + sse(start, #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#))
        #expect(record.error == "overloaded_error" && !record.finished && record.inputTokens == 3210)
    }

    @Test func aTopLevelUsageOutsideMessageDeltaDoesNotCount() {
        let record = usage(of: sse(start, #"{"type":"content_block_start","usage":{"output_tokens":500}}"#, stop))
        #expect(record.outputTokens == 1)
    }
}
