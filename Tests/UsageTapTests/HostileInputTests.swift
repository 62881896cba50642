import Testing
import TestSupport
import UsageTap

/// Whatever the bytes, the tap ends with one record, never crashes, never hangs, and never
/// reports a negative count.
@Suite("Hostile input")
struct HostileInputTests {
    func expectSane(_ record: UsageRecord) {
        for count in [record.inputTokens, record.outputTokens, record.totalTokens, record.cachedInputTokens, record.cacheWriteTokens, record.reasoningTokens] {
            #expect((count ?? 0) >= 0)
        }
        #expect(record.webSearchRequests >= 0)
    }

    @Test(arguments: 0..<8)
    func randomBytesGiveARecord(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        let alphabet = Array(#"{}[]":,\ data:usage0123456789-.eE"#.utf8) + [0x0A, 0x0D, 0x00, 0xFF, 0xC3]
        let bytes = (0..<200_000).map { _ in seed % 2 == 0 ? UInt8.random(in: 0...255, using: &random) : alphabet.randomElement(using: &random)! }
        let whole = usage(of: bytes)
        expectSane(whole)
        #expect(usage(of: bytes, slicing: .every(7)) == whole)
        expectSane(usage(of: [UInt8(ascii: "{")] + bytes))
    }

    @Test func aMillionDeepNestingIsSkippedWithoutRecursion() {
        let deep = String(repeating: "[", count: 1_000_000)
        let record = usage(of: sse(#"{"choices":[],"x":\#(deep)"#) + sse(#"{"choices":[],"usage":{"prompt_tokens_details":\#(deep)}}"#, #"{"choices":[],"usage":{"prompt_tokens":4}}"#))
        #expect(record.inputTokens == 4)
        let body = usage(of: String(repeating: "{\"a\":", count: 1_000_000))
        #expect(body.apiProtocol == nil && !body.finished)
    }

    @Test(arguments: [
        ("9223372036854775807", 9_223_372_036_854_775_807), ("9223372036854775808", 0),
        ("99999999999999999999999999", 0), ("-5", 0), ("-0", 0), ("1.5", 0), ("1e3", 1000), ("10E2", 1000),
        ("012", 0), ("0", 0), ("\"12\"", 0), ("null", 0), ("true", 0), ("{}", 0), ("[1]", 0), ("12abc", 0), ("+3", 0), ("42", 42),
        // Whole-valued numbers count as the number they are, as the SDKs' models read them.
        ("78.0", 78), ("7.8e1", 78), ("780e-1", 78), ("78.000000000000000000000000000000", 78), ("0.78e+2", 78),
        ("9.223372036854775807e18", 9_223_372_036_854_775_807), ("92233720368547758070e-1", 9_223_372_036_854_775_807),
        ("78.5", 0), ("7.85e1", 0), ("1e-1", 0), ("0.0", 0), ("0e5", 0), ("-78.0", 0), ("9223372036854775808.0", 0),
        ("1e19", 0), ("1e400", 0), ("1e-400", 0), ("1.", 0), ("1.e1", 0), ("1e", 0), ("1e+", 0), (".5", 0), ("00.0", 0),
        ("1E+2", 100), ("100e-2", 1), ("1000000000000000000000e-21", 1), ("1000000000000000000001e-21", 0),
    ])
    func onlyAWholeNonNegativeNumberBelowTwoToThe63rdCounts(value: String, counted: Int) {
        let (record, disagreements) = usageUnderEverySlicing(of: sse(#"{"choices":[],"usage":{"prompt_tokens":\#(value),"completion_tokens":1}}"#))
        #expect(disagreements.isEmpty)
        #expect(record.inputTokens == counted)
        #expect(record.outputTokens == 1)
    }

    @Test(arguments: [("400", "400"), ("-1", "-1"), ("400.0", "error"), ("4e2", "error")])
    func anErrorCodeIsAPlainIntegerOnly(code: String, reported: String) {
        #expect(usage(of: sse(#"{"error":{"code":\#(code)}}"#)).error == reported)
    }

    @Test func sumsOfHugeCountsSaturateInsteadOfOverflowing() {
        let record = usage(of: sse(#"{"type":"message_delta","usage":{"input_tokens":9223372036854775807,"cache_read_input_tokens":9223372036854775807,"output_tokens":9223372036854775807}}"#))
        #expect(record.inputTokens == Int.max && record.totalTokens == Int.max)
    }

    @Test func brokenUTF8InTheModelBecomesReplacementCharacters() {
        let bytes = Array("data: {\"choices\":[],\"model\":\"a".utf8) + [0xFF, 0xC3] + Array("b\\ud800c\"}\n\n".utf8)
        let record = usage(of: bytes)
        #expect(record.model == "a\u{FFFD}\u{FFFD}b\u{FFFD}c")
    }

    @Test func escapesInTheModelAreDecoded() {
        #expect(usage(of: sse(#"{"choices":[],"model":"a\"b\\c\u00e9\ud83c\udf89\n"}"#)).model == "a\"b\\cé🎉\n")
    }

    @Test func aVeryLongModelIsCutAtItsFirst256Bytes() {
        let model = String(repeating: "m", count: 10_000)
        #expect(usage(of: sse(#"{"choices":[],"model":"\#(model)"}"#)).model == String(repeating: "m", count: 256))
    }

    @Test func nulsAndEndlessCRsGiveAnEmptyRecord() {
        let crs = usage(of: [UInt8](repeating: 0x0D, count: 1_000_000))
        #expect(crs == UsageRecord())
        let nuls = usage(of: [UInt8](repeating: 0, count: 100_000))
        #expect(nuls == UsageRecord())
    }

    @Test func anEmptyInputGivesAnUnknownRecord() {
        #expect(usage(of: [UInt8]()) == UsageRecord())
        #expect(usage(of: [UInt8](), protocol: .messages) == UsageRecord(apiProtocol: .messages))
    }

    @Test func feedingAfterFinishChangesNothing() {
        var tap = UsageTap()
        tap.feed(Array(sse(#"{"choices":[],"usage":{"prompt_tokens":1}}"#).utf8))
        let record = tap.finish()
        tap.feed(Array(sse(#"{"choices":[],"usage":{"prompt_tokens":2}}"#).utf8))
        #expect(tap.record == record)
    }

    @Test func everyFeedOverloadReadsTheSameBytes() {
        let text = sse(#"{"choices":[],"usage":{"prompt_tokens":3}}"#, "[DONE]")
        var fromArray = UsageTap(), fromSpan = UsageTap(), fromSequence = UsageTap()
        fromArray.feed(Array(text.utf8))
        Array(text.utf8).withUnsafeBytes { fromSpan.feed($0.bytes) }
        fromSequence.feed(text.utf8.lazy.map { $0 })
        #expect(fromArray.finish() == fromSpan.finish())
        #expect(fromSequence.finish() == fromArray.record)
        #expect(fromArray.record.inputTokens == 3 && fromArray.record.finished)
    }
}

@Suite("Fixed size")
struct FixedSizeTests {
    @Test func aTapIsAFixedSizeValueOfUnderEightKilobytes() {
        print("UsageTap is \(MemoryLayout<UsageTap>.size) bytes")
        #expect(MemoryLayout<UsageTap>.size < 8192)
    }
}
