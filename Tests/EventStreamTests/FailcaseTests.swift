import EventStream
import FuzzOracles
import Foundation
import Testing
import TestSupport

/// Each failcase in Fuzz/failcases/, replayed under the name of the bug it found.
@Suite("Fuzz failcases")
struct FailcaseTests {
    func failcase(_ name: String) throws -> [UInt8] {
        let url = FuzzCorpus.root.appendingPathComponent("failcases/EventStream/" + name)
        return [UInt8](try #require(FileManager.default.contents(atPath: url.path)))
    }

    /// The planted bug of the fuzzing proof: a CR at a slice end and the LF after it are one line end.
    @Test func aCRAtASliceEndThenAnLFIsOneLineEndNotABlankLine() throws {
        let bytes = try failcase("66c91a559cf180bd4017024f186ad6c1dc1136d2778002b23e76b6e4fe805aff")
        #expect(bytes.withUnsafeBytes { Oracles.tokenizerIgnoresSlicing($0) } == nil)
        // The stream proper (after the control byte) is a data line and no blank line: nothing
        // is dispatched, whichever way it is cut.
        let stream = Array(bytes.dropFirst())
        let crOffset = try #require(stream.firstIndex(of: 0x0D)) + 1
        for slicing in [Slicing.whole, .at([crOffset]), .every(1)] {
            #expect(collect(stream, slicing: slicing).events.isEmpty, "\(slicing.testDescription)")
        }
    }
}
