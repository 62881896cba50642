import ReferenceTap
import Testing
import TestSupport
@_spi(Reference) @testable import UsageTap

/// Gemini chunks that the tap passes by their structure (the outline tier and `GeminiChunk`) give
/// the record the reference tap gives, and the chunks it cannot read so are left to the walker:
/// each hostile shape of chunk, first, between ordinary chunks and last, with every line end,
/// whole, a byte at a time and at random cuts, with the classifier in use and the scalar one.
@Suite("Gemini chunks passed by their structure")
struct GeminiChunkTests {
    /// A chunk's data line, and whether the structural pass takes it (once the model is known)
    /// rather than leaving it to the walker; if it does, the usage object it keeps, if any.
    struct Shape: Sendable, CustomTestStringConvertible {
        let name: String
        let data: String
        let isPassed: Bool
        let usage: String?
        var testDescription: String { name }

        init(name: String, data: String, isPassed: Bool) {
            self.name = name
            self.data = data
            self.isPassed = isPassed
            // The usage object of a passed chunk: its one root usageMetadata (flat, or with one
            // level of arrays and objects, as these shapes write it).
            let pattern = /"usageMetadata"\s*:\s*(\{(?:[^{}]|\{[^{}]*\})*\})/
            usage = isPassed ? data.firstMatch(of: pattern).map { String($0.1) } : nil
        }

        init(name: String, data: String, passedWith usage: String?) {
            self.name = name
            self.data = data
            isPassed = true
            self.usage = usage
        }
    }

