import Foundation
import Testing
import TestSupport

@Suite("usagetap scan --prices")
struct ScanPricesTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples")

    func withPriceFile(_ text: String, _ body: (String) throws -> Void) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("usagetap-prices-\(getpid())-\(text.hashValue)")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try body(file.path)
    }

    func cost(in line: String) throws -> [String: RecordedFixtures.ExpectedValue]? {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        // `unpriced`, an array, is checked on its own.
        guard var cost = object?["cost"] as? [String: Any] else { return nil }
        cost["unpriced"] = nil
        let data = try JSONSerialization.data(withJSONObject: cost)
        return try JSONDecoder().decode([String: RecordedFixtures.ExpectedValue].self, from: data)
    }

    @Test func theDefaultTableAddsACostObjectWorkedOutByHand() throws {
        let result = ScanProcess.run(["scan", "--prices", "default", Self.examples.appendingPathComponent("messages_stream.sse").path])
        #expect(result.status == 0)
        let line = try #require(result.records.first)
        // claude-sonnet-4-5: 12 × 3,000 + 20,000 × 300 + 1,500 × 3,750 + 85 × 15,000 nano-dollars.
        let printed = try cost(in: line)
        #expect(printed == [
            "currency": .string("USD"), "price_entry": .string("claude-sonnet-4-5"), "input": .integer(36_000),
            "cached_input": .integer(6_000_000), "cache_write": .integer(5_625_000), "output": .integer(1_275_000),
            "request": .integer(0), "web_search": .integer(0), "total": .integer(12_936_000),
            "total_usd": .string("0.012936000"), "parts_exceed_input": .bool(false),
        ])
        #expect(line.hasPrefix(#"{"protocol":"messages","model":"claude-sonnet-4-5-20250929","finished":true"#))
        #expect(line.hasSuffix(#""unpriced":[]},"unpriced":[]}"#))
    }

    @Test func anEntryWithoutCachePricesPricesCacheReadsAndWritesAtTheInputPrice() throws {
        try withPriceFile("claude-sonnet-4-5 input=3 output=15\n") { path in
            let result = ScanProcess.run(["scan", "--prices", path, Self.examples.appendingPathComponent("messages_stream.sse").path])
            // All 21,512 input tokens (12 fresh, 20,000 read, 1,500 written) at 3,000, 85 output at 15,000.
            let printed = try cost(in: result.records.first ?? "")
            #expect(printed?["cached_input"] == .integer(60_000_000))
            #expect(printed?["cache_write"] == .integer(4_500_000))
            #expect(printed?["total"] == .integer(65_811_000))
        }
    }

    @Test func aModelNoEntryMatchesHasANullCost() throws {
        try withPriceFile("other input=1 output=1\n") { path in
            let result = ScanProcess.run(["scan", "--prices", path, Self.examples.appendingPathComponent("chat_stream.sse").path])
            #expect(result.status == 0)
            #expect(result.records.first?.hasSuffix(#","cost":null,"unpriced":["model"]}"#) == true)
        }
    }

    @Test func aUsageTapPriceFileAndALiteLLMFileAreBothRead() throws {
        try withPriceFile("gpt-4o input=1 output=2\n") { path in
            let result = ScanProcess.run(["scan", "--prices", path, Self.examples.appendingPathComponent("chat_body.json").path])
            // The gpt-4o body: 25 in × 1,000 + 4 out × 2,000.
            let total = try cost(in: result.records.first ?? "")?["total"]
            #expect(total == .integer(33_000))
        }
        try withPriceFile(#" {"gpt-4o": {"input_cost_per_token": 1e-06, "output_cost_per_token": 3e-06}}"#) { path in
            let result = ScanProcess.run(["scan", "--prices", path, Self.examples.appendingPathComponent("chat_body.json").path])
            let total = try cost(in: result.records.first ?? "")?["total"]
            #expect(total == .integer(37_000))
        }
    }

    @Test func aMalformedOrMissingPriceFileStopsBeforeScanningWithOneLine() throws {
        try withPriceFile("gpt-4o input=1\n") { path in
            let result = ScanProcess.run(["scan", "--prices", path, Self.examples.appendingPathComponent("chat_stream.sse").path])
            #expect(result.status != 0)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == "usagetap: \(path): line 1: `input` and `output` are required\n")
        }
        let missing = ScanProcess.run(["scan", "--prices", "/nonexistent/prices.txt"])
        #expect(missing.status != 0)
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }
}
