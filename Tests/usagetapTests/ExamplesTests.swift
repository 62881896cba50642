import Foundation
import Testing

/// The example streams in `Examples/`, which the README's quick start scans, give the records
/// worked out by hand in the README.
@Suite("Examples")
struct ExamplesTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples")

    @Test(arguments: [
        ("chat_body.json", #"{"protocol":"chat","model":"gpt-4o-2024-08-06","finished":true,"error":null,"input_tokens":25,"output_tokens":4,"total_tokens":29,"cached_input_tokens":0,"cache_write_tokens":0,"cache_write_1h_tokens":0,"reasoning_tokens":0,"web_search_requests":0}"#),
        ("chat_stream.sse", #"{"protocol":"chat","model":"gpt-4o-mini-2024-07-18","finished":true,"error":null,"input_tokens":1200,"output_tokens":42,"total_tokens":1242,"cached_input_tokens":1024,"cache_write_tokens":0,"cache_write_1h_tokens":0,"reasoning_tokens":0,"web_search_requests":0}"#),
        ("gemini_stream.sse", #"{"protocol":"gemini","model":"gemini-2.5-flash","finished":true,"error":null,"input_tokens":40,"output_tokens":109,"total_tokens":149,"cached_input_tokens":32,"cache_write_tokens":0,"cache_write_1h_tokens":0,"reasoning_tokens":100,"web_search_requests":0}"#),
        ("messages_stream.sse", #"{"protocol":"messages","model":"claude-sonnet-4-5-20250929","finished":true,"error":null,"input_tokens":21512,"output_tokens":85,"total_tokens":21597,"cached_input_tokens":20000,"cache_write_tokens":1500,"cache_write_1h_tokens":0,"reasoning_tokens":0,"web_search_requests":0}"#),
        ("responses_stream.sse", #"{"protocol":"responses","model":"gpt-5-2025-08-07","finished":true,"error":null,"input_tokens":3000,"output_tokens":600,"total_tokens":3600,"cached_input_tokens":2048,"cache_write_tokens":0,"cache_write_1h_tokens":0,"reasoning_tokens":512,"web_search_requests":2}"#),
    ])
    func exampleGivesItsWorkedOutRecord(file: String, record: String) {
        let result = ScanProcess.run(["scan", "--chunk-bytes", "5", Self.directory.appendingPathComponent(file).path])
        #expect(result.status == 0)
        #expect(result.records == [record])
    }
}
