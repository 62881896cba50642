/// Where strings lie in a run of one JSON document's bytes within a block, and the two bits of
/// state that carry the string from one run to the next (across blocks, data lines and slices).
///
/// Stage 1 has read each block as if the whole raw stream were one JSON text. Inside a run of a
/// document's bytes that view is right up to one flip of parity (the raw stream may have been
/// inside a "string" where the document starts, say after a quote in a comment line), which one
/// XOR undoes. Where the two views cannot agree (the raw stream and the document disagree on a
/// pending escape, or a backslash lies outside the strings), the run is worked out again from
/// its own quote and backslash masks, as below.
///
/// A quote is a string's edge unless a backslash escapes it, and a backslash escapes the byte
/// after it only inside a string. The escapes come from runs of backslashes (a byte is escaped
/// when the run of backslashes just before it has odd length), the strings from a prefix XOR
/// of the quotes that are left. Both treat every backslash as inside a string, which is true of
/// JSON; a block where a backslash lies outside the strings so found (malformed JSON such as
/// `{"a":\"b"}`) is worked out again one quote and backslash at a time, so that the answer is
/// the one a byte-at-a-time reader gives.
internal import CUsageTapVector

struct StringCarry: Sendable {
    /// The run so far ended inside a string.
    var inString = false
    /// The run so far ended with a backslash that escapes the next byte.
    var escapePending = false
}

struct StringMasks {
    /// The quotes that open or close a string.
    var quotes: UInt64
    /// The bytes inside strings: from an opening quote up to, not including, its closing quote.
    var inString: UInt64

    private static let evenBits: UInt64 = 0x5555_5555_5555_5555

    @inline(__always)
    private init(quotes: UInt64, inString: UInt64) {
        self.quotes = quotes
        self.inString = inString
    }

    /// The masks of the bytes in bits `low..<high` of a stage-1 block, given what the bytes
    /// before them carried; updates `carry` to what the byte at `high - 1` carries on. A run
    /// that does not end at a line end ends at the block's last byte in the slice.
    @inline(__always)
    init(_ block: UnsafePointer<ut_block>, low: Int, high: Int, endsAtLine: Bool, carry: inout StringCarry) {
        assert(low < high && high <= 64)
        // Safe: the cursor's current block, valid while the cursor is.
        let block = block.pointee
        let rawEscape = low == 0 && block.carry & 1 != 0
        if rawEscape == carry.escapePending {
            let rawInString = low == 0 ? block.carry & 2 != 0 : block.in_string &>> UInt64(low &- 1) & 1 != 0
            let inString = block.in_string ^ (rawInString == carry.inString ? 0 : ~0)
            let run = UInt64.bits(from: low) & UInt64.bits(below: high)
            if block.backslash & run & ~inString == 0 {
                self.init(quotes: block.edges & run, inString: inString)
                carry.inString = inString &>> UInt64(high &- 1) & 1 != 0
                // At a line end the next byte is not the document's: no escape carries over.
                carry.escapePending = !endsAtLine && block.carry & 4 != 0
                return
            }
        }
        self.init(quote: block.quote, backslash: block.backslash, low: low, high: high, carry: &carry)
    }

    /// The masks of the bytes in bits `low..<high` of a block from its quote and backslash
    /// masks alone, given what the bytes before them carried; updates `carry` to what the byte
    /// at `high - 1` carries on.
    init(quote: UInt64, backslash: UInt64, low: Int, high: Int, carry: inout StringCarry) {
        assert(low < high && high <= 64)
        let run = UInt64.bits(from: low) & UInt64.bits(below: high)
        var backslashes = backslash & run
        var candidates = quote & run
        if carry.escapePending {
            // The run's first byte is escaped: it is content, neither an edge nor an escape.
            let first: UInt64 = 1 &<< UInt64(low)
            backslashes &= ~first
            candidates &= ~first
        }
        let quotesInRun = candidates
        var escapers: UInt64 = 0
        if backslashes != 0 {
            // Backslashes that escape the byte after them: in a run starting on an even bit
            // those on even bits, in a run starting on an odd bit those on odd bits. Adding a
            // run's first bit to the mask clears the whole run, which picks out the runs that
            // start on even bits.
            let starts = backslashes & ~(backslashes &<< 1)
            let evenRuns = backslashes & ~(backslashes &+ (starts & Self.evenBits))
            let oddRuns = backslashes & ~evenRuns
            escapers = (evenRuns & Self.evenBits) | (oddRuns & ~Self.evenBits)
            candidates &= ~(escapers &<< 1)
        }
        let openAtStart: UInt64 = carry.inString ? ~0 : 0
        var inString = Self.prefixXOR(candidates) ^ openAtStart
        if backslashes & ~inString != 0 {
            // A backslash outside a string: malformed JSON, read one byte of interest at a time.
            (candidates, escapers) = Self.sequential(backslashes | quotesInRun, backslashes: backslashes,
                                                     inString: carry.inString)
            inString = Self.prefixXOR(candidates) ^ openAtStart
        }
        quotes = candidates
        self.inString = inString
        carry.inString = inString &>> UInt64(high &- 1) & 1 != 0
        // The last byte escapes the next one when it is an escaping backslash.
        carry.escapePending = escapers &>> UInt64(high &- 1) & 1 != 0
    }

    /// For each bit, the XOR of it and every bit below it: 1 from an opening quote up to its
    /// closing quote.
    @inline(__always)
    static func prefixXOR(_ bits: UInt64) -> UInt64 {
        var value = bits
        value ^= value &<< 1
        value ^= value &<< 2
        value ^= value &<< 4
        value ^= value &<< 8
        value ^= value &<< 16
        value ^= value &<< 32
        return value
    }

    /// The string edges and escaping backslashes of `interesting` (quotes and backslashes),
    /// read in order as a byte-at-a-time reader would: a backslash escapes only inside a string.
    private static func sequential(_ interesting: UInt64, backslashes: UInt64, inString start: Bool)
        -> (edges: UInt64, escapers: UInt64)
    {
        var edges: UInt64 = 0, escapers: UInt64 = 0
        var inString = start
        var remaining = interesting
        while remaining != 0 {
            let bit = UInt64(remaining.trailingZeroBitCount)
            let single: UInt64 = 1 &<< bit
            remaining &= remaining &- 1
            if backslashes & single == 0 {
                edges |= single
                inString.toggle()
            } else if inString {
                escapers |= single
                // The next byte is escaped: if it is a quote or a backslash, it is content.
                if bit < 63 { remaining &= ~(single &<< 1) }
            }
        }
        return (edges, escapers)
    }
}
