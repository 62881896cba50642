import NIOCore
import NIOHTTP1
import Pricing
import Testing
import UsageTap
@testable import TapProxy

/// `ResponseTap` with costs to add (`--cost-in-stream`): whatever pieces the upstream's bytes
/// come in, the client gets them with the members before each priced usage object's brace and
/// nothing else changed, and the upstream is credited with its own bytes alone.
@Suite struct ResponseTapCostTests {
    /// The built-in table, as the proxy's loop would price.
    final class TablePricing: CostPricing {
        func cost(of record: UsageRecord) -> Cost? { PriceTable.defaultPrices.cost(of: record) }
    }

    /// Collects what the exchange sends the client, piece by piece.
    final class Collector: ClientStream {
        var pieces: [[UInt8]] = []
        func sendResponseHead(_ head: ResponseHead) {}
        func sendResponseBody(_ bytes: ByteBuffer) { pieces.append(Array(bytes.readableBytesView)) }
        func sendResponseEnd(trailers: HTTPHeaders?) {}
        func abortResponse() {}
        func releaseRequestBody(_ count: Int) {}
        func refuseRestOfRequestBody() {}
    }

    static let stream = [
        #"data: {"model":"gpt-4o-mini","choices":[{"delta":{"content":"hi"}}],"usage":null}"#,
        #"data: {"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100}}"#,
        "data: [DONE]",
    ].map { $0 + "\n\n" }.joined()

    /// gpt-4o-mini: 1,000 input tokens at 0.15 $/M and 100 output at 0.60 $/M.
    static let members = #","cost_usd_total":0.000210000,"cost_usd_input":0.000150000,"cost_usd_output":0.000060000,"cost_usd_cached_input":0.000000000,"cost_usd_request":0.000000000,"cost_usd_web_search":0.000000000"#

    @Test func theCostIsAddedBeforeTheUsageBraceWhereverTheUpstreamsPiecesAreCut() throws {
        let original = Array(Self.stream.utf8)
        let brace = try #require(Self.stream.range(of: #""total_tokens":1100}"#)).upperBound
        let expected = Array((String(Self.stream[..<Self.stream.index(before: brace)]) + Self.members + String(Self.stream[Self.stream.index(before: brace)...])).utf8)
        let pricing = TablePricing()
        for cut in 0...original.count {
            for second in [cut, min(original.count, cut + 1), min(original.count, cut + 37)] {
                let tap = ResponseTap(protocol: .chat, responseFields: HeaderFields([("content-type", "text/event-stream")]), pricing: pricing)
                #expect(tap.mayChangeLength)
                let client = Collector()
                var sent = 0
                for range in [0..<cut, cut..<second, second..<original.count] where !range.isEmpty {
                    sent += tap.pass(ByteBuffer(bytes: original[range]), to: client)
                }
                let received = client.pieces.flatMap { $0 }
                #expect(received == expected, "cut at \(cut) and \(second)")
                #expect(sent == received.count, "cut at \(cut) and \(second)")
                // Taken in any order of pieces, the upstream is credited with exactly its bytes.
                let credited = client.pieces.reduce(0) { $0 + tap.upstreamShare(ofTaken: $1.count) }
                #expect(credited == original.count, "cut at \(cut) and \(second)")
                #expect(tap.finish().inputTokens == 1000)
            }
        }
    }

    @Test func anEncodedBodyOrAnUnpricedModelGetsNothingAdded() {
        let pricing = TablePricing()
        let encoded = ResponseTap(protocol: .chat, responseFields: HeaderFields([("content-encoding", "gzip")]), pricing: pricing)
        #expect(!encoded.mayChangeLength)
        let unpriced = ResponseTap(protocol: .chat, responseFields: HeaderFields([]), pricing: pricing)
        let client = Collector()
        let text = Self.stream.replacingOccurrences(of: "gpt-4o-mini", with: "no-such-model")
        #expect(unpriced.pass(ByteBuffer(string: text), to: client) == text.utf8.count)
        #expect(client.pieces.flatMap { $0 } == Array(text.utf8))
    }
}
