import Foundation
import NIOHTTP1
@testable import MeteringPolicy
import Testing
import TestSupport
import UsageTap
@testable import TapProxy

@Suite struct APIRouteTests {
    @Test func theProtocolIsReadFromThePathsEndWhateverPrefixAGatewayAdds() {
        #expect(APIRoute.protocolSelection(forPath: "/v1/chat/completions") == .chat)
        #expect(APIRoute.protocolSelection(forPath: "/openai/deployments/x/chat/completions?api-version=1") == .chat)
        #expect(APIRoute.protocolSelection(forPath: "/v1/responses") == .responses)
        #expect(APIRoute.protocolSelection(forPath: "/anthropic/v1/messages") == .messages)
        #expect(APIRoute.protocolSelection(forPath: "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse") == .gemini)
        #expect(APIRoute.protocolSelection(forPath: "/v1beta/models/gemini-2.5-pro:generateContent") == .gemini)
    }

    @Test func otherPathsAreReadWithAuto() {
        #expect(APIRoute.protocolSelection(forPath: "/v1/messages/count_tokens") == .auto)
        #expect(APIRoute.protocolSelection(forPath: "/v1/embeddings") == .auto)
        #expect(APIRoute.protocolSelection(forPath: "/") == .auto)
    }

    @Test func onlyTheUsagePathItselfIsTheUsageQueryWithOrWithoutAQuery() {
        #expect(APIRoute.isUsageQuery("/v1/usage"))
        #expect(APIRoute.isUsageQuery("/v1/usage?window=daily"))
        #expect(!APIRoute.isUsageQuery("/v1/usage/"))
        #expect(!APIRoute.isUsageQuery("/v1/usages"))
        #expect(!APIRoute.isUsageQuery("/openai/v1/usage"))
        #expect(!APIRoute.isUsageQuery("/v1/chat/completions?next=/v1/usage"))
    }
}

@Suite struct CustomerCredentialTests {
    private func credential(_ fields: [(String, String)]) -> (key: String?, style: AuthStyle) {
        HeaderFields(fields).withCustomerKey { key, style in
            (key.map { String(decoding: $0, as: UTF8.self) }, style)
        }
    }

    @Test func aBearerTokenIsReadWhateverTheSchemesCaseAndTheBlanksBeforeIt() {
        for value in ["Bearer ut-abc", "bearer ut-abc", "BEARER  ut-abc", "Bearer \tut-abc"] {
            let read = credential([("Authorization", value)])
            #expect(read.key == "ut-abc", "\(value)")
            #expect(read.style == .bearer)
        }
    }

    @Test func otherSchemesAndEmptyTokensCarryNoKey() {
        for value in ["Basic dXQtYWJj", "Bearerut-abc", "Bearer", "Bearer ", "Bearer \t ", "Bear ut-abc", "ut-abc"] {
            #expect(credential([("authorization", value)]).key == nil, "\(value)")
        }
        #expect(credential([]).key == nil)
    }

    @Test func anXAPIKeyIsReadFirstAndAnswersInAnthropicsStyle() {
        let read = credential([("authorization", "Bearer ut-other"), ("X-Api-Key", " ut-abc")])
        #expect(read.key == "ut-abc")
        #expect(read.style == .apiKey)
        #expect(credential([("x-api-key", "  ")]).key == nil)
    }

    @Test func theCustomersKeyIsSwappedForTheUpstreamsCredential() {
        var fields = HeaderFields([("Authorization", "Bearer ut-abc"), ("x-api-key", "ut-abc"), ("accept", "*/*")])
        fields.removeCustomerCredentials()
        fields.add(UpstreamCredential.apiKey("sk-upstream"))
        #expect(fields.lines == ["accept: */*", "x-api-key: sk-upstream"])
        fields.removeCustomerCredentials()
        fields.add(UpstreamCredential.bearer("sk-upstream"))
        #expect(fields.lines == ["accept: */*", "authorization: Bearer sk-upstream"])
    }
}

