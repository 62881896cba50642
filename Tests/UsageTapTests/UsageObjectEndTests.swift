import Testing
import TestSupport
import UsageTap

/// A tap made with `stopsAtUsage` finds the closing braces of the usage objects a cost can be
/// added to: the same braces at every slicing, each a `}` of the input, with the record as it
/// stands there, and it reads the same record as a tap that does not stop.
@Suite("Stopping at usage objects")
struct UsageObjectEndTests {
    /// A usage object's end, with its offset counted from the start of the input.
    struct Stop: Equatable, CustomStringConvertible {
        let offset: Int
        let hasMembers: Bool
        let record: UsageRecord
        var description: String { "\(offset)\(hasMembers ? "" : " (empty)"): \(record.jsonLine)" }
    }

    static func stops(in bytes: [UInt8], protocol selection: ProtocolSelection = .auto, slicing: Slicing) -> (stops: [Stop], record: UsageRecord) {
        var tap = UsageTap(protocol: selection, stopsAtUsage: true)
        var stops: [Stop] = []
        bytes.withUnsafeBytes { all in
            for range in slicing.ranges(count: bytes.count) {
                var start = range.lowerBound
                while start < range.upperBound {
                    let rest = UnsafeRawBufferPointer(rebasing: all[start..<range.upperBound])
                    guard let end = tap.readUntilUsage(rest) else { break }
                    stops.append(Stop(offset: start + end.offset, hasMembers: end.hasMembers, record: end.record))
                    start += end.offset + 1
                }
            }
        }
        return (stops, tap.finish())
    }

    /// What a cost is computed from: the model and the counts.
    static func priced(_ record: UsageRecord) -> [String?] {
        [record.model, record.inputTokens.map(String.init), record.outputTokens.map(String.init),
         record.cachedInputTokens.map(String.init), record.cacheWriteTokens.map(String.init),
         record.cacheWrite1hTokens.map(String.init), record.reasoningTokens.map(String.init), String(record.webSearchRequests)]
    }

    @Test(.enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason), arguments: RecordedFixtures.all())
    func everyRecordedStreamStopsAtTheSameBracesAtEverySlicingAndItsLastStopHoldsTheFinalUsage(fixture: RecordedFixtures.Fixture) {
        let reference = Self.stops(in: fixture.stream, slicing: .whole)
        let plain = usage(of: fixture.stream)
        #expect(reference.record == plain, "\(fixture.name): a tap that stops reads another record")
        for stop in reference.stops {
            #expect(fixture.stream[stop.offset] == UInt8(ascii: "}"), "\(fixture.name): stop at \(stop.offset) is not a brace")
        }
        if plain.inputTokens != nil {
            #expect(reference.stops.last.map { Self.priced($0.record) } == Self.priced(plain), "\(fixture.name): \(reference.stops)")
        } else {
            #expect(reference.stops.isEmpty, "\(fixture.name) reports no usage, yet stopped: \(reference.stops)")
        }
        for slicing in [Slicing.every(1), .every(7), .every(64), .every(65536)] {
            let sliced = Self.stops(in: fixture.stream, slicing: slicing)
            #expect(sliced.stops == reference.stops, "\(fixture.name), \(slicing.testDescription)")
            #expect(sliced.record == plain, "\(fixture.name), \(slicing.testDescription)")
        }
    }

    @Test func aChatStreamStopsAtTheUsageChunksUsageAndNotAtAUsageInText() {
        let first = #"data: {"model":"gpt-4o","choices":[{"delta":{"content":"\"usage\":{\"prompt_tokens\":9}"}}],"usage":null}"#
        let last = #"data: {"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#
        let text = first + "\n\n" + last + "\n\ndata: [DONE]\n\n"
        let bytes = Array(text.utf8)
        let brace = bytes.indices.filter { bytes[$0] == UInt8(ascii: "}") }.dropLast().last!
        let (stops, record) = Self.stops(in: bytes, slicing: .whole)
        #expect(stops.map(\.offset) == [brace])
        #expect(stops.first?.hasMembers == true)
        #expect(stops.first?.record.inputTokens == 3 && stops.first?.record.outputTokens == 4)
        #expect(record.finished && record.inputTokens == 3)
        for cut in 1..<bytes.count {
            #expect(Self.stops(in: bytes, slicing: .at([cut])).stops == stops, "cut at \(cut)")
        }
    }

    @Test func anEmptyUsageObjectIsAStopWithNoMembers() {
        let (stops, _) = Self.stops(in: Array(#"data: {"model":"m","choices":[],"usage":{}}"#.utf8) + [10, 10], slicing: .whole)
        #expect(stops.count == 1)
        #expect(stops.first?.hasMembers == false)
    }

    @Test func anthropicStopsAtMessageDeltasUsageNotAtMessageStarts() {
        let start = #"event: message_start"# + "\n" + #"data: {"type":"message_start","message":{"model":"claude-x","usage":{"input_tokens":10,"output_tokens":1}}}"#
        let delta = #"event: message_delta"# + "\n" + #"data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":25}}"#
        let bytes = Array((start + "\n\n" + delta + "\n\n").utf8)
        let (stops, record) = Self.stops(in: bytes, protocol: .messages, slicing: .whole)
        #expect(stops.count == 1)
        #expect(stops.first?.record.inputTokens == 10 && stops.first?.record.outputTokens == 25)
        #expect(record.outputTokens == 25)
    }

    @Test func aResponsesUsageIsAStopOnlyInAnEventWhoseTypeCountsIt() {
        // The type after the usage: the reader cannot know yet that it counts, so no stop.
        let late = #"data: {"response":{"model":"gpt-5","usage":{"input_tokens":1,"output_tokens":2}},"type":"response.completed"}"#
        let early = #"data: {"type":"response.completed","response":{"model":"gpt-5","usage":{"input_tokens":1,"output_tokens":2}}}"#
        #expect(Self.stops(in: Array((late + "\n\n").utf8), protocol: .responses, slicing: .whole).stops.isEmpty)
        let (stops, record) = Self.stops(in: Array((early + "\n\n").utf8), protocol: .responses, slicing: .whole)
        #expect(stops.count == 1)
        #expect(record.inputTokens == 1 && stops.first?.record.outputTokens == 2)
    }

    @Test func aBodyStopsAtItsUsage() {
        let body = Array(#"{"id":"x","object":"chat.completion","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#.utf8)
        let (stops, record) = Self.stops(in: body, slicing: .whole)
        #expect(stops.map(\.offset) == [body.count - 2])
        #expect(record.inputTokens == 3 && record.finished)
        for cut in 1..<body.count {
            #expect(Self.stops(in: body, slicing: .at([cut])).stops == stops, "cut at \(cut)")
        }
    }
}
