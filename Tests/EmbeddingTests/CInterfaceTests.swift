import Foundation
import Pricing
import Testing
import TestSupport
import UsageTap

/// The C interface (usagetap.h), tested from C by `Tests/C/usagetap_abi_test.c`: every recorded
/// fixture at 1-, 7- and 65,536-byte slices gets its expected record, bad arguments get their
/// status codes, and 10,000 taps of the fuzz corpus run clean, under AddressSanitizer and under
/// valgrind memcheck.
///
/// Without `../shared`, the fixtures are left out and the rest still runs.
@Suite(.enabled(if: Embedding.libraryFolder != nil, Embedding.noLibrary))
struct CInterfaceTests {
    static let taps = 10_000

    /// The test program compiled with `flags`, linked to the library.
    private func compile(_ flags: [String], into folder: ScratchFolder) throws -> String {
        let output = folder.path("usagetap_abi_test")
        let library = Embedding.libraryFolder!
        let result = try run(
            try Embedding.program("cc"),
            flags + ["-g", "-Wall", "-Wextra", "-Werror", "-I", library, Embedding.path("Tests/C/usagetap_abi_test.c"),
                     "-L", library, "-lusagetap", "-Wl,-rpath,\(library)", "-o", output],
            folder: folder.url, name: "cc")
        #expect(result.status == 0, "cc: \(result.error)")
        return output
    }

    private var arguments: [String] {
        [RecordedFixtures.isAvailable ? RecordedFixtures.directory.path : "-", Embedding.path("Fuzz/corpus"), String(Self.taps)]
    }

    @Test func everyFixtureAndTheCorpusRunCleanUnderAddressSanitizerAndCostWhatTheSwiftLibrarySays() throws {
        let folder = try ScratchFolder("c-abi-asan")
        let program = try compile(["-O1", "-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"], into: folder)
        let result = try run(program, arguments, folder: folder.url, name: "asan", limit: .seconds(300))
        let output = String(decoding: result.output, as: UTF8.self)
        #expect(result.status == 0, "\(result.error)")
        #expect(output.contains("ok: arguments"))
        #expect(output.contains("ok: \(Self.taps) taps over"))
        guard RecordedFixtures.isAvailable else { return }
        let fixtures = RecordedFixtures.all()
        #expect(output.contains("ok: \(fixtures.count) fixtures at 1-, 7- and 65536-byte slices"))

        // Each fixture's cost through C is the one the Swift library gives for the same record.
        let costs = Dictionary(uniqueKeysWithValues: output.split(separator: "\n").filter { $0.hasPrefix("cost ") }.map { line in
            let fields = line.split(separator: " ")
            return (String(fields[1]), fields.dropFirst(2).joined(separator: " "))
        })
        #expect(costs.count == fixtures.count)
        for fixture in fixtures {
            var tap = UsageTap(protocol: .auto)
            tap.feed(fixture.stream)
            let record = tap.finish()
            let expected: String
            if let cost = PriceTable.defaultPrices.cost(of: record) {
                let parts = cost.nanos
                expected = [parts.total, parts.input, parts.cachedInput, parts.cacheWrite, parts.output, parts.request, parts.webSearch]
                    .map { String($0) }.joined(separator: " ") + " \(cost.unpriced.contains(.webSearch) ? 1 : 0) \(cost.priceEntry)"
            } else {
                expected = "unpriced"
            }
            #expect(costs[fixture.name] == expected, "\(fixture.name)")
        }
    }

    @Test func everyFixtureAndTheCorpusRunWithoutAnErrorOrALeakUnderValgrindMemcheck() throws {
        let folder = try ScratchFolder("c-abi-memcheck")
        let program = try compile(["-O1"], into: folder)
        let result = try run(
            try Embedding.program("valgrind"),
            ["--error-exitcode=9", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect,possible",
             "--show-leak-kinds=definite,indirect,possible", "--suppressions=\(Embedding.path("Tests/C/swift-runtime.supp"))",
             program] + arguments,
            folder: folder.url, name: "memcheck", limit: .seconds(600))
        #expect(result.status == 0, "\(result.error.suffix(3000))")
        #expect(result.error.contains("ERROR SUMMARY: 0 errors"))
        #expect(result.error.contains("definitely lost: 0 bytes") || result.error.contains("All heap blocks were freed"))
        #expect(String(decoding: result.output, as: UTF8.self).contains("ok: \(Self.taps) taps over"))
    }

    @Test(.enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason))
    func usagetapFeedAllocatesNothingAtAnySlicingOfAnyFixture() throws {
        let folder = try ScratchFolder("c-abi-allocations")
        // The process's malloc, calloc, realloc and aligned allocations counted by the program.
        let program = try compile(["-O1", "-DUSAGETAP_COUNT_ALLOCATIONS"], into: folder)
        let result = try run(program, [RecordedFixtures.directory.path, Embedding.path("Fuzz/corpus"), "100"],
                             folder: folder.url, name: "allocations", limit: .seconds(300))
        #expect(result.status == 0, "\(result.error)")
        #expect(String(decoding: result.output, as: UTF8.self).contains("ok: no allocation in usagetap_feed"))
    }

    @Test(.enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason))
    func theREADMEsCExampleBuildsAndPrintsAFixturesUsage() throws {
        let folder = try ScratchFolder("c-abi-example")
        let library = Embedding.libraryFolder!
        let program = folder.path("example")
        let compiled = try run(
            try Embedding.program("cc"),
            ["-Wall", "-Wextra", "-Werror", Embedding.path("Embedding/c/example.c"), "-I", library, "-L", library,
             "-lusagetap", "-Wl,-rpath,\(library)", "-o", program],
            folder: folder.url, name: "cc")
        #expect(compiled.status == 0, "\(compiled.error)")
        let fixture = RecordedFixtures.directory.appendingPathComponent("chat_openai_gpt4o_mini.0.sse").path
        let result = try run(try Embedding.program("sh"), ["-c", "'\(program)' < '\(fixture)'"], folder: folder.url, name: "example")
        let lines = String(decoding: result.output, as: UTF8.self).split(separator: "\n")
        #expect(result.status == 0)
        #expect(lines.first == "gpt-4o-mini-2024-07-18: 53 in, 15 out")
        #expect(lines.last.flatMap { RecordJSON.parse($0) }?["total_tokens"] == .integer(68))
    }

    @Test(.enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason))
    func pythonReadsEveryFixtureThroughTheInterfaceWithCtypes() throws {
        let folder = try ScratchFolder("c-abi-python")
        let process = try ChildProcess(
            try Embedding.program("python3"),
            [Embedding.path("Embedding/python/check_fixtures.py"), RecordedFixtures.directory.path],
            name: "python", folder: folder.url, environment: ["USAGETAP_LIBRARY": Embedding.library])
        let status = process.waitForExit(limit: .seconds(300))
        let output = String(decoding: process.standardOutput, as: UTF8.self)
        #expect(status == 0, "\(process.standardError)")
        #expect(output.contains("ok: \(RecordedFixtures.all().count) fixtures through usagetap"))
    }
}
