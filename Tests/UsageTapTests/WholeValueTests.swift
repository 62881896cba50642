import Testing
import TestSupport
import UsageTap

/// An event's data counts only if it is exactly one JSON value followed by nothing but
/// whitespace, as the SDKs' `json.loads` accepts it (DESIGN.md, "Whole values only").
@Suite("Whole values only")
struct WholeValueTests {
    let usageEvent = #"{"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#

    @Test func dataThatEndsBeforeItsValueClosesCountsNothing() {
        let cut = String(usageEvent.dropLast())
        let (record, disagreements) = usageUnderEverySlicing(of: sse(cut))
        #expect(disagreements.isEmpty)
        #expect(record == UsageRecord())
    }

    @Test func aLostBlankLineBeforeDoneCountsNeitherTheUsageNorTheEnd() {
        let stream = "data: \(usageEvent)\ndata: [DONE]\n\n"
        let (record, disagreements) = usageUnderEverySlicing(of: stream)
        #expect(disagreements.isEmpty)
        #expect(record == UsageRecord())
    }

    @Test(arguments: [#"{"choices":[]}"#, "[]", "1", #""x""#, "x", "}"])
    func anythingAfterTheValueMakesTheEventCountNothing(after: String) {
        let (record, disagreements) = usageUnderEverySlicing(of: sse(usageEvent + " " + after))
        #expect(disagreements.isEmpty)
        #expect(record.inputTokens == nil && record.model == nil && record.apiProtocol == nil)
    }

    @Test func whitespaceAroundTheValueAndBetweenDataLinesIsAllowed() {
        let stream = "data:  \t\(usageEvent) \t\ndata:\n\n" + "data: {\"choices\":[],\ndata: \"usage\":{\"prompt_tokens\":9}}\n\n"
        let (record, disagreements) = usageUnderEverySlicing(of: stream)
        #expect(disagreements.isEmpty)
        #expect(record.inputTokens == 9 && record.model == "m")
    }

    @Test func aCutOffEventDecidesNoProtocol() {
        let stream = sse(#"{"type":"message_start","message":{"model":"claude""#, usageEvent)
        let record = usage(of: stream)
        #expect(record.apiProtocol == .chat && record.model == "m" && record.inputTokens == 5)
    }

    @Test func anErrorInAnEventThatIsNotWholeIsNotReported() {
        #expect(usage(of: sse(#"{"error":{"code":"rate_limited"}"#)).error == nil)
        #expect(usage(of: sse(#"{"error":{"code":"rate_limited"}}"#)).error == "rate_limited")
    }
}
