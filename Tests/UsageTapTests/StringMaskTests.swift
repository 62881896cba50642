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
}
