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

    /// Long texts pass whole blocks of string content at once, escaped quotes among them: every
    /// run of backslashes before a quote, at every place in a block, gives the string's true end.
    @Test(arguments: 0..<24)
    func escapedQuotesInLongTextsNeverEndTheString(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &+ 4_000)
        // Pieces of valid string content: escaped quotes after runs of one and three
        // backslashes, escaped backslashes (runs of two and four), and a decoy.
        let pieces = ["a", "bcdefgh", #"\""#, #"\\\""#, #"\\"#, #"\\\\"#, #" \"usage\":{\"prompt_tokens\":9} "#]
        for _ in 0..<20 {
            var text = String(repeating: "x", count: Int.random(in: 0..<64, using: &random))
            while text.utf8.count < 400 { text += pieces.randomElement(using: &random)! }
            // Sometimes the text ends with an escaped backslash, right before its closing quote.
            if Bool.random(using: &random) { text += #"\\"# }
            let stream = sse(#"{"choices":[{"delta":{"content":"\#(text)"}}],"usage":{"prompt_tokens":2}}"#)
            let bytes = Array(stream.utf8)
            for slicing in [Slicing.whole, .every(1), .every(7), .every(64), .every(100)] {
                #expect(usage(of: bytes, slicing: slicing).inputTokens == 2, "\(slicing.testDescription): \(text)")
            }
        }
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
