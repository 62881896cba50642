import Testing
import TestSupport
import UsageTap

/// Every recorded provider stream gives its expected record, whole and in 1-, 7- and
/// 65536-byte slices.
@Suite("Recorded provider streams", .enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason))
struct RecordedStreamTests {
    @Test(arguments: RecordedFixtures.all(), Slicing.standard)
    func recordedStreamGivesItsExpectedRecord(fixture: RecordedFixtures.Fixture, slicing: Slicing) {
        let record = usage(of: fixture.stream, slicing: slicing)
        let fields = record.expectedFields
        for (key, expected) in fixture.expected.sorted(by: { $0.key < $1.key }) {
            #expect(fields[key] == expected, "\(key) in \(fixture.name)")
        }
        // Fixtures recorded before the key existed hold no one-hour cache writes: by the
        // contract, 0 once usage is reported.
        let oneHour = fixture.expected["cache_write_1h_tokens"] ?? (fixture.expected["input_tokens"] == .null ? .null : .integer(0))
        #expect(fields["cache_write_1h_tokens"] == oneHour, "cache_write_1h_tokens in \(fixture.name)")
    }

    @Test func everyRecordedStreamIsThere() {
        #expect(RecordedFixtures.all().count >= 18)
    }
}

extension UsageRecord {
    /// The record's fields in the shape of an `.expected.json`.
    var expectedFields: [String: RecordedFixtures.ExpectedValue] {
        func integer(_ value: Int?) -> RecordedFixtures.ExpectedValue { value.map { .integer($0) } ?? .null }
        func string(_ value: String?) -> RecordedFixtures.ExpectedValue { value.map { .string($0) } ?? .null }
        return [
            "protocol": string(apiProtocol?.rawValue), "model": string(model), "finished": .bool(finished),
            "error": string(error), "input_tokens": integer(inputTokens), "output_tokens": integer(outputTokens),
            "total_tokens": integer(totalTokens), "cached_input_tokens": integer(cachedInputTokens),
            "cache_write_tokens": integer(cacheWriteTokens), "cache_write_1h_tokens": integer(cacheWrite1hTokens),
            "reasoning_tokens": integer(reasoningTokens),
            "web_search_requests": .integer(webSearchRequests),
        ]
    }
}