    static let longText = String(repeating: #"a \"quoted\" {brace} [bracket] \\ text "#, count: 80)

    static let shapes: [Shape] = [
        Shape(name: "compact, as the benchmark writes it", data: #"{"candidates":[{"content":{"parts":[{"text":"hi"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":7,"totalTokenCount":12},"modelVersion":"gemini-2.5-flash","responseId":"abc"}"#, isPassed: true),
        Shape(name: "spaced, as Gemini writes it", data: #"{"candidates": [{"content": {"parts": [{"text": "1\n2\n3"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 18,"candidatesTokenCount": 31,"totalTokenCount": 84,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 18}],"thoughtsTokenCount": 35},"modelVersion": "gemini-2.5-flash","responseId": "ru1g"}"#, isPassed: true),
        Shape(name: "blanks around every token", data: "{ \t\"usageMetadata\" :\t{ \"promptTokenCount\" : 6 } , \"candidates\" : [ ] , \"x\" : 1 }  \t", isPassed: true),
        Shape(name: "an empty object", data: "{}", isPassed: true),
        Shape(name: "scalars at the root", data: #"{"a":true,"b":-1.5e3,"usageMetadata":{"promptTokenCount":3},"c":null,"d":"s"}"#, isPassed: true),
        Shape(name: "brackets and escaped quotes inside strings", data: #"{"te\"xt":"\"}{","candidates":[{"text":"]]}}{{[\\"}],"usageMetadata":{"promptTokenCount":3,"x":"}"}}"#, passedWith: #"{"promptTokenCount":3,"x":"}"}"#),
        Shape(name: "a long text across many blocks", data: #"{"candidates":[{"content":{"parts":[{"text":"\#(longText)"}]}}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":900}}"#, isPassed: true),
        Shape(name: "deep nesting outside the paths", data: #"{"x":[[[[[[[[[[[[{"y":[{}]}]]]]]]]]]]]],"usageMetadata":{"promptTokenCount":3}}"#, isPassed: true),
        Shape(name: "whole-valued and fractional counts", data: #"{"usageMetadata":{"promptTokenCount":7.0e0,"candidatesTokenCount":1.5,"totalTokenCount":780e-1,"thoughtsTokenCount":-1}}"#, isPassed: true),
        Shape(name: "an escaped key that is no usage name", data: #"{"usage\u004detadata":{"promptTokenCount":3},"usageMetadata":{"promptTokenCount":4}}"#, isPassed: true),
        Shape(name: "NUL and control bytes in a string", data: "{\"t\":\"\u{0}\u{1}\",\"usageMetadata\":{\"promptTokenCount\":3}}", isPassed: true),
        Shape(name: "a string that is finishReason in the text", data: #"{"candidates":[{"content":{"parts":[{"text":"finishReason"}]}}],"usageMetadata":{"promptTokenCount":8}}"#, isPassed: false),
        Shape(name: "finishReason deeper than a candidate", data: #"{"candidates":[{"content":{"finishReason":"STOP"}}],"usageMetadata":{"promptTokenCount":9}}"#, isPassed: false),
        Shape(name: "a finishReason", data: #"{"candidates":[{"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":10}}"#, isPassed: false),
        Shape(name: "a finishReason that is no string", data: #"{"candidates":[{"finishReason":1}],"usageMetadata":{"promptTokenCount":10}}"#, isPassed: false),
        Shape(name: "usageMetadata null", data: #"{"usageMetadata":null,"candidates":[]}"#, isPassed: false),
        Shape(name: "usageMetadata a string", data: #"{"usageMetadata":"{\"promptTokenCount\":3}"}"#, isPassed: false),
        Shape(name: "usageMetadata an array", data: #"{"usageMetadata":[{"promptTokenCount":3}]}"#, isPassed: false),
        Shape(name: "usageMetadata twice", data: #"{"usageMetadata":{"promptTokenCount":3},"usageMetadata":{"candidatesTokenCount":4}}"#, isPassed: false),
        Shape(name: "usageMetadata, then null", data: #"{"usageMetadata":{"promptTokenCount":3},"usageMetadata":null}"#, isPassed: false),
        Shape(name: "usageMetadata too long to keep", data: #"{"usageMetadata":{"promptTokensDetails":[\#(String(repeating: #"{"modality":"TEXT","tokenCount":1},"#, count: 40)){}],"promptTokenCount":3}}"#, isPassed: false),
        Shape(name: "a model version", data: #"{"modelVersion":"gemini-late","usageMetadata":{"promptTokenCount":3}}"#, isPassed: true),
        Shape(name: "content after the value", data: #"{"usageMetadata":{"promptTokenCount":3}} x"#, isPassed: false),
        Shape(name: "two objects", data: #"{"usageMetadata":{"promptTokenCount":3}}{"a":1}"#, isPassed: false),
        Shape(name: "cut off before its end", data: #"{"usageMetadata":{"promptTokenCount":3}"#, isPassed: false),
        Shape(name: "one closer too many", data: #"{"usageMetadata":{"promptTokenCount":3}}}"#, isPassed: false),
        Shape(name: "a member with no value", data: #"{"usageMetadata":{"promptTokenCount":3},"a":}"#, isPassed: true),
        Shape(name: "a member with no value first", data: #"{"a":},"usageMetadata":{"promptTokenCount":3}}"#, isPassed: false),
        Shape(name: "a backslash outside strings", data: #"{"a":\"b","usageMetadata":{"promptTokenCount":3}}"#, isPassed: false),
        Shape(name: "no colon", data: #"{"usageMetadata" {"promptTokenCount":3}}"#, isPassed: false),
        Shape(name: "two colons", data: #"{"a"::1,"usageMetadata":{"promptTokenCount":3}}"#, isPassed: true),
        Shape(name: "no comma", data: #"{"a":1 "usageMetadata":{"promptTokenCount":3}}"#, isPassed: false),
        Shape(name: "a key that is no string", data: #"{1:2,"usageMetadata":{"promptTokenCount":3}}"#, isPassed: true),
        Shape(name: "an array at the top", data: #"[{"usageMetadata":{"promptTokenCount":3}}]"#, isPassed: false),
        Shape(name: "a string at the top", data: #""usageMetadata""#, isPassed: false),
        Shape(name: "DONE", data: "[DONE]", isPassed: false),
        Shape(name: "usageMetadata after a stray container", data: #"{{}"usageMetadata":{"promptTokenCount":3}}"#, isPassed: false),
        Shape(name: "usageMetadata deeper than the root", data: #"{"x":{"usageMetadata":{"promptTokenCount":3}},"y":[{"usageMetadata":{}}]}"#, passedWith: nil),
        Shape(name: "usageMetadata as a value", data: #"{"a":"usageMetadata","b":{}}"#, isPassed: false),
        Shape(name: "usageMetadata outside strings", data: #"{"a":"x"usageMetadata"y"}"#, passedWith: nil),
        Shape(name: "usageMetadata with blanks and an escaped key inside", data: "{\"usageMetadata\" \t:  {\"a\\\"\":[1,{\"b\":2}],\"promptTokenCount\":3} }", passedWith: "{\"a\\\"\":[1,{\"b\":2}],\"promptTokenCount\":3}"),
        Shape(name: "a raw CR inside a string", data: "{\"t\":\"a\rb\",\"usageMetadata\":{\"promptTokenCount\":3}}", isPassed: false),
    ]

    /// The ordinary chunks around the shape: the first names the model and reports usage, the
    /// last reports none, so that the shape's usage, if it counts, is the stream's.
    static let first = #"{"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1},"modelVersion":"gemini-2.5-pro"}"#
    static let later = #"{"candidates":[{"content":{"parts":[{"text":"b"}]},"index":0}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":2}}"#
    static let withoutUsage = #"{"candidates":[{"content":{"parts":[{"text":"c"}]}}],"modelVersion":"gemini-2.5-pro"}"#

    @Test(arguments: shapes)
    func aHostileChunkAnywhereInAStreamGivesTheReferencesRecord(shape: Shape) {
        for lineEnd in ["\n", "\r\n", "\r"] {
            let streams = [
                sse(shape.data, Self.first, Self.later, lineEnd: lineEnd),
                sse(Self.first, shape.data, Self.withoutUsage, lineEnd: lineEnd),
                sse(Self.first, Self.later, shape.data, lineEnd: lineEnd),
            ]
            for (index, stream) in streams.enumerated() {
                for selection in [ProtocolSelection.auto, .gemini] {
                    let failures = Self.disagreements(Array(stream.utf8), selection: selection)
                    #expect(failures.isEmpty, "\(shape.name), stream \(index), \(lineEnd.debugDescription), \(selection): \(failures)")
                }
            }
        }
    }

    @Test(arguments: shapes)
    func theStructuralPassTakesOnlyTheChunksItCanReadExactly(shape: Shape) {
        let event = Array("data: \(shape.data)\n\nnext".utf8)
        let chunk = Self.skim(event)
        #expect((chunk != nil) == shape.isPassed)
        if let chunk {
            #expect(chunk.next == event.count - 4)
            #expect(chunk.usage.map { String(decoding: event[$0], as: UTF8.self) } == shape.usage)
        }
    }

    @Test func aChunkWhoseModelIsNotYetKnownIsLeftToTheWalker() {
        let event = Array("data: \(Self.first)\n\n".utf8)
        #expect(Self.skim(event, hasModel: false) == nil)
        #expect(Self.skim(event, hasModel: true) != nil)
    }

    @Test func anEventOfSeveralLinesOrWithOtherFieldsIsLeftToTheWalker() {
        for event in ["data: {}\ndata: {}\n\n", "data: {}\nid: 1\n\n", "data: {}\n: comment\n\n", "data:  {}\n\n", "data: {}\n"] {
            #expect(Self.skim(Array(event.utf8)) == nil, "\(event.debugDescription)")
        }
        for event in [": comment\ndata: {}\n\n", "event: x\ndata: {}\n\n", "data:{}\n\n", "data: {}\r\n\r\n", "data: {}\r\r"] {
            let stream = Array(sse(Self.first, lineEnd: "\n").utf8) + Array(event.utf8) + Array(sse(Self.later).utf8)
            #expect(Self.disagreements(stream, selection: .auto).isEmpty, "\(event.debugDescription)")
        }
    }

    /// The sieve passes runs of chunks whole and keeps the usage of the last one only: where
    /// that chunk has no usage, or no whole value, the usage that counts is an earlier one's.
    @Test func theUsageThatCountsIsTheLastChunksThatHasOneWhateverFollowsIt() {
        let third = #"{"candidates":[{"content":{"parts":[{"text":"d"}]}}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":30}}"#
        let cases: [(payloads: [String], input: Int, output: Int)] = [
            ([Self.first, Self.later, third], 3, 30),
            ([Self.first, third, Self.later], 2, 2),
            ([Self.first, Self.later, third, Self.withoutUsage], 3, 30),
            ([Self.first, third, Self.withoutUsage, Self.withoutUsage], 3, 30),
            ([Self.first, third, #"{"usageMetadata":{"promptTokenCount":9}"#], 3, 30),
            ([Self.first, third, #"{"usageMetadata":{"promptTokenCount":9}} x"#], 3, 30),
            ([Self.first, third, #"{"usageMetadata":null}"#], 3, 30),
            ([Self.first, third, #"{"x":{"usageMetadata":{"promptTokenCount":9}}}"#], 3, 30),
            ([Self.first, third, #"{"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":90}}"#], 9, 90),
        ]
        for (payloads, input, output) in cases {
            for lineEnd in ["\n", "\r\n", "\r"] {
                let stream = Array(payloads.map { "data: \($0)\(lineEnd)\(lineEnd)" }.joined().utf8)
                let record = usage(of: stream)
                #expect(record.inputTokens == input && record.outputTokens == output, "\(payloads.count) chunks, \(lineEnd.debugDescription)")
                #expect(Self.disagreements(stream, selection: .auto).isEmpty, "\(payloads.last!), \(lineEnd.debugDescription)")
            }
        }
    }

    @Test(arguments: 0..<12)
    func randomStreamsOfHostileChunksGiveTheReferencesRecord(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &* 0x2545_F491)
        let lineEnd = ["\n", "\r\n", "\r"].randomElement(using: &random)!
        var payloads = [Self.first]
        for _ in 0..<Int.random(in: 1...12, using: &random) {
            payloads.append(Bool.random(using: &random) ? Self.later : Self.shapes.randomElement(using: &random)!.data)
        }
        let stream = Array(payloads.map { "data: \($0)\(lineEnd)\(lineEnd)" }.joined().utf8)
        let failures = Self.disagreements(stream, selection: .auto)
        #expect(failures.isEmpty, "seed \(seed): \(failures)")
        for _ in 0..<10 {
            let cuts = (0..<Int.random(in: 1...8, using: &random)).map { _ in Int.random(in: 1..<stream.count, using: &random) }.sorted()
            let record = usage(of: stream, slicing: .at(cuts))
            #expect(record == Self.reference(stream, selection: .auto), "seed \(seed), cuts \(cuts)")
        }
    }

    // MARK: Helpers

    static func reference(_ stream: [UInt8], selection: ProtocolSelection) -> UsageRecord {
        var tap = ReferenceTap(protocol: selection)
        tap.feed(stream)
        return tap.finish()
    }

    /// The slicings and classifiers under which the tap's record differs from the reference's.
    static func disagreements(_ stream: [UInt8], selection: ProtocolSelection) -> [String] {
        let expected = reference(stream, selection: selection)
        var failures: [String] = []
        for slicing in [Slicing.whole, .every(1), .every(7), .every(64), .every(150)] {
            let record = usage(of: stream, protocol: selection, slicing: slicing)
            if record != expected { failures.append("\(slicing.testDescription): \(record.jsonLine), reference \(expected.jsonLine)") }
        }
        var scalar = UsageTap(protocol: selection, classifier: .scalar)
        scalar.feed(stream)
        let record = scalar.finish()
        if record != expected { failures.append("scalar: \(record.jsonLine), reference \(expected.jsonLine)") }
        return failures
    }

    /// The structural pass over an event at the start of `bytes`.
    static func skim(_ bytes: [UInt8], hasModel: Bool = true) -> GeminiChunk? {
        bytes.withUnsafeBytes { GeminiChunk.skim($0, hasModel: hasModel) }
    }
}
