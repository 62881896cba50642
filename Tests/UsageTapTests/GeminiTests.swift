import Testing
import TestSupport
import UsageTap

@Suite("Gemini")
struct GeminiTests {
    @Test func crlfStreamWithThoughtsAndToolUsePrompt() {
        let stream = sse(
            #"{"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":2,"totalTokenCount":12},"modelVersion":"gemini-2.5-pro"}"#,
            #"{"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":10,"toolUsePromptTokenCount":5,"candidatesTokenCount":20,"thoughtsTokenCount":30,"cachedContentTokenCount":4,"totalTokenCount":65},"modelVersion":"gemini-2.5-pro"}"#,
            lineEnd: "\r\n")
        let (record, disagreements) = usageUnderEverySlicing(of: stream)
        #expect(disagreements.isEmpty)
        #expect(record == UsageRecord(apiProtocol: .gemini, model: "gemini-2.5-pro", finished: true, inputTokens: 15, outputTokens: 50, totalTokens: 65, cachedInputTokens: 4, cacheWriteTokens: 0, reasoningTokens: 30))
    }

    @Test func withoutAFinishReasonTheStreamIsNotFinished() {
        let record = usage(of: sse(#"{"candidates":[{"finishReason":null}],"usageMetadata":{"promptTokenCount":1}}"#))
        #expect(!record.finished && record.inputTokens == 1 && record.totalTokens == 1)
    }
}
