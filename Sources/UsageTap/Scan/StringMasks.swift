/// Where strings lie in one JSON document's bytes, and the two bits of state that carry the
/// string from one run of them to the next (across blocks, data lines and slices).
///
/// A quote is a string's edge unless a backslash escapes it, and a backslash escapes the byte
/// after it only inside a string. Stage 1 (C) works both out for the raw stream at once: the
/// escapes from runs of backslashes (a byte is escaped when the run of backslashes just before it
/// has odd length), the strings from a prefix XOR of the quotes that are left. ``StringView``
/// turns that into the document's view per line; where it cannot (a backslash outside the
/// strings, in malformed JSON such as `{"a":\"b"}`), ``StringMasks`` works a run out exactly,
/// one quote and backslash at a time where it must, so that the answer is the one a
/// byte-at-a-time reader gives.
internal import CUsageTapVector

struct StringCarry: Sendable {
    /// The run so far ended inside a string.
    var inString = false
    /// The run so far ended with a backslash that escapes the next byte.
    var escapePending = false
}

/// How one document's strings relate to stage 1's view of the raw stream, along a data line (or
/// a whole body).
///
/// Stage 1 reads the raw stream as one JSON text. Inside one line of a document that view is
/// right up to a parity flip, fixed where the line's value starts: the raw stream may be inside
/// a "string" there (after a quote in a comment line, say) where the document is not, or the
/// other way round when a string runs on from the line before. So a line's masks are stage 1's,
/// with the string mask XORed with `flip`: no work per run beyond that XOR. Where a backslash
/// lies outside the strings so found (malformed JSON), the views cannot agree, and the rest of
/// the line is worked out exactly from its quote and backslash masks (``StringMasks``).
struct StringView: Sendable {
    /// XORed onto stage 1's string mask: 0, or all ones.
    private(set) var flip: UInt64 = 0
    /// The masks of this line are worked out from its quotes and backslashes.
    private(set) var isExact = false
    /// The document's string state: at the end of the last line, and all along an exact line.
    var carry = StringCarry()

    /// A line of the document starts at `position`, in the cursor's current block. The byte
    /// before a line's value is never an escaping backslash (it is `:`, a space, or a line end
    /// the document does not see), so that only the string state can disagree.
    @inline(__always)
    mutating func startLine(_ cursor: BlockCursor, at position: Int) {
        flip = cursor.rawInString(before: position) == carry.inString ? 0 : ~0
        let rawEscape = cursor.bit(position) == 0 && cursor.block.pointee.carry & 1 != 0
        isExact = rawEscape != carry.escapePending
    }

    /// The document's edges and the bytes inside its strings, in bits `low..<high` (`run`) of
    /// `block`, which starts at offset `blockStart` of the slice.
    @inline(__always)
    mutating func masks(_ block: UnsafePointer<ut_block>, at blockStart: Int, low: Int, high: Int, run: UInt64)
        -> (edges: UInt64, inString: UInt64)
    {
        if !isExact {
            let inString = block.pointee.in_string ^ flip
            if block.pointee.backslash & run & ~inString == 0 { return (block.pointee.edges & run, inString) }
        }
        return exactMasks(block, low: low, high: high)
    }

    /// The rare case: a backslash outside the strings stage 1 found. The raw view is right up to
    /// the run's start, so the exact reading starts from its state there.
    @inline(never)
    private mutating func exactMasks(_ block: UnsafePointer<ut_block>, low: Int, high: Int) -> (edges: UInt64, inString: UInt64) {
        if !isExact {
            let raw = low == 0 ? block.pointee.carry & 2 != 0 : block.pointee.in_string &>> UInt64(low &- 1) & 1 != 0
            carry = StringCarry(inString: raw != (flip != 0), escapePending: low == 0 && block.pointee.carry & 1 != 0)
            isExact = true
        }
        let strings = StringMasks(quote: block.pointee.quote, backslash: block.pointee.backslash, low: low, high: high, carry: &carry)
        return (strings.quotes, strings.inString)
    }

    /// The line ends at `position` (its line end, in the cursor's current block): the document's
    /// string state there is kept for the next line of the same document.
    @inline(__always)
    mutating func endLine(_ cursor: BlockCursor, at position: Int) {
        if !isExact { carry.inString = cursor.rawInString(before: position) != (flip != 0) }
        // The line end joins the lines: a pending backslash escapes it, and nothing after.
        carry.escapePending = false
    }

    /// A new document.
    mutating func reset() {
        self = StringView()
    }
}

struct StringMasks {
    /// The quotes that open or close a string.
    var quotes: UInt64
    /// The bytes inside strings: from an opening quote up to, not including, its closing quote.
    var inString: UInt64

    private static let evenBits: UInt64 = 0x5555_5555_5555_5555

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
