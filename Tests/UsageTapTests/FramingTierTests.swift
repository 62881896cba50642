import Testing
import TestSupport
@testable import UsageTap

/// Stage 1's framing tier, by every classifier this CPU has, marks what a byte-at-a-time
/// reading marks: line ends, quotes, and the sieve's candidates (a quote before one of the
/// letters that begin the names the stream's reader uses: e, f, m, r, u or x while the protocol
/// is not known, fewer once it is).
@Suite("Framing tier")
struct FramingTierTests {
    /// The letters each sieve needs: those its names begin with.
    static let sieves: [(sieve: EventSieve?, letters: String)] = [
        (nil, "efmrux"),
        (EventSieve(for: .chat, hasModel: true), "eux"),
        (EventSieve(for: .chat, hasModel: false), "emux"),
        (EventSieve(for: .responses, hasModel: false), "er"),
        (EventSieve(for: .messages, hasModel: true), "em"),
        (EventSieve(for: .gemini, hasModel: true), "f"),
        (EventSieve(for: .gemini, hasModel: false), "fm"),
    ]

    @Test(arguments: 0..<8)
    func everyClassifierFramesBlocksAsAByteAtATimeReadingDoes(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &+ 3_000)
        // The letters and their neighbours in the tables (d g l n q s t w y, u's nibble in e's),
        // bytes from 0x80 of every low nibble (an entry with no letter holds bit 7 and another
        // nibble), and NUL.
        let alphabet = Array("\"efmruxdglnqstwyEFMRUX\n\r :{".utf8) + [0x00, 0xE5, 0xF2, 0xFF, 0x22 | 0x80] + (0x80...0x8F)
        for _ in 0..<300 {
            // Whole blocks, a batch and more, and a partial one at the end.
            let count = Int.random(in: 1...(64 * 40 + 63), using: &random)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &random)! }
            let (sieve, letters) = Self.sieves.randomElement(using: &random)!
            let expected = frames(bytes, letters: Array(letters.utf8))
            for classifier in BlockClassifier.available {
                let found = bytes.withUnsafeBytes { BlockCursor.frames(of: $0, classifier: classifier, sieve: sieve) }
                #expect(found.count == expected.count, "\(classifier), \(count) bytes")
                for (index, (frame, wanted)) in zip(found, expected).enumerated() {
                    #expect(frame.line_end == wanted.lineEnd && frame.quote == wanted.quote, "\(classifier), block \(index) of \(count) bytes")
                    // A quote at bit 63 may be a candidate whatever follows it (its next byte may
                    // lie in a block that the same call did not classify); every other bit is exact.
                    let loose: UInt64 = 1 << 63
                    #expect(frame.candidate & ~loose == wanted.candidate & ~loose, "\(classifier), \(letters), block \(index) of \(count) bytes")
                    #expect(frame.candidate & loose & ~wanted.quote == 0, "\(classifier), block \(index) of \(count) bytes")
                    if wanted.candidate & loose != 0 { #expect(frame.candidate & loose != 0, "\(classifier), block \(index)") }
                }
            }
        }
    }

    /// The masks by definition, one byte at a time.
    private func frames(_ bytes: [UInt8], letters: [UInt8]) -> [(lineEnd: UInt64, quote: UInt64, candidate: UInt64)] {
        stride(from: 0, to: bytes.count, by: 64).map { start in
            var lineEnd: UInt64 = 0, quote: UInt64 = 0, candidate: UInt64 = 0
            for bit in 0..<min(64, bytes.count - start) {
                let byte = bytes[start + bit]
                if byte == 0x0A || byte == 0x0D { lineEnd |= 1 << UInt64(bit) }
                if byte == UInt8(ascii: "\"") {
                    quote |= 1 << UInt64(bit)
                    if start + bit + 1 < bytes.count, letters.contains(bytes[start + bit + 1]) {
                        candidate |= 1 << UInt64(bit)
                    }
                }
            }
            return (lineEnd, quote, candidate)
        }
    }
}
