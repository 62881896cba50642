import Testing
import TestSupport
import UsageTap

/// Text that looks like usage but is content must never count.
@Suite("Decoys")
struct DecoyTests {
    @Test func usageTextInsideAStringIsContent() {
        let stream = sse(#"{"choices":[{"delta":{"content":"\"usage\":{\"prompt_tokens\":999}"}}],"model":"m"}"#, "[DONE]")
        #expect(usage(of: stream).inputTokens == nil)
    }

    @Test func escapedQuotesAndBackslashesDoNotEndAString() {
        let stream = sse(#"{"choices":[{"delta":{"content":"a\\\" \\\\\", \"usage\": {\"prompt_tokens\": 1} \\"}}],"usage":{"prompt_tokens":2}}"#)
        let (record, disagreements) = usageUnderEverySlicing(of: stream)
        #expect(disagreements.isEmpty)
        #expect(record.inputTokens == 2)
    }

    @Test func usageInsideChoicesIsContent() {
        #expect(usage(of: sse(#"{"choices":[{"usage":{"prompt_tokens":5}}]}"#)).inputTokens == nil)
    }

    @Test func usageAtTheWrongDepthIsContent() {
        #expect(usage(of: sse(#"{"choices":[],"meta":{"usage":{"prompt_tokens":5}}}"#)).inputTokens == nil)
        #expect(usage(of: sse(#"{"choices":[],"x_groq":{"usage_breakdown":{"usage":{"prompt_tokens":5}}}}"#)).inputTokens == nil)
    }

    @Test func doneInsideContentDoesNotFinish() {
        let record = usage(of: sse(#"{"choices":[{"delta":{"content":"data: [DONE]\n\n"}}]}"#, #" [DONE]"#, "[DONE] "))
        #expect(record.apiProtocol == .chat && !record.finished)
    }

    @Test func aModelKeyInsideContentIsNotTheModel() {
        #expect(usage(of: sse(#"{"choices":[{"delta":{"model":"fake"}}],"model":"real"}"#)).model == "real")
    }
}