@Suite struct HopByHopHeadersTests {
    @Test func connectionSpecificFieldsAndThoseConnectionNamesAreDropped() {
        let fields = HeaderFields([
            ("Host", "client.example"), ("Connection", "keep-alive, X-Hop"), ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"), ("Upgrade", "h2c"), ("X-Hop", "1"), ("Proxy-Connection", "close"),
            ("Authorization", "Bearer k"), ("Content-Type", "application/json"), ("TE", "Trailers, deflate"), ("te", "gzip"),
        ])
        func kept(keepHost: Bool) -> [String] {
            HopByHopHeaders.withForwardable(fields, keepHost: keepHost) { kept, bytes in
                let lines = kept.map { String(decoding: $0.name, as: UTF8.self) + ": " + String(decoding: $0.value, as: UTF8.self) }
                #expect(bytes == lines.reduce(0) { $0 + $1.utf8.count + 2 })
                return lines
            }
        }
        #expect(kept(keepHost: false) == ["Authorization: Bearer k", "Content-Type: application/json", "TE: trailers"])
        #expect(kept(keepHost: true) == ["Host: client.example", "Authorization: Bearer k", "Content-Type: application/json", "TE: trailers"])
    }
}

@Suite struct ResponseTapTests {
    @Test func eventStreamsJSONAndUntypedBodiesAreTappedOtherMediaAreNot() {
        #expect(ResponseTap.mayCarryUsage(contentType: nil as String?))
        #expect(ResponseTap.mayCarryUsage(contentType: "text/event-stream; charset=utf-8"))
        #expect(ResponseTap.mayCarryUsage(contentType: "Application/JSON"))
        #expect(ResponseTap.mayCarryUsage(contentType: "application/problem+json"))
        #expect(!ResponseTap.mayCarryUsage(contentType: "audio/mpeg"))
        #expect(!ResponseTap.mayCarryUsage(contentType: "text/html"))
        // Spaces and tabs around the media type, parameters after it, and an empty field.
        #expect(ResponseTap.mayCarryUsage(contentType: " \tTEXT/Event-Stream\t ;charset=utf-8"))
        #expect(ResponseTap.mayCarryUsage(contentType: " ; charset=utf-8"))
        #expect(ResponseTap.mayCarryUsage(contentType: ""))
        #expect(ResponseTap.mayCarryUsage(contentType: "application/vnd.api+JSON"))
        #expect(!ResponseTap.mayCarryUsage(contentType: "text/event-streams"))
        #expect(!ResponseTap.mayCarryUsage(contentType: "application/json-seq"))
        #expect(!ResponseTap.mayCarryUsage(contentType: "json"))
    }

