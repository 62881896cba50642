import Foundation
import Testing
import TestSupport

@Suite("usagetap scan")
struct ScanCommandTests {
    @Test(.enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason), arguments: [1, 7, 65536])
    func printsTheExpectedRecordOfEveryRecordedStream(chunkBytes: Int) throws {
        let fixtures = RecordedFixtures.all()
        let paths = fixtures.map { RecordedFixtures.directory.appendingPathComponent($0.name + ".sse").path }
        let result = ScanProcess.run(["scan", "--protocol", "auto", "--chunk-bytes", "\(chunkBytes)"] + paths)
        #expect(result.status == 0)
        try #require(result.records.count == fixtures.count)
        for (fixture, line) in zip(fixtures, result.records) {
            let printed = try JSONDecoder().decode([String: RecordedFixtures.ExpectedValue].self, from: Data(line.utf8))
            for (key, expected) in fixture.expected {
                #expect(printed[key] == expected, "\(key) of \(fixture.name) at \(chunkBytes)-byte slices")
            }
        }
    }

    @Test func readsStdinWhenNoFileIsNamedOrWhenTheFileIsADash() {
        let stream = Array("data: {\"choices\":[],\"model\":\"m\",\"usage\":{\"prompt_tokens\":2}}\n\ndata: [DONE]\n\n".utf8)
        for arguments in [["scan"], ["scan", "-"]] {
            var sent = false
            let result = ScanProcess.run(arguments) { defer { sent = true }; return sent ? nil : stream }
            #expect(result.status == 0)
            #expect(result.records == [#"{"protocol":"chat","model":"m","finished":true,"error":null,"input_tokens":2,"output_tokens":0,"total_tokens":2,"cached_input_tokens":0,"cache_write_tokens":0,"cache_write_1h_tokens":0,"reasoning_tokens":0,"web_search_requests":0}"#])
        }
    }

    @Test func aMissingFileGetsAOneLineErrorAfterTheOtherRecordsAndAFailingExit() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("usagetap-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("a.sse"), last = directory.appendingPathComponent("b.json")
        try Data("data: {\"type\":\"message_stop\"}\n\n".utf8).write(to: first)
        try Data(#"{"object":"chat.completion","usage":{"prompt_tokens":1}}"#.utf8).write(to: last)
        let result = ScanProcess.run(["scan", first.path, directory.appendingPathComponent("missing.sse").path, last.path])
        #expect(result.status != 0)
        #expect(result.records.count == 2)
        #expect(result.records.first?.contains(#""protocol":"messages""#) == true)
        #expect(result.records.last?.contains(#""protocol":"chat""#) == true)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("missing.sse"))
    }

    @Test(arguments: [["scan", "--protocol", "smtp"], ["scan", "--chunk-bytes", "0"], ["scan", "--nope"]])
    func aBadOptionGetsAOneLineErrorAndAFailingExit(arguments: [String]) {
        let result = ScanProcess.run(arguments)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func aNamedProtocolIsUsedForEveryInput() {
        var sent = false
        let result = ScanProcess.run(["scan", "--protocol", "gemini"]) { defer { sent = true }; return sent ? nil : Array("data: {}\n\n".utf8) }
        #expect(result.records.first?.hasPrefix(#"{"protocol":"gemini""#) == true)
    }
}
