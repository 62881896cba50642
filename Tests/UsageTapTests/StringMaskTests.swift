import Testing
import TestSupport
@testable import UsageTap

/// The string masks, worked out for a block at once, agree with a reader that takes one byte
/// at a time: a quote is an edge unless escaped, a backslash escapes only inside a string.
@Suite("String masks")
struct StringMaskTests {
    /// The byte-at-a-time reading of bytes `low..<high`: edges, bytes inside strings (an edge
    /// that opens included, one that closes not), and the carry after them.
    func sequential(_ bytes: [UInt8], low: Int, high: Int, carry start: StringCarry)
        -> (edges: UInt64, inString: UInt64, carry: StringCarry)
    {
        var edges: UInt64 = 0, inside: UInt64 = 0
        var carry = start
        for index in low..<high {
            let byte = bytes[index]
            if carry.escapePending {
                carry.escapePending = false
            } else if byte == UInt8(ascii: "\"") {
                edges |= 1 << UInt64(index)
                carry.inString.toggle()
            } else if byte == UInt8(ascii: "\\") && carry.inString {
                carry.escapePending = true
            }
            if carry.inString { inside |= 1 << UInt64(index) }
        }
        return (edges, inside, carry)
    }

    /// Brackets outside strings, read a byte at a time, as `sequential` reads the strings.
    func brackets(_ bytes: [UInt8], low: Int, high: Int, carry start: StringCarry) -> (opener: UInt64, closer: UInt64) {
        var opener: UInt64 = 0, closer: UInt64 = 0
        let inside = sequential(bytes, low: low, high: high, carry: start).inString
        for index in low..<high where inside & (1 << UInt64(index)) == 0 {
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["): opener |= 1 << UInt64(index)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): closer |= 1 << UInt64(index)
            default: break
            }
        }
        return (opener, closer)
    }

    func masks(of bytes: [UInt8]) -> (quote: UInt64, backslash: UInt64) {
        var quote: UInt64 = 0, backslash: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\"") { quote |= 1 << UInt64(index) }
            if byte == UInt8(ascii: "\\") { backslash |= 1 << UInt64(index) }
        }
        return (quote, backslash)
    }

    @Test(arguments: 0..<4)
    func blockMasksAgreeWithAByteAtATimeReader(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &+ 1_000)
        // Few symbols, so that runs of backslashes, escaped quotes and backslashes outside
        // strings (malformed JSON) all come up often.
        let alphabet = Array(#""\\a\"#.utf8)
        for _ in 0..<20_000 {
            let bytes = (0..<64).map { _ in alphabet.randomElement(using: &random)! }
            let low = Int.random(in: 0..<64, using: &random)
            let high = Int.random(in: (low + 1)...64, using: &random)
            let start = StringCarry(inString: Bool.random(using: &random), escapePending: Bool.random(using: &random))
            let expected = sequential(bytes, low: low, high: high, carry: start)
            var carry = start
            let (quote, backslash) = masks(of: bytes)
            let strings = StringMasks(quote: quote, backslash: backslash, low: low, high: high, carry: &carry)
            let run = UInt64.bits(from: low) & UInt64.bits(below: high)
            #expect(strings.quotes == expected.edges, "\(String(decoding: bytes, as: UTF8.self)) \(low)..<\(high)")
            #expect(strings.inString & run == expected.inString, "\(String(decoding: bytes, as: UTF8.self)) \(low)..<\(high)")
            #expect(carry.inString == expected.carry.inString && carry.escapePending == expected.carry.escapePending)
        }
    }

    /// Stage 1's strings tier, with every classifier this CPU has, on whole blocks and on the
    /// shorter last blocks of slices, agrees with the byte-at-a-time reader (malformed runs, with
    /// a backslash outside strings, take the exact reading).
    @Test(arguments: 0..<4)
    func theStringsTierOfEveryClassifierAgreesWithAByteAtATimeReader(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &+ 2_000)
        let alphabet = Array(#""\a\{}[]"#.utf8)
        for _ in 0..<5_000 {
            let count = Bool.random(using: &random) ? 64 : Int.random(in: 1...64, using: &random)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &random)! }
            let low = Int.random(in: 0..<count, using: &random)
            let high = Int.random(in: (low + 1)...count, using: &random)
            let start = StringCarry(inString: Bool.random(using: &random), escapePending: Bool.random(using: &random))
            let expected = sequential(bytes, low: low, high: high, carry: start)
            let expectedBrackets = brackets(bytes, low: low, high: high, carry: start)
            for classifier in BlockClassifier.available {
                var carry = start
                let masks = bytes.withUnsafeBytes {
                    StringView.masks(of: $0, classifier: classifier, low: low, high: high, carry: &carry)
                }
                let text = "\(classifier) \(String(decoding: bytes, as: UTF8.self)) \(low)..<\(high)"
                #expect(masks.edges == expected.edges, "\(text)")
                #expect(masks.opener == expectedBrackets.opener && masks.closer == expectedBrackets.closer, "\(text)")
                #expect(carry.inString == expected.carry.inString && carry.escapePending == expected.carry.escapePending, "\(text)")
            }
        }
    }
}