    @Test func aBodyInAnEncodingThatCannotBeInflatedIsForwardedWithUsageUnknown() {
        let tap = ResponseTap(protocol: .chat, responseFields: fields([("content-encoding", "br")]), pricing: nil)
        _ = tap.pass(.init(string: #"data: {"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"# + "\n\n"), to: nil)
        #expect(tap.finish().inputTokens == nil)
    }

    @Test func aDeflateBodyIsReadWhetherZlibWrappedOrRaw() throws {
        let text = #"data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}"# + "\n\ndata: [DONE]\n\n"
        for wrapped in [true, false] {
            let compressed = try compress(Array(text.utf8), windowBits: wrapped ? 15 : -15)
            let tap = ResponseTap(protocol: .chat, responseFields: fields([("Content-Encoding", "deflate")]), pricing: nil)
            for byte in compressed { _ = tap.pass(.init(bytes: [byte]), to: nil) }
            let record = tap.finish()
            #expect(record.inputTokens == 7, "zlib-wrapped: \(wrapped)")
            #expect(record.totalTokens == 9)
        }
    }

    /// A gzip body handed on a byte at a time: the inflater starts on a slice of one byte
    /// (where it once read a second byte past the slice, as deflate's header check does).
    @Test func aGzipBodyIsReadWhenItComesAByteAtATime() throws {
        let text = #"data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}"# + "\n\ndata: [DONE]\n\n"
        let compressed = try compress(Array(text.utf8), windowBits: 31)
        let tap = ResponseTap(protocol: .chat, responseFields: fields([("Content-Encoding", "gzip")]), pricing: nil)
        for byte in compressed { _ = tap.pass(.init(bytes: [byte]), to: nil) }
        let record = tap.finish()
        #expect(record.inputTokens == 7)
        #expect(record.totalTokens == 9)
    }

    @Test func corruptCompressedBytesStopTheTapWithoutCrashing() {
        let tap = ResponseTap(protocol: .chat, responseFields: fields([("content-encoding", "gzip")]), pricing: nil)
        _ = tap.pass(.init(bytes: [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3] + [UInt8](repeating: 0xFF, count: 5000)), to: nil)
        #expect(tap.finish().inputTokens == nil)
    }

    @Test func theContentCodingIsReadFromEveryContentEncodingFieldAndStackedCodingsAreNotRead() {
        let usage = #"data: {"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"# + "\n\n"
        let identity = ResponseTap(protocol: .chat, responseFields: fields([("Content-Encoding", " identity "), ("content-type", "text/event-stream")]), pricing: nil)
        _ = identity.pass(.init(string: usage), to: nil)
        #expect(identity.finish().inputTokens == 1)
        // gzip in one field and deflate in another: two codings, which this does not undo.
        let stacked = ResponseTap(protocol: .chat, responseFields: fields([("content-encoding", "gzip"), ("content-encoding", "deflate")]), pricing: nil)
        _ = stacked.pass(.init(string: usage), to: nil)
        #expect(stacked.finish().inputTokens == nil)
        let audio = ResponseTap(protocol: .chat, responseFields: fields([("content-type", "audio/mpeg")]), pricing: nil)
        _ = audio.pass(.init(string: usage), to: nil)
        #expect(audio.finish().inputTokens == nil)
    }

    private func fields(_ pairs: [(String, String)]) -> HeaderFields {
        HeaderFields(pairs)
    }

    /// Compresses with Python's zlib (on every machine this suite runs on): `windowBits` 15 is
    /// zlib-wrapped deflate, -15 raw deflate, 31 gzip.
    private func compress(_ bytes: [UInt8], windowBits bits: Int) throws -> [UInt8] {
        let folder = try ScratchFolder("compress")
        try Data(bytes).write(to: folder.url.appendingPathComponent("in"))
        let script = "import sys,zlib;c=zlib.compressobj(9,zlib.DEFLATED,\(bits));d=open(sys.argv[1],'rb').read();sys.stdout.buffer.write(c.compress(d)+c.flush())"
        let python = Peers.find("python3") ?? "/usr/bin/python3"
        return try run(python, ["-c", script, folder.path("in")], folder: folder.url).output
    }
}

@Suite struct BackpressureTests {
    @Test func aReadAheadStaysAtItsFirstSizeWhileTheOtherSideTakesNothing() {
        var held = HeldBytes(first: 64, ceiling: 256)
        held.received(64)
        let readsAt64 = held.mayRead()
        #expect(readsAt64)
        held.received(1)
        let readsAt65 = held.mayRead()
        #expect(!readsAt65, "65 bytes held over a read-ahead of 64")
        #expect(held.limit == 64)
        let resumes = held.resumesRead()
        #expect(!resumes)
    }

    @Test func aReadAheadDoublesEachTimeTheOtherSideHasTakenAsMuchUpToItsCeiling() {
        var held = HeldBytes(first: 64, ceiling: 256)
        held.received(300)
        // Bytes taken, and the limit after: 63 of 64 grow nothing, 64 in all double it, 128 in
        // all double it again, and it never passes the ceiling.
        for (take, limit) in [(63, 64), (1, 128), (64, 256), (172, 256)] {
            let released = held.taken(take)
            #expect(released == take)
            #expect(held.limit == limit, "after \(take) more taken")
        }
        #expect(held.count == 0)
    }

    @Test func onlyHeldBytesCountAsTakenAndAReleaseAtTheEndGrowsNothing() {
        var held = HeldBytes(first: 64, ceiling: 256)
        held.received(10)
        let released = held.taken(1_000)
        #expect(released == 10, "no more than was held is released")
        #expect(held.limit == 64)
        held.received(100)
        let releasedAtEnd = held.releaseAll()
        #expect(releasedAtEnd == 100)
        #expect(held.limit == 64)
    }

    @Test func aReadThatWaitedGoesOnceEnoughIsTakenAndAGrownLimitLetsItGoSooner() {
        var held = HeldBytes(first: 64, ceiling: 256)
        held.received(100)
        let reads = held.mayRead()
        #expect(!reads)
        let released = held.taken(20)
        #expect(released == 20)
        let resumesAt80 = held.resumesRead()
        #expect(!resumesAt80, "80 held over 64")
        let releasedNext = held.taken(44)
        #expect(releasedNext == 44)
        #expect(held.limit == 128)
        let resumesUnder128 = held.resumesRead()
        #expect(resumesUnder128, "36 held under 128")
        let resumesTwice = held.resumesRead()
        #expect(!resumesTwice, "once")
    }

    @Test func aFirstReadAheadPastTheCeilingStartsAtTheCeiling() {
        let held = HeldBytes(first: 64 << 10, ceiling: 16 << 10)
        #expect(held.limit == 16 << 10)
    }

    @Test func aFixedLimitNeverGrows() {
        var held = HeldBytes(limit: 64)
        held.received(64)
        let released = held.taken(64)
        #expect(released == 64)
        #expect(held.limit == 64)
    }
}
