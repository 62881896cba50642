import Foundation
import Testing

/// The binary over hostile and huge inputs piped through stdin: exit 0, one record, no hang,
/// and memory that does not grow with the input.
@Suite("usagetap scan under load", .serialized)
struct ScanUnderLoadTests {
    static let megabytes = Int(ProcessInfo.processInfo.environment["USAGETAP_LOAD_MB"] ?? "256") ?? 256
    static let peakLimit = 48 << 20
    /// Under AddressSanitizer, shadow memory and the allocation quarantine inflate every
    /// process's RSS, so the bound is only checked in a plain build (the binary is built with
    /// the same flags as this test process).
    static let boundsMemory = dlsym(nil, "__asan_init") == nil

    func expectPeakUnderLimit(_ result: ScanProcess.Result) {
        guard Self.boundsMemory else {
            return print("AddressSanitizer build: peak RSS \(result.peakResidentBytes / 1024) KiB, not checked against the limit")
        }
        #expect(result.peakResidentBytes > 0 && result.peakResidentBytes < Self.peakLimit, "peak RSS \(result.peakResidentBytes) bytes")
    }

    @Test func aGiantDataLinePassesInConstantMemoryAndTheUsageAfterItIsRead() {
        let head = Array(#"data: {"object":"chat.completion.chunk","choices":[{"delta":{"content":""#.utf8)
        let tail = Array("\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":22}}\n\ndata: [DONE]\n\n".utf8)
        let filler = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 16)
        let result = ScanProcess.run(["scan"], input: repeated(filler, count: Self.megabytes * 16, head: head, tail: tail))
        #expect(result.status == 0)
        #expect(result.records.count == 1)
        #expect(result.records.first?.contains(#""input_tokens":11,"output_tokens":22,"total_tokens":33"#) == true)
        expectPeakUnderLimit(result)
        print("giant line: \(Self.megabytes) MiB, peak RSS \(result.peakResidentBytes / 1024) KiB")
    }

    @Test func aQuarterMillionSmallEventsPassInConstantMemory() {
        let eventText = #"data: {"object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"\#(String(repeating: "word ", count: 180))"}}],"usage":null}"# + "\n\n"
        let event = Array(eventText.utf8)
        let count = Self.megabytes << 20 / event.count
        let tail = Array("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}\n\ndata: [DONE]\n\n".utf8)
        let result = ScanProcess.run(["scan"], input: repeated(event, count: count, tail: tail))
        #expect(count >= 250_000 || Self.megabytes < 256)
        #expect(result.status == 0)
        #expect(result.records.first?.contains(#""input_tokens":5,"output_tokens":6"#) == true)
        expectPeakUnderLimit(result)
        print("\(count) events: peak RSS \(result.peakResidentBytes / 1024) KiB")
    }

    static let hostileInputs: [(String, [UInt8])] = {
        var random = UInt64(0x5EED)
        func next() -> UInt8 { random = random &* 6364136223846793005 &+ 1442695040888963407; return UInt8(truncatingIfNeeded: random >> 33) }
        let deep = Array("data: {\"usage\":".utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000) + Array("\n\n".utf8)
        return [
            ("random bytes", (0..<4_000_000).map { _ in next() }),
            ("million-deep nesting", deep + Array("{".utf8) + [UInt8](repeating: UInt8(ascii: "{"), count: 1_000_000)),
            ("huge and malformed numbers", Array("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":\(String(repeating: "9", count: 100_000)),\"completion_tokens\":-1e99999,\"total_tokens\":1.}}\n\n".utf8)),
            ("broken UTF-8", Array("data: {\"choices\":[],\"model\":\"".utf8) + [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80] + Array("\"}\n\n".utf8)),
            ("NULs", [UInt8](repeating: 0, count: 1_000_000)),
            ("endless CRs", [UInt8](repeating: 0x0D, count: 10_000_000)),
        ]
    }()

    @Test(arguments: hostileInputs.indices)
    func hostileInputExitsZeroWithOneRecord(index: Int) {
        let (name, bytes) = Self.hostileInputs[index]
        for chunk in ["1", "7", "65536"] where chunk != "1" || bytes.count <= 1_000_000 {
            var sent = false
            let result = ScanProcess.run(["scan", "--chunk-bytes", chunk], limitSeconds: 120) { defer { sent = true }; return sent ? nil : bytes }
            #expect(result.status == 0, "\(name) at \(chunk)")
            #expect(result.records.count == 1, "\(name) at \(chunk)")
        }
    }
}
