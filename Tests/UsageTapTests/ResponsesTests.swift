import Testing
import TestSupport
import UsageTap

@Suite("Responses")
struct ResponsesTests {
    let created = #"{"type":"response.created","response":{"id":"r1","model":"gpt-5","output":[],"usage":null}}"#
    let delta = #"{"type":"response.output_text.delta","delta":"hi \"usage\":{\"input_tokens\":999}"}"#

    func completed(_ type: String = "response.completed", extra: String = "") -> String {
        #"{"type":"\#(type)","response":{"model":"gpt-5","output":[{"type":"web_search_call","id":"ws1"},{"type":"message","content":[{"type":"web_search_call"}]},{"type":"web_search_call"}],"usage":{"input_tokens":100,"input_tokens_details":{"cached_tokens":40},"output_tokens":50,"output_tokens_details":{"reasoning_tokens":30},"total_tokens":150}\#(extra)}}"#
    }

    @Test func usageAndWebSearchesComeWithResponseCompleted() {
        let (record, disagreements) = usageUnderEverySlicing(of: sse(created, delta, completed()))
        #expect(disagreements.isEmpty)
        #expect(record == UsageRecord(apiProtocol: .responses, model: "gpt-5", finished: true, inputTokens: 100, outputTokens: 50, totalTokens: 150, cachedInputTokens: 40, cacheWriteTokens: 0, reasoningTokens: 30, webSearchRequests: 2))
    }

    @Test func eventLinesAreNotNeeded() {
        let withEventLines = "event: response.created\ndata: \(created)\n\nevent: response.completed\ndata: \(completed())\n\n"
        #expect(usage(of: withEventLines) == usage(of: sse(created, completed())))
    }

    @Test func theTypeMayComeAfterTheUsage() {
        let record = usage(of: sse(#"{"response":{"usage":{"input_tokens":1,"output_tokens":2}},"type":"response.completed"}"#))
        #expect(record.apiProtocol == .responses && record.finished && record.totalTokens == 3)
    }

    @Test func responseIncompleteFinishesWithUsage() {
        let record = usage(of: sse(created, completed("response.incomplete")))
        #expect(record.finished && record.inputTokens == 100 && record.error == nil)
    }

    @Test func responseFailedSetsTheErrorFromResponseError() {
        let record = usage(of: sse(created, completed("response.failed", extra: #","error":{"code":"server_error","message":"boom"}"#)))
        #expect(record.finished && record.error == "server_error" && record.inputTokens == 100)
    }

    @Test func anErrorEventWithANestedErrorUsesIt() {
        let record = usage(of: sse(created, #"{"type":"error","error":{"type":"invalid_request_error","code":"context_length_exceeded"}}"#))
        #expect(record.error == "context_length_exceeded" && !record.finished)
    }

    @Test func anErrorEventWithoutANestedErrorIsTheErrorItself() {
        #expect(usage(of: sse(created, #"{"type":"error","code":"ERR_SOMETHING","message":"m"}"#)).error == "ERR_SOMETHING")
        #expect(usage(of: sse(created, #"{"type":"error","message":"m"}"#)).error == "error")
    }

    @Test func usageOutsideTheTerminalEventsDoesNotCount() {
        let record = usage(of: sse(#"{"type":"response.in_progress","response":{"usage":{"input_tokens":5}}}"#))
        #expect(record.apiProtocol == .responses && record.inputTokens == nil && !record.finished)
    }
}
