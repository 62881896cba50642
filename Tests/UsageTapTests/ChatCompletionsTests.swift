import Testing
import TestSupport
import UsageTap

@Suite("Chat Completions")
struct ChatCompletionsTests {
    let chunk = #"{"object":"chat.completion.chunk","model":"gpt-4o","choices":[{"delta":{"content":"hi"}}],"usage":null}"#

    @Test func usageComesFromTheFinalUsageChunk() {
        let stream = sse(chunk, #"{"object":"chat.completion.chunk","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":8,"cache_write_tokens":2},"completion_tokens_details":{"reasoning_tokens":20}}}"#, "[DONE]")
        let (record, disagreements) = usageUnderEverySlicing(of: stream)
        #expect(disagreements.isEmpty)
        #expect(record == UsageRecord(apiProtocol: .chat, model: "gpt-4o", finished: true, inputTokens: 12, outputTokens: 30, totalTokens: 42, cachedInputTokens: 8, cacheWriteTokens: 2, reasoningTokens: 20))
    }

    /// Once the protocol and a model are known the tap stops capturing `model` and `object`,
    /// but not before: an empty model is no model, and detection may take several events.
    @Test func theFirstNonEmptyModelIsKeptWhateverTheEventsBeforeAndAfterIt() {
        let stream = sse(
            #"{"model":"","id":"a"}"#,
            #"{"model":"","choices":[],"usage":null}"#,
            #"{"model":"second","choices":[],"usage":null}"#,
            #"{"model":"third","choices":[],"usage":{"prompt_tokens":1}}"#,
            "[DONE]")
        let (record, disagreements) = usageUnderEverySlicing(of: stream)
        #expect(disagreements.isEmpty)
        #expect(record.model == "second" && record.inputTokens == 1 && record.finished)
    }

    @Test func aUsageChunkWithNonEmptyChoicesStillCounts() {
        let record = usage(of: sse(#"{"choices":[{"delta":{"content":"end"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":6,"total_tokens":11}}"#, "[DONE]"))
        #expect(record.inputTokens == 5 && record.outputTokens == 6 && record.totalTokens == 11)
    }

    @Test func vLLMUsageInEveryChunkTakesTheLast() {
        let stream = sse(
            #"{"model":"m","choices":[{"delta":{"content":"a"}}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#,
            #"{"model":"m","choices":[{"delta":{"content":"b"}}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"#,
            #"{"model":"m","choices":[{"delta":{"content":"c"}}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"#,
            "[DONE]")
        let record = usage(of: stream)
        #expect(record.outputTokens == 3 && record.totalTokens == 8 && record.inputTokens == 5)
    }

    @Test func groqUsageIsReadFromXGroqWhenUsageIsNotAnObject() {
        let stream = sse(#"{"model":"llama","choices":[],"usage":null,"x_groq":{"id":"r","usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}}"#, "[DONE]")
        let record = usage(of: stream)
        #expect(record.inputTokens == 7 && record.outputTokens == 3 && record.totalTokens == 10)
    }

    @Test func topLevelUsageWinsOverXGroqUsage() {
        let record = usage(of: sse(#"{"choices":[],"x_groq":{"usage":{"prompt_tokens":1}},"usage":{"prompt_tokens":2}}"#))
        #expect(record.inputTokens == 2)
    }

    @Test func azuresFirstChunkWithEmptyChoicesAndModelDoesNotSetTheModel() {
        let stream = sse(#"{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0}]}"#, chunk, "[DONE]")
        let record = usage(of: stream)
        #expect(record.apiProtocol == .chat)
        #expect(record.model == "gpt-4o")
    }

    @Test func aStreamWithoutUsageKeepsItsCountsUnknown() {
        let record = usage(of: sse(chunk, chunk, "[DONE]"))
        #expect(record.finished)
        #expect(record.inputTokens == nil && record.outputTokens == nil && record.totalTokens == nil)
        #expect(record.cachedInputTokens == nil && record.cacheWriteTokens == nil && record.reasoningTokens == nil)
        #expect(record.webSearchRequests == 0)
    }

    @Test func theTotalIsInputPlusOutputWhenNotReported() {
        let record = usage(of: sse(#"{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":5}}"#))
        #expect(record.totalTokens == 9)
        #expect(record.cachedInputTokens == 0 && record.reasoningTokens == 0)
    }

    @Test func anErrorObjectSetsTheErrorFromItsCodeOrType() {
        #expect(usage(of: sse(chunk, #"{"error":{"message":"x","type":"invalid_request_error","code":"tool_use_failed"}}"#)).error == "tool_use_failed")
        #expect(usage(of: sse(chunk, #"{"error":{"code":400,"message":"Token limit reached"}}"#)).error == "400")
        #expect(usage(of: sse(chunk, #"{"error":{"code":"","type":"server_error"}}"#)).error == "server_error")
        #expect(usage(of: sse(chunk, #"{"error":{"code":null,"message":"m"}}"#)).error == "error")
        #expect(usage(of: sse(chunk, #"{"error":"just a string"}"#)).error == nil)
    }

    @Test func aStreamCutBeforeDoneIsNotFinishedButKeepsItsUsage() {
        let stream = sse(chunk, #"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#)
        let record = usage(of: stream)
        #expect(!record.finished)
        #expect(record.inputTokens == 3)
    }

    @Test func aUsageChunkCutBeforeItsBlankLineIsNotCounted() {
        let record = usage(of: sse(chunk) + #"data: {"choices":[],"usage":{"prompt_tokens":3}}"# + "\n")
        #expect(record.inputTokens == nil)
    }

    @Test func aRepeatedKeyCountsItsLastValue() {
        let record = usage(of: sse(#"{"choices":[],"usage":{"prompt_tokens":3,"prompt_tokens":9},"usage":{"completion_tokens":2}}"#))
        #expect(record.inputTokens == 0)
        #expect(record.outputTokens == 2)
    }
}
