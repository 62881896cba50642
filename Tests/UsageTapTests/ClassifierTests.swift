import Testing
import TestSupport
@_spi(Reference) import UsageTap

/// Every classifier this CPU has (the portable scalar one among them) gives every record the
/// default one gives: the vector paths and the scalar path are held against each other.
@Suite("Block classifiers")
struct ClassifierTests {
    @Test func theClassifierInUseIsOneTheCPUHas() {
        print("block classifier in use: \(BlockClassifier.current); available: \(BlockClassifier.available)")
        #expect(BlockClassifier.available.contains(BlockClassifier.current))
        #expect(BlockClassifier.available.contains(.scalar))
    }

    @Test(arguments: 0..<24)
    func everyClassifierReadsAGeneratedStreamAlike(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &* 0x51ED_2701)
        let bytes = Array(GeneratedStream.make(using: &random).text.utf8)
        let expected = usage(of: bytes)
        for classifier in BlockClassifier.available {
            for slicing in [Slicing.whole, .every(1), .every(63), .every(64), .every(65)] {
                #expect(record(of: bytes, classifier: classifier, slicing: slicing) == expected, "\(classifier), \(slicing.testDescription)")
            }
        }
    }

    @Test(.enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason))
    func everyClassifierReadsTheRecordedStreamsAlike() {
        for fixture in RecordedFixtures.all() {
            let expected = usage(of: fixture.stream)
            for classifier in BlockClassifier.available {
                #expect(record(of: fixture.stream, classifier: classifier, slicing: .every(7)) == expected, "\(fixture.name), \(classifier)")
            }
        }
    }

    @Test(arguments: 0..<8)
    func everyClassifierReadsHostileBytesAlike(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &+ 77)
        let alphabet = Array(#"{}[]":,\\\ data:usage0123456789-.eE"#.utf8) + [0x0A, 0x0D, 0x00, 0xFF]
        let bytes = (0..<50_000).map { _ in alphabet.randomElement(using: &random)! }
        let expected = usage(of: bytes)
        for classifier in BlockClassifier.available {
            #expect(record(of: bytes, classifier: classifier, slicing: .every(100)) == expected, "\(classifier)")
            #expect(record(of: [UInt8(ascii: "{")] + bytes, classifier: classifier, slicing: .whole)
                == usage(of: [UInt8(ascii: "{")] + bytes), "\(classifier), as a body")
        }
    }

    private func record(of bytes: [UInt8], classifier: BlockClassifier, slicing: Slicing) -> UsageRecord {
        var tap = UsageTap(protocol: .auto, classifier: classifier)
        slicing.forEachSlice(of: bytes) { tap.feed($0) }
        return tap.finish()
    }
}
